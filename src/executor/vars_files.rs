//! `vars_files:` entries the loader left for the play's start (templated names, files that were
//! not there at load): the names are rendered with the play's vars and the extra vars, and the
//! first that is a file is read. As Ansible, an entry none of whose files is found is skipped;
//! ferry says so in a warning. A file that is not a valid vars file stops the run, with its
//! `file:line:col`, as invalid content read by a dynamic include does.

use serde_json::Value as Json;

use crate::error::LoadError;
use crate::executor::Executor;
use crate::playbook::{read_vars_file, vars_file_path, Play};
use crate::vars::Vars;

impl Executor {
    /// The play's vars with its later `vars_files` read over them.
    pub(crate) fn play_vars(&mut self, play: &Play, playbook_dir: &str) -> Result<Vars, LoadError> {
        let mut vars = play.vars.clone();
        for entry in &play.vars_files_later {
            let mut known = vars.clone();
            known.extend(self.opts.extra_vars.clone());
            known.insert("playbook_dir".into(), playbook_dir.into());
            // A name that does not render skips the whole entry, as in Ansible.
            let mut found = None;
            for name in &entry.names {
                let name = match self.templar.render_str(name, &known) {
                    Ok(Json::String(s)) => s,
                    Ok(other) => other.to_string(),
                    Err(_) => break,
                };
                found = vars_file_path(&entry.base, &name);
                if found.is_some() {
                    break;
                }
            }
            match found {
                Some(path) => vars.extend(read_vars_file(&path)?),
                None => self.reporter.warning(&format!(
                    "{}:{}:{}: no vars file of {} was found (skipped, as Ansible skips it)",
                    entry.at.file.path.display(),
                    entry.at.line,
                    entry.at.col,
                    entry.names.join(", ")
                )),
            }
        }
        Ok(vars)
    }
}

//! `ferry config dump [--only-changed]`: the settings ferry reads from ansible.cfg and the
//! `ANSIBLE_*` variables, printed as `ansible-config dump` prints them.

use crate::config::{Config, Origin, SETTINGS};
use crate::error::Error;

/// Prints the settings; `only_changed`: those not at Ansible's default.
#[allow(clippy::print_stdout)] // the command's output
pub fn dump(only_changed: bool) -> Result<i32, Error> {
    let config = Config::load()?;
    if only_changed {
        println!("{}", config.dump_changed());
        return Ok(0);
    }
    let mut lines = Vec::new();
    for setting in SETTINGS {
        let Some((value, origin)) = config.get(setting.name) else {
            lines.push(format!("{}(default) = None", setting.name));
            continue;
        };
        let from = match origin {
            Origin::Default => "default".to_string(),
            Origin::File(p) => p.display().to_string(),
            Origin::Env(e) => format!("env: {e}"),
        };
        lines.push(format!(
            "{}({from}) = {}",
            setting.name,
            crate::config::shown(value)
        ));
    }
    println!("{}", lines.join("\n"));
    Ok(0)
}

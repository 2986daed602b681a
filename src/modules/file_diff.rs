//! The diff the `file` module registers, as Ansible's `initial_diff` and
//! `set_fs_attributes_if_different` build it: `{before: {path, …}, after: {path, …}}` with
//! `state` when it changes (and, for a directory removed, what it held), a link's `src` when
//! it changes, and owner, group and mode when they change. Access and modification times,
//! which Ansible adds for `touch`, are left out.

use serde_json::{json, Map, Value as Json};

use crate::connection::quote;
use crate::modules::host;
use crate::modules::host::stat::RemoteStat;
use crate::modules::{ModuleCtx, ModuleResult};

/// The values before and after of what the file module changes.
pub(crate) struct FileDiff {
    before: Map<String, Json>,
    after: Map<String, Json>,
}

impl FileDiff {
    /// The diff of `path` going from what `st` found to `state`.
    pub(crate) async fn new(
        ctx: &ModuleCtx<'_>,
        path: &str,
        state: &str,
        st: &RemoteStat,
    ) -> Result<FileDiff, ModuleResult> {
        let mut d = FileDiff {
            before: Map::from_iter([("path".to_string(), path.into())]),
            after: Map::from_iter([("path".to_string(), path.into())]),
        };
        let prev = match st {
            s if !s.exists => "absent",
            s if s.is_link() => "link",
            s if s.is_dir() => "directory",
            _ => "file",
        };
        if prev != state {
            d.before.insert("state".into(), prev.into());
            d.after.insert("state".into(), state.into());
            if state == "absent" && prev == "directory" {
                d.before
                    .insert("path_content".into(), content(ctx, path).await?);
            }
        }
        Ok(d)
    }

    /// Owner, group and mode as they change (see [`host::attrs_changes`]).
    pub(crate) fn attrs(&mut self, (was, now): (Map<String, Json>, Map<String, Json>)) {
        self.before.extend(was);
        self.after.extend(now);
    }

    /// A symbolic link's target, when it changes from what `st` found to `src`.
    pub(crate) fn link(&mut self, st: &RemoteStat, src: &str) {
        if let Some(old) = st
            .link_target
            .as_deref()
            .filter(|t| *t != src && st.is_link())
        {
            self.before.insert("src".into(), old.into());
            self.after.insert("src".into(), src.into());
        }
    }

    pub(crate) fn into_json(self) -> Json {
        json!({"before": self.before, "after": self.after})
    }
}

/// What a directory about to be removed holds: `{directories, files}`, each path under it
/// (Ansible walks it with `os.walk`; the order here is `find`'s).
async fn content(ctx: &ModuleCtx<'_>, path: &str) -> Result<Json, ModuleResult> {
    let script = format!(
        "find {} -mindepth 1 \\( -type d -printf 'd%p\\n' \\) -o -printf 'f%p\\n'",
        quote(path)
    );
    let out = host::run(ctx, &script).await?;
    let (mut dirs, mut files) = (Vec::<Json>::new(), Vec::<Json>::new());
    for line in out.lines() {
        match line.split_at_checked(1) {
            Some(("d", p)) => dirs.push(p.into()),
            Some((_, p)) => files.push(p.into()),
            None => {}
        }
    }
    Ok(json!({"directories": dirs, "files": files}))
}

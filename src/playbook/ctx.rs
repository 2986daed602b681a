//! [`LoadCtx`]: what the loader carries from file to file while it reads one playbook. Every
//! part of the loader (plays, blocks, includes, roles) takes it; it imports only the model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::collections::Installed;
use crate::playbook::model::{Include, Role, Task};
use crate::playbook::search::{playbook_plugin_dirs, Search};

/// What loading one playbook carries along: the include stack (to refuse recursion), the role
/// being read, and the role handlers and roles seen in the current play.
pub(crate) struct LoadCtx {
    pub stack: Vec<PathBuf>,
    pub playbook_dir: PathBuf,
    pub role: Option<Arc<Role>>,
    pub handlers: Vec<Task>,
    /// The dynamic includes among `handlers` (a role's `include_tasks` handler), by index.
    pub handler_includes: std::collections::HashMap<usize, Include>,
    pub roles_seen: Vec<String>,
    /// Every role read (in the current play, or by one dynamic include), in order.
    pub roles: Vec<Arc<Role>>,
    /// Reading `handlers:` (where `listen` is allowed).
    pub in_handlers: bool,
    /// Where modules and roles are looked for.
    pub search: Search,
}
impl LoadCtx {
    /// The context for reading the playbook at `path`.
    pub(crate) fn new(path: &Path) -> LoadCtx {
        let playbook_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let installed = Installed::for_playbook(&playbook_dir);
        let default_collection = installed.collection_of(path);
        // The filter, test and lookup plugins beside the playbook (run in Python when used).
        crate::template::record_plugin_dir(&playbook_dir);
        let search = Search {
            plugin_dirs: playbook_plugin_dirs(&playbook_dir, default_collection.as_deref()),
            installed: Arc::new(installed),
            default_collection,
            collections: Vec::new(),
        };
        LoadCtx::resume(playbook_dir, None, search)
    }

    /// The context for reading more of a playbook in `playbook_dir` (what a dynamic include
    /// names), in `role`, looking for modules and roles as `search` says.
    pub(crate) fn resume(
        playbook_dir: PathBuf,
        role: Option<Arc<Role>>,
        search: Search,
    ) -> LoadCtx {
        LoadCtx {
            stack: Vec::new(),
            playbook_dir,
            role,
            handlers: Vec::new(),
            handler_includes: Default::default(),
            roles_seen: Vec::new(),
            roles: Vec::new(),
            in_handlers: false,
            search,
        }
    }
}

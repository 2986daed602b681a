//! [`LoadCtx`]: what the loader carries from file to file while it reads one playbook. Every
//! part of the loader (plays, blocks, includes, roles) takes it; it imports only the model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::playbook::model::{Role, Task};

/// What loading one playbook carries along: the include stack (to refuse recursion), the role
/// being read, and the role handlers and roles seen in the current play.
pub(crate) struct LoadCtx {
    pub stack: Vec<PathBuf>,
    pub playbook_dir: PathBuf,
    pub role: Option<Arc<Role>>,
    pub handlers: Vec<Task>,
    pub roles_seen: Vec<String>,
    /// Every role read (in the current play, or by one dynamic include), in order.
    pub roles: Vec<Arc<Role>>,
    /// Reading `handlers:` (where `listen` is allowed).
    pub in_handlers: bool,
}

impl LoadCtx {
    /// The context for reading the playbook at `path`.
    pub(crate) fn new(path: &Path) -> LoadCtx {
        LoadCtx {
            stack: Vec::new(),
            playbook_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            role: None,
            handlers: Vec::new(),
            roles_seen: Vec::new(),
            roles: Vec::new(),
            in_handlers: false,
        }
    }
}

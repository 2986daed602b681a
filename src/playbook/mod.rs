//! Playbooks: the validated model and the loader that builds it.
//!
//! [`load`] reads a playbook file into a [`Playbook`]; every error (bad YAML, unknown keyword or
//! module, two modules in one task, a notify without a handler, ...) is found here, with its
//! span, before any host is contacted. Dynamic includes are the exception Ansible makes: what
//! they name is known per host at run time, so [`Include::load`] reads and checks it then.
//! Everything after loading works on valid data.

mod block;
mod ctx;
mod dynamic;
pub(crate) mod fields;
mod include;
mod inherit;
mod keywords;
mod load;
mod loops;
mod model;
pub(crate) mod module_defaults;
mod play;
mod prompt;
mod role;
mod search;
mod task;
mod validate;

pub use dynamic::{IncludeError, Included};
pub use inherit::Inherit;
pub use load::load;
pub(crate) use model::DEFAULT_POLL;
pub use model::{
    Applied, AtPlayStart, Block, Condition, Count, Flag, Include, Item, LaterVarsFile, LoopControl,
    Play, Playbook, Prompt, Role, Serial, Strategy, Task,
};
pub use play::read_vars_file;
pub(crate) use play::vars_file_path;
pub use prompt::{answers, ask_on_terminal, Asker, NoTerminal};
pub use validate::{check_hosts, check_templates};

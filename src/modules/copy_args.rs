//! `copy`'s arguments, shared by the module (`copy.rs`) and its remote and tree forms
//! (`copy_remote.rs`, `copy_tree.rs`).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::args::FileArgs;
use crate::modules::de_bool;
use crate::modules::host::put::{validation, HasOpts};
use crate::modules::host::transfer::Validate;
use crate::modules::host::{self, Attrs};

#[derive(Deserialize)]
pub(crate) struct Args {
    pub(crate) src: Option<String>,
    pub(crate) content: Option<Json>,
    pub(crate) dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) backup: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub(crate) force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) remote_src: bool,
    /// The mode of the directories a recursive copy creates.
    #[serde(default, deserialize_with = "host::files::de_mode")]
    pub(crate) directory_mode: Option<String>,
    /// A command that must accept the new file (`%s`) before it replaces `dest`.
    pub(crate) validate: Option<String>,
    /// Write through a symlink at `dest` to its target (instead of replacing the link).
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) follow: bool,
    /// Follow symlinks in `src` on the controller (`false`: they become symlinks on the host).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub(crate) local_follow: bool,
    /// The sha1 the data must have.
    pub(crate) checksum: Option<String>,
    /// Vault-encrypted sources are decrypted on the controller; `false` copies them as they
    /// are.
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub(crate) decrypt: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    pub(crate) attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

impl HasOpts for Args {
    fn attrs(&self) -> &Attrs {
        &self.attrs
    }
    fn force(&self) -> bool {
        self.force
    }
    fn backup(&self) -> bool {
        self.backup
    }
    fn validate(&self) -> Option<Validate<'_>> {
        validation(self.validate.as_deref())
    }
    fn expected_checksum(&self) -> Option<&str> {
        self.checksum.as_deref()
    }
}

//! `user`'s arguments, shared by the module (`user.rs`) and its parts (`user_commands.rs`,
//! `user_ssh.rs`).

use serde::Deserialize;

use crate::modules::args::de_opt_bool;
use crate::modules::de_bool;
use crate::modules::sysargs::{de_opt_list, de_opt_num};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(alias = "user")]
    pub(crate) name: String,
    #[serde(default = "present")]
    pub(crate) state: String,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) uid: Option<u64>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) non_unique: bool,
    pub(crate) group: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) comment: Option<String>,
    pub(crate) home: Option<String>,
    pub(crate) shell: Option<String>,
    pub(crate) password: Option<String>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) password_expire_max: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) password_expire_min: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) password_expire_warn: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) password_expire_account_disable: Option<i64>,
    pub(crate) seuser: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) remove: bool,
    #[serde(
        default = "crate::modules::yes",
        deserialize_with = "de_bool",
        alias = "createhome"
    )]
    pub(crate) create_home: bool,
    pub(crate) skeleton: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) system: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) move_home: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) append: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub(crate) generate_ssh_key: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) ssh_key_bits: Option<u64>,
    #[serde(default = "rsa")]
    pub(crate) ssh_key_type: String,
    pub(crate) ssh_key_file: Option<String>,
    pub(crate) ssh_key_comment: Option<String>,
    pub(crate) ssh_key_passphrase: Option<String>,
    #[serde(default = "always")]
    pub(crate) update_password: String,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) expires: Option<f64>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub(crate) password_lock: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub(crate) local: Option<bool>,
    pub(crate) umask: Option<String>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) uid_min: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub(crate) uid_max: Option<u64>,
    /// Other platforms' options (macOS, BSD, Solaris): accepted and unused on Linux, as
    /// Ansible's Linux user module ignores them.
    #[allow(dead_code)]
    pub(crate) login_class: Option<String>,
    #[allow(dead_code)]
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub(crate) hidden: Option<bool>,
    #[allow(dead_code)]
    pub(crate) profile: Option<String>,
    #[allow(dead_code)]
    pub(crate) authorization: Option<String>,
    #[allow(dead_code)]
    pub(crate) role: Option<String>,
}

fn present() -> String {
    "present".into()
}

fn rsa() -> String {
    "rsa".into()
}

fn always() -> String {
    "always".into()
}

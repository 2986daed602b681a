//! `service`'s arguments, shared by the module (`service.rs`) and its init-script and OpenRC
//! form (`service_sysv.rs`).

use serde::Deserialize;

use crate::modules::args::de_opt_bool;
use crate::modules::de_u64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    pub name: String,
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub enabled: Option<bool>,
    /// Seconds between the stop and the start of a restart (init scripts).
    #[serde(default = "one", deserialize_with = "de_u64")]
    pub sleep: u64,
    /// Text of the process's command line in `ps`, when the init script has no `status`.
    pub pattern: Option<String>,
    #[serde(default, alias = "args")]
    pub arguments: String,
    /// OpenRC's runlevel for `enabled`.
    #[serde(default = "default_runlevel")]
    pub runlevel: String,
    #[serde(default = "auto", rename = "use")]
    pub use_: String,
}

fn one() -> u64 {
    1
}

fn default_runlevel() -> String {
    "default".into()
}

fn auto() -> String {
    "auto".into()
}

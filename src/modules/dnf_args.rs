//! The arguments of `dnf` (and `yum`, which ansible-core 2.18 redirects to it), as
//! ansible.builtin.dnf documents them, and the dnf command-line options they become.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::{de_list, de_opt_bool, yes};
use crate::modules::{de_bool, de_u64};

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(default, alias = "pkg", deserialize_with = "de_list")]
    pub name: Vec<String>,
    pub state: Option<String>,
    pub list: Option<String>,
    #[serde(default, alias = "expire-cache", deserialize_with = "de_bool")]
    pub update_cache: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub update_only: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub autoremove: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub allow_downgrade: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub allowerasing: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub best: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub nobest: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    pub bugfix: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub security: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub cacheonly: bool,
    pub conf_file: Option<String>,
    pub disable_excludes: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub disable_gpg_check: bool,
    #[serde(default, deserialize_with = "de_list")]
    pub disable_plugin: Vec<String>,
    #[serde(default, deserialize_with = "de_list")]
    pub enable_plugin: Vec<String>,
    #[serde(default, deserialize_with = "de_list")]
    pub disablerepo: Vec<String>,
    #[serde(default, deserialize_with = "de_list")]
    pub enablerepo: Vec<String>,
    #[serde(default, deserialize_with = "de_list")]
    pub exclude: Vec<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub download_only: bool,
    pub download_dir: Option<String>,
    #[serde(default = "root")]
    pub installroot: String,
    /// A no-op with dnf, as in Ansible.
    #[allow(dead_code)]
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub install_repoquery: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub install_weak_deps: bool,
    pub releasever: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub skip_broken: bool,
    /// For `.rpm` URLs, fetched on the host before the transaction.
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub validate_certs: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub sslverify: bool,
    #[serde(default = "thirty", deserialize_with = "de_u64")]
    pub lock_timeout: u64,
    #[serde(default = "auto")]
    pub use_backend: String,
    /// The dnf action plugin's carry-over from `package`.
    #[serde(rename = "use")]
    pub use_: Option<String>,
}

fn root() -> String {
    "/".into()
}
fn thirty() -> u64 {
    30
}
fn auto() -> String {
    "auto".into()
}

impl Args {
    /// The dnf options every command of this task gets (repositories, configuration,
    /// excludes, gpg, the lock): dnf's global options, before the command.
    pub(crate) fn options(&self) -> String {
        let mut o = vec!["--setopt=exit_on_lock=True".to_string()];
        let mut push = |flag: &str, value: &str| o.push(format!("{flag}={}", quote(value)));
        if let Some(c) = &self.conf_file {
            push("--config", c);
        }
        push("--installroot", &self.installroot);
        for r in self.disablerepo.iter().filter(|r| !r.is_empty()) {
            push("--disablerepo", r);
        }
        for r in self.enablerepo.iter().filter(|r| !r.is_empty()) {
            push("--enablerepo", r);
        }
        for x in self.exclude.iter().filter(|x| !x.is_empty()) {
            push("--exclude", x);
        }
        for p in &self.disable_plugin {
            push("--disableplugin", p);
        }
        for p in &self.enable_plugin {
            push("--enableplugin", p);
        }
        if let Some(d) = &self.disable_excludes {
            push("--disableexcludes", d);
        }
        if let Some(r) = &self.releasever {
            push("--releasever", r);
        }
        let flags = [
            (self.disable_gpg_check, "--nogpgcheck"),
            // Ansible's dnf checks local packages' signatures too unless told not to.
            (!self.disable_gpg_check, "--setopt=localpkg_gpgcheck=True"),
            (!self.sslverify, "--setopt=sslverify=False"),
            (self.cacheonly, "--cacheonly"),
            (self.skip_broken, "--setopt=strict=False"),
            (!self.install_weak_deps, "--setopt=install_weak_deps=False"),
            (self.security, "--security"),
            (self.bugfix, "--bugfix"),
            (
                self.nobest == Some(true) || self.best == Some(false),
                "--nobest",
            ),
            (
                self.nobest == Some(false) || self.best == Some(true),
                "--best",
            ),
        ];
        o.extend(flags.iter().filter(|f| f.0).map(|f| f.1.to_string()));
        o.join(" ")
    }

    /// The options of a transaction: those of [`Args::options`] plus downloads, erasing and
    /// whether unneeded dependencies go with a removal.
    pub(crate) fn transaction_options(&self) -> String {
        let mut o = self.options();
        o.push_str(&format!(
            " --setopt=clean_requirements_on_remove={}",
            if self.autoremove { "True" } else { "False" }
        ));
        if self.allowerasing {
            o.push_str(" --allowerasing");
        }
        if self.download_only {
            o.push_str(" --downloadonly");
            if let Some(d) = &self.download_dir {
                o.push_str(&format!(" --downloaddir={}", quote(d)));
            }
        }
        o
    }
}

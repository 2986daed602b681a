//! Task modules: one file per module, and the one table of their names.
//!
//! A module gets its arguments already templated (a JSON mapping) and a [`ModuleCtx`] giving the
//! host's variables, the templar and the host's connection; it returns a [`ModuleResult`]. It
//! never prints: the executor reports. Adding a module touches its file and one line of
//! `MODULES`.

mod add_host;
pub(crate) mod ansiballz;
mod apt;
mod apt_args;
mod apt_debs;
mod apt_key;
mod apt_plan;
mod apt_repository;
mod apt_upgrade;
mod archive;
mod argnames;
mod args;
mod assemble;
mod assert;
pub(crate) mod async_status;
mod authorized_key;
mod blockinfile;
mod command;
mod copy;
mod copy_args;
mod copy_remote;
mod copy_tree;
mod cron;
mod ctx;
mod deb822_repository;
mod debconf;
mod debug;
mod dnf;
mod dnf_args;
mod dnf_comps;
mod dnf_list;
mod dnf_outcome;
mod dnf_plan;
mod dnf_shell;
mod docker;
mod docker_container;
mod docker_container_args;
mod docker_create;
mod docker_flags;
mod docker_image;
mod docker_login;
pub mod external;
mod fail;
mod fetch;
mod file;
mod file_diff;
mod file_times;
mod find;
mod find_args;
mod find_filter;
mod get_url;
mod get_url_fetch;
mod getent;
mod git;
mod git_args;
mod git_remote;
mod group;
mod group_by;
pub(crate) mod host;
mod hostname;
mod include;
mod include_vars;
mod ini_args;
mod ini_edit;
mod ini_file;
mod k8s;
mod k8s_cli;
mod known_hosts;
mod lineinfile;
mod meta;
mod modprobe;
mod mount;
mod net_args;
mod package;
mod package_facts;
mod pause;
mod ping;
mod pip;
mod pip_package;
mod raw;
mod reboot;
mod replace;
mod result;
mod rpm_key;
mod rpm_key_pgp;
mod script;
mod service;
mod service_args;
mod service_facts;
mod service_sysv;
mod set_fact;
pub(crate) mod setup;
mod shell;
mod slurp;
mod stat;
mod sysargs;
mod sysctl;
mod systemd_service;
mod tempfile;
mod template;
mod textfile;
mod unarchive;
mod unarchive_handler;
mod uri;
mod uri_dest;
mod user;
mod user_args;
mod user_commands;
mod user_ssh;
pub(crate) mod validate_argument_spec;
mod wait_for;
mod wait_for_connection;
mod wait_for_drained;
mod yum_repo_file;
mod yum_repository;
mod yum_repository_options;

use std::future::Future;
use std::pin::Pin;

use crate::vars::Vars;

pub(crate) use args::{de_bool, de_opt_u64, de_u64, refuse_flag, typed, typed_parts, yes};
pub use ctx::{HostConn, ModuleCtx};
pub use result::ModuleResult;
pub(crate) use result::{IntoResult, Outcome};

/// A boxed future, the return type of a module's run function.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a module reads a free-form string (`command: ls -l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeForm {
    /// The text is the module's `_raw_params`; only the module's own `key=value` options are
    /// taken out of it (command, shell, meta).
    Raw,
    /// The text is only `key=value` pairs (debug, fail, ...).
    KeyValue,
}

/// A module's one declaration: everything any other layer may ask about it. Each module file
/// has one `SPEC` (written with `..DEFAULTS` for what it does not set) and one line in
/// `MODULES`.
pub struct ModuleSpec {
    /// Its short name.
    pub name: &'static str,
    /// Its collection: the module also answers to `collection.name` (and a builtin to
    /// `ansible.legacy.name`).
    pub collection: &'static str,
    /// Other names it answers to (Ansible's redirects).
    pub aliases: &'static [&'static str],
    /// The action groups it is in (`community.docker.docker`), which `module_defaults`
    /// name as `group/<group>`: those its collection's `meta/runtime.yml` defines.
    pub groups: &'static [&'static str],
    /// Its argument names, read from its typed `Args` struct(s) (see `argnames`); `None`:
    /// any name (`set_fact`).
    pub args: Option<fn() -> Vec<&'static str>>,
    /// How free-form text is read.
    pub free_form: FreeForm,
    /// Its results are hidden unless the task says `no_log: false` (credentials).
    pub hides_results: bool,
    /// Its result is shown as it is, without `changed` (debug).
    pub bare_result: bool,
    /// An executor directive (`meta`): the executor acts on it; it runs on no host.
    pub directive: bool,
    /// Its `ansible_facts` are variables at `include_vars` precedence (below set_fact and
    /// registered results), not facts.
    pub included_vars: bool,
    /// Its `ansible_facts` are host variables only (set_fact), not also keys of the
    /// `ansible_facts` variable as other modules' facts are (package_facts' `packages`).
    /// Its `ansible_facts` are host variables but not gathered facts: they stay out of the
    /// `ansible_facts` variable and the fact cache (set_fact, as Ansible's non-persistent
    /// facts).
    pub plain_facts: bool,
    /// For a module that writes the file its arguments name, a function that finds it in
    /// rendered arguments: the executor stats those of a loop's items at once.
    pub written_path: Option<fn(&Vars) -> Option<&str>>,
    /// Checks at load time what argument names cannot (meta's action).
    pub check: Option<ArgCheck>,
    /// It can run as a background job (`async:`): it reads `ModuleCtx::async_job`.
    pub background: bool,
    /// Ansible's action bypasses the host loop (`pause`, `add_host`; `BYPASS_HOST_LOOP`): the
    /// task runs once, on the first host, and only that host gets its result and counts.
    pub bypass_host_loop: bool,
    /// It can report what it would change without changing it. A module that cannot is
    /// skipped under `--check` / `check_mode: true`, as Ansible skips it.
    pub supports_check: bool,
    /// ferry runs it (false: it only loads; running it fails the task, naming it).
    pub native: bool,
    /// It changes the run's inventory (`add_host`, `group_by`): it gets
    /// `ModuleCtx::inventory`.
    pub edits_inventory: bool,
    /// The arguments (aliases included) its Python types as `path`: `$VAR` and `~` in them
    /// are expanded on the host before it runs (`host/expand.rs`).
    pub path_args: &'static [&'static str],
    /// The arguments whose leading `~` its action plugin expands first, without the task's
    /// environment (copy's and template's `dest`).
    pub action_paths: &'static [&'static str],
    /// Runs it on one host.
    pub run: for<'a> fn(&'a ModuleCtx<'a>, Vars) -> BoxFuture<'a, ModuleResult>,
}

/// A module's load-time check of its arguments.
pub type ArgCheck = fn(&Vars) -> Result<(), ArgProblem>;

/// What a module's load-time [`ModuleSpec::check`] found wrong, and what to do.
#[derive(Debug)]
pub struct ArgProblem {
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// What a declaration does not say: a builtin module, free-form text as `key=value`, any
/// argument name, no flags.
pub const DEFAULTS: ModuleSpec = ModuleSpec {
    name: "",
    collection: "ansible.builtin",
    aliases: &[],
    groups: &[],
    args: None,
    free_form: FreeForm::KeyValue,
    hides_results: false,
    bare_result: false,
    directive: false,
    included_vars: false,
    plain_facts: false,
    written_path: None,
    check: None,
    background: false,
    bypass_host_loop: false,
    supports_check: true,
    native: true,
    edits_inventory: false,
    path_args: &[],
    action_paths: &[],
    run: |_, _| Box::pin(async { ModuleResult::failed("module without a run function") }),
};

impl ModuleSpec {
    /// Its argument names, when they are checked.
    pub fn arg_names(&self) -> Option<Vec<&'static str>> {
        self.args.map(|f| f())
    }

    /// Whether it answers to `name` (short, FQCN or alias).
    fn answers_to(&self, name: &str) -> bool {
        if name == self.name || self.aliases.contains(&name) {
            return true;
        }
        match name.rsplit_once('.') {
            Some((collection, short)) if short == self.name => {
                collection == self.collection
                    || (self.collection == "ansible.builtin" && collection == "ansible.legacy")
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for ModuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "module {}", self.name)
    }
}

/// The table of modules, in alphabetical order.
static MODULES: &[&ModuleSpec] = &[
    &add_host::SPEC,
    &apt::SPEC,
    &apt_key::SPEC,
    &apt_repository::SPEC,
    &archive::SPEC,
    &assemble::SPEC,
    &assert::SPEC,
    &async_status::SPEC,
    &authorized_key::SPEC,
    &blockinfile::SPEC,
    &command::SPEC,
    &copy::SPEC,
    &cron::SPEC,
    &deb822_repository::SPEC,
    &debconf::SPEC,
    &debug::SPEC,
    &dnf::SPEC,
    &docker_container::SPEC,
    &docker_image::SPEC,
    &docker_login::SPEC,
    &fail::SPEC,
    &fetch::SPEC,
    &file::SPEC,
    &find::SPEC,
    &get_url::SPEC,
    &getent::SPEC,
    &git::SPEC,
    &group::SPEC,
    &group_by::SPEC,
    &hostname::SPEC,
    &include::ROLE,
    &include::TASKS,
    &include_vars::SPEC,
    &ini_file::SPEC,
    &k8s::SPEC,
    &known_hosts::SPEC,
    &lineinfile::SPEC,
    &meta::SPEC,
    &modprobe::SPEC,
    &mount::SPEC,
    &package::SPEC,
    &package_facts::SPEC,
    &pause::SPEC,
    &ping::SPEC,
    &pip::SPEC,
    &raw::SPEC,
    &reboot::SPEC,
    &replace::SPEC,
    &rpm_key::SPEC,
    &script::SPEC,
    &service::SPEC,
    &service_facts::SPEC,
    &set_fact::SPEC,
    &setup::SPEC,
    &shell::SPEC,
    &slurp::SPEC,
    &stat::SPEC,
    &sysctl::SPEC,
    &systemd_service::SPEC,
    &tempfile::SPEC,
    &template::SPEC,
    &unarchive::SPEC,
    &uri::SPEC,
    &user::SPEC,
    &validate_argument_spec::SPEC,
    &wait_for::SPEC,
    &wait_for_connection::SPEC,
    &yum_repository::SPEC,
];

/// The module called `name`: short name, FQCN (`ansible.builtin.command`,
/// `community.docker.docker_image`) or alias.
pub fn lookup(name: &str) -> Option<&'static ModuleSpec> {
    MODULES.iter().copied().find(|m| m.answers_to(name))
}

/// Whether the module called `name` (its full name) is one `FERRY_FALLBACK_MODULES` (full
/// names, comma-separated) asks to run as Ansible runs it, though ferry has native code for it:
/// to compare the two, or where the native module differs in a way that matters.
fn run_as_ansible(name: &str) -> bool {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        std::env::var("FERRY_FALLBACK_MODULES")
            .unwrap_or_default()
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    })
    .iter()
    .any(|n| n == name)
}

/// Every module's declaration.
pub fn all() -> impl Iterator<Item = &'static ModuleSpec> {
    MODULES.iter().copied()
}

/// The module that a task's action name resolved to (`ansible.builtin.copy`, a collection's
/// FQCN, a local plugin's name): ferry's own, or one that loads and fails when run.
pub fn resolved(name: &str, local: bool) -> &'static ModuleSpec {
    match local {
        false if !run_as_ansible(name) => lookup(name).unwrap_or_else(|| external::spec(name)),
        _ => external::spec(name),
    }
}

/// The short names of all modules.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_answer_to_their_names_fqcns_and_aliases() {
        for (name, found) in [
            ("copy", Some("copy")),
            ("ansible.builtin.copy", Some("copy")),
            ("ansible.legacy.command", Some("command")),
            ("docker_image", Some("docker_image")),
            ("community.docker.docker_image", Some("docker_image")),
            ("kubernetes.core.k8s", Some("k8s")),
            ("ansible.builtin.docker_image", None),
            ("community.docker.docker_image_build", None),
            ("comand", None),
        ] {
            assert_eq!(lookup(name).map(|m| m.name), found, "{name}");
        }
    }

    /// Every argument (and alias) ansible-core 2.18 documents for the builtin modules is a
    /// name ferry knows (implemented, or refused at load with why).
    #[test]
    fn every_documented_builtin_argument_is_known() {
        const FILE: &str =
            "attributes attr group mode owner selevel serole setype seuser unsafe_writes";
        for (module, documented) in [
            ("apt", "allow_change_held_packages allow_downgrade allow-downgrade allow_downgrades allow-downgrades allow_unauthenticated allow-unauthenticated autoclean autoremove cache_valid_time clean deb default_release default-release dpkg_options fail_on_autoremove force force_apt_get install_recommends install-recommends lock_timeout name package pkg only_upgrade policy_rc_d purge state update_cache update-cache update_cache_retries update_cache_retry_max_delay upgrade"),
            ("apt_key", "data file id keyring keyserver state url validate_certs"),
            ("apt_repository", "codename filename install_python_apt mode repo state update_cache update-cache update_cache_retries update_cache_retry_max_delay validate_certs"),
            ("assert", "fail_msg msg quiet success_msg that"),
            ("command", "argv chdir cmd creates expand_argument_vars removes stdin stdin_add_newline strip_empty_ends"),
            ("copy", "backup checksum content decrypt dest directory_mode follow force local_follow remote_src src validate"),
            ("deb822_repository", "allow_downgrade_to_insecure allow_insecure allow_weak architectures by_hash check_date check_valid_until components date_max_future enabled inrelease_path languages mode name pdiffs signed_by state suites targets trusted types uris"),
            ("debconf", "name pkg question selection setting unseen value answer vtype"),
            ("debug", "msg var verbosity"),
            ("yum_repository", "async bandwidth baseurl cost countme deltarpm_metadata_percentage deltarpm_percentage description enabled enablegroups exclude excludepkgs failovermethod file gpgcakey gpgcheck gpgkey http_caching include includepkgs ip_resolve keepalive keepcache metadata_expire metadata_expire_filter metalink mirrorlist mirrorlist_expire module_hotfixes name password priority protect proxy proxy_password proxy_username repo_gpgcheck reposdir retries s3_enabled skip_if_unavailable ssl_check_cert_permissions sslcacert ca_cert sslclientcert client_cert sslclientkey client_key sslverify validate_certs state throttle timeout ui_repoid_vars username"),
            ("rpm_key", "fingerprint key state validate_certs"),
            ("dnf", "allow_downgrade allowerasing autoremove best bugfix cacheonly conf_file disable_excludes disable_gpg_check disable_plugin disablerepo download_dir download_only enable_plugin enablerepo exclude expire-cache install_repoquery install_weak_deps installroot list lock_timeout name nobest pkg releasever security skip_broken sslverify state update_cache update_only use_backend validate_certs"),
            ("fail", "msg"),
            ("fetch", "dest fail_on_missing flat src validate_checksum"),
            ("get_url", "backup checksum ciphers client_cert client_key decompress dest force force_basic_auth headers http_agent tmp_dest timeout unredirected_headers url url_password password url_username username use_gssapi use_netrc use_proxy validate_certs"),
            ("git", "accept_hostkey accept_newhostkey archive archive_prefix bare clone depth dest executable force gpg_allowlist gpg_whitelist key_file recursive reference refspec remote repo name separate_git_dir single_branch ssh_opts track_submodules umask update verify_commit version"),
            ("pip", "break_system_packages chdir editable executable extra_args name requirements state umask version virtualenv virtualenv_command virtualenv_python virtualenv_site_packages"),
            ("unarchive", "copy creates decrypt dest exclude extra_opts include io_buffer_size keep_newer list_files remote_src src validate_certs"),
            ("cron", "backup cron_file day dom disabled env hour insertafter insertbefore job value minute month name special_time state user weekday dow"),
            ("getent", "database fail_key key service split"),
            ("group", "force gid gid_max gid_min local name non_unique state system"),
            ("hostname", "name use"),
            ("known_hosts", "hash_host key name host path state"),
            ("file", "access_time access_time_format follow force modification_time modification_time_format path dest name recurse src state"),
            ("lineinfile", "backrefs backup create firstmatch insertafter insertbefore line value path dest destfile name regexp regex search_string state validate"),
            ("group_by", "key parents"),
            ("package_facts", "manager strategy"),
            ("raw", "executable"),
            ("reboot", "boot_time_command connect_timeout msg post_reboot_delay pre_reboot_delay reboot_command reboot_timeout search_paths test_command"),
            ("service", "arguments args enabled name pattern runlevel sleep state use"),
            ("service_facts", ""),
            ("systemd_service", "daemon_reexec daemon-reexec daemon_reload daemon-reload enabled force masked name service unit no_block scope state"),
            ("shell", "chdir cmd creates executable removes stdin stdin_add_newline"),
            ("stat", "checksum_algorithm checksum checksum_algo follow get_attributes attr attributes get_checksum get_mime mime mime_type mime-type path dest name"),
            ("template", "backup block_end_string block_start_string comment_end_string comment_start_string dest follow force lstrip_blocks newline_sequence output_encoding src trim_blocks validate variable_end_string variable_start_string"),
            ("user", "append authorization comment create_home createhome expires force generate_ssh_key group groups hidden home local login_class move_home name user non_unique password password_expire_account_disable password_expire_max password_expire_min password_expire_warn password_lock profile remove role seuser shell skeleton ssh_key_bits ssh_key_comment ssh_key_file ssh_key_passphrase ssh_key_type state system uid uid_max uid_min umask update_password"),
            ("uri", "body body_format ca_path ciphers client_cert client_key creates decompress dest follow_redirects force force_basic_auth headers http_agent method remote_src removes return_content src status_code timeout unix_socket unredirected_headers url url_password password url_username user use_gssapi use_netrc use_proxy validate_certs"),
            ("assemble", "src dest backup delimiter remote_src regexp ignore_hidden validate decrypt"),
            ("blockinfile", "path dest destfile name state marker block content insertafter insertbefore create backup marker_begin marker_end append_newline prepend_newline validate"),
            ("find", "age patterns pattern excludes exclude contains read_whole_file paths name path file_type recurse size age_stamp hidden mode exact_mode follow get_checksum use_regex depth encoding limit"),
            ("pause", "minutes seconds prompt echo"),
            ("ping", "data"),
            ("replace", "path dest destfile name regexp replace after before backup encoding validate"),
            ("script", "cmd creates removes chdir executable decrypt"),
            ("slurp", "src path"),
            ("tempfile", "state path prefix suffix"),
            ("wait_for_connection", "connect_timeout delay sleep timeout"),
            ("wait_for", "active_connection_states connect_timeout delay exclude_hosts host msg path port search_regex sleep state timeout"),
        ] {
            let known = lookup(module).and_then(|m| m.arg_names()).unwrap();
            let file_args = ["copy", "template", "file", "lineinfile", "uri"].contains(&module)
                || ["get_url", "unarchive"].contains(&module)
                || ["assemble", "blockinfile", "replace"].contains(&module);
            let extra = if file_args { FILE } else { "" };
            for name in documented.split_whitespace().chain(extra.split_whitespace()) {
                assert!(known.contains(&name), "{module}: {name}");
            }
        }
    }

    #[test]
    fn argument_names_come_from_the_args_structs() {
        let copy = lookup("copy").and_then(|m| m.arg_names()).unwrap();
        for name in ["src", "dest", "content", "mode", "owner", "group"] {
            assert!(copy.contains(&name), "{name}: {copy:?}");
        }
        let stat = lookup("stat").and_then(|m| m.arg_names()).unwrap();
        assert!(stat.contains(&"dest") && stat.contains(&"path"), "{stat:?}");
        assert_eq!(lookup("set_fact").and_then(|m| m.arg_names()), None);
        let mut seen = std::collections::HashSet::new();
        assert!(MODULES.iter().all(|m| seen.insert(m.name)), "a name twice");
    }
}

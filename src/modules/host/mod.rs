//! The toolkit modules call to act on a host: every module that touches the host's files or
//! runs scripts there goes through these, never through the connection directly.
//!
//! - `accounts.rs`: passwd, shadow and group entries of a user or group, read in one command.
//! - `exec.rs`: run a script (stdout, or the module's failure), read a file's bytes.
//! - `stat.rs`: stat a path (with sha1), prefetch a loop's paths in one command, path results.
//! - `transfer.rs`: put bytes or a local file into a remote file atomically (SFTP or piped).
//! - `put.rs`: write one file as copy/template/lineinfile do (checksum first, validate,
//!   backup, attributes, diff); `follow`; controller-side file lookup.
//! - `files.rs`: write bytes atomically, fix mode/owner/group, the diff of those fixes.
//! - `fattrs.rs`: `chattr` flags and SELinux contexts (`attributes`, `se*`).
//! - `home.rs`: `~` and `~user` at the start of a path argument, expanded on the host.
//! - `expand.rs`: `$VAR` and `~` in path arguments and command arguments, as Python's
//!   `expanduser(expandvars(...))` on the host.
//! - `jobs.rs`: background jobs (`async:`) started, read and erased with `sh` alone.
//! - `textfile.rs`: a whole text file read, replaced when it differs (check mode, backup,
//!   diff), as the modules that own a file's lines do (cron, sysctl, fstab, known_hosts).
//! - `sums.rs`: remembered checksums of remote and local files across runs.
//! - `timefmt.rs`: timestamps and durations as Ansible's command module reports them.
//! - `apt.rs`: what apt knows of named packages (one probe), the cache's age, apt commands
//!   retried on the dpkg lock; `debversion.rs`: Debian version ordering; `pkg_mgr.rs`: which
//!   package manager a host has.
//! - `dnf.rs`: what rpm and dnf know of named packages (one probe), dnf commands retried on
//!   dnf's lock, dnf's transaction table read; `rpmversion.rs`: RPM packages, rpm's version
//!   ordering and dnf's package specs; `locked.rs`: a command run again while a package
//!   manager's lock is held.
//! - `service_mgr.rs`: which service manager a host runs; `systemctl show` read.
//!
//! The package and service modules to come put their probes here too (which package manager
//! or service manager a host has, what is installed), one file each.

pub(crate) mod accounts;
pub(crate) mod apt;
pub(crate) mod debversion;
pub(crate) mod dnf;
pub(crate) mod exec;
pub(crate) mod expand;
pub(crate) mod fattrs;
pub(crate) mod files;
pub(crate) mod home;
pub(crate) mod jobs;
pub(crate) mod locked;
pub(crate) mod pkg_mgr;
pub(crate) mod put;
pub(crate) mod rpmversion;
pub(crate) mod service_mgr;
pub(crate) mod stat;
pub(crate) mod sums;
pub(crate) mod textfile;
pub(crate) mod timefmt;
pub(crate) mod transfer;

pub(crate) use exec::{read, run};
pub(crate) use files::{attrs_changes, fix_attrs, write, Attrs};
pub(crate) use stat::{path_result, prefetch, stat, Prefetched};

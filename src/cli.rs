//! The command line, as clap definitions. The doc comments are the `--help` text; flags mean
//! what they mean to ansible-playbook.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ferry: run Ansible-style playbooks over SSH, fast.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// ferry's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run playbooks against an inventory (like ansible-playbook).
    Run(Box<RunArgs>),
    /// Load and validate playbooks and inventories; contact no host.
    Check(CheckArgs),
}

/// How host keys are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKeyMode {
    /// Refuse unknown and changed keys (the default).
    Strict,
    /// Add unknown keys to known_hosts; refuse changed keys.
    AcceptNew,
    /// Accept any key (insecure).
    Off,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Ansible's lines (progress bars on a terminal).
    Human,
    /// One JSON event per line.
    Json,
}

/// `ferry run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Playbook files, run in order.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    /// Inventory file or directory (repeatable).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<PathBuf>,
    /// Limit the run to hosts matching this pattern.
    #[arg(short = 'l', long = "limit")]
    pub limit: Option<String>,
    /// Extra variables: key=value, a JSON/YAML mapping, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// How many hosts run a task at once.
    #[arg(short = 'f', long = "forks", default_value_t = 256)]
    pub forks: usize,
    /// Remote user, when neither the inventory nor the play names one.
    #[arg(short = 'u', long = "user")]
    pub user: Option<String>,
    /// Private key file for SSH.
    #[arg(long = "private-key", alias = "key-file")]
    pub private_key: Option<PathBuf>,
    /// known_hosts file(s) to check host keys against (default ~/.ssh/known_hosts).
    #[arg(long = "known-hosts", env = "FERRY_KNOWN_HOSTS", value_delimiter = ':')]
    pub known_hosts: Vec<PathBuf>,
    /// Host key checking: strict, accept-new or off.
    #[arg(long = "host-key-checking", value_enum, default_value = "strict")]
    pub host_key_checking: HostKeyMode,
    /// SSH connect timeout in seconds.
    #[arg(short = 'T', long = "timeout", default_value_t = 10)]
    pub timeout: u64,
    /// Output format.
    #[arg(long = "output", value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Change nothing; report what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show differences in changed files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// Run tasks with become (sudo).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// The user to become (default root).
    #[arg(long = "become-user")]
    pub become_user: Option<String>,
    /// Only run tasks tagged with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags")]
    pub tags: Vec<String>,
    /// Skip tasks tagged with these tags (comma-separated, repeatable).
    #[arg(long = "skip-tags")]
    pub skip_tags: Vec<String>,
    /// Run notified handlers even on hosts that failed.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Start the playbook at the task with this name.
    #[arg(long = "start-at-task")]
    pub start_at_task: Option<String>,
    /// Check the playbooks' syntax; run nothing.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// List the hosts each play would run on; run nothing.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks each play would run; run nothing.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// More output (-v shows every result).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `ferry check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Playbook files.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    /// Inventory file or directory (repeatable).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<PathBuf>,
}

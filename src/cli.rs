//! The command line, as clap definitions. The doc comments are the `--help` text; flags mean
//! what they mean to ansible-playbook.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ferry: run Ansible-style playbooks over SSH, fast, and chain them into CI → CD pipelines.
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
    /// Run or watch a CI → CD pipeline.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// Show past pipeline runs (`ferry history [PIPELINE]`, `ferry history show RUN`).
    History(HistoryArgs),
    /// Render a recorded run as an HTML page, or compare two runs (`--compare A B`).
    Report(ReportArgs),
    /// Re-run the CD stages of an earlier successful run with the exports it had.
    Rollback(Box<RollbackArgs>),
    /// Manage pipeline locks.
    #[command(subcommand)]
    Lock(LockCommand),
    /// Show what ferry reads from inventories (like ansible-inventory).
    Inventory(InventoryArgs),
    /// Show the Ansible configuration ferry reads: ansible.cfg and ANSIBLE_* variables
    /// (like ansible-config).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Encrypt, decrypt, view and edit Ansible Vault files and strings (like ansible-vault).
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Combine the outputs of the shards of one rollout (`--shard`).
    #[command(subcommand)]
    Shards(ShardsCommand),
    /// Manage where pipeline history and locks live (`ferry state migrate`).
    #[command(subcommand)]
    State(StateCommand),
}

/// `ferry state ...`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Copy a SQLite history into PostgreSQL (again: copies only runs not yet there).
    Migrate {
        /// The history to copy: sqlite:PATH.
        #[arg(long = "from", default_value = "sqlite:.ferry/history.db")]
        from: String,
        /// Where to copy it: postgres://USER:PASSWORD@HOST:PORT/DB.
        #[arg(long = "to")]
        to: String,
    },
}

/// `ferry shards ...`.
#[derive(Debug, Subcommand)]
pub enum ShardsCommand {
    /// Merge the shards' `--output json` logs: one recap, one JUnit file, one exit code.
    Merge(ShardsMergeArgs),
}

/// `ferry shards merge`.
#[derive(Debug, Args)]
pub struct ShardsMergeArgs {
    /// Every shard's `--output json` log (one per shard; a shard missing is refused).
    #[arg(required = true)]
    pub logs: Vec<PathBuf>,
    /// Write the merged JUnit XML report here.
    #[arg(long = "junit")]
    pub junit: Option<PathBuf>,
    /// Output format of the merged recap.
    #[arg(long = "output", value_enum, default_value = "human")]
    pub output: OutputFormat,
}

/// `ferry config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every setting ferry reads, with where its value came from.
    Dump {
        /// Only the settings not at Ansible's default.
        #[arg(long = "only-changed")]
        only_changed: bool,
    },
}

/// `ferry inventory`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["list", "graph", "host"])))]
pub struct InventoryArgs {
    /// Inventory file, directory, script or aws_ec2 file (repeatable; they merge).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<PathBuf>,
    /// Print every group and host, as inventory script JSON.
    #[arg(long)]
    pub list: bool,
    /// Print the group tree (from GROUP, default all).
    #[arg(long)]
    pub graph: bool,
    /// Print one host's variables.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// With --graph: show variables too.
    #[arg(long)]
    pub vars: bool,
    /// Read group_vars/ and host_vars/ from this directory too, as a playbook's would be.
    #[arg(long = "playbook-dir")]
    pub playbook_dir: Option<PathBuf>,
    /// The group --graph starts from.
    pub group: Option<String>,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
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

/// Flags shared by `run`, `pipeline run`, `pipeline watch` and `rollback`.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Extra variables: key=value, a JSON/YAML mapping, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// How many hosts run a task at once (default: ansible.cfg's `forks`, else 1024).
    #[arg(short = 'f', long = "forks")]
    pub forks: Option<usize>,
    /// Remote user, when neither the inventory nor the play names one.
    #[arg(short = 'u', long = "user")]
    pub user: Option<String>,
    /// Private key file for SSH.
    #[arg(long = "private-key", alias = "key-file")]
    pub private_key: Option<PathBuf>,
    /// known_hosts file(s) to check host keys against (default ~/.ssh/known_hosts).
    #[arg(long = "known-hosts", env = "FERRY_KNOWN_HOSTS", value_delimiter = ':')]
    pub known_hosts: Vec<PathBuf>,
    /// Host key checking: strict, accept-new or off (default strict; ansible.cfg's
    /// `host_key_checking = False` turns it off).
    #[arg(long = "host-key-checking", value_enum)]
    pub host_key_checking: Option<HostKeyMode>,
    /// SSH connect timeout in seconds (default 10, or the ssh config's ConnectTimeout); also
    /// how long any task waits on a host that stops answering (keepalive probes).
    #[arg(short = 'T', long = "timeout")]
    pub timeout: Option<u64>,
    /// Retry a refused or timed-out SSH connect this many times (hosts that are booting).
    #[arg(long = "connect-retries")]
    pub connect_retries: Option<u32>,
    /// OpenSSH client config to read (default ~/.ssh/config when it exists).
    #[arg(short = 'F', long = "ssh-config")]
    pub ssh_config: Option<PathBuf>,
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
    /// How to become that user: sudo (the default) or su.
    #[arg(long = "become-method", value_parser = ["sudo", "su"])]
    pub become_method: Option<String>,
    /// Ask for the sudo (become) password.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Run notified handlers even on hosts that failed.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Output format.
    #[arg(long = "output", value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Write a JUnit XML report here.
    #[arg(long = "junit")]
    pub junit: Option<PathBuf>,
    /// Write the run's HTML report here (one self-contained page; written also when the run
    /// fails or is interrupted).
    #[arg(long = "report", value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Keep only the newest N runs in the history database (older ones are pruned when a run
    /// ends; default: keep all).
    #[arg(long = "history-keep", env = "FERRY_HISTORY_KEEP", value_name = "N")]
    pub history_keep: Option<usize>,
    /// More output (-v shows every result).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Run only slice INDEX of COUNT stable slices of the selected hosts (0-based: 0/4 .. 3/4);
    /// k8s/COUNT takes INDEX from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long = "shard", env = "FERRY_SHARD", value_name = "INDEX/COUNT", value_parser = crate::shard::Shard::parse)]
    pub shard: Option<crate::shard::Shard>,
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
    /// Only run tasks tagged with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags")]
    pub tags: Vec<String>,
    /// Skip tasks tagged with these tags (comma-separated, repeatable).
    #[arg(long = "skip-tags")]
    pub skip_tags: Vec<String>,
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
    /// Record the run (its arguments, results and report) in this history database: a SQLite
    /// file (PATH or sqlite:PATH) or postgres://USER@HOST/DB (`ferry history --history-db PATH`
    /// or `--state URL` lists them).
    #[arg(long = "history", env = "FERRY_HISTORY", value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// With --shard and --history: the key the shards of one run share; they record one run
    /// in the history, with the merged recap (default: FERRY_RUN_KEY, else on PostgreSQL
    /// GitHub Actions' run id and attempt or GitLab's pipeline id; none: each shard is a run
    /// of its own).
    #[arg(long = "run-key", env = "FERRY_RUN_KEY", value_name = "KEY")]
    pub run_key: Option<String>,
    /// Flags shared with pipelines.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `ferry check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Playbook or pipeline files.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    /// Inventory file or directory (repeatable).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<PathBuf>,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// `ferry pipeline ...`.
#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Run the pipeline's stages in order.
    Run(Box<PipelineRunArgs>),
    /// Poll a git branch and run the pipeline for each new commit.
    Watch(Box<PipelineWatchArgs>),
}

/// `ferry pipeline run`.
#[derive(Debug, Args)]
pub struct PipelineRunArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// Start at this stage (earlier stages' exports come from the last successful run).
    #[arg(long = "from")]
    pub from: Option<String>,
    /// Run only this stage (other stages' exports come from the last successful run).
    #[arg(long = "only")]
    pub only: Option<String>,
    /// Wait this long for the pipeline's lock (e.g. 30s, 5m); default: fail at once.
    #[arg(long = "wait-lock", value_parser = parse_duration, default_value = "0s")]
    pub wait_lock: Duration,
    /// With --shard: the key the shards of one rollout share; they record one run, take the
    /// lock once and show as one run in `ferry history` (default: FERRY_RUN_KEY, else on
    /// PostgreSQL GitHub Actions' run id and attempt or GitLab's pipeline id; none: each shard
    /// is a run of its own).
    #[arg(long = "run-key", env = "FERRY_RUN_KEY", value_name = "KEY")]
    pub run_key: Option<String>,
    /// Where history and the lock live: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// FERRY_STATE, else the pipeline's `state:`, else .ferry/history.db next to the pipeline).
    #[arg(long = "state")]
    pub state: Option<String>,
    /// The history database (default: .ferry/history.db next to the pipeline).
    #[arg(long = "history-db")]
    pub history_db: Option<PathBuf>,
    /// Flags shared with `ferry run`.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `ferry pipeline watch`.
#[derive(Debug, Args)]
pub struct PipelineWatchArgs {
    /// The repository to poll: a local path or any URL git can fetch.
    #[arg(long = "repo")]
    pub repo: String,
    /// The branch to follow.
    #[arg(long = "branch", default_value = "main")]
    pub branch: String,
    /// Time between polls (e.g. 60s, 5m).
    #[arg(long = "every", value_parser = parse_duration, default_value = "60s")]
    pub every: Duration,
    /// Stop after this many runs.
    #[arg(long = "max-runs")]
    pub max_runs: Option<usize>,
    /// What to run.
    #[command(flatten)]
    pub run: PipelineRunArgs,
}

/// `ferry history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A pipeline file (or `show RUN`).
    pub args: Vec<String>,
    /// Where history and the lock live: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// FERRY_STATE, else the pipeline's `state:`, else .ferry/history.db next to the pipeline).
    #[arg(long = "state")]
    pub state: Option<String>,
    /// The history database (default: next to the pipeline, else .ferry/history.db here).
    #[arg(long = "history-db")]
    pub history_db: Option<PathBuf>,
    /// Only runs in which this host took part.
    #[arg(long = "host")]
    pub host: Option<String>,
    /// Only runs that ended with this status (with --host: in which the host had a result of
    /// this status; `failed` also matches unreachable).
    #[arg(long = "status", value_parser = ["changed", "failed", "interrupted", "ok", "running", "skipped", "succeeded", "unreachable"])]
    pub status: Option<String>,
}

/// `ferry report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A pipeline file and/or a run number (default: the newest run).
    pub args: Vec<String>,
    /// Compare two runs instead.
    #[arg(long = "compare", num_args = 2, value_names = ["RUN_A", "RUN_B"])]
    pub compare: Vec<i64>,
    /// Write the page here (default: standard output).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Where history and the lock live: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// FERRY_STATE, else the pipeline's `state:`, else .ferry/history.db next to the pipeline).
    #[arg(long = "state")]
    pub state: Option<String>,
    /// The history database (default: next to the pipeline, else .ferry/history.db here).
    #[arg(long = "history-db")]
    pub history_db: Option<PathBuf>,
}

/// `ferry rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// The run to go back to (default: the newest successful run older than what is deployed now).
    #[arg(long = "to")]
    pub to: Option<i64>,
    /// Wait this long for the pipeline's lock.
    #[arg(long = "wait-lock", value_parser = parse_duration, default_value = "0s")]
    pub wait_lock: Duration,
    /// With --shard: the key the shards of one rollout share; they record one run, take the
    /// lock once and show as one run in `ferry history` (default: FERRY_RUN_KEY, else on
    /// PostgreSQL GitHub Actions' run id and attempt or GitLab's pipeline id; none: each shard
    /// is a run of its own).
    #[arg(long = "run-key", env = "FERRY_RUN_KEY", value_name = "KEY")]
    pub run_key: Option<String>,
    /// Where history and the lock live: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// FERRY_STATE, else the pipeline's `state:`, else .ferry/history.db next to the pipeline).
    #[arg(long = "state")]
    pub state: Option<String>,
    /// The history database (default: .ferry/history.db next to the pipeline).
    #[arg(long = "history-db")]
    pub history_db: Option<PathBuf>,
    /// Flags shared with `ferry run`.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `ferry lock ...`.
#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Clear a lock whoever holds it (for a holder that died elsewhere).
    Release {
        /// The lock's name.
        name: String,
        /// The pipeline file whose database holds the lock.
        #[arg(long = "pipeline")]
        pipeline: Option<PathBuf>,
        /// The history database.
        #[arg(long = "history-db")]
        history_db: Option<PathBuf>,
        /// The state backend (sqlite:PATH or postgres://...).
        #[arg(long = "state")]
        state: Option<String>,
    },
}

/// A duration flag that does not read as one.
#[derive(Debug, thiserror::Error)]
pub enum DurationError {
    /// No number.
    #[error("'{0}' is not a duration (e.g. 30s, 5m)")]
    NotANumber(String),
    /// A unit other than ms, s, m, h.
    #[error("'{text}': unknown unit '{unit}' (use ms, s, m or h)")]
    Unit { text: String, unit: String },
}

/// `500ms`, `30s`, `5m`, `1h`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| DurationError::NotANumber(text.to_string()))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(DurationError::Unit {
                text: text.to_string(),
                unit: unit.to_string(),
            })
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Where vault passwords come from (ansible-playbook's and ansible-vault's flags).
#[derive(Debug, Clone, Default, Args)]
pub struct VaultArgs {
    /// A vault identity, LABEL@SOURCE: SOURCE is a password file, an executable that prints
    /// the password (a `*-client` script is told `--vault-id LABEL`), or `prompt` (repeatable).
    #[arg(long = "vault-id", value_name = "LABEL@SOURCE")]
    pub vault_id: Vec<String>,
    /// A vault password file; an executable is run and its output used (repeatable).
    #[arg(
        long = "vault-password-file",
        alias = "vault-pass-file",
        value_name = "FILE"
    )]
    pub vault_password_file: Vec<PathBuf>,
    /// Ask for the vault password on the terminal (not echoed).
    #[arg(short = 'J', long = "ask-vault-pass", alias = "ask-vault-password")]
    pub ask_vault_pass: bool,
}

/// `ferry vault ...`: ansible-vault's actions.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Create a new encrypted file with $EDITOR.
    Create(VaultEditArgs),
    /// Decrypt files in place (or to --output); no file or `-` reads stdin.
    Decrypt(VaultFilesArgs),
    /// Edit an encrypted file with $EDITOR (on a private temporary file, removed afterwards).
    Edit(VaultEditArgs),
    /// Encrypt files in place (or to --output); no file or `-` reads stdin.
    Encrypt(VaultFilesArgs),
    /// Encrypt strings into `!vault |` YAML values.
    #[command(name = "encrypt_string", alias = "encrypt-string")]
    EncryptString(VaultStringArgs),
    /// Re-encrypt files with a new password.
    Rekey(VaultRekeyArgs),
    /// Print the decrypted content of files.
    View(VaultViewArgs),
}

/// `ferry vault encrypt|decrypt`.
#[derive(Debug, Args)]
pub struct VaultFilesArgs {
    /// The files (none, or `-`: stdin to stdout).
    pub files: Vec<PathBuf>,
    /// Write here instead of in place (`-`: stdout).
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The vault id to encrypt with (one of the --vault-id labels).
    #[arg(long = "encrypt-vault-id")]
    pub encrypt_vault_id: Option<String>,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// `ferry vault create|edit`.
#[derive(Debug, Args)]
pub struct VaultEditArgs {
    /// The file.
    pub file: PathBuf,
    /// The vault id to encrypt with.
    #[arg(long = "encrypt-vault-id")]
    pub encrypt_vault_id: Option<String>,
    /// Accepted for ansible-vault compatibility (ferry runs the editor as it is).
    #[arg(long = "skip-tty-check")]
    pub skip_tty_check: bool,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// `ferry vault view`.
#[derive(Debug, Args)]
pub struct VaultViewArgs {
    /// The files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// `ferry vault encrypt_string`.
#[derive(Debug, Args)]
pub struct VaultStringArgs {
    /// The strings (none: read stdin).
    pub strings: Vec<String>,
    /// Variable names for the strings, in order (repeatable).
    #[arg(short = 'n', long = "name")]
    pub names: Vec<String>,
    /// Read the string from stdin and name it NAME.
    #[arg(long = "stdin-name")]
    pub stdin_name: Option<String>,
    /// Ask for the string on the terminal.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,
    /// Echo the string typed at --prompt.
    #[arg(long = "show-input")]
    pub show_input: bool,
    /// The vault id to encrypt with.
    #[arg(long = "encrypt-vault-id")]
    pub encrypt_vault_id: Option<String>,
    /// Vault passwords.
    #[command(flatten)]
    pub vault: VaultArgs,
}

/// `ferry vault rekey`.
#[derive(Debug, Args)]
pub struct VaultRekeyArgs {
    /// The files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The new password's file.
    #[arg(long = "new-vault-password-file", value_name = "FILE")]
    pub new_vault_password_file: Option<PathBuf>,
    /// The new vault id (LABEL@SOURCE, or LABEL with --new-vault-password-file).
    #[arg(long = "new-vault-id")]
    pub new_vault_id: Option<String>,
    /// The vault id to encrypt with.
    #[arg(long = "encrypt-vault-id")]
    pub encrypt_vault_id: Option<String>,
    /// Vault passwords (the current ones).
    #[command(flatten)]
    pub vault: VaultArgs,
}

//! The validated playbook model: plays, tasks and handlers, as the executor consumes them.

use std::path::PathBuf;

use serde_json::Value as Json;

use crate::error::Span;
use crate::modules::ModuleSpec;
pub use crate::playbook::fields::{Count, Flag};
use crate::playbook::inherit::Inherit;
use crate::playbook::search::Search;
use crate::vars::Vars;

/// A loaded playbook.
#[derive(Debug)]
pub struct Playbook {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its plays, in order.
    pub plays: Vec<Play>,
}

/// One play: a host pattern and the tasks to run on those hosts.
#[derive(Debug)]
pub struct Play {
    /// `name:`, if given.
    pub name: Option<String>,
    /// Where the play starts.
    pub span: Span,
    /// The host pattern (`hosts:`), possibly templated with extra vars.
    pub hosts: String,
    /// Where `hosts:` is written.
    pub hosts_at: Span,
    /// Play `vars:`.
    pub vars: Vars,
    /// `gather_facts:` (default true, as in Ansible).
    pub gather_facts: bool,
    /// Whether `gather_facts:` was written (ansible.cfg's `gathering` decides otherwise).
    pub gather_facts_set: bool,
    /// `gather_subset:`, `gather_timeout:`, `fact_path:` as written (templated per host
    /// when facts are gathered): the arguments of `TASK [Gathering Facts]`.
    pub gather_args: serde_json::Map<String, Json>,
    /// `when:` of the `import_playbook` that brought the play (already pushed into its
    /// tasks); fact gathering obeys it too.
    pub when: Vec<Condition>,
    /// Keywords the play passes down to its tasks (remote_user, become, environment, ...);
    /// already pushed into every task at load time.
    pub opts: Inherit,
    /// `vars_files:` read at load time into `vars` (their paths).
    pub vars_files: Vec<String>,
    /// `vars_prompt:` not answered yet.
    pub prompts: Vec<Prompt>,
    /// `vars_files:` read when the play starts: templated names, files not there at load.
    pub vars_files_later: Vec<LaterVarsFile>,
    /// `serial:` batch sizes (the last repeats); empty means one batch of all hosts.
    pub serial: AtPlayStart<Vec<Serial>>,
    /// `order:` the order hosts run in.
    pub order: HostOrder,
    /// `max_fail_percentage:` (the batch stops when it is exceeded).
    pub max_fail_percentage: Option<AtPlayStart<f64>>,
    /// `force_handlers:`.
    pub force_handlers: bool,
    /// `strategy:` (else ansible.cfg's `[defaults] strategy`, else linear).
    pub strategy: Strategy,
    /// `pre_tasks:` (handlers are flushed after them).
    pub pre_tasks: Vec<Item>,
    /// `tasks:`.
    pub tasks: Vec<Item>,
    /// `post_tasks:` (handlers are flushed after them).
    pub post_tasks: Vec<Item>,
    /// `handlers:`, in definition order (the order they run in).
    pub handlers: Vec<Task>,
    /// The handlers that are dynamic includes (`include_tasks`, `include_role`), by their
    /// index in `handlers`, where their own task stands for them (name, `listen`, `when`).
    pub handler_includes: std::collections::HashMap<usize, Include>,
    /// The roles read with the play (`roles:`, `import_role`, dependencies): their defaults
    /// and vars are seen by every task of the play, as Ansible's roles are public.
    pub roles: Vec<std::sync::Arc<Role>>,
}

impl Play {
    /// The name shown in `PLAY [...]`: the name, else the host pattern.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.hosts)
    }
}

/// A `vars_files:` entry read when the play starts: the first of its names (templates
/// rendered with the play's vars and the extra vars) that is a file.
#[derive(Debug, Clone)]
pub struct LaterVarsFile {
    /// The names, in order.
    pub names: Vec<String>,
    /// The directory they are relative to (the playbook's).
    pub base: PathBuf,
    /// Where the entry is written.
    pub at: Span,
}

/// A play keyword's value known at load, or a template rendered when the play starts (with
/// the play's vars and the extra vars, as Ansible's play `post_validate` renders it).
#[derive(Debug, Clone)]
pub enum AtPlayStart<T> {
    /// Known at load time.
    Const(T),
    /// Holds templates (`serial: "{{ batch }}"`, `serial: [1, "{{ rest }}"]`), written at
    /// the span.
    Template(Json, Span),
}

/// One `serial:` batch size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Serial {
    /// A number of hosts.
    Count(usize),
    /// A percentage of the play's hosts (at least one host).
    Percent(f64),
}

impl Serial {
    /// The batch sizes of a `serial:` value: a number, a percentage or a list of them; a
    /// number in a string is a number, as Python's `int()` reads it.
    pub fn sizes(value: &Json) -> Result<Vec<Serial>, String> {
        let one = |v: &Json| -> Result<Serial, String> {
            let size = match v {
                Json::Number(n) => n
                    .as_f64()
                    .filter(|x| *x >= 0.0)
                    .map(|x| Serial::Count(x as usize)),
                Json::String(s) => match s.trim().strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().ok().map(Serial::Percent),
                    None => s.trim().parse::<usize>().ok().map(Serial::Count),
                },
                _ => None,
            };
            size.ok_or_else(|| {
                let shown = v
                    .as_str()
                    .map_or_else(|| v.to_string(), |s| format!("'{s}'"));
                format!("'serial' must be a number or a percentage, found {shown}")
            })
        };
        match value {
            Json::Array(items) => items.iter().map(one).collect(),
            Json::Null => Ok(Vec::new()),
            other => Ok(vec![one(other)?]),
        }
    }

    /// A `max_fail_percentage:` value: a number, or a string of one with an optional `%`.
    pub fn percent(value: &Json) -> Result<f64, String> {
        let pct = match value {
            Json::Number(n) => n.as_f64(),
            Json::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
            _ => None,
        };
        pct.ok_or_else(|| format!("'max_fail_percentage' must be a number, found {value}"))
    }
}

/// One `vars_prompt` entry.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The variable it sets.
    pub name: String,
    /// The question (default: the name).
    pub prompt: Option<String>,
    /// `default:` (taken on an empty answer, or without a terminal).
    pub default: Option<Json>,
    /// `private:` (default true): the answer is not echoed.
    pub private: bool,
    /// `confirm:`: asked twice, until both answers match.
    pub confirm: bool,
    /// `encrypt:`: the answer is hashed (password_hash's scheme name).
    pub encrypt: Option<String>,
    /// `salt_size:`.
    pub salt_size: Option<u64>,
    /// `salt:`.
    pub salt: Option<String>,
    /// `unsafe:`: the answer is never templated.
    pub unsafe_: bool,
    /// Where the entry is.
    pub span: Span,
}

/// How a play's hosts move through its tasks (`strategy:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Each host runs its tasks without waiting for the others.
    Free,
    /// As free, with at most `--forks` hosts in the play at once: a host keeps its slot
    /// until it is done.
    HostPinned,
    /// Every host finishes a task before any host starts the next (the default).
    #[default]
    Linear,
}

impl Strategy {
    /// The strategies ferry runs, as plays and ansible.cfg name them.
    pub const NAMES: &'static [&'static str] = &["free", "host_pinned", "linear"];

    /// The strategy called `name` (short or `ansible.builtin.` name).
    pub fn from_name(name: &str) -> Option<Strategy> {
        Some(
            match name.strip_prefix("ansible.builtin.").unwrap_or(name) {
                "free" => Strategy::Free,
                "host_pinned" => Strategy::HostPinned,
                "linear" => Strategy::Linear,
                _ => return None,
            },
        )
    }
}

/// An entry of a tasks section: a task or a block.
#[derive(Debug)]
pub enum Item {
    /// A block with its rescue and always sections.
    Block(Block),
    /// `include_tasks` / `include_role`: decided per host at run time, counted as a task.
    Include(Box<Include>),
    /// A task.
    Task(Box<Task>),
}

/// A dynamic include (`include_tasks`, `include_role`): the include is a task of its own
/// (its `when`, loop, `vars` and keywords are its task's); what it includes is read at run
/// time, per host and loop item, when its file or role name is known.
#[derive(Debug)]
pub struct Include {
    /// The include as a task: its module is `include_tasks` or `include_role`.
    pub task: Task,
    /// Keywords of the enclosing blocks and play, which the included tasks inherit (the
    /// include's own keywords apply to the include only, as in Ansible).
    pub outer: Inherit,
    /// `apply:` keywords given to the included tasks.
    pub apply: Applied,
    /// The playbook's directory (a tasks file or role is also looked for there).
    pub playbook_dir: PathBuf,
    /// Where the included tasks' modules and roles are looked for.
    pub(crate) search: Search,
}

/// Keywords a wrapper (`apply:`, a block) gives the tasks inside it.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// `when` conditions, evaluated before the task's own.
    pub when: Vec<Condition>,
    /// `vars`, below the task's own.
    pub vars: Vars,
    /// Inheritable keywords.
    pub opts: Inherit,
    /// `notify` handler names.
    pub notify: Vec<(String, Span)>,
}

/// A role: where it lives and its variables. Its tasks and handlers point at it.
#[derive(Debug)]
pub struct Role {
    /// The role's name, as written.
    pub name: String,
    /// The collection it was found in, if any.
    pub collection: Option<String>,
    /// Its directory.
    pub path: PathBuf,
    /// `defaults/main.yml` (lowest precedence).
    pub defaults: Vars,
    /// `vars/main.yml` (above play vars).
    pub vars: Vars,
}

impl Role {
    /// The name Ansible shows (`TASK [ns.coll.role : ...]`): the collection's name in front of
    /// a short name found in a collection.
    pub fn fqcn(&self) -> String {
        match &self.collection {
            Some(c) if !self.name.contains('.') => format!("{c}.{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// `block:` / `rescue:` / `always:`. Block keywords (`when`, `vars`, `ignore_errors`, ...) are
/// pushed down into its tasks at load time.
#[derive(Debug)]
pub struct Block {
    /// `name:`, if given.
    pub name: Option<String>,
    /// Where the block starts.
    pub span: Span,
    /// The tasks of the block.
    pub block: Vec<Item>,
    /// Run on the hosts that failed in `block`.
    pub rescue: Vec<Item>,
    /// Run on every host that entered the block.
    pub always: Vec<Item>,
}

impl Item {
    /// Calls `f` on every task (an include's own task too), depth first, in order.
    pub fn visit<'a>(items: &'a [Item], f: &mut impl FnMut(&'a Task)) {
        for item in items {
            match item {
                Item::Task(t) => f(t),
                Item::Include(i) => f(&i.task),
                Item::Block(b) => {
                    Item::visit(&b.block, f);
                    Item::visit(&b.rescue, f);
                    Item::visit(&b.always, f);
                }
            }
        }
    }

    /// Calls `f` on every include, mutably.
    pub(crate) fn visit_includes_mut(items: &mut [Item], f: &mut impl FnMut(&mut Include)) {
        for item in items {
            match item {
                Item::Task(_) => {}
                Item::Include(i) => f(i),
                Item::Block(b) => {
                    Item::visit_includes_mut(&mut b.block, f);
                    Item::visit_includes_mut(&mut b.rescue, f);
                    Item::visit_includes_mut(&mut b.always, f);
                }
            }
        }
    }

    /// Calls `f` on every task (an include's own task too), mutably.
    pub(crate) fn visit_mut(items: &mut [Item], f: &mut impl FnMut(&mut Task)) {
        for item in items {
            match item {
                Item::Task(t) => f(t),
                Item::Include(i) => f(&mut i.task),
                Item::Block(b) => {
                    Item::visit_mut(&mut b.block, f);
                    Item::visit_mut(&mut b.rescue, f);
                    Item::visit_mut(&mut b.always, f);
                }
            }
        }
    }
}

/// A task's `loop_control:`.
#[derive(Debug, Clone)]
pub struct LoopControl {
    /// `loop_var` (default `item`).
    pub loop_var: String,
    /// `index_var`: the variable holding the item's index.
    pub index_var: Option<String>,
    /// `label`: a template shown instead of the item.
    pub label: Option<String>,
    /// `pause`: seconds between items (a number, or a template giving one).
    pub pause: Option<Json>,
    /// `extended`: the `ansible_loop` variable.
    pub extended: Flag,
    /// `extended_allitems` (default true): `ansible_loop.allitems`.
    pub extended_allitems: bool,
}

impl Default for LoopControl {
    fn default() -> Self {
        LoopControl {
            loop_var: "item".into(),
            index_var: None,
            label: None,
            pause: None,
            extended: Flag::Const(false),
            extended_allitems: true,
        }
    }
}

/// A conditional expression (`when`, `failed_when`, `changed_when`) with its position.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The bare Jinja expression.
    pub expr: String,
    /// Where it was written.
    pub span: Span,
}

/// `order:` of a play.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostOrder {
    /// As the inventory lists them (the default).
    #[default]
    Inventory,
    /// The inventory's order reversed.
    ReverseInventory,
    /// By name.
    Sorted,
    /// By name, reversed.
    ReverseSorted,
    /// Shuffled for each run.
    Shuffle,
}

impl HostOrder {
    /// The order called `name`, as a play writes it.
    pub fn from_name(name: &str) -> Option<HostOrder> {
        Some(match name {
            "inventory" => HostOrder::Inventory,
            "reverse_inventory" => HostOrder::ReverseInventory,
            "sorted" => HostOrder::Sorted,
            "reverse_sorted" => HostOrder::ReverseSorted,
            "shuffle" => HostOrder::Shuffle,
            _ => return None,
        })
    }

    /// Puts `hosts` (in inventory order) in this order.
    pub fn apply(self, hosts: &mut [String]) {
        match self {
            HostOrder::Inventory => {}
            HostOrder::ReverseInventory => hosts.reverse(),
            HostOrder::Sorted => hosts.sort(),
            HostOrder::ReverseSorted => {
                hosts.sort();
                hosts.reverse();
            }
            HostOrder::Shuffle => {
                use rand::seq::SliceRandom;
                hosts.shuffle(&mut rand::rng());
            }
        }
    }
}

/// A task or a handler.
#[derive(Debug, Clone)]
pub struct Task {
    /// `name:`, if given.
    pub name: Option<String>,
    /// Where the task starts.
    pub span: Span,
    /// The module it runs.
    pub module: &'static ModuleSpec,
    /// Module arguments as written (strings may hold templates), always a mapping.
    /// Free-form text is under `_raw_params`, as in Ansible.
    pub args: Json,
    /// `when:` (a list means all must hold).
    pub when: Vec<Condition>,
    /// `changed_when:` (a list means all must hold).
    pub changed_when: Option<Vec<Condition>>,
    /// `failed_when:` (a list means all must hold).
    pub failed_when: Option<Vec<Condition>>,
    /// `until:` (retry until all hold).
    pub until: Option<Vec<Condition>>,
    /// `retries:` (default 3 with `until`).
    pub retries: Option<Count>,
    /// `delay:` seconds between retries (default 5).
    pub delay: Option<Count>,
    /// `async:` seconds: the module runs as a background job killed after that long (a
    /// template is rendered per host when the task runs).
    pub async_val: Option<Count>,
    /// `poll:` seconds between checks of an `async` job (0: fire and forget; default 15).
    pub poll: Count,
    /// `register:`.
    pub register: Option<String>,
    /// Keywords a task can also inherit from its block and play (become, tags, ...).
    pub opts: Inherit,
    /// `notify:` handler names or listen topics.
    pub notify: Vec<(String, Span)>,
    /// `listen:` topics (handlers only).
    pub listen: Vec<String>,
    /// Task `vars:`.
    pub vars: Vars,
    /// `loop:` / `with_<lookup>:` (a template or a literal value).
    pub loop_items: Option<Json>,
    /// `with_<lookup>`: the lookup plugin that turns `loop_items` into the items.
    pub loop_with: Option<String>,
    /// `loop_control:`.
    pub loop_control: LoopControl,
    /// The role the task comes from.
    pub role: Option<std::sync::Arc<Role>>,
}

/// Ansible's `DEFAULT_POLL_INTERVAL`: seconds between checks of an `async` job.
pub(crate) const DEFAULT_POLL: u64 = 15;

impl Task {
    /// A task of `module` with nothing else set.
    pub(crate) fn empty(span: Span, module: &'static ModuleSpec) -> Task {
        Task {
            name: None,
            span,
            module,
            args: Json::Object(Vars::new()),
            when: Vec::new(),
            changed_when: None,
            failed_when: None,
            until: None,
            retries: None,
            delay: None,
            async_val: None,
            poll: Count::Const(DEFAULT_POLL),
            register: None,
            opts: Inherit::default(),
            notify: Vec::new(),
            listen: Vec::new(),
            vars: Vars::new(),
            loop_items: None,
            loop_with: None,
            loop_control: LoopControl::default(),
            role: None,
        }
    }

    /// The name shown in `TASK [...]`: the name, else the module's name; a role's named tasks
    /// are shown as `role : name`.
    pub fn display_name(&self) -> String {
        // As Ansible's Task.get_name: the role prefix only goes with a task's own name.
        match (&self.role, &self.name) {
            (Some(role), Some(name)) => format!("{} : {name}", role.fqcn()),
            (_, Some(name)) => name.clone(),
            (_, None) => self.module.name.to_string(),
        }
    }

    /// True when `notify: name` reaches this handler (by name, `role : name` or listen).
    pub fn answers_to(&self, name: &str) -> bool {
        self.named(name) || self.listens_to(name)
    }

    /// True when this handler is called `name` (or `role : name`, the role named as written
    /// or by its FQCN, as Ansible's candidates are).
    pub fn named(&self, name: &str) -> bool {
        let own = self.name.as_deref();
        let as_written = match (&self.role, own) {
            (Some(role), Some(own)) => format!("{} : {own}", role.name) == name,
            _ => false,
        };
        own == Some(name)
            || as_written
            || (own.is_some() && self.role.is_some() && self.display_name() == name)
    }

    /// True when this handler listens to topic `name`.
    pub fn listens_to(&self, name: &str) -> bool {
        self.listen.iter().any(|l| l == name)
    }

    /// True for `meta:` tasks, which the executor handles itself.
    pub fn meta(&self) -> Option<&str> {
        if self.module.directive {
            self.args.get("_raw_params").and_then(Json::as_str)
        } else {
            None
        }
    }
}

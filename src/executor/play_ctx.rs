//! [`PlayCtx`]: what one batch of a play knows besides the executor's host state — its
//! hosts, pending notifications, roles, failures — handed to every part of the executor that
//! runs within a play.

use std::path::Path;

use crate::executor::notified::Notified;
use crate::playbook::Play;
use crate::vars::Vars;

/// What a play (one batch of it) knows besides the executor's host state.
pub(crate) struct PlayCtx<'a> {
    pub play: &'a Play,
    /// Play vars (templates in them resolve per host, at use).
    pub play_vars: Vars,
    /// All hosts of the play, in inventory order.
    pub hosts: Vec<String>,
    /// The hosts of the current batch.
    pub batch: Vec<String>,
    /// Hosts of the batch still running tasks.
    pub active: Vec<String>,
    /// Under the free strategies, where each host runs alone: the batch's hosts as it
    /// started (what `ansible_play_hosts` shows); empty otherwise.
    pub together: Vec<String>,
    /// Hosts that failed in this batch.
    pub failed: Vec<String>,
    /// Pending handler notifications.
    pub notified: Notified,
    /// Handlers of roles `include_role` read at run time (after the play's, in the order
    /// they came).
    pub added_handlers: Vec<std::sync::Arc<crate::playbook::Task>>,
    /// Those of `added_handlers` that are dynamic includes, by their index there.
    pub added_includes: std::collections::HashMap<usize, std::sync::Arc<crate::playbook::Include>>,
    /// How many dynamic includes the running task is nested in.
    pub include_depth: usize,
    /// Public roles: the play's, then those `include_role` with `public: yes` read.
    pub public_roles: Vec<std::sync::Arc<crate::playbook::Role>>,
    /// `playbook_dir`.
    pub playbook_dir: String,
    /// Hosts that ran `meta: end_role`, and the role (instance) they left.
    pub ended_roles: Vec<(String, std::sync::Arc<crate::playbook::Role>)>,
    /// `max_fail_percentage`, rendered when the play started.
    pub max_fail: Option<f64>,
    /// any_errors_fatal or max_fail_percentage tripped: stop the play and the playbook.
    pub abort: bool,
    /// `max_fail_percentage` tripped (Ansible then announces that no host is left).
    pub max_fail_hit: bool,
    /// `meta: end_play` ran.
    pub end_play: bool,
}

impl<'a> PlayCtx<'a> {
    /// A batch of `play` about to start.
    pub(crate) fn new(
        play: &'a Play,
        hosts: Vec<String>,
        batch: Vec<String>,
        playbook_dir: &Path,
    ) -> PlayCtx<'a> {
        PlayCtx {
            play,
            play_vars: play.vars.clone(),
            hosts,
            active: batch.clone(),
            together: Vec::new(),
            batch,
            failed: Vec::new(),
            notified: Notified::default(),
            added_handlers: Vec::new(),
            added_includes: Default::default(),
            include_depth: 0,
            public_roles: play.roles.clone(),
            playbook_dir: playbook_dir.display().to_string(),
            ended_roles: Vec::new(),
            max_fail: None,
            abort: false,
            max_fail_hit: false,
            end_play: false,
        }
    }
}

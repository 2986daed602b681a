//! Outcomes of a task on a host, the per-host counts, and the recap that decides the exit code.

/// What a task did on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran, changed something.
    Changed,
    /// Failed (possibly ignored).
    Failed,
    /// Ran, changed nothing.
    Ok,
    /// Not run (`when` was false).
    Skipped,
    /// The host could not be reached.
    Unreachable,
}

/// One host's counts, as in `PLAY RECAP`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostStats {
    /// ok (includes changed and ignored failures).
    pub ok: u32,
    /// changed.
    pub changed: u32,
    /// unreachable.
    pub unreachable: u32,
    /// failed.
    pub failed: u32,
    /// skipped.
    pub skipped: u32,
    /// rescued.
    pub rescued: u32,
    /// ignored.
    pub ignored: u32,
}

impl HostStats {
    /// Counts one result the way Ansible's strategy does.
    pub fn count(&mut self, status: Status, changed: bool, ignored: bool) {
        match status {
            Status::Ok | Status::Changed => self.ok += 1,
            Status::Failed if ignored => {
                self.ok += 1;
                self.ignored += 1;
            }
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::Unreachable if ignored => {
                self.ok += 1;
                self.ignored += 1;
            }
            Status::Unreachable => self.unreachable += 1,
        }
        if changed && status != Status::Unreachable && (status != Status::Failed || ignored) {
            self.changed += 1;
        }
    }
}

/// The end of a run: every host's counts, sorted by name as Ansible prints them, and the
/// hosts that ended failed or unreachable (`meta: clear_host_errors` takes hosts off the failed
/// list but not their counts, as in Ansible).
#[derive(Debug, Clone, Default)]
pub struct Recap {
    /// Host name → counts.
    pub hosts: Vec<(String, HostStats)>,
    /// Hosts whose failure stands.
    pub failed: Vec<String>,
    /// Hosts that were unreachable.
    pub unreachable: Vec<String>,
}

impl Recap {
    /// ansible-playbook's exit code: 4 if a host was unreachable, else 2 if one failed, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.unreachable.is_empty() {
            4
        } else if !self.failed.is_empty() {
            2
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_ansible() {
        let mut s = HostStats::default();
        for (status, changed, ignored) in [
            (Status::Ok, false, false),
            (Status::Changed, true, false),
            (Status::Failed, true, true),
            (Status::Skipped, false, false),
        ] {
            s.count(status, changed, ignored);
        }
        let want = HostStats {
            ok: 3,
            changed: 2,
            skipped: 1,
            ignored: 1,
            ..Default::default()
        };
        assert_eq!(s, want);
    }
}

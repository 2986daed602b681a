//! `--syntax-check`, `--list-hosts` and `--list-tasks`: what a run would do, shown in
//! ansible-playbook's layout, without contacting any host.

use std::fmt::Write;

use crate::playbook::{Item, Play, Playbook};

/// A play's host pattern as rendered, and the hosts a run would select for it.
pub type HostsOf<'a> = &'a dyn Fn(&Play) -> (String, Vec<String>);

/// What to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// `--list-hosts`.
    pub hosts: bool,
    /// `--list-tasks`.
    pub tasks: bool,
}

/// The listing text for `playbooks`; `hosts_of`: each play's pattern and hosts; `only`: the
/// hosts of a `--shard`.
pub fn render(
    playbooks: &[Playbook],
    hosts_of: HostsOf,
    what: Listing,
    only: Option<&std::collections::HashSet<String>>,
) -> String {
    let mut out = String::new();
    for pb in playbooks {
        let _ = write!(out, "\nplaybook: {}\n", pb.path.display());
        if !what.hosts && !what.tasks {
            continue;
        }
        for (i, play) in pb.plays.iter().enumerate() {
            let tags = format_tags(&play.opts.tags);
            let (pattern, mut hosts) = hosts_of(play);
            let _ = write!(
                out,
                "\n  play #{} ({pattern}): {}\tTAGS: {tags}\n",
                i + 1,
                play.name.as_deref().unwrap_or(&pattern)
            );
            if what.hosts {
                hosts.retain(|h| only.is_none_or(|o| o.contains(h)));
                list_hosts(&mut out, &pattern, &hosts);
            }
            if what.tasks {
                out.push_str("    tasks:\n");
                for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                    list_items(&mut out, section);
                }
            }
        }
    }
    out
}

/// Tasks as ansible-playbook lists them: an include is one entry (its tasks are dynamic).
fn list_items(out: &mut String, items: &[Item]) {
    for item in items {
        match item {
            Item::Task(t) if t.meta().is_none() => {
                let _ = writeln!(
                    out,
                    "      {}\tTAGS: {}",
                    t.display_name(),
                    format_tags(&t.opts.tags)
                );
            }
            Item::Task(_) => {}
            // ansible-playbook lists a block's tasks, not its rescue and always sections.
            Item::Block(b) => list_items(out, &b.block),
            Item::Include(i) => {
                let name = i.task.display_name();
                let tags = format_tags(&i.task.opts.tags);
                let _ = writeln!(out, "      {name}\tTAGS: {tags}");
            }
        }
    }
}

fn list_hosts(out: &mut String, pattern: &str, hosts: &[String]) {
    let pattern: Vec<String> = pattern.split(':').map(|p| format!("'{p}'")).collect();
    let _ = write!(
        out,
        "    pattern: [{}]\n    hosts ({}):\n",
        pattern.join(", "),
        hosts.len()
    );
    for h in hosts {
        let _ = writeln!(out, "      {h}");
    }
}

fn format_tags(tags: &[String]) -> String {
    let quoted: Vec<String> = tags.iter().map(|t| format!("'{t}'")).collect();
    format!("[{}]", quoted.join(", "))
}

//! `gather_facts`: a minimal set of facts read with one remote command per host.

use serde_json::Value as Json;

use crate::events::TaskKind;
use crate::executor::play::PlayCtx;
use crate::executor::Executor;
use crate::modules::{ModuleCtx, ModuleResult, ModuleSpec};
use crate::playbook::Task;
use crate::vars::Vars;

/// The pseudo-module behind `TASK [Gathering Facts]`.
static GATHER: ModuleSpec = ModuleSpec {
    name: "gather_facts",
    args: Some(Vec::new),
    run: |ctx, _| Box::pin(gather(ctx)),
    ..crate::modules::DEFAULTS
};

const SCRIPT: &str =
    "uname -n; uname -m; uname -s; id -un; echo \"$HOME\"; cat /etc/os-release 2>/dev/null";

impl Executor {
    /// Runs `TASK [Gathering Facts]` on the play's active hosts.
    pub(crate) async fn gather_facts(&mut self, ctx: &mut PlayCtx<'_>) {
        let task = Task {
            name: Some("Gathering Facts".into()),
            when: ctx.play.when.clone(),
            opts: ctx.play.opts.clone(),
            ..Task::empty(ctx.play.span.clone(), &GATHER)
        };
        let hosts = ctx.active.clone();
        let failed = self
            .run_task(ctx, &task, TaskKind::Task, hosts, false)
            .await;
        self.fail_hosts(ctx, &failed);
    }
}

async fn gather(ctx: &ModuleCtx<'_>) -> ModuleResult {
    let conn = match ctx.conn.get().await {
        Ok(c) => c,
        Err(e) => return ModuleResult::unreachable(&e),
    };
    drop(conn);
    let out = match ctx.exec(SCRIPT).await {
        Ok(o) => o,
        Err(e) => return ModuleResult::unreachable(&e),
    };
    if out.rc != 0 {
        return ModuleResult::failed(format!("could not gather facts: {}", out.stderr.trim()));
    }
    let facts = parse(&out.stdout);
    let mut all = Vars::new();
    for (k, v) in &facts {
        all.insert(format!("ansible_{k}"), v.clone());
    }
    all.insert("ansible_facts".into(), Json::Object(facts));
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), Json::Object(all));
    ModuleResult::ok(data)
}

fn parse(stdout: &str) -> Vars {
    let mut lines = stdout.lines();
    let mut next = || lines.next().unwrap_or("").to_string();
    let (node, arch, system, user, home) = (next(), next(), next(), next(), next());
    let os: Vec<(String, String)> = stdout
        .lines()
        .skip(5)
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect();
    let get = |k: &str| os.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let id = get("ID").unwrap_or_default();
    let distribution = get("NAME")
        .map(|n| n.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| system.clone());
    let family = os_family(&id, get("ID_LIKE").as_deref().unwrap_or(""));
    let mut f = Vars::new();
    f.insert(
        "hostname".into(),
        node.split('.').next().unwrap_or("").into(),
    );
    f.insert("nodename".into(), node.clone().into());
    f.insert("fqdn".into(), node.into());
    f.insert("architecture".into(), arch.into());
    f.insert("system".into(), system.into());
    f.insert("user_id".into(), user.into());
    f.insert("user_dir".into(), home.into());
    f.insert("distribution".into(), distribution.into());
    f.insert(
        "distribution_version".into(),
        get("VERSION_ID").unwrap_or_default().into(),
    );
    f.insert(
        "distribution_release".into(),
        get("VERSION_CODENAME").unwrap_or_default().into(),
    );
    f.insert("os_family".into(), family.into());
    f
}

fn os_family(id: &str, like: &str) -> String {
    let words = std::iter::once(id).chain(like.split_whitespace());
    for w in words {
        let family = match w {
            "debian" | "ubuntu" | "linuxmint" | "raspbian" => "Debian",
            "rhel" | "centos" | "fedora" | "rocky" | "almalinux" | "amzn" | "ol" => "RedHat",
            "alpine" => "Alpine",
            "arch" => "Archlinux",
            "suse" | "opensuse" | "sles" => "Suse",
            "gentoo" => "Gentoo",
            _ => continue,
        };
        return family.to_string();
    }
    "Linux".into()
}

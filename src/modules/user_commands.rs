//! `user`'s command lines: the `useradd` options for a new account and the `usermod`
//! options for what differs in an existing one (uid, groups with `append`, comment, home with
//! `move_home`, shell, expiry, password and its lock), as Ansible's Linux user module builds
//! them. Pure functions of the task and what the query found.

use std::fmt::Write as _;

use crate::connection::quote;
use crate::modules::host::accounts::Found;
use crate::modules::user_args::Args;

/// `groups` as names (empty entries dropped); `None` when not given.
pub(crate) fn supplementary(args: &Args) -> Option<Vec<&str>> {
    args.groups.as_ref().map(|g| {
        g.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// The password as it goes to the shadow file: `!` in front when locked.
fn shadow_password(args: &Args) -> Option<String> {
    args.password.as_ref().map(|p| match args.password_lock {
        Some(true) => format!("!{p}"),
        _ => p.clone(),
    })
}

/// Options as quoted words of a command line.
#[derive(Default)]
struct Words(Vec<String>);

impl Words {
    fn opt(&mut self, flag: &str, value: &str) {
        self.0.push(flag.to_string());
        self.0.push(quote(value));
    }

    fn flag(&mut self, flag: &str) {
        self.0.push(flag.to_string());
    }

    fn line(&self) -> String {
        self.0.iter().fold(String::new(), |s, w| s + " " + w)
    }
}

/// `expires` (seconds since the epoch) as `useradd -e` takes it; negative: never.
fn expiry_date(expires: f64) -> String {
    if expires < 0.0 {
        return String::new();
    }
    chrono::DateTime::from_timestamp(expires.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The `usermod` options that bring the account to what is asked (empty: nothing differs),
/// and the shadow password line to set, if any.
pub(crate) fn usermod_options(args: &Args, found: &Found) -> (String, Option<String>) {
    let (Some(user), shadow) = (&found.user, found.shadow.clone().unwrap_or_default()) else {
        return (String::new(), None);
    };
    let mut w = Words::default();
    if let Some(uid) = args.uid.filter(|u| *u != user.uid) {
        w.opt("-u", &uid.to_string());
        if args.non_unique {
            w.flag("-o");
        }
    }
    if let Some(g) = args.group.as_deref().and_then(|g| found.group(g)) {
        if g.gid != user.gid {
            w.opt("-g", &g.gid.to_string());
        }
    }
    if let Some(groups) = groups_option(args, found) {
        w.0.extend(groups);
    }
    if let Some(c) = args.comment.as_deref().filter(|c| *c != user.comment) {
        w.opt("-c", c);
    }
    if let Some(h) = args.home.as_deref().filter(|h| *h != user.home) {
        w.opt("-d", h);
        if args.move_home {
            w.flag("-m");
        }
    }
    if let Some(s) = args.shell.as_deref().filter(|s| *s != user.shell) {
        w.opt("-s", s);
    }
    if let Some(e) = args.expires.filter(|e| expiry_differs(*e, &shadow.expire)) {
        w.opt("-e", &expiry_date(e));
    }
    if let Some(days) = args.password_expire_account_disable {
        if shadow.inactive.trim().parse::<i64>().ok() != Some(days) {
            w.opt("-f", &days.to_string());
        }
    }
    let password = shadow_password(args).filter(|p| {
        args.update_password == "always"
            && shadow.hash.trim_start_matches('!') != p.trim_start_matches('!')
    });
    match (args.password_lock, shadow.hash.starts_with('!')) {
        _ if password.is_some() => {}
        (Some(true), false) => w.flag("-L"),
        (Some(false), true) => w.flag("-U"),
        _ => {}
    }
    (w.line(), password.map(|p| format!("{}:{p}", args.name)))
}

/// Whether the shadow expiry (days, empty: never) differs from `expires` (seconds).
fn expiry_differs(expires: f64, current: &str) -> bool {
    let current: i64 = current.trim().parse().unwrap_or(-1);
    if expires < 0.0 {
        return current >= 0;
    }
    current < 0 || current != (expires / 86400.0).floor() as i64
}

/// The `-G`/`-a -G` option words when supplementary groups differ.
fn groups_option(args: &Args, found: &Found) -> Option<Vec<String>> {
    let asked = supplementary(args)?;
    let current: std::collections::BTreeSet<&str> =
        found.member_of.iter().map(String::as_str).collect();
    if asked.is_empty() {
        return (!current.is_empty() && !args.append).then(|| vec!["-G".into(), "''".into()]);
    }
    let names: std::collections::BTreeSet<&str> = asked
        .iter()
        .filter_map(|g| found.group(g).map(|g| g.name.as_str()))
        .collect();
    let missing = names.iter().any(|n| !current.contains(n));
    let extra = current.iter().any(|c| !names.contains(c));
    let list = quote(&names.iter().copied().collect::<Vec<_>>().join(","));
    match args.append {
        true => missing.then(|| vec!["-a".into(), "-G".into(), list]),
        false => (missing || extra).then(|| vec!["-G".into(), list]),
    }
}

/// The `useradd` command line for the account asked (after `mkdir -p` of the home's parent
/// when the home is created), and the shadow password line to set, if any. `local: true`
/// runs libuser's `luseradd` instead, then `lchage -E` and `lgroupmod -M` for the expiry and
/// the supplementary groups it does not take, as Ansible does.
pub(crate) fn useradd(args: &Args, found: &Found) -> (String, Option<String>) {
    let local = args.local == Some(true);
    let w = create_words(args, found, local);
    let mut cmd = String::new();
    if let (Some(home), true) = (&args.home, args.create_home) {
        let _ = write!(cmd, "mkdir -p -- \"$(dirname -- {})\" && ", quote(home));
    }
    let program = if local { "luseradd" } else { "useradd" };
    let name = quote(&args.name);
    let _ = write!(cmd, "{program}{} -- {name}", w.line());
    if local {
        if let Some(e) = args.expires {
            let days = if e < 0.0 {
                -1
            } else {
                (e.floor() as i64).div_euclid(86400)
            };
            let _ = write!(cmd, " && lchage -E {days} {name}");
        }
        for group in supplementary(args).unwrap_or_default() {
            let _ = write!(cmd, " && lgroupmod -M {name} {}", quote(group));
        }
    }
    let line = shadow_password(args).map(|p| format!("{}:{p}", args.name));
    (cmd, line)
}

/// The options of `useradd` (or, `local`, of `luseradd`, which takes `-n` for `-N` and no
/// `-G`, `-e` or `-m`: it makes the home unless told `-M`).
fn create_words(args: &Args, found: &Found, local: bool) -> Words {
    let mut w = Words::default();
    if let Some(uid) = args.uid {
        w.opt("-u", &uid.to_string());
        if args.non_unique {
            w.flag("-o");
        }
    }
    if let Some(se) = &args.seuser {
        w.opt("-Z", se);
    }
    match &args.group {
        Some(g) => w.opt("-g", g),
        None if found.group(&args.name).is_some() => w.flag(if local { "-n" } else { "-N" }),
        None => {}
    }
    if let Some(groups) = supplementary(args).filter(|g| !g.is_empty() && !local) {
        w.opt("-G", &groups.join(","));
    }
    for (flag, value) in [
        ("-c", &args.comment),
        ("-d", &args.home),
        ("-s", &args.shell),
    ] {
        if let Some(v) = value {
            w.opt(flag, v);
        }
    }
    if let Some(e) = args.expires.filter(|_| !local) {
        w.opt("-e", &expiry_date(e));
    }
    if let Some(days) = args.password_expire_account_disable {
        w.opt("-f", &days.to_string());
    }
    match args.create_home {
        true => {
            if !local {
                w.flag("-m");
            }
            if let Some(skel) = &args.skeleton {
                w.opt("-k", skel);
            }
            if let Some(umask) = &args.umask {
                w.opt("-K", &format!("UMASK={umask}"));
            }
        }
        false => w.flag("-M"),
    }
    if args.system {
        w.flag("-r");
    }
    for (key, v) in [("UID_MIN", args.uid_min), ("UID_MAX", args.uid_max)] {
        if let Some(v) = v {
            w.opt("-K", &format!("{key}={v}"));
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_are_civil_dates() {
        for (secs, date) in [
            (0.0, "1970-01-01"),
            (1_700_000_000.0, "2023-11-14"),
            (951_782_400.0, "2000-02-29"),
            (-1.0, ""),
        ] {
            assert_eq!(expiry_date(secs), date, "{secs}");
        }
        assert!(!expiry_differs(1_700_000_000.0, "19675"));
        assert!(expiry_differs(-1.0, "19675"));
        assert!(!expiry_differs(-1.0, ""));
    }

    fn args(json: serde_json::Value) -> Args {
        serde_json::from_value(json).unwrap()
    }

    fn found() -> Found {
        use crate::modules::host::accounts::{parse_group, parse_passwd, Shadow};
        Found {
            user: parse_passwd("ann:x:1001:1001:Ann:/home/ann:/bin/sh"),
            shadow: Some(Shadow {
                hash: "$6$a$b".into(),
                expire: String::new(),
                ..Default::default()
            }),
            member_of: vec!["adm".into()],
            groups: ["adm:x:4:ann", "web:x:33:", "ann:x:1001:"]
                .iter()
                .map(|l| parse_group(l).unwrap())
                .map(|g| (g.name.clone(), g))
                .collect(),
            home_exists: true,
        }
    }

    #[test]
    fn usermod_changes_only_what_differs() {
        let f = found();
        for (task, options, password) in [
            (
                serde_json::json!({"name": "ann", "shell": "/bin/sh", "groups": "adm"}),
                "",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "groups": ["web"], "append": true}),
                " -a -G web",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "groups": ["web"]}),
                " -G web",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "groups": []}),
                " -G ''",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "comment": "Ann B", "home": "/srv/ann", "move_home": true}),
                " -c 'Ann B' -d /srv/ann -m",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "password": "$6$a$b", "password_lock": true}),
                " -L",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "password": "$6$c$d"}),
                "",
                Some("ann:$6$c$d"),
            ),
            (
                serde_json::json!({"name": "ann", "password": "$6$c$d", "update_password": "on_create"}),
                "",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "expires": 1893456000}),
                " -e 2030-01-01",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "uid": 1001, "group": "ann"}),
                "",
                None,
            ),
            (
                serde_json::json!({"name": "ann", "uid": "2000", "non_unique": true}),
                " -u 2000 -o",
                None,
            ),
        ] {
            let (opts, pw) = usermod_options(&args(task.clone()), &f);
            assert_eq!(
                (opts.as_str(), pw.as_deref()),
                (options, password),
                "{task}"
            );
        }
    }

    #[test]
    fn useradd_takes_every_asked_option() {
        let mut f = found();
        f.user = None;
        let a = args(serde_json::json!({
            "name": "ann", "system": true, "create_home": false, "groups": "web,adm",
            "shell": "/bin/sh", "password": "$6$a$b", "password_lock": true
        }));
        let (cmd, pw) = useradd(&a, &f);
        assert_eq!(cmd, "useradd -N -G web,adm -s /bin/sh -M -r -- ann");
        assert_eq!(pw.as_deref(), Some("ann:!$6$a$b"));
    }

    #[test]
    fn local_accounts_are_made_by_libuser_as_ansible_makes_them() {
        let mut f = found();
        f.user = None;
        let a = args(serde_json::json!({
            "name": "ann", "local": true, "groups": "web,adm", "comment": "Ann",
            "expires": 1_700_000_000.0, "password": "*"
        }));
        let (cmd, pw) = useradd(&a, &f);
        assert_eq!(
            cmd,
            "luseradd -n -c Ann -- ann && lchage -E 19675 ann && lgroupmod -M ann web && lgroupmod -M ann adm"
        );
        assert_eq!(pw.as_deref(), Some("ann:*"));
        let a = args(serde_json::json!({"name": "ann", "local": true, "create_home": false}));
        assert_eq!(useradd(&a, &f).0, "luseradd -n -M -- ann");
    }
}

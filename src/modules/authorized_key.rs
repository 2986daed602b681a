//! `authorized_key` (ansible.posix): SSH public keys in a user's `authorized_keys` (or
//! `path`), matched by their key data as Ansible matches them — options and comment
//! compared, `exclusive` removing every other key — with `manage_dir` creating `~/.ssh`
//! (0700) and the file (0600) owned by the user. Keys given as an `http(s)` URL are fetched
//! on the host. The file is read once and written once.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, accounts, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "authorized_key",
    path_args: &["path"],
    collection: "ansible.posix",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("authorized_key", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "authorized_key", &["state"], &["absent", "present"])
}

#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Args {
    user: String,
    key: String,
    path: Option<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    manage_dir: bool,
    #[serde(default = "present")]
    state: String,
    key_options: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    exclusive: bool,
    comment: Option<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
}

fn present() -> String {
    "present".into()
}

/// The key types Ansible recognises in a key line.
const TYPES: &[&str] = &[
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

/// One line of the file: a key, or a line kept as it is (comments, blanks, unparsable).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// The key data (for a kept line, the line itself): what entries are matched by.
    id: String,
    /// `None` for a kept line.
    key: Option<Key>,
    rank: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Key {
    kind: String,
    options: Vec<(String, Option<String>)>,
    comment: String,
}

impl Key {
    /// Same type, options (in any order) and comment.
    fn same(&self, other: &Key) -> bool {
        let sorted = |o: &[(String, Option<String>)]| {
            let mut o = o.to_vec();
            o.sort();
            o
        };
        self.kind == other.kind
            && self.comment == other.comment
            && sorted(&self.options) == sorted(&other.options)
    }
}

/// `a,b="x,y",c=1` as ordered name/value pairs (commas inside quotes do not split).
fn parse_options(text: &str) -> Vec<(String, Option<String>)> {
    let mut parts = Vec::new();
    let (mut cur, mut quote_char) = (String::new(), None);
    for c in text.chars() {
        match (c, quote_char) {
            (',', None) => parts.push(std::mem::take(&mut cur)),
            ('"' | '\'', None) => (quote_char, _) = (Some(c), cur.push(c)),
            (q, Some(open)) if q == open => (quote_char, _) = (None, cur.push(c)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (p, None),
        })
        .collect()
}

/// A key line: options, type, data, comment; `None` when no known type is in it.
fn parse_key(line: &str) -> Option<(String, Key)> {
    let line = line.replace("\\#", "#");
    let parts: Vec<&str> = line.split_whitespace().collect();
    let at = parts.iter().position(|p| TYPES.contains(p))?;
    let data = parts.get(at + 1).copied().unwrap_or("").to_string();
    let key = Key {
        kind: parts[at].to_string(),
        options: parse_options(&parts[..at].join(" ")),
        comment: parts.get(at + 2..).map(|c| c.join(" ")).unwrap_or_default(),
    };
    Some((data, key))
}

/// The file's lines as entries, last of equal ids winning (as Ansible's dict does).
fn parse_file(text: &str) -> Vec<Entry> {
    let mut all: Vec<Entry> = Vec::new();
    for (rank, line) in text.split_inclusive('\n').enumerate() {
        let commented = line.split_whitespace().next() == Some("#");
        let entry = match parse_key(line).filter(|_| !commented) {
            Some((id, key)) => Entry {
                id,
                key: Some(key),
                rank,
            },
            None => Entry {
                id: line.to_string(),
                key: None,
                rank,
            },
        };
        match all.iter_mut().find(|e| e.id == entry.id) {
            Some(e) => *e = entry,
            None => all.push(entry),
        }
    }
    all
}

fn render(entries: &[Entry]) -> String {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.rank);
    sorted.iter().fold(String::new(), |mut s, e| {
        match &e.key {
            None => s.push_str(&e.id),
            Some(k) => {
                let opts: Vec<String> = k
                    .options
                    .iter()
                    .map(|(n, v)| v.as_ref().map_or(n.clone(), |v| format!("{n}={v}")))
                    .collect();
                if !opts.is_empty() {
                    s.push_str(&opts.join(","));
                    s.push(' ');
                }
                s.push_str(&format!("{} {} {}\n", k.kind, e.id, k.comment));
            }
        }
        s
    })
}

/// Applies the task's keys to the file's entries; true when they changed.
fn apply(args: &Args, keys: &str, entries: &mut Vec<Entry>) -> Result<bool, ModuleResult> {
    let present = args.state == "present";
    let base = entries.len();
    let mut wanted = Vec::new();
    let mut changed = false;
    let lines = keys
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    for (rank, line) in lines.enumerate() {
        let Some((id, mut key)) = parse_key(line) else {
            return Err(ModuleResult::failed(format!(
                "invalid key specified: {line}"
            )));
        };
        if let Some(o) = &args.key_options {
            key.options = parse_options(o);
        }
        if let Some(c) = &args.comment {
            key.comment = c.clone();
        }
        let at = entries.iter().position(|e| e.id == id);
        let matched =
            at.is_some_and(|i| !present || entries[i].key.as_ref().is_some_and(|k| k.same(&key)));
        if present {
            wanted.push(id.clone());
            if let (Some(i), false) = (at, matched) {
                entries.remove(i);
                changed = true;
            }
            if !matched {
                entries.push(Entry {
                    id,
                    key: Some(key),
                    rank: base + rank,
                });
                changed = true;
            }
        } else if let (Some(i), true) = (at, matched) {
            entries.remove(i);
            changed = true;
        }
    }
    if present && args.exclusive {
        let before = entries.len();
        entries.retain(|e| wanted.contains(&e.id));
        changed |= entries.len() != before;
    }
    Ok(changed)
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    let keys = match args.key.starts_with("http") {
        true => fetch(ctx, &args).await?,
        false => args.key.clone(),
    };
    let user = match (&args.path, ctx.check_mode) {
        (Some(_), true) => None,
        _ => Some(lookup_user(ctx, &args).await?),
    };
    let keyfile = match (&args.path, &user) {
        (Some(p), _) => p.clone(),
        (None, Some(u)) => format!("{}/.ssh/authorized_keys", u.home.trim_end_matches('/')),
        (None, None) => unreachable!("the user is looked up when there is no path"),
    };
    let keyfile = match args.follow {
        true => host::run(ctx, &format!("realpath -m -- {}", quote(&keyfile)))
            .await?
            .trim()
            .to_string(),
        false => keyfile,
    };
    let before = textfile::read(ctx, &keyfile).await?.unwrap_or_default();
    let mut entries = parse_file(&before);
    let changed = apply(&args, &keys, &mut entries)?;
    let mut data = match serde_json::to_value(&args) {
        Ok(Json::Object(m)) => m,
        _ => Vars::new(),
    };
    data.insert("keyfile".into(), keyfile.clone().into());
    if changed {
        let after = render(&entries);
        if !ctx.check_mode {
            if let Some(u) = &user {
                prepare(ctx, &args, &keyfile, u).await?;
            }
        }
        textfile::replace(
            ctx,
            &keyfile,
            Some(&before),
            &after,
            Default::default(),
            &mut data,
        )
        .await?;
        if let (false, Some(u)) = (ctx.check_mode, &user) {
            let f = quote(&keyfile);
            host::run(
                ctx,
                &format!("chown {}:{} -- {f}; chmod 0600 -- {f}", u.uid, u.gid),
            )
            .await?;
        }
    }
    if let Some(path) = &args.path {
        textfile::add_path_info(ctx, path, &mut data).await?;
    }
    Ok(ModuleResult::changed(data, changed))
}

async fn lookup_user(ctx: &ModuleCtx<'_>, args: &Args) -> Result<accounts::Passwd, ModuleResult> {
    let found = accounts::query(ctx, Some(&args.user), &[], Some("/"), false).await?;
    found
        .user
        .ok_or_else(|| match (ctx.check_mode, &args.path) {
            (true, None) => ModuleResult::failed(
                "Either user must exist or you must provide full path to key file in check mode",
            ),
            _ => ModuleResult::failed(format!(
                "Failed to lookup user {}: \"getpwnam(): name not found: '{}'\"",
                args.user, args.user
            )),
        })
}

/// `~/.ssh` (with `manage_dir`) and the file's directory made, owned by the user.
async fn prepare(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    keyfile: &str,
    user: &accounts::Passwd,
) -> Result<(), ModuleResult> {
    let f = quote(keyfile);
    let owner = format!("{}:{}", user.uid, user.gid);
    let dir = match &args.path {
        None => format!("{}/.ssh", user.home.trim_end_matches('/')),
        Some(p) => p
            .rsplit_once('/')
            .map_or(".".into(), |(d, _)| d.to_string()),
    };
    let mut script = String::from("set -e; ");
    if args.manage_dir {
        let d = quote(&dir);
        script.push_str(&format!(
            "[ -e {d} ] || mkdir -m 0700 -- {d}; chown {owner} -- {d}; chmod 0700 -- {d}; "
        ));
    }
    script.push_str(&format!("mkdir -p -- \"$(dirname -- {f})\""));
    host::run(ctx, &script).await.map(drop)
}

/// Keys from a URL, fetched on the host.
async fn fetch(ctx: &ModuleCtx<'_>, args: &Args) -> Result<String, ModuleResult> {
    let k = if args.validate_certs { "" } else { " -k" };
    let w = if args.validate_certs {
        ""
    } else {
        " --no-check-certificate"
    };
    let u = quote(&args.key);
    let cmd = format!(
        "if command -v curl >/dev/null; then curl -fsSL{k} -- {u}; else wget -q{w} -O- -- {u}; fi"
    );
    host::run(ctx, &cmd)
        .await
        .map_err(|_| ModuleResult::failed(format!("Error getting key from: {}", args.key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: serde_json::Value) -> Args {
        let mut base = serde_json::json!({"user": "root", "key": "x"});
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn keys_are_added_replaced_and_removed_as_ansible_does() {
        let file = "# mine\nssh-rsa AAAA old@host\nfrom=\"a,b\" ssh-ed25519 BBBB b\n";
        let mut entries = parse_file(file);
        assert_eq!(
            render(&entries),
            "# mine\nssh-rsa AAAA old@host\nfrom=\"a,b\" ssh-ed25519 BBBB b\n"
        );
        let a = args(serde_json::json!({"key_options": "no-pty"}));
        assert!(apply(&a, "ssh-ed25519 BBBB b", &mut entries).unwrap());
        assert!(render(&entries).ends_with("ssh-rsa AAAA old@host\nno-pty ssh-ed25519 BBBB b\n"));
        assert!(!apply(&a, "ssh-ed25519 BBBB b", &mut entries).unwrap());
        let new = args(serde_json::json!({"exclusive": true}));
        assert!(apply(&new, "ssh-ed25519 CCCC", &mut entries).unwrap());
        assert_eq!(render(&entries), "ssh-ed25519 CCCC \n");
        let gone = args(serde_json::json!({"state": "absent"}));
        assert!(apply(&gone, "ssh-ed25519 CCCC other comment", &mut entries).unwrap());
        assert_eq!(render(&entries), "");
        assert!(apply(&gone, "nonsense", &mut entries).is_err());
    }
}

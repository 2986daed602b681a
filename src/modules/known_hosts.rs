//! `known_hosts`: one host's key in a known_hosts file (`path`, `~/.ssh/known_hosts` of the
//! remote user by default). Lookups go through the host's `ssh-keygen -F`, as Ansible's do,
//! so hashed entries are found; a key of the same type is replaced, `state: absent` removes
//! the matching line (or, without `key`, every line of the host with `ssh-keygen -R`);
//! `hash_host` writes the name hashed (HMAC-SHA1 with a random salt).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value as Json;
use sha1::Sha1;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "known_hosts",
    path_args: &["path"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("known_hosts", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "known_hosts", &["state"], &["absent", "present"])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(alias = "host")]
    name: String,
    key: Option<String>,
    #[serde(default = "default_path")]
    path: String,
    #[serde(default, deserialize_with = "de_bool")]
    hash_host: bool,
    #[serde(default = "present")]
    state: String,
}

fn present() -> String {
    "present".into()
}

fn default_path() -> String {
    "~/.ssh/known_hosts".into()
}

/// A known_hosts line's parts, as Ansible compares them.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    marker: Option<String>,
    host: String,
    kind: String,
    key: String,
}

fn parse_line(line: &str) -> Option<Line> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let marked = parts.first()?.starts_with('@');
    let at = usize::from(marked);
    Some(Line {
        marker: marked.then(|| parts[0].to_string()),
        host: parts.get(at)?.to_string(),
        kind: parts.get(at + 1)?.to_string(),
        key: parts.get(at + 2)?.to_string(),
    })
}

/// `host` as a hashed known_hosts name, `|1|salt|hash`.
fn hashed(host: &str) -> String {
    let salt: [u8; 20] = rand::random();
    let mut mac = Hmac::<Sha1>::new_from_slice(&salt).expect("HMAC takes any key length");
    mac.update(host.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "|1|{}|{}",
        b64.encode(salt),
        b64.encode(mac.finalize().into_bytes())
    )
}

/// What `ssh-keygen -F` found: whether the host is there, whether the key must be replaced
/// or added, and the line of a key of the same type.
fn search(out: &str, key: Option<&Line>) -> (bool, bool, Option<usize>) {
    let Some(new) = key else {
        return (true, false, None);
    };
    let mut found_line = None;
    for l in out.lines().filter(|l| !l.is_empty()) {
        if l.starts_with('#') {
            found_line = l
                .split("found: line ")
                .nth(1)
                .and_then(|n| n.split_whitespace().next())
                .and_then(|n| n.parse().ok());
            continue;
        }
        let Some(old) = parse_line(l) else { continue };
        let mut new = new.clone();
        if old.marker.is_none() && new.host.starts_with("|1|") && old.host.starts_with("|1|") {
            new.host = old.host.clone();
        }
        if new == old {
            return (true, false, found_line);
        }
        if old.marker.is_none() && new.kind == old.kind {
            return (true, true, found_line);
        }
    }
    (true, true, None)
}

/// The file with the found line dropped (when replaced or removed) and the key added.
fn rewrite(before: &str, found_line: Option<usize>, drop_it: bool, add: Option<&str>) -> String {
    let mut out: String = before
        .split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !(drop_it && found_line == Some(i + 1)))
        .map(|(_, l)| l)
        .collect();
    if let Some(key) = add {
        out.push_str(key);
    }
    out
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    let host = args.name.to_lowercase();
    let present = args.state == "present";
    if args.key.as_deref().is_none_or(str::is_empty) && present {
        return Err(ModuleResult::failed("No key specified when adding a host"));
    }
    let mut key = args.key.clone().filter(|k| !k.is_empty());
    if let (Some(k), true) = (&key, args.hash_host) {
        let mut parts: Vec<String> = k.split_whitespace().map(String::from).collect();
        let at = usize::from(parts.first().is_some_and(|p| p.starts_with('@')));
        if let Some(name) = parts.get_mut(at) {
            *name = hashed(&host);
        }
        key = Some(parts.join(" "));
    }
    let key = key.map(|k| {
        if k.ends_with('\n') {
            k
        } else {
            format!("{k}\n")
        }
    });
    if key.is_some() && host.contains(',') {
        return Err(ModuleResult::failed("Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file."));
    }
    let probe = probe(ctx, &args.path, &host, key.as_deref()).await?;
    let parsed = key.as_deref().and_then(parse_line);
    let (found, replace, found_line) = match probe.lookup.as_deref() {
        None => (false, false, None),
        Some(out) => search(out, parsed.as_ref()),
    };
    let mut data = Vars::new();
    data.insert("name".into(), args.name.clone().into());
    data.insert(
        "key".into(),
        args.key.clone().map_or(Json::Null, Json::from),
    );
    data.insert("path".into(), probe.path.clone().into());
    data.insert("hash_host".into(), args.hash_host.into());
    data.insert("state".into(), args.state.clone().into());
    let before = probe.text.clone().unwrap_or_default();
    let changed = match (present, &key) {
        (false, Some(_)) if found_line.is_none() => false,
        (false, None) => found,
        _ => replace || present != found,
    };
    if changed {
        let after = match (&key, present) {
            (None, _) => remove_host(ctx, &probe.path, &host, &before).await?,
            (Some(k), _) => rewrite(
                &before,
                found_line,
                replace || !present,
                present.then_some(k.as_str()),
            ),
        };
        let written = probe.text.as_deref();
        let opts = textfile::WriteOpts::default();
        if key.is_some() || ctx.check_mode {
            textfile::replace(ctx, &probe.path, written, &after, opts, &mut data).await?;
        }
    }
    textfile::add_path_info(ctx, &probe.path, &mut data).await?;
    Ok(ModuleResult::changed(data, changed))
}

/// What the host said about the file.
struct Probe {
    /// The path with `~` expanded.
    path: String,
    /// The file's text, when it exists.
    text: Option<String>,
    /// `ssh-keygen -F` output, when the host is in the file.
    lookup: Option<String>,
}

/// Expands the path, checks the key names the host, reads the file and looks the host up.
async fn probe(
    ctx: &ModuleCtx<'_>,
    path: &str,
    host: &str,
    key: Option<&str>,
) -> Result<Probe, ModuleResult> {
    let p = match path.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
        None => quote(path),
    };
    let h = quote(host);
    let sanity = match key {
        Some(_) => format!(
            "t=$(mktemp); cat > \"$t\"; s=$(ssh-keygen -F {h} -f \"$t\" 2>/dev/null); rm -f \"$t\"; \
             [ -n \"$s\" ] || {{ echo 'Host parameter does not match hashed host field in supplied key' >&2; exit 3; }}; "
        ),
        None => String::new(),
    };
    let script = format!(
        "{sanity}p={p}; echo \"$p\"; if [ -e \"$p\" ]; then echo y; \
         o=$(ssh-keygen -F {h} -f \"$p\" 2>&1); echo \"$o\" | base64 -w0; echo; base64 -w0 < \"$p\"; echo; else echo n; fi"
    );
    let out = ctx
        .exec_stdin(&script, key.unwrap_or("").as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        return Err(ModuleResult::failed(out.stderr.trim().to_string()));
    }
    let mut lines = out.stdout.lines();
    let path = lines.next().unwrap_or("").to_string();
    if lines.next() != Some("y") {
        return Ok(Probe {
            path,
            text: None,
            lookup: None,
        });
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut decode = || {
        let l = lines.next().unwrap_or("");
        String::from_utf8_lossy(&b64.decode(l.trim()).unwrap_or_default()).into_owned()
    };
    let lookup = decode().trim_end_matches('\n').to_string();
    let text = decode();
    let lookup = (!lookup.trim().is_empty()).then_some(format!("{lookup}\n"));
    Ok(Probe {
        path,
        text: Some(text),
        lookup,
    })
}

/// Every line of `host` removed (`ssh-keygen -R`); the new text for diff and check mode.
async fn remove_host(
    ctx: &ModuleCtx<'_>,
    path: &str,
    host: &str,
    before: &str,
) -> Result<String, ModuleResult> {
    let kept: String = before
        .split_inclusive('\n')
        .filter(|l| {
            let names = l.split_whitespace().next().unwrap_or("");
            !names.split(',').any(|n| n == host)
        })
        .collect();
    if !ctx.check_mode {
        let cmd = format!(
            "ssh-keygen -R {} -f {} >/dev/null 2>&1",
            quote(host),
            quote(path)
        );
        host::run(ctx, &cmd).await?;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_decide_between_keep_replace_and_add() {
        let new = parse_line("example.com ssh-ed25519 AAAA\n").unwrap();
        let same = "# Host example.com found: line 3\nexample.com ssh-ed25519 AAAA\n";
        assert_eq!(search(same, Some(&new)), (true, false, Some(3)));
        let other = "# Host example.com found: line 2\nexample.com ssh-ed25519 BBBB\n";
        assert_eq!(search(other, Some(&new)), (true, true, Some(2)));
        let rsa = "# Host example.com found: line 1\nexample.com ssh-rsa CCCC\n";
        assert_eq!(search(rsa, Some(&new)), (true, true, None));
        assert_eq!(
            rewrite("a\nb\nc\n", Some(2), true, Some("d\n")),
            "a\nc\nd\n"
        );
        let h = hashed("example.com");
        assert!(h.starts_with("|1|") && h.len() == 3 + 28 + 1 + 28, "{h}");
    }
}

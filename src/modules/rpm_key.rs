//! `rpm_key`: a GPG key in rpm's database, as ansible.builtin.rpm_key manages it — `key` a
//! URL (fetched on the host with curl or wget), a file on the host or a key ID; whether it
//! is imported decided from the key IDs and fingerprints of the keys rpm has (read from
//! their armor in `rpm_key_pgp.rs`, as librpm reads them); `rpm --import` and
//! `rpm --erase gpg-pubkey-<id>` (`rpmkeys --delete <fingerprint>` with rpm 6) only when
//! needed; `fingerprint` checked before importing; check mode changes nothing.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::{de_list, refuse_choice};
use crate::modules::host;
use crate::modules::rpm_key_pgp::{is_pubkey, keys, KeyId};
use crate::modules::{
    argnames, de_bool, typed, yes, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "rpm_key",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("rpm_key", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    key: String,
    #[serde(default = "present")]
    state: String,
    #[serde(default, deserialize_with = "de_list")]
    fingerprint: Vec<String>,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    validate_certs: bool,
}

fn present() -> String {
    "present".into()
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "rpm_key", &["state"], &["absent", "present"])
}

/// Where the key's armor came from: its text and, for a URL, the host's temporary file.
struct Source {
    text: String,
    file: String,
    temporary: bool,
}

async fn run(ctx: &ModuleCtx<'_>, a: Args) -> Outcome {
    let (keyid, source) = identify(ctx, &a).await?;
    let installed = installed_keys(ctx).await?;
    let matching: Vec<&KeyId> = installed
        .iter()
        .filter(|k| k.keyid.ends_with(&keyid) || k.fingerprint == keyid)
        .collect();
    let mut result = ModuleResult::ok(Vars::new());
    let cleanup = |s: &Option<Source>| match s {
        Some(s) if s.temporary => format!("; rm -f -- {}", quote(&s.file)),
        _ => String::new(),
    };
    let imported = !matching.is_empty();
    if imported == (a.state == "present") {
        host::run(ctx, &format!("true{}", cleanup(&source))).await?;
        return Ok(result);
    }
    result.changed = true;
    let cmd = match a.state.as_str() {
        "present" => {
            let Some(s) = &source else {
                let msg = "When importing a key, a valid file must be given";
                return Err(ModuleResult::failed(msg));
            };
            check_fingerprints(&a.fingerprint, &s.text)?;
            format!("rpm --import {}", quote(&s.file))
        }
        _ => drop_command(ctx, &keyid, &matching).await?,
    };
    if !ctx.check_mode {
        host::run(ctx, &format!("{cmd}{}", cleanup(&source))).await?;
    }
    Ok(result)
}

/// The key ID (upper case, without `0x`) the task names, and the armor when it gave one.
async fn identify(ctx: &ModuleCtx<'_>, a: &Args) -> Result<(String, Option<Source>), ModuleResult> {
    let key = a.key.as_str();
    let source = if key.contains("://") {
        Some(fetch(ctx, key, a.validate_certs).await?)
    } else if is_keyid(key) {
        None
    } else {
        let p = quote(key);
        let out = host::run(ctx, &format!("if [ -f {p} ]; then echo y; cat -- {p}; fi")).await?;
        match out.strip_prefix("y\n") {
            Some(text) => Some(Source {
                text: text.to_string(),
                file: key.to_string(),
                temporary: false,
            }),
            None => return Err(ModuleResult::failed(format!("Not a valid key {key}"))),
        }
    };
    let keyid = match &source {
        None => key.to_string(),
        Some(s) => match keys(&s.text).first() {
            Some(k) => k.keyid.clone(),
            None => return Err(ModuleResult::failed("Failed to get keyid")),
        },
    };
    let keyid = keyid.trim().to_uppercase();
    let keyid = keyid.strip_prefix("0X").unwrap_or(&keyid).to_string();
    Ok((keyid, source))
}

/// Ansible's test of a key ID: eight hex digits (with `0x`) at the start, spaces ignored.
fn is_keyid(key: &str) -> bool {
    let k: String = key.chars().filter(|c| *c != ' ').collect();
    let k = k
        .strip_prefix("0x")
        .or_else(|| k.strip_prefix("0X"))
        .unwrap_or(&k);
    k.len() >= 8 && k[..8].chars().all(|c| c.is_ascii_hexdigit())
}

/// The key at `url`, fetched on the host into a temporary file.
async fn fetch(ctx: &ModuleCtx<'_>, url: &str, validate: bool) -> Result<Source, ModuleResult> {
    let (k, nc) = match validate {
        true => ("", ""),
        false => ("-k ", "--no-check-certificate "),
    };
    let u = quote(url);
    let script = format!(
        "f=$(mktemp) || exit 1; if command -v curl >/dev/null; then curl -fsSL {k}-o \"$f\" {u}; \
         else wget -q {nc}-O \"$f\" {u}; fi || {{ rm -f \"$f\"; exit 1; }}; echo \"$f\"; cat -- \"$f\""
    );
    let out = ctx
        .exec(&script)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    let Some((file, text)) = out.stdout.split_once('\n').filter(|_| out.rc == 0) else {
        let msg = format!(
            "failed to fetch key at {url} , error was: {}",
            out.stderr.trim()
        );
        return Err(ModuleResult::failed(msg));
    };
    if !is_pubkey(text) {
        host::run(ctx, &format!("rm -f -- {}", quote(file))).await?;
        return Err(ModuleResult::failed(format!("Not a public key: {url}")));
    }
    Ok(Source {
        text: text.to_string(),
        file: file.to_string(),
        temporary: true,
    })
}

/// The keys rpm has: every key and subkey of each `gpg-pubkey`'s armor.
async fn installed_keys(ctx: &ModuleCtx<'_>) -> Result<Vec<KeyId>, ModuleResult> {
    let out = host::run(
        ctx,
        "rpm -q gpg-pubkey >/dev/null 2>&1 && rpm -q gpg-pubkey --qf '%{description}\\n'; true",
    )
    .await?;
    Ok(keys(&out))
}

/// Fails unless every fingerprint asked for is one of the key file's.
fn check_fingerprints(wanted: &[String], armor: &str) -> Result<(), ModuleResult> {
    let wanted: BTreeSet<String> = wanted
        .iter()
        .map(|f| f.replace(' ', "").to_uppercase())
        .collect();
    let found: BTreeSet<String> = keys(armor).into_iter().map(|k| k.fingerprint).collect();
    if wanted.is_subset(&found) {
        return Ok(());
    }
    // Python's reprs of a set and a frozenset.
    let set = |s: &BTreeSet<String>| {
        let items: Vec<String> = s.iter().map(|f| format!("'{f}'")).collect();
        format!("{{{}}}", items.join(", "))
    };
    Err(ModuleResult::failed(format!(
        "The specified fingerprint, '{}', does not match any key fingerprints in 'frozenset({})'",
        set(&wanted),
        set(&found)
    )))
}

/// The command that removes the key: `rpmkeys --delete` of its one fingerprint with rpm 6,
/// `rpm --erase --allmatches gpg-pubkey-<short id>` before.
async fn drop_command(
    ctx: &ModuleCtx<'_>,
    keyid: &str,
    matching: &[&KeyId],
) -> Result<String, ModuleResult> {
    let version = host::run(ctx, "rpm --version").await?;
    let major = version
        .split_whitespace()
        .last()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(4);
    if major >= 6 {
        return match matching {
            [one] => Ok(format!("rpmkeys --delete {}", one.fingerprint)),
            _ => Err(ModuleResult::failed(format!("Supplied key ID {keyid} matches more than one fingerprint. Try using the fingerprint instead."))),
        };
    }
    let id = matching
        .iter()
        .find(|k| k.fingerprint == keyid)
        .map_or(keyid, |k| k.keyid.as_str());
    let short = id[id.len().saturating_sub(8)..].to_lowercase();
    Ok(format!("rpm --erase --allmatches gpg-pubkey-{short}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_eight_hex_digits_at_the_start() {
        for (key, want) in [
            ("DEADBEEF", true),
            ("0xdeadbeef", true),
            ("dead beef 1234", true),
            ("/etc/pki/key.asc", false),
            ("deadbee", false),
        ] {
            assert_eq!(is_keyid(key), want, "{key}");
        }
    }
}

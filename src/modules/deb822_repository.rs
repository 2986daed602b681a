//! `deb822_repository`: an apt source in the deb822 format
//! (`/etc/apt/sources.list.d/<slug>.sources`), written from the task's fields as
//! ansible.builtin.deb822_repository writes it — fields in argument-name order, booleans as
//! yes/no, lists joined, multi-line values indented — only when its text or mode differs; a
//! `signed_by` URL is downloaded on the host into `/etc/apt/keyrings/<slug>.asc|gpg`.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::checksum::sha1_hex;
use crate::connection::quote;
use crate::modules::args::{de_list, refuse_choice};
use crate::modules::host::{self, run};
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "deb822_repository",
    args: Some(|| [argnames::of::<Args>(), FIELDS].concat()),
    check: Some(check),
    run: |ctx, args| Box::pin(run_module(ctx, args)),
    ..DEFAULTS
};

/// The source's fields, in the order Ansible writes them (its argument names, sorted).
const FIELDS: &[&str] = &[
    "allow_downgrade_to_insecure",
    "allow_insecure",
    "allow_weak",
    "architectures",
    "by_hash",
    "check_date",
    "check_valid_until",
    "components",
    "date_max_future",
    "enabled",
    "inrelease_path",
    "languages",
    "name",
    "pdiffs",
    "signed_by",
    "suites",
    "targets",
    "trusted",
    "types",
    "uris",
];

#[derive(Deserialize)]
struct Args {
    name: String,
    #[serde(default = "mode")]
    mode: Json,
    #[serde(default = "present")]
    state: String,
    #[serde(default = "deb", deserialize_with = "de_list")]
    types: Vec<String>,
}

fn mode() -> Json {
    "0644".into()
}
fn present() -> String {
    "present".into()
}
fn deb() -> Vec<String> {
    vec!["deb".into()]
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(
        args,
        "deb822_repository",
        &["state"],
        &["absent", "present"],
    )
}

const KEYRINGS: &str = "/etc/apt/keyrings";

/// `name` as Ansible turns it into file names: lower case, `_` and spaces to `-`, the rest
/// of `[a-z0-9-]` dropped.
fn slug(name: &str) -> String {
    let dashed = regex::Regex::new(r"[_\s]+")
        .expect("valid regex")
        .replace_all(&name.to_lowercase(), "-")
        .into_owned();
    dashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// `allow_weak` → `Allow-Weak` (`name` → `X-Repolib-Name`, `uris` → `URIs`).
fn field_name(key: &str) -> String {
    match key {
        "name" => "X-Repolib-Name".into(),
        "uris" => "URIs".into(),
        _ => key
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// A field's value as text (`None`: the field is left out).
fn value_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        Json::Array(items) => Some(
            items
                .iter()
                .map(|i| i.as_str().map_or(i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A multi-line value: each line indented by four, empty lines as `.`.
fn multiline(v: &str) -> String {
    let lines: Vec<String> = v
        .trim()
        .lines()
        .map(|l| {
            let l = l.trim();
            format!("    {}", if l.is_empty() { "." } else { l })
        })
        .collect();
    format!("\n{}", lines.join("\n"))
}

async fn run_module(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let raw = args.clone();
    typed("deb822_repository", args, move |a| apply(ctx, a, raw)).await
}

async fn apply(ctx: &ModuleCtx<'_>, a: Args, raw: Vars) -> Outcome {
    let slug = slug(&a.name);
    let dest = format!("/etc/apt/sources.list.d/{slug}.sources");
    if a.state == "absent" {
        return absent(ctx, &slug, &dest).await;
    }
    if let Some(bad) = a.types.iter().find(|t| *t != "deb" && *t != "deb-src") {
        let msg =
            format!("value of types must be one or more of: deb, deb-src. Got no match for: {bad}");
        return Err(ModuleResult::failed(msg));
    }
    let mut changed = false;
    let mut key_filename = Json::Null;
    let mut text = String::new();
    for key in FIELDS {
        let value = match *key {
            "types" => Some(a.types.join(" ")),
            "architectures" | "components" | "languages" | "suites" | "targets" | "uris" => {
                raw.get(*key).and_then(|v| match v {
                    Json::String(s) => {
                        value_text(&json!(s.split(',').map(str::trim).collect::<Vec<_>>()))
                    }
                    other => value_text(other),
                })
            }
            _ => raw.get(*key).and_then(value_text),
        };
        let Some(mut value) = value else { continue };
        if *key == "signed_by" {
            let (key_changed, file) = signed_by(ctx, &value, &slug).await?;
            changed |= key_changed;
            if let Some(f) = file {
                key_filename = f.clone().into();
                value = f;
            }
        }
        if value.contains('\n') {
            value = multiline(&value);
        }
        let sep = if value.is_empty() || value.starts_with('\n') {
            ":"
        } else {
            ": "
        };
        text.push_str(&format!("{}{sep}{value}\n", field_name(key)));
    }
    let current = run(
        ctx,
        &format!("sha1sum {} 2>/dev/null | cut -d' ' -f1; true", quote(&dest)),
    )
    .await?;
    if current.trim() != sha1_hex(text.as_bytes()) {
        if !ctx.check_mode {
            host::write(ctx, &dest, text.as_bytes()).await?;
        }
        changed = true;
    }
    changed |= set_mode(ctx, &dest, &a.mode).await?;
    let mut data = path_info(ctx, &dest).await?;
    data.insert("repo".into(), text.into());
    data.insert("dest".into(), dest.into());
    data.insert("key_filename".into(), key_filename);
    Ok(ModuleResult {
        changed,
        ..ModuleResult::ok(data)
    })
}

/// What Ansible adds to a result that names a `dest`: its owner, mode, size, state.
async fn path_info(ctx: &ModuleCtx<'_>, dest: &str) -> Result<Vars, ModuleResult> {
    let st = host::stat(ctx, dest, false).await?;
    let mut info = host::path_result(dest, &st);
    info.shift_remove("path");
    Ok(info)
}

/// `mode` on `path` when it differs (and the file is there); whether it changed.
async fn set_mode(ctx: &ModuleCtx<'_>, path: &str, mode: &Json) -> Result<bool, ModuleResult> {
    let mode = match mode {
        Json::Number(n) => format!("{:o}", n.as_u64().unwrap_or(0o644)),
        Json::String(s) => s.trim_start_matches("0o").to_string(),
        _ => "644".into(),
    };
    let want = u32::from_str_radix(&mode, 8).unwrap_or(0o644);
    let p = quote(path);
    let have = run(ctx, &format!("stat -c %a {p} 2>/dev/null; true")).await?;
    let have = u32::from_str_radix(have.trim(), 8).ok();
    if have.is_none_or(|h| h == want) {
        return Ok(false);
    }
    if !ctx.check_mode {
        run(ctx, &format!("chmod {want:o} {p}")).await?;
    }
    Ok(true)
}

/// `signed_by`: a file on the host stays as it is; a URL is downloaded into the keyrings
/// directory; anything else is the key itself. Whether a key file changed, and its path.
async fn signed_by(
    ctx: &ModuleCtx<'_>,
    value: &str,
    slug: &str,
) -> Result<(bool, Option<String>), ModuleResult> {
    let v = quote(value);
    let is_file = run(ctx, &format!("[ -f {v} ] && echo file; true")).await?;
    if is_file.trim() == "file" {
        return Ok((false, Some(value.to_string())));
    }
    if !regex::Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:")
        .expect("valid regex")
        .is_match(value)
    {
        return Ok((false, None));
    }
    let script = format!(
        "t=$(mktemp) && if command -v curl >/dev/null; then curl -fsSL -o \"$t\" {v}; \
         elif command -v wget >/dev/null; then wget -q -O \"$t\" {v}; \
         else echo 'neither curl nor wget is installed' >&2; false; fi && \
         if grep -q 'BEGIN PGP PUBLIC KEY BLOCK' \"$t\"; then e=asc; else e=gpg; fi && \
         f={KEYRINGS}/{slug}.$e && if cmp -s \"$t\" \"$f\"; then echo \"same $f\"; rm -f \"$t\"; \
         else echo \"new $f\"; if [ -z \"$FERRY_CHECK\" ]; then mkdir -p -m 755 {KEYRINGS} && mv \"$t\" \"$f\" && chmod 644 \"$f\"; else rm -f \"$t\"; fi; fi"
    );
    let check = if ctx.check_mode {
        "FERRY_CHECK=1; "
    } else {
        "FERRY_CHECK=; "
    };
    let out = run(ctx, &format!("{check}{script}"))
        .await
        .map_err(|mut e| {
            let msg = e
                .data
                .get("msg")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            e.data.insert(
                "msg".into(),
                format!("Could not fetch signed_by key: {msg}").into(),
            );
            e
        })?;
    let (state, file) = out.trim().split_once(' ').unwrap_or(("same", ""));
    Ok((state == "new", Some(file.to_string())))
}

/// `state: absent`: the sources file and its downloaded keys removed.
async fn absent(ctx: &ModuleCtx<'_>, slug: &str, dest: &str) -> Outcome {
    let files = [
        dest.to_string(),
        format!("{KEYRINGS}/{slug}.asc"),
        format!("{KEYRINGS}/{slug}.gpg"),
    ];
    let quoted: Vec<String> = files.iter().map(|f| quote(f)).collect();
    let rm = if ctx.check_mode { "" } else { "rm -f \"$f\"; " };
    let script = format!(
        "for f in {}; do if [ -e \"$f\" ]; then echo \"$f\"; {rm}fi; done; true",
        quoted.join(" ")
    );
    let out = run(ctx, &script).await?;
    let mut data = Vars::new();
    data.insert("repo".into(), Json::Null);
    data.insert("dest".into(), dest.into());
    data.insert("key_filename".into(), json!(files[2]));
    Ok(ModuleResult {
        changed: !out.trim().is_empty(),
        ..ModuleResult::ok(data)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_slugs_and_fields() {
        assert_eq!(slug("My Repo_1!"), "my-repo-1");
        assert_eq!(
            field_name("allow_downgrade_to_insecure"),
            "Allow-Downgrade-To-Insecure"
        );
        assert_eq!(field_name("uris"), "URIs");
        assert_eq!(field_name("name"), "X-Repolib-Name");
        assert_eq!(multiline("A\n\nB\n"), "\n    A\n    .\n    B");
    }
}

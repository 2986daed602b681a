//! `user`'s `generate_ssh_key`: a key pair made with `ssh-keygen` in the user's home unless
//! one is there (`force` replaces it), owned by the user; the result's `ssh_fingerprint`,
//! `ssh_key_file` and `ssh_public_key`. The passphrase travels on stdin.

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::accounts::Passwd;
use crate::modules::user_args::Args;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// The key file: `ssh_key_file` (relative to the home) or `.ssh/id_<type>`.
fn key_path(args: &Args, user: &Passwd) -> String {
    let rel = args
        .ssh_key_file
        .clone()
        .unwrap_or_else(|| format!(".ssh/id_{}", args.ssh_key_type));
    match rel.starts_with('/') {
        true => rel,
        false => format!("{}/{rel}", user.home.trim_end_matches('/')),
    }
}

/// The remote script: generate when needed (`gen:` printed), then the fingerprint's exit
/// code and text, and the public key.
fn script(args: &Args, user: &Passwd, path: &str, check: bool) -> String {
    let f = quote(path);
    let comment = match &args.ssh_key_comment {
        Some(c) => quote(c),
        None => "\"ansible-generated on $(hostname)\"".into(),
    };
    let bits = match args.ssh_key_bits {
        Some(b) if b > 0 => format!(" -b {b}"),
        _ => String::new(),
    };
    let make = match check {
        true => "echo gen:".to_string(),
        false => format!(
            "d=$(dirname -- {f}); if [ ! -d \"$d\" ]; then mkdir -m 0700 -- \"$d\" && chown {uid}:{gid} -- \"$d\"; fi; \
             rm -f -- {f} {f}.pub; IFS= read -r pw || true; \
             ssh-keygen -q -t {t}{bits} -C {comment} -f {f} -N \"$pw\" </dev/null >&2 || exit 1; \
             chown {uid}:{gid} -- {f} {f}.pub; echo gen:",
            uid = user.uid,
            gid = user.gid,
            t = quote(&args.ssh_key_type),
        ),
    };
    let force = if args.force { "1" } else { "0" };
    format!(
        "g=1; if [ -e {f} ] || [ -e {f}.pub ]; then [ {force} = 1 ] || g=0; fi; \
         if [ $g = 1 ]; then {make}; fi; \
         fp=$(ssh-keygen -l -f {f} 2>&1); echo \"fprc:$?\"; echo \"fp:$fp\"; \
         if [ -r {f}.pub ]; then echo \"pub:$(cat -- {f}.pub)\"; fi"
    )
}

/// Generates the key pair if needed and records what Ansible returns; true when generated
/// (or would be, in check mode).
pub(crate) async fn generate(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    user: &Passwd,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    let path = key_path(args, user);
    let input = format!("{}\n", args.ssh_key_passphrase.as_deref().unwrap_or(""));
    let out = ctx
        .exec_stdin(&script(args, user, &path, ctx.check_mode), input.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        let mut r = ModuleResult::failed(out.stderr.trim().to_string());
        r.data.insert("name".into(), args.name.clone().into());
        r.data.insert("rc".into(), out.rc.into());
        return Err(r);
    }
    let mut generated = false;
    let mut public = Json::Null;
    let mut fingerprint = String::new();
    for line in out.stdout.lines() {
        match line.split_once(':') {
            Some(("gen", _)) => generated = true,
            Some(("fp", fp)) => fingerprint = fp.trim().to_string(),
            Some(("pub", key)) => public = key.trim().into(),
            _ if !line.is_empty() && !fingerprint.is_empty() => {
                fingerprint = format!("{fingerprint}\n{}", line.trim());
            }
            _ => {}
        }
    }
    data.insert("ssh_fingerprint".into(), fingerprint.into());
    data.insert("ssh_key_file".into(), path.into());
    data.insert("ssh_public_key".into(), public);
    Ok(generated)
}

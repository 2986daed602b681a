//! `get_url`: downloads a file on the host (as Ansible does: the host makes the request, with
//! the curl or wget it has; see `get_url_fetch.rs`). With a `checksum` and a file already
//! there that matches it, nothing is downloaded; without one, an existing file is asked for
//! only if newer (`If-Modified-Since`) and replaced only when its sha1 differs. The body is
//! checked against `checksum` before it is moved into place.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::get_url_fetch::{self, Request, Response};
use crate::modules::host::{self, Attrs};
use crate::modules::net_args::boolean;
use crate::modules::{
    de_bool, de_u64, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "get_url",
    path_args: &["dest", "tmp_dest"],
    args: Some(file_arg_names::<Args>),
    check: Some(check),
    run: |ctx, args| Box::pin(typed_file("get_url", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    url: String,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    /// `algorithm:hex` or `algorithm:URL of a checksum file`.
    #[serde(default)]
    checksum: String,
    #[serde(default = "ten", deserialize_with = "de_u64")]
    timeout: u64,
    headers: Option<Vars>,
    /// A directory on the host for the download before it is moved to `dest`.
    tmp_dest: Option<String>,
    /// curl sends custom headers after a redirect too; accepted and not acted on.
    #[serde(default)]
    #[allow(dead_code)]
    unredirected_headers: Vec<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    decompress: bool,
    ciphers: Option<Json>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    use_netrc: bool,
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default = "agent")]
    http_agent: String,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    use_proxy: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    #[serde(alias = "username")]
    url_username: Option<String>,
    #[serde(alias = "password")]
    url_password: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    force_basic_auth: bool,
    client_cert: Option<String>,
    client_key: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    use_gssapi: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

fn ten() -> u64 {
    10
}
fn agent() -> String {
    "ansible-httpget".into()
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    const FLAGS: &[&str] = &[
        "backup",
        "decompress",
        "force",
        "force_basic_auth",
        "use_gssapi",
        "use_netrc",
        "use_proxy",
        "validate_certs",
    ];
    boolean(args, "get_url", FLAGS)?;
    if let Some(Json::String(sum)) = args.get("checksum") {
        if !sum.is_empty() && !sum.contains("{{") {
            let algo = sum.split_once(':').map_or("", |(a, _)| a);
            choice_of_algo(algo)?;
        }
    }
    Ok(())
}

const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

fn choice_of_algo(algo: &str) -> Result<(), ArgProblem> {
    let mut a = Vars::new();
    a.insert("checksum".into(), algo.into());
    refuse_choice(&a, "get_url", &["checksum"], ALGORITHMS).map_err(|mut p| {
        p.message = format!(
            "the checksum of module 'get_url' must be <algorithm>:<checksum> with an algorithm \
             of {}, got algorithm '{algo}'",
            ALGORITHMS.join(", ")
        );
        p
    })
}

/// The checksum asked for: algorithm and lowercase hex.
struct Wanted {
    algo: String,
    hex: String,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let mut data = Vars::new();
    data.insert("dest".into(), args.dest.clone().into());
    data.insert("url".into(), args.url.clone().into());
    data.insert("elapsed".into(), 0.into());
    let fail = |msg: String, data: &Vars| {
        let mut r = ModuleResult::failed(msg);
        r.data.extend(data.clone());
        r
    };
    let wanted = wanted(ctx, &args).await.map_err(|m| fail(m, &data))?;
    let dest_st = host::stat(ctx, &args.dest, false).await?;
    let dest_is_dir = dest_st.is_dir();
    let mut newer_than = None;
    if !dest_is_dir && dest_st.exists {
        if let (Some(w), false) = (&wanted, args.force) {
            if digest(ctx, &w.algo, &args.dest).await? == w.hex {
                return already_there(ctx, &args, data).await;
            }
        } else if !args.force {
            newer_than = Some(args.dest.as_str());
        }
    }
    let tmp_dir = tmp_dir(ctx, &args, dest_is_dir)
        .await
        .map_err(|m| fail(m, &data))?;
    let start = std::time::Instant::now();
    let resp =
        get_url_fetch::fetch(ctx, &request(&args, newer_than, &tmp_dir, ctx.check_mode)).await?;
    data.insert("elapsed".into(), start.elapsed().as_secs().into());
    if let Some(r) = refused(ctx, &args, &resp, &data).await? {
        return Ok(r);
    }
    data.insert("src".into(), resp.tmp.clone().into());
    let dest = match dest_is_dir {
        true => {
            let name = get_url_fetch::disposition_name(&resp)
                .unwrap_or_else(|| get_url_fetch::url_filename(&resp.url));
            format!("{}/{name}", args.dest.trim_end_matches('/'))
        }
        false => args.dest.clone(),
    };
    data.insert("dest".into(), dest.clone().into());
    place(ctx, &args, &resp, wanted.as_ref(), &dest, data).await
}

/// `checksum` read: the hex itself, or the line for the URL's file in a checksum file.
async fn wanted(ctx: &ModuleCtx<'_>, args: &Args) -> Result<Option<Wanted>, String> {
    if args.checksum.is_empty() {
        return Ok(None);
    }
    let Some((algo, sum)) = args.checksum.split_once(':') else {
        return Err("The checksum parameter has to be in format <algorithm>:<checksum>".into());
    };
    if !ALGORITHMS.contains(&algo) {
        return Err(format!(
            "Unsupported hash algorithm '{algo}': use one of {}",
            ALGORITHMS.join(", ")
        ));
    }
    let sum = match sum.contains("://") {
        true => checksum_from_url(ctx, args, sum).await?,
        false => sum.to_string(),
    };
    let hex: String = sum
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase();
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("The checksum format is invalid".into());
    }
    Ok(Some(Wanted {
        algo: algo.to_string(),
        hex,
    }))
}

/// Downloads a checksum file and finds the line of the URL's file in it.
async fn checksum_from_url(ctx: &ModuleCtx<'_>, args: &Args, url: &str) -> Result<String, String> {
    let dir = args.tmp_dest.clone().unwrap_or_else(|| "/tmp".into());
    let mut req = request(args, None, &dir, false);
    req.url = url;
    let resp = get_url_fetch::fetch(ctx, &req).await.map_err(msg_of)?;
    let text = host::read(ctx, &resp.tmp).await.map_err(msg_of);
    let _ = host::run(ctx, &format!("rm -f -- {}", quote(&resp.tmp))).await;
    if resp.status != 200 && !url.starts_with("file:") {
        return Err(format!("Request failed: {} ({url})", resp.reason()));
    }
    let text = String::from_utf8_lossy(&text?).into_owned();
    let filename = get_url_fetch::url_filename(&args.url);
    find_checksum(&text, &filename)
        .ok_or_else(|| format!("Unable to find a checksum for file '{filename}' in '{url}'"))
}

/// The checksum of `filename` in a checksum file (`HEX  name`, `HEX *name`), or its only word.
fn find_checksum(text: &str, filename: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    if let [only] = lines[..] {
        if only.split_whitespace().count() == 1 {
            return Some(only.trim().to_string());
        }
    }
    lines.iter().find_map(|line| {
        let (sum, name) = line.split_once(' ')?;
        let name = name.strip_prefix([' ', '*']).unwrap_or(name);
        (name.trim_start_matches(['.', '/']) == filename).then(|| sum.to_string())
    })
}

fn msg_of(r: ModuleResult) -> String {
    r.data
        .get("msg")
        .and_then(Json::as_str)
        .unwrap_or("failed")
        .to_string()
}

/// The request `args` describe.
fn request<'a>(
    args: &'a Args,
    newer_than: Option<&'a str>,
    tmp_dir: &'a str,
    head: bool,
) -> Request<'a> {
    let ciphers = match &args.ciphers {
        Some(Json::Array(list)) => Some(
            list.iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join(":"),
        ),
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    };
    Request {
        url: &args.url,
        head,
        headers: args.headers.as_ref(),
        user: args.url_username.as_deref(),
        password: args.url_password.as_deref(),
        force_basic_auth: args.force_basic_auth,
        timeout: args.timeout,
        validate_certs: args.validate_certs,
        use_proxy: args.use_proxy,
        use_netrc: args.use_netrc,
        use_gssapi: args.use_gssapi,
        decompress: args.decompress,
        agent: &args.http_agent,
        client_cert: args.client_cert.as_deref(),
        client_key: args.client_key.as_deref(),
        ciphers,
        newer_than,
        tmp_dir,
    }
}

/// Where the download goes first: `tmp_dest` (which must be a directory), else beside `dest`
/// (so the move into place is a rename), whose directory must exist.
async fn tmp_dir(ctx: &ModuleCtx<'_>, args: &Args, dest_is_dir: bool) -> Result<String, String> {
    if let Some(t) = &args.tmp_dest {
        let st = host::stat(ctx, t, false).await.map_err(msg_of)?;
        return match (st.is_dir(), st.exists) {
            (true, _) => Ok(t.clone()),
            (false, true) => Err(format!("{t} is a file but should be a directory.")),
            (false, false) => Err(format!("{t} directory does not exist.")),
        };
    }
    if dest_is_dir {
        return Ok(args.dest.clone());
    }
    let parent = match args.dest.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((d, _)) => d.to_string(),
        None => ".".to_string(),
    };
    match host::stat(ctx, &parent, false)
        .await
        .map_err(msg_of)?
        .is_dir()
    {
        true => Ok(parent),
        false => Err(format!("Destination {parent} does not exist")),
    }
}

/// The `algo` digest of a file on the host (empty when it cannot be read).
async fn digest(ctx: &ModuleCtx<'_>, algo: &str, path: &str) -> Result<String, ModuleResult> {
    let out = host::run(
        ctx,
        &format!("{algo}sum -- {} 2>/dev/null; true", quote(path)),
    )
    .await?;
    Ok(out.split_whitespace().next().unwrap_or("").to_string())
}

/// The file there matches the checksum: only its attributes may change.
async fn already_there(ctx: &ModuleCtx<'_>, args: &Args, mut data: Vars) -> Outcome {
    data.insert("checksum_dest".into(), Json::Null);
    data.insert("checksum_src".into(), Json::Null);
    let st = host::stat(ctx, &args.dest, false).await?;
    let changed = host::fix_attrs(ctx, &args.dest, &st, &args.attrs).await?;
    let msg = match changed {
        true => "file already exists but file attributes changed",
        false => "file already exists",
    };
    data.insert("msg".into(), msg.into());
    finish(ctx, &args.dest, changed, data).await
}

/// A 304, or a status that is not 200: the result that ends the task here.
async fn refused(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    resp: &Response,
    data: &Vars,
) -> Result<Option<ModuleResult>, ModuleResult> {
    let ok_scheme = args.url.starts_with("file:/") || args.url.starts_with("ftp:/");
    if (resp.status == 200 || ok_scheme) && resp.rc == 0 {
        return Ok(None);
    }
    host::run(ctx, &format!("rm -f -- {}", quote(&resp.tmp))).await?;
    let mut r = if resp.status == 304 {
        let mut data = data.clone();
        data.insert("msg".into(), resp.reason().into());
        data.insert("status_code".into(), 304.into());
        return finish(ctx, &args.dest, false, data).await.map(Some);
    } else if resp.status == 0 || resp.status == 200 {
        let mut r = ModuleResult::failed(format!("Request failed: {}", resp.error));
        r.data.extend(data.clone());
        r
    } else {
        let mut r = ModuleResult::failed("Request failed");
        r.data.extend(data.clone());
        r.data.insert("response".into(), resp.reason().into());
        r
    };
    if resp.status != 0 {
        r.data.insert("status_code".into(), resp.status.into());
    }
    Ok(Some(r))
}

/// Compares the download with `dest`, checks the checksum, moves it into place if it
/// differs (after a backup), then fixes the attributes.
async fn place(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    resp: &Response,
    wanted: Option<&Wanted>,
    dest: &str,
    mut data: Vars,
) -> Outcome {
    let tmp = quote(&resp.tmp);
    let sums = host::run(
        ctx,
        &format!(
            "sha1sum -- {tmp}; sha1sum -- {} 2>/dev/null; true",
            quote(dest)
        ),
    )
    .await?;
    let mut words = sums
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""));
    let src_sum = words.next().unwrap_or("").to_string();
    let dest_sum = words.next().map(str::to_string);
    data.insert("checksum_src".into(), src_sum.clone().into());
    data.insert(
        "checksum_dest".into(),
        dest_sum.clone().map_or(Json::Null, Json::from),
    );
    let differs = dest_sum.as_deref() != Some(src_sum.as_str());
    if ctx.check_mode {
        host::run(ctx, &format!("rm -f -- {tmp}")).await?;
        data.insert("msg".into(), resp.ok_msg().into());
        let mut r = ModuleResult::ok(data);
        r.changed = differs;
        return Ok(r);
    }
    if let Some(w) = wanted {
        let got = digest(ctx, &w.algo, &resp.tmp).await?;
        if got != w.hex {
            host::run(ctx, &format!("rm -f -- {tmp}")).await?;
            let msg = format!(
                "The checksum for {} did not match {}; it was {got}.",
                resp.tmp, w.hex
            );
            let mut r = ModuleResult::failed(msg);
            r.data.extend(data.into_iter().filter(|(k, _)| k != "msg"));
            return Err(r);
        }
    }
    if differs {
        if args.backup && dest_sum.is_some() {
            let b = crate::modules::host::put::backup(ctx, dest).await?;
            data.insert("backup_file".into(), b.into());
        }
        host::run(ctx, &move_script(&resp.tmp, dest)).await?;
    } else {
        host::run(ctx, &format!("rm -f -- {tmp}")).await?;
    }
    let st = host::stat(ctx, dest, false).await?;
    let changed = host::fix_attrs(ctx, dest, &st, &args.attrs).await? || differs;
    let md5 = host::run(ctx, &format!("md5sum -- {} 2>/dev/null; true", quote(dest))).await?;
    let md5 = md5.split_whitespace().next().map_or(Json::Null, Json::from);
    data.insert("md5sum".into(), md5);
    data.insert("msg".into(), resp.ok_msg().into());
    data.insert("status_code".into(), resp.status.into());
    finish(ctx, dest, changed, data).await
}

/// Renames the download over `dest`, which keeps its mode and owner; a new file gets the
/// umask's mode (not the temporary file's 0600), as Ansible's atomic move does.
fn move_script(tmp: &str, dest: &str) -> String {
    let (t, d) = (quote(tmp), quote(dest));
    format!(
        "if [ -e {d} ]; then chmod --reference={d} -- {t} && chown --reference={d} -- {t}; \
         else chmod \"$(printf '%o' $(( 0666 & ~0$(umask) )))\" -- {t}; fi && mv -f -- {t} {d}"
    )
}

/// The result with `dest`'s path information (mode, owner, size, state...).
async fn finish(ctx: &ModuleCtx<'_>, dest: &str, changed: bool, mut data: Vars) -> Outcome {
    let st = host::stat(ctx, dest, false).await?;
    let mut info = host::path_result(dest, &st);
    info.remove("path");
    data.extend(info);
    let mut r = ModuleResult::ok(data);
    r.changed = changed;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_files_name_the_file() {
        let text = "abc123  other.tgz\ndef456 *./pkg.tgz\n";
        assert_eq!(find_checksum(text, "pkg.tgz").as_deref(), Some("def456"));
        assert_eq!(find_checksum("feed01\n", "x").as_deref(), Some("feed01"));
        assert_eq!(find_checksum(text, "missing.tgz"), None);
    }
}

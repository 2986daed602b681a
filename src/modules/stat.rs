//! `stat`: reports what is at a path on the host, with the keys Ansible's `stat` returns (type
//! flags, permission bits, times, owner names, link target and source, a checksum in the asked
//! algorithm, the `file` command's mime type and charset, `lsattr` flags); changes nothing.
//! One remote script gathers it all.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::{self, fattrs};
use crate::modules::{
    argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "stat",
    path_args: &["path", "dest", "name"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("stat", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    get_checksum: bool,
    #[serde(default = "sha1", alias = "checksum", alias = "checksum_algo")]
    checksum_algorithm: String,
    #[serde(
        default = "crate::modules::yes",
        deserialize_with = "de_bool",
        alias = "mime",
        alias = "mime_type",
        alias = "mime-type"
    )]
    get_mime: bool,
    #[serde(
        default = "crate::modules::yes",
        deserialize_with = "de_bool",
        alias = "attr",
        alias = "attributes"
    )]
    get_attributes: bool,
    /// Report on the file a symlink points to rather than on the link.
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
}

fn sha1() -> String {
    "sha1".into()
}

/// The algorithms `checksum_algorithm` takes; each has a `<name>sum` command.
const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

/// Type bits, permissions, owner names, sizes, ids, times (with nanoseconds), device numbers.
const FORMAT: &str = "%f|%a|%U|%G|%s|%u|%g|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%B|%r";

const ABSENT: &str = "__ferry_absent__";

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if !ALGORITHMS.contains(&args.checksum_algorithm.as_str()) {
        return Err(ModuleResult::failed(format!(
            "value of checksum_algorithm must be one of: {}, got: {}",
            ALGORITHMS.join(", "),
            args.checksum_algorithm
        )));
    }
    let out = host::run(ctx, &script(&args)).await?;
    let stat = parse(&args, &out).map_err(ModuleResult::failed)?;
    let mut data = Vars::new();
    data.insert("stat".into(), Json::Object(stat));
    Ok(ModuleResult::ok(data))
}

/// The remote script: the stat line, then one `key=value` line per other fact.
fn script(args: &Args) -> String {
    let p = quote(&args.path);
    let l = if args.follow { "-L " } else { "" };
    let mut s = format!(
        "s=$(stat {l}-c '{FORMAT}' -- {p} 2>/dev/null) || {{ echo {ABSENT}; exit 0; }}; \
         echo \"$s\"; \
         for t in r w x; do if [ -$t {p} ]; then echo access$t=1; else echo access$t=0; fi; done; "
    );
    if !args.follow {
        let _ = write!(
            s,
            "if [ -L {p} ]; then echo \"target=$(readlink -- {p})\"; \
             echo \"source=$(realpath -- {p})\"; fi; "
        );
    }
    if args.get_checksum {
        let not_link = if args.follow { "" } else { " && ! [ -L {p} ]" };
        let _ = write!(
            s,
            "if [ -f {p} ] && [ -r {p} ]{}; then echo \"sum=$({}sum < {p})\"; fi; ",
            not_link.replace("{p}", &p),
            args.checksum_algorithm
        );
    }
    if args.get_mime {
        let _ = write!(
            s,
            "echo \"mime=$(file --mime-type --mime-encoding {p} 2>/dev/null)\"; "
        );
    }
    if args.get_attributes {
        let _ = write!(s, "echo \"attr=$(lsattr -vd -- {p} 2>/dev/null)\"; ");
    }
    s
}

/// Reads what [`script`] printed into Ansible's `stat` mapping.
fn parse(args: &Args, out: &str) -> Result<Vars, String> {
    let mut lines = out.lines();
    let first = lines.next().unwrap_or(ABSENT);
    let mut stat = Vars::new();
    if first == ABSENT {
        stat.insert("exists".into(), false.into());
        return Ok(stat);
    }
    let f: Vec<&str> = first.split('|').collect();
    if f.len() != 16 {
        return Err(format!(
            "cannot stat {}: unexpected output '{first}'",
            args.path
        ));
    }
    base(&mut stat, &args.path, &f);
    for line in lines {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        fact(&mut stat, key, value);
    }
    if args.get_mime && !stat.contains_key("mimetype") {
        stat.insert("mimetype".into(), "unknown".into());
        stat.insert("charset".into(), "unknown".into());
    }
    if args.get_attributes && !stat.contains_key("attr_flags") {
        stat.insert("version".into(), Json::Null);
        stat.insert("attributes".into(), Json::Array(Vec::new()));
        stat.insert("attr_flags".into(), "".into());
    }
    Ok(stat)
}

/// The keys read from the stat line.
fn base(stat: &mut Vars, path: &str, f: &[&str]) {
    let num = |s: &str| s.trim().parse::<u64>().unwrap_or(0);
    let time = |s: &str| {
        let (secs, nanos) = s.split_once('.').unwrap_or((s, "0"));
        let secs: i64 = secs.parse().unwrap_or(0);
        secs as f64 + num(nanos) as f64 * 1e-9
    };
    let raw = u32::from_str_radix(f[0], 16).unwrap_or(0);
    let perm = u32::from_str_radix(f[1], 8).unwrap_or(0);
    let kind = raw & 0o170_000;
    let mut put = |k: &str, v: Json| {
        stat.insert(k.into(), v);
    };
    put("exists", true.into());
    put("path", path.into());
    put("mode", format!("{perm:04o}").into());
    for (key, bits) in [
        ("isdir", 0o040_000),
        ("ischr", 0o020_000),
        ("isblk", 0o060_000),
        ("isreg", 0o100_000),
        ("isfifo", 0o010_000),
        ("islnk", 0o120_000),
        ("issock", 0o140_000),
    ] {
        put(key, (kind == bits).into());
    }
    for (key, i) in [
        ("uid", 5),
        ("gid", 6),
        ("size", 4),
        ("inode", 7),
        ("dev", 8),
    ] {
        put(key, num(f[i]).into());
    }
    put("nlink", num(f[9]).into());
    for (key, i) in [("atime", 10), ("mtime", 11), ("ctime", 12)] {
        put(key, time(f[i]).into());
    }
    for (key, bit) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        put(key, (perm & bit != 0).into());
    }
    put("blocks", num(f[13]).into());
    put("block_size", num(f[14]).into());
    put("device_type", num(f[15]).into());
    if f[2] != "UNKNOWN" {
        put("pw_name", f[2].into());
    }
    if f[3] != "UNKNOWN" {
        put("gr_name", f[3].into());
    }
}

/// One `key=value` line of the script.
fn fact(stat: &mut Vars, key: &str, value: &str) {
    let mut put = |k: &str, v: Json| {
        stat.insert(k.into(), v);
    };
    match key {
        "accessr" => put("readable", (value == "1").into()),
        "accessw" => put("writeable", (value == "1").into()),
        "accessx" => put("executable", (value == "1").into()),
        "target" => put("lnk_target", value.into()),
        "source" => put("lnk_source", value.into()),
        "sum" => put(
            "checksum",
            value.split_whitespace().next().unwrap_or("").into(),
        ),
        "mime" => {
            let described = value.rsplit_once(':').map(|(_, d)| d);
            if let Some((mime, charset)) = described.and_then(|d| d.split_once(';')) {
                let charset = charset.split_once('=').map_or("", |(_, c)| c);
                put("mimetype", mime.trim().into());
                put("charset", charset.trim().into());
            }
        }
        "attr" => {
            let mut words = value.split_whitespace();
            if let (Some(version), Some(flags)) = (words.next(), words.next()) {
                let flags = fattrs::parse_lsattr(flags).unwrap_or_default();
                put("version", version.into());
                put("attributes", fattrs::flag_names(&flags).into());
                put("attr_flags", flags.into());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_script_output() {
        let args: Args = serde_json::from_value(serde_json::json!({"path": "/f"})).unwrap();
        let out = "81a4|644|root|root|5|0|0|12|65024|1|1.5|1796366246.714545750|3.0|8|4096|0\n\
                   accessr=1\naccessw=1\naccessx=0\nsum=abc  -\n\
                   mime=/f: text/plain; charset=us-ascii\nattr=0 ----i---------e------- /f\n";
        let st = parse(&args, out).unwrap();
        let get = |k: &str| st.get(k).cloned().unwrap_or(Json::Null);
        assert_eq!(get("mode"), "0644");
        assert_eq!(get("isreg"), true);
        assert_eq!(get("mtime"), 1_796_366_246.714_545_7);
        assert_eq!(get("checksum"), "abc");
        assert_eq!(get("mimetype"), "text/plain");
        assert_eq!(get("charset"), "us-ascii");
        assert_eq!(
            get("attributes"),
            serde_json::json!(["immutable", "extents"])
        );
        assert_eq!(get("executable"), false);
        assert_eq!(parse(&args, ABSENT).unwrap().len(), 1);
    }
}

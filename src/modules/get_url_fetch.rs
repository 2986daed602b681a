//! Downloads made on the host, as Ansible makes them there: one `sh` script runs `curl` (or
//! `wget` where curl is missing) into a temporary file and reports the HTTP status, the final
//! URL and the response headers. Credentials and headers reach the tool through a config file
//! written from stdin (mode 0600, removed at once), never on a command line. Used by
//! `get_url` and by `unarchive` for a URL `src`.

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// One request.
#[derive(Default)]
pub(crate) struct Request<'a> {
    pub url: &'a str,
    /// `HEAD` instead of `GET` (check mode): nothing is saved.
    pub head: bool,
    pub headers: Option<&'a Vars>,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub force_basic_auth: bool,
    pub timeout: u64,
    pub validate_certs: bool,
    pub use_proxy: bool,
    pub use_netrc: bool,
    pub use_gssapi: bool,
    pub decompress: bool,
    pub agent: &'a str,
    pub client_cert: Option<&'a str>,
    pub client_key: Option<&'a str>,
    pub ciphers: Option<String>,
    /// A file on the host: ask only for something newer than it (`If-Modified-Since`).
    pub newer_than: Option<&'a str>,
    /// The directory on the host the temporary file goes in.
    pub tmp_dir: &'a str,
}

/// What came back.
#[derive(Debug, Default)]
pub(crate) struct Response {
    /// The HTTP status; 0 when none was read (a connection error, a `file://` URL).
    pub status: u16,
    /// The tool's exit code.
    pub rc: i32,
    /// The URL after redirects.
    pub url: String,
    /// The temporary file on the host holding the body.
    pub tmp: String,
    /// The last response's headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The tool's error text.
    pub error: String,
}

impl Response {
    /// A header's value (the last response's).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Length` as Ansible's `msg` reports it: `OK (N bytes)`.
    pub(crate) fn ok_msg(&self) -> String {
        let len = self.header("content-length").unwrap_or("unknown");
        format!("OK ({len} bytes)")
    }

    /// The reason phrase Ansible reports as `response` of a failed request.
    pub(crate) fn reason(&self) -> String {
        format!("HTTP Error {}: {}", self.status, self.phrase())
    }

    fn phrase(&self) -> &str {
        self.header(":reason").unwrap_or("")
    }
}

const MARK: &str = "__ferry_fetch__";

/// Makes the request on the host; the body is left in `Response::tmp` (removed by the caller).
pub(crate) async fn fetch(
    ctx: &ModuleCtx<'_>,
    req: &Request<'_>,
) -> Result<Response, ModuleResult> {
    let (tool_line, config) = match tool(ctx).await? {
        Tool::Curl => (curl_line(req), curl_config(req)?),
        Tool::Wget => (wget_line(req), wget_config(req)?),
    };
    let script = format!(
        "umask 077; cfg=$(mktemp) && tmp=$(mktemp -p {dir} .ferry-download.XXXXXXXX) && \
         hdr=$(mktemp) || exit 97\ncat > \"$cfg\"\n{tool_line}\nrc=$?\nrm -f \"$cfg\"\n\
         printf '\\n{MARK}%s\\n%s\\n' \"$rc\" \"$tmp\"; cat \"$hdr\"; rm -f \"$hdr\"",
        dir = quote(req.tmp_dir)
    );
    let out = ctx
        .exec_stdin(&script, config.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc == 97 {
        return Err(ModuleResult::failed(format!(
            "cannot make a temporary file in {}: {}",
            req.tmp_dir,
            out.stderr.trim()
        )));
    }
    parse(&out.stdout, &out.stderr, req.url)
}

/// Which download tool the host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Curl,
    Wget,
}

async fn tool(ctx: &ModuleCtx<'_>) -> Result<Tool, ModuleResult> {
    let probe = "if curl --version >/dev/null 2>&1; then echo curl; \
                 elif wget --version >/dev/null 2>&1; then echo wget; fi";
    let out = crate::modules::host::run(ctx, probe).await?;
    match out.trim() {
        "curl" => Ok(Tool::Curl),
        "wget" => Ok(Tool::Wget),
        _ => Err(ModuleResult::failed(
            "neither curl nor wget is installed on the host; install one of them",
        )),
    }
}

/// The `curl` command line; what it prints to stdout is `CODE URL`.
fn curl_line(req: &Request<'_>) -> String {
    let mut line = format!(
        "curl -q -sS -L -K \"$cfg\" -D \"$hdr\" --max-time {} -w '%{{http_code}} %{{url_effective}}'",
        req.timeout.max(1)
    );
    line.push_str(if req.head {
        " -I -o /dev/null"
    } else {
        " -o \"$tmp\""
    });
    if let Some(path) = req.newer_than {
        let _ = write!(line, " -z {}", quote(path));
    }
    let _ = write!(line, " {}", quote(req.url));
    line
}

/// A curl config file: one option a line, values in double quotes.
fn curl_config(req: &Request<'_>) -> Result<String, ModuleResult> {
    let q = |s: &str| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let mut cfg = format!("user-agent = {}\n", q(req.agent));
    for (k, v) in header_pairs(req.headers) {
        let _ = writeln!(cfg, "header = {}", q(&format!("{k}: {v}")));
    }
    if let Some(user) = req.user {
        let pass = req.password.unwrap_or("");
        let _ = writeln!(cfg, "user = {}", q(&format!("{user}:{pass}")));
    } else if req.use_gssapi {
        cfg.push_str("negotiate\nuser = \":\"\n");
    } else if req.use_netrc {
        cfg.push_str("netrc-optional\n");
    }
    let flags = [
        (!req.validate_certs, "insecure"),
        (!req.use_proxy, "noproxy = \"*\""),
        (req.decompress && !req.head, "compressed"),
    ];
    for (on, flag) in flags {
        if on {
            let _ = writeln!(cfg, "{flag}");
        }
    }
    for (name, value) in [("cert", req.client_cert), ("key", req.client_key)] {
        if let Some(v) = value {
            let _ = writeln!(cfg, "{name} = {}", q(v));
        }
    }
    if let Some(c) = &req.ciphers {
        let _ = writeln!(cfg, "ciphers = {}", q(c));
    }
    Ok(cfg)
}

/// The `wget` command line (its `-S` response headers go to the header file); prints `CODE URL`
/// as curl does, the code read from the last status line.
fn wget_line(req: &Request<'_>) -> String {
    let mut line = format!(
        "WGETRC=\"$cfg\" wget -q -S --tries=1 --timeout={} -O \"$tmp\"",
        req.timeout.max(1)
    );
    if req.head {
        line.push_str(" --spider");
    }
    if let Some(path) = req.newer_than {
        let _ = write!(
            line,
            " --header \"If-Modified-Since: $(LC_ALL=C date -u -r {} '+%a, %d %b %Y %H:%M:%S GMT')\"",
            quote(path)
        );
    }
    let _ = write!(
        line,
        " {} 2>\"$hdr\"; rc=$?; code=$(sed -n 's/^  HTTP\\/[0-9.]* \\([0-9]*\\).*/\\1/p' \"$hdr\" | tail -n1); \
         printf '%s %s' \"${{code:-000}}\" {}; (exit $rc)",
        quote(req.url),
        quote(req.url)
    );
    line
}

/// A wgetrc: one `name = value` a line, the value taken to the end of the line.
fn wget_config(req: &Request<'_>) -> Result<String, ModuleResult> {
    let mut cfg = String::new();
    let mut put = |k: &str, v: &str| -> Result<(), ModuleResult> {
        if v.contains(['\n', '\r']) {
            return Err(ModuleResult::failed(format!(
                "{k}: a line break cannot be sent with wget"
            )));
        }
        let _ = writeln!(cfg, "{k} = {v}");
        Ok(())
    };
    put("user_agent", req.agent)?;
    for (k, v) in header_pairs(req.headers) {
        put("header", &format!("{k}: {v}"))?;
    }
    if let Some(user) = req.user {
        put("user", user)?;
        put("password", req.password.unwrap_or(""))?;
        put(
            "auth_no_challenge",
            if req.force_basic_auth { "on" } else { "off" },
        )?;
    }
    put(
        "check_certificate",
        if req.validate_certs { "on" } else { "off" },
    )?;
    put("use_proxy", if req.use_proxy { "on" } else { "off" })?;
    put("compression", if req.decompress { "auto" } else { "none" })?;
    if let Some(c) = req.client_cert {
        put("certificate", c)?;
    }
    if let Some(k) = req.client_key {
        put("private_key", k)?;
    }
    Ok(cfg)
}

fn header_pairs(headers: Option<&Vars>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Reads the script's report: `CODE URL`, the mark, rc, tmp, then the headers.
fn parse(stdout: &str, stderr: &str, url: &str) -> Result<Response, ModuleResult> {
    let Some((head, tail)) = stdout.rsplit_once(MARK) else {
        return Err(ModuleResult::failed(format!(
            "the download did not run: {}",
            stderr.trim()
        )));
    };
    let mut lines = tail.lines();
    let rc = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(-1);
    let tmp = lines.next().unwrap_or_default().to_string();
    let (code, final_url) = head.trim().split_once(' ').unwrap_or((head.trim(), url));
    let mut resp = Response {
        status: code.parse().unwrap_or(0),
        rc,
        url: final_url.to_string(),
        tmp,
        headers: Vec::new(),
        error: stderr.trim().to_string(),
    };
    for line in lines.map(str::trim) {
        if line.starts_with("HTTP/") {
            // A new response (a redirect's target): only the last one's headers count.
            resp.headers.clear();
            let reason = line.splitn(3, ' ').nth(2).unwrap_or("").to_string();
            resp.headers.push((":reason".into(), reason));
        } else if let Some((k, v)) = line.split_once(':') {
            resp.headers
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok(resp)
}

/// The file name a `Content-Disposition: attachment; filename=...` header gives.
pub(crate) fn disposition_name(resp: &Response) -> Option<String> {
    let value = resp.header("content-disposition")?;
    let (_, rest) = value.split_once("filename=")?;
    let name = rest.split(';').next()?.trim().trim_matches('"');
    let name = name.rsplit('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The last path segment of a URL (`index.html` for none), as Ansible's `url_filename`.
pub(crate) fn url_filename(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let path = path.split_once('/').map_or("", |(_, p)| p);
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "index.html".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_from_the_last_redirect() {
        let out = "200 http://h/b.tgz\n__ferry_fetch__0\n/tmp/x\nHTTP/1.1 302 Found\r\n\
                   Location: /b.tgz\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 5\r\n\
                   Content-Disposition: attachment; filename=\"pkg.tgz\"\r\n";
        let r = parse(out, "", "http://h/a").unwrap();
        assert_eq!((r.status, r.rc, r.tmp.as_str()), (200, 0, "/tmp/x"));
        assert_eq!(r.url, "http://h/b.tgz");
        assert_eq!(r.ok_msg(), "OK (5 bytes)");
        assert_eq!(disposition_name(&r).as_deref(), Some("pkg.tgz"));
        assert_eq!(r.header(":reason"), Some("OK"));
    }

    #[test]
    fn url_file_names() {
        for (url, name) in [
            ("http://h/a/b.tar.gz?x=1", "b.tar.gz"),
            ("http://h/", "index.html"),
            ("http://h", "index.html"),
            ("file:///srv/f.zip", "f.zip"),
        ] {
            assert_eq!(url_filename(url), name, "{url}");
        }
    }
}

//! Host addresses as Ansible's `parse_address` reads them: a host name, IPv4 or IPv6 address
//! (any of which may hold `[a:b]` ranges when allowed), with an optional port: `host:22`,
//! `10.0.0.1:22`, `[::1]:22` (an IPv6 address takes a port only in brackets).
//!
//! Used for host keys in INI and YAML files, `-i a,b` host lists, the split of a host pattern,
//! and `inventory_hostname_short` (which keeps IP addresses whole). Knows nothing of inventories.

use std::sync::LazyLock;

use regex::Regex;

const NUMERIC_RANGE: &str = r"\[[0-9]+:[0-9]+(?::[0-9]+)?\]";
const HEX_RANGE: &str = r"\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\]";
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

static BRACKETED_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(.+)\]:([0-9]+)$").expect("valid regex"));

static HOST_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$").expect("valid regex"));

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
    Regex::new(&format!(r"(?i)^(?:{c}\.){{3}}{c}$")).expect("valid regex")
});

/// Ansible's IPv6 expression, quirk included: only its last alternative is anchored at the end,
/// so an address followed by anything else still counts (Python's `re.match`).
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
    let alternatives = [
        format!(r"(?:{c}:){{7}}{c}"),
        format!(r"(?:{c}:){{1,6}}:"),
        format!(r"(?:{c}:)(?::{c}){{1,6}}"),
        format!(r"(?:{c}:){{2}}(?::{c}){{1,5}}"),
        format!(r"(?:{c}:){{3}}(?::{c}){{1,4}}"),
        format!(r"(?:{c}:){{4}}(?::{c}){{1,3}}"),
        format!(r"(?:{c}:){{5}}(?::{c}){{1,2}}"),
        format!(r"(?:{c}:){{6}}(?::{c})"),
        format!(r":(?::{c}){{1,6}}"),
        format!(r"{c}?::"),
        format!(r"(?:0:){{6}}(?:{c}\.){{3}}{c}"),
        format!(r"::(?:ffff:)?(?:{c}\.){{3}}{c}"),
        format!(r"(?:0:){{5}}ffff:(?:{c}\.){{3}}{c}$"),
    ];
    Regex::new(&format!("(?i)^(?:{})", alternatives.join("|"))).expect("valid regex")
});

/// Labels of letters, digits, `-` and `_` (or ranges) that do not end in `-` or `_`.
static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    let r = ALNUM_RANGE;
    let label = format!(r"(?:(?:\w|{r})(?:[\w-]|{r})*)?(?:[^\W_]|{r})");
    Regex::new(&format!(r"(?i)^{label}(?:\.{label})*$")).expect("valid regex")
});

/// `(host, port)` when `address` is a host identifier with an optional port; `None` when it is
/// not one (callers then take the text as written). Ranges are refused unless `allow_ranges`.
pub(crate) fn parse(address: &str, allow_ranges: bool) -> Option<(String, Option<u64>)> {
    let mut host = address.to_string();
    let mut port = None;
    // Both forms are tried in turn, as Ansible does: `[web:22]:23` ends as host `web`, port 22.
    for re in [&*BRACKETED_PORT, &*HOST_PORT] {
        if let Some(c) = re.captures(&host) {
            port = Some(c[2].parse::<u64>().ok()?);
            host = c[1].to_string();
        }
    }
    let known = IPV4.is_match(&host) || IPV6.is_match(&host) || HOSTNAME.is_match(&host);
    if !known || (!allow_ranges && host.contains('[')) {
        return None;
    }
    Some((host, port))
}

/// True for an IPv4 or IPv6 address (Ansible keeps these whole in `inventory_hostname_short`).
pub(crate) fn is_ip(name: &str) -> bool {
    IPV4.is_match(name) || IPV6.is_match(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for (text, ranges, want) in [
            ("web1", false, Some(("web1", None))),
            ("web1:2222", false, Some(("web1", Some(2222)))),
            (
                "web1.example.com:22",
                false,
                Some(("web1.example.com", Some(22))),
            ),
            ("10.0.0.1", false, Some(("10.0.0.1", None))),
            ("10.0.0.1:22", false, Some(("10.0.0.1", Some(22)))),
            ("[::1]:2200", false, Some(("::1", Some(2200)))),
            ("::1", false, Some(("::1", None))),
            ("fe80::1:22", false, Some(("fe80::1:22", None))),
            ("[web1]:22", false, Some(("web1", Some(22)))),
            ("web[01:03]:22", true, Some(("web[01:03]", Some(22)))),
            ("web[01:03]:22", false, None),
            ("db-[a:c]", true, Some(("db-[a:c]", None))),
            ("10.0.[1:3].1", true, Some(("10.0.[1:3].1", None))),
            ("web[1]", true, None),
            ("host:abc", false, None),
            ("bad_:22", false, None),
            ("_x", false, Some(("_x", None))),
            ("-x", false, None),
            ("web:db", false, None),
            ("all:!db", false, None),
            ("", false, None),
            (":22", false, None),
            ("web:", false, None),
        ] {
            let got = parse(text, ranges);
            let got = got.as_ref().map(|(h, p)| (h.as_str(), *p));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn ips() {
        for (name, want) in [
            ("127.0.0.1", true),
            ("::1", true),
            ("2001:db8::1", true),
            ("256.0.0.1", false),
            ("web.example.com", false),
            ("localhost", false),
        ] {
            assert_eq!(is_ip(name), want, "{name}");
        }
    }
}

//! The aws_ec2 inventory file's options, read and checked before any request is made. An
//! option ferry does not know is refused with its position, like any unknown keyword.

use serde_json::Value as Json;

use super::api::Filter;
use crate::aws::Given;
use crate::error::{did_you_mean, LoadError};
use crate::yaml::Node;

/// A `hostnames` preference: `tag:Name`, `private-ip-address`, ... with an optional prefix.
#[derive(Debug, Clone)]
pub(crate) struct Hostname {
    pub name: String,
    pub prefix: String,
    pub separator: String,
}

/// A `keyed_groups` entry.
#[derive(Debug, Clone)]
pub(crate) struct Keyed {
    pub key: String,
    pub prefix: String,
    pub separator: String,
    pub parent_group: Option<String>,
    pub default_value: Option<String>,
    pub trailing_separator: bool,
}

/// What the file asks for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub regions: Vec<String>,
    /// `filters` first, then each `include_filters` entry: instances matching any set.
    pub include: Vec<Vec<Filter>>,
    /// Instances matching any of these sets are left out.
    pub exclude: Vec<Vec<Filter>>,
    pub hostnames: Vec<Hostname>,
    pub keyed_groups: Vec<Keyed>,
    pub groups: Vec<(String, String)>,
    pub compose: Vec<(String, String)>,
    pub strict: bool,
    pub leading_separator: bool,
    pub endpoint: Option<String>,
    pub creds: Given,
}

/// The options ferry reads, in the order the plugin's docs list them.
const OPTIONS: &[&str] = &[
    "plugin",
    "regions",
    "filters",
    "include_filters",
    "exclude_filters",
    "hostnames",
    "keyed_groups",
    "groups",
    "compose",
    "strict",
    "leading_separator",
    "endpoint_url",
    "aws_profile",
    "aws_access_key",
    "aws_secret_key",
    "session_token",
];

/// Other names the plugin takes for those, and the cache options: a cache makes the next run
/// faster; without it every run asks EC2, which is also right.
const ALSO_ACCEPTED: &[&str] = &[
    "profile",
    "aws_access_key_id",
    "access_key",
    "aws_secret_access_key",
    "secret_key",
    "aws_session_token",
    "aws_security_token",
    "security_token",
    "cache",
    "cache_plugin",
    "cache_timeout",
    "cache_connection",
    "cache_prefix",
];

/// The default `hostnames`, as the aws_ec2 plugin has them.
const DEFAULT_HOSTNAMES: &[&str] = &["dns-name", "private-dns-name"];

/// Reads and checks the options.
pub(crate) fn read(root: &Node) -> Result<Options, LoadError> {
    let map = root
        .as_map()
        .ok_or_else(|| root.error("an aws_ec2 inventory file must be a mapping of options"))?;
    let mut raw = Raw {
        o: Options {
            regions: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            hostnames: Vec::new(),
            keyed_groups: Vec::new(),
            groups: Vec::new(),
            compose: Vec::new(),
            strict: false,
            leading_separator: true,
            endpoint: None,
            creds: Given::default(),
        },
        filters: Vec::new(),
        includes: Vec::new(),
        regions_node: None,
    };
    for (k, v) in map {
        raw.option(k, v)?;
    }
    raw.finish(root)
}

/// The options while the file is read: `filters` and `include_filters` are combined at the
/// end, and where `regions` was written is kept for its errors.
struct Raw<'a> {
    o: Options,
    filters: Vec<Filter>,
    includes: Vec<Vec<Filter>>,
    regions_node: Option<&'a Node>,
}

impl<'a> Raw<'a> {
    /// Reads one option.
    fn option(&mut self, k: &Node, v: &'a Node) -> Result<(), LoadError> {
        let o = &mut self.o;
        match k.key_string().as_str() {
            "plugin" => plugin(v)?,
            "regions" => {
                o.regions = strings(v, "regions")?;
                self.regions_node = Some(v);
            }
            "filters" => self.filters = filter_set(v)?,
            "include_filters" => self.includes = filter_sets(v)?,
            "exclude_filters" => o.exclude = filter_sets(v)?,
            "hostnames" => o.hostnames = hostnames(v)?,
            "keyed_groups" => o.keyed_groups = keyed(v)?,
            "groups" => o.groups = pairs(v, "groups")?,
            "compose" => o.compose = pairs(v, "compose")?,
            "strict" => o.strict = boolean(v)?,
            "leading_separator" => o.leading_separator = boolean(v)?,
            "endpoint_url" => o.endpoint = Some(v.key_string()),
            "aws_profile" | "profile" => o.creds.profile = Some(v.key_string()),
            "aws_access_key" | "aws_access_key_id" | "access_key" => {
                o.creds.access_key = Some(v.key_string())
            }
            "aws_secret_key" | "aws_secret_access_key" | "secret_key" => {
                o.creds.secret_key = Some(v.key_string())
            }
            "session_token" | "aws_session_token" | "aws_security_token" | "security_token" => {
                o.creds.session_token = Some(v.key_string())
            }
            k if ALSO_ACCEPTED.contains(&k) => {}
            other => return Err(unknown_option(k, other)),
        }
        Ok(())
    }

    /// Checks the regions, combines the filter sets (with the default state filter) and
    /// fills in the default hostnames.
    fn finish(mut self, root: &Node) -> Result<Options, LoadError> {
        let at = self.regions_node.unwrap_or(root);
        if self.o.regions.is_empty() {
            return Err(at
                .error("the aws_ec2 inventory names no regions")
                .with_hint("list them: regions: [eu-west-1, us-east-1]"));
        }
        if let Some(bad) = self.o.regions.iter().find(|r| !region_like(r)) {
            return Err(at
                .error(format!("'{bad}' is not an AWS region name"))
                .with_hint("region names look like eu-west-1, us-east-2, ap-northeast-2"));
        }
        let o = &mut self.o;
        if !self.filters.is_empty() || self.includes.is_empty() {
            o.include.push(self.filters);
        }
        o.include.extend(self.includes);
        for set in &mut o.include {
            if !set.iter().any(|(n, _)| n == "instance-state-name") {
                // As the plugin does: instances that are not terminated or terminating.
                let states = ["running", "pending", "stopping", "stopped"];
                set.push((
                    "instance-state-name".into(),
                    states.iter().map(|s| s.to_string()).collect(),
                ));
            }
        }
        if o.hostnames.is_empty() {
            o.hostnames = DEFAULT_HOSTNAMES
                .iter()
                .map(|n| Hostname {
                    name: n.to_string(),
                    prefix: String::new(),
                    separator: "_".into(),
                })
                .collect();
        }
        Ok(self.o)
    }
}

/// `plugin:` must name aws_ec2.
fn plugin(v: &Node) -> Result<(), LoadError> {
    let p = v.key_string();
    if p != "aws_ec2" && p != "amazon.aws.aws_ec2" {
        return Err(v
            .error(format!("inventory plugin '{p}' is not supported"))
            .with_hint("ferry reads aws_ec2 (amazon.aws.aws_ec2) inventory files"));
    }
    Ok(())
}

/// An option ferry does not know, with a did-you-mean.
fn unknown_option(k: &Node, other: &str) -> LoadError {
    let e = k.error(format!("unknown aws_ec2 option '{other}'"));
    let known = OPTIONS.iter().chain(ALSO_ACCEPTED).copied();
    match did_you_mean(other, known) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(format!("ferry reads: {}", OPTIONS.join(", "))),
    }
}

/// `xx-name-N` (with `-gov`, `-iso` and the like in the middle).
fn region_like(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn strings(v: &Node, what: &str) -> Result<Vec<String>, LoadError> {
    match v.as_seq() {
        Some(items) => items
            .iter()
            .map(|i| match i.as_map() {
                None if i.as_seq().is_none() => Ok(i.key_string()),
                _ => Err(i.error(format!("{what} must be a list of strings"))),
            })
            .collect(),
        None if v.as_map().is_none() => Ok(vec![v.key_string()]),
        None => Err(v.error(format!("{what} must be a list of strings"))),
    }
}

fn boolean(v: &Node) -> Result<bool, LoadError> {
    match v.to_json() {
        Json::Bool(b) => Ok(b),
        other => Err(v.error(format!("expected true or false, found {other}"))),
    }
}

/// A mapping of filter name → value or list of values.
fn filter_set(v: &Node) -> Result<Vec<Filter>, LoadError> {
    let map = v
        .as_map()
        .ok_or_else(|| v.error("filters must be a mapping of filter names to values"))?;
    map.iter()
        .map(|(k, val)| Ok((k.key_string(), strings(val, "a filter's values")?)))
        .collect()
}

fn filter_sets(v: &Node) -> Result<Vec<Vec<Filter>>, LoadError> {
    let items = v
        .as_seq()
        .ok_or_else(|| v.error("expected a list of filter mappings"))?;
    items.iter().map(filter_set).collect()
}

fn pairs(v: &Node, what: &str) -> Result<Vec<(String, String)>, LoadError> {
    let map = v
        .as_map()
        .ok_or_else(|| v.error(format!("{what} must be a mapping")))?;
    Ok(map
        .iter()
        .map(|(k, val)| (k.key_string(), val.key_string()))
        .collect())
}

fn hostnames(v: &Node) -> Result<Vec<Hostname>, LoadError> {
    let items = v
        .as_seq()
        .ok_or_else(|| v.error("hostnames must be a list"))?;
    items
        .iter()
        .map(|i| match i.as_map() {
            None => Ok(Hostname {
                name: i.key_string(),
                prefix: String::new(),
                separator: "_".into(),
            }),
            Some(m) => {
                let get = |k: &str| m.iter().find(|(key, _)| key.key_string() == k);
                let name = get("name").ok_or_else(|| i.error("a hostnames entry needs 'name'"))?;
                Ok(Hostname {
                    name: name.1.key_string(),
                    prefix: get("prefix").map(|p| p.1.key_string()).unwrap_or_default(),
                    separator: get("separator")
                        .map(|p| p.1.key_string())
                        .unwrap_or_else(|| "_".into()),
                })
            }
        })
        .collect()
}

fn keyed(v: &Node) -> Result<Vec<Keyed>, LoadError> {
    const KEYS: &[&str] = &[
        "key",
        "prefix",
        "separator",
        "parent_group",
        "default_value",
        "trailing_separator",
    ];
    let items = v
        .as_seq()
        .ok_or_else(|| v.error("keyed_groups must be a list"))?;
    items
        .iter()
        .map(|i| {
            let m = i
                .as_map()
                .ok_or_else(|| i.error("a keyed_groups entry must be a mapping with 'key'"))?;
            for (k, _) in m {
                let name = k.key_string();
                if !KEYS.contains(&name.as_str()) {
                    let e = k.error(format!("unknown keyed_groups option '{name}'"));
                    return Err(match did_you_mean(&name, KEYS.iter().copied()) {
                        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                        None => e.with_hint(format!("keyed_groups take: {}", KEYS.join(", "))),
                    });
                }
            }
            let get = |k: &str| {
                m.iter()
                    .find(|(key, _)| key.key_string() == k)
                    .map(|p| &p.1)
            };
            let key = get("key").ok_or_else(|| i.error("a keyed_groups entry needs 'key'"))?;
            Ok(Keyed {
                key: key.key_string(),
                prefix: get("prefix").map(Node::key_string).unwrap_or_default(),
                separator: get("separator")
                    .map(Node::key_string)
                    .unwrap_or_else(|| "_".into()),
                parent_group: get("parent_group").map(Node::key_string),
                default_value: get("default_value").map(Node::key_string),
                trailing_separator: get("trailing_separator")
                    .map(boolean)
                    .transpose()?
                    .unwrap_or(true),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for (r, ok) in [
            ("eu-west-1", true),
            ("ap-northeast-2", true),
            ("us-gov-west-1", true),
            ("eu-west", false),
            ("EU-WEST-1", false),
            ("narnia", false),
        ] {
            assert_eq!(region_like(r), ok, "{r}");
        }
    }
}

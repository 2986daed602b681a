//! Instances become hosts as the aws_ec2 plugin makes them: a name from the first
//! `hostnames` preference the instance has, its variables, then (in this order) `compose`,
//! `groups` and `keyed_groups` evaluated against those variables. Every host is in the group
//! `aws_ec2`. Group names are used as given (ansible-core 2.18 does not rewrite them).

use serde_json::Value as Json;

use super::error::Ec2Error;
use super::options::{Hostname, Keyed, Options};
use crate::template::Templar;
use crate::vars::Vars;

/// A host to add: its name, variables, and the groups it is in (with their parent groups).
#[derive(Debug)]
pub(crate) struct NewHost {
    pub name: String,
    pub vars: Vars,
    /// (group, parent group).
    pub groups: Vec<(String, Option<String>)>,
}

/// Turns instances into hosts; the first instance to claim a name keeps it. With `strict`,
/// a template that fails is an error; otherwise that variable or group is skipped.
pub(crate) fn build(instances: Vec<Json>, o: &Options) -> Result<Vec<NewHost>, Ec2Error> {
    let templar = Templar::new();
    let mut out: Vec<NewHost> = Vec::new();
    for instance in instances {
        let Json::Object(mut vars) = instance else {
            continue;
        };
        let Some(name) = o.hostnames.iter().find_map(|h| hostname(&vars, h)) else {
            continue;
        };
        if out.iter().any(|h| h.name == name) {
            continue;
        }
        for (var, expr) in &o.compose {
            match templar.render_str(&format!("{{{{ {expr} }}}}"), &vars) {
                Ok(v) => {
                    vars.insert(var.clone(), v);
                }
                Err(source) if o.strict => {
                    let var = var.clone();
                    return Err(Ec2Error::Compose {
                        var,
                        host: name,
                        source,
                    });
                }
                Err(_) => {}
            }
        }
        let mut groups = vec![("aws_ec2".to_string(), None)];
        for (group, cond) in &o.groups {
            match templar.eval_condition(cond, &vars) {
                Ok(true) => groups.push((group.clone(), None)),
                Ok(false) => {}
                Err(source) if o.strict => {
                    let group = group.clone();
                    return Err(Ec2Error::Group {
                        host: name,
                        group,
                        source,
                    });
                }
                Err(_) => {}
            }
        }
        for k in &o.keyed_groups {
            let value = match templar.render_str(&format!("{{{{ {} }}}}", k.key), &vars) {
                Ok(v) => v,
                Err(source) if o.strict => {
                    let key = k.key.clone();
                    return Err(Ec2Error::KeyedGroup {
                        host: name,
                        key,
                        source,
                    });
                }
                Err(_) => continue,
            };
            for g in keyed_names(k, &value, o.leading_separator) {
                groups.push((g, k.parent_group.clone()));
            }
        }
        out.push(NewHost { name, vars, groups });
    }
    Ok(out)
}

/// The instance's name under one `hostnames` preference, if it has one.
fn hostname(vars: &Vars, pref: &Hostname) -> Option<String> {
    let text = |k: &str| {
        vars.get(k)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let tags = vars.get("tags").and_then(Json::as_object);
    let tag = |k: &str| {
        tags.and_then(|t| t.get(k))
            .and_then(Json::as_str)
            .map(String::from)
    };
    let name = match pref.name.strip_prefix("tag:") {
        Some(spec) => spec.split(',').find_map(|t| match t.split_once('=') {
            Some((k, v)) => (tag(k).as_deref() == Some(v)).then(|| format!("{k}_{v}")),
            None => tag(t).filter(|v| !v.is_empty()),
        }),
        None => match pref.name.as_str() {
            "ip-address" | "public-ip-address" => text("public_ip_address"),
            "private-ip-address" => text("private_ip_address"),
            "dns-name" | "public-dns-name" => text("public_dns_name"),
            "private-dns-name" => text("private_dns_name"),
            "instance-id" => text("instance_id"),
            "image-id" => text("image_id"),
            "instance-type" => text("instance_type"),
            "key-name" => text("key_name"),
            "vpc-id" => text("vpc_id"),
            "subnet-id" => text("subnet_id"),
            "availability-zone" => vars
                .get("placement")
                .and_then(|p| p.get("availability_zone"))
                .and_then(Json::as_str)
                .map(String::from),
            other => text(&other.replace('-', "_")),
        },
    }?;
    Some(if pref.prefix.is_empty() {
        name
    } else {
        format!("{}{}{name}", pref.prefix, pref.separator)
    })
}

/// The groups one `keyed_groups` entry makes from `value`: a string, each string of a list,
/// `key<sep>value` for each pair of a mapping; empty values use `default_value`.
fn keyed_names(k: &Keyed, value: &Json, leading_separator: bool) -> Vec<String> {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    };
    let default = |s: String| match (&k.default_value, s.is_empty()) {
        (Some(d), true) => d.clone(),
        _ => s,
    };
    let bare: Vec<String> = match value {
        Json::Null | Json::Bool(false) => Vec::new(),
        Json::String(s) if s.is_empty() && k.default_value.is_none() => Vec::new(),
        Json::Array(items) if items.is_empty() => Vec::new(),
        Json::Array(items) => items.iter().map(|i| default(text(i))).collect(),
        Json::Object(m) => m
            .iter()
            .map(|(key, v)| {
                let v = text(v);
                match (&k.default_value, v.is_empty(), k.trailing_separator) {
                    (Some(d), true, _) => format!("{key}{}{d}", k.separator),
                    (None, true, false) => key.clone(),
                    _ => format!("{key}{}{v}", k.separator),
                }
            })
            .collect(),
        other => vec![default(text(other))],
    };
    let sep = if k.prefix.is_empty() && !leading_separator {
        ""
    } else {
        k.separator.as_str()
    };
    bare.into_iter()
        .map(|b| format!("{}{sep}{b}", k.prefix))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keyed(key: &str, prefix: &str) -> Keyed {
        Keyed {
            key: key.into(),
            prefix: prefix.into(),
            separator: "_".into(),
            parent_group: None,
            default_value: None,
            trailing_separator: true,
        }
    }

    #[test]
    fn keyed_group_names_as_constructed_makes_them() {
        let cases = [
            (
                keyed("tags.Role", "role"),
                json!("web"),
                true,
                vec!["role_web"],
            ),
            (keyed("tags.Role", ""), json!("web"), true, vec!["_web"]),
            (keyed("tags.Role", ""), json!("web"), false, vec!["web"]),
            (
                keyed("x", "az"),
                json!(["a", "b"]),
                true,
                vec!["az_a", "az_b"],
            ),
            (
                keyed("tags", "tag"),
                json!({"Role": "web", "Env": ""}),
                true,
                vec!["tag_Role_web", "tag_Env_"],
            ),
            (keyed("missing", "x"), json!(null), true, vec![]),
            (keyed("empty", "x"), json!(""), true, vec![]),
        ];
        for (k, value, leading, want) in cases {
            assert_eq!(keyed_names(&k, &value, leading), want, "{} {value}", k.key);
        }
    }

    #[test]
    fn hostname_preferences() {
        let vars = json!({
            "instance_id": "i-1", "private_ip_address": "10.0.0.1", "public_dns_name": "",
            "tags": {"Name": "web-1", "Role": "web"}
        });
        let vars = vars.as_object().unwrap();
        let pref = |name: &str| Hostname {
            name: name.into(),
            prefix: String::new(),
            separator: "_".into(),
        };
        let cases = [
            ("tag:Name", Some("web-1")),
            ("tag:Role=web", Some("Role_web")),
            ("tag:Role=db", None),
            ("tag:Missing,Name", Some("web-1")),
            ("dns-name", None),
            ("private-ip-address", Some("10.0.0.1")),
            ("instance-id", Some("i-1")),
        ];
        for (name, want) in cases {
            assert_eq!(hostname(vars, &pref(name)).as_deref(), want, "{name}");
        }
        let prefixed = Hostname {
            name: "instance-id".into(),
            prefix: "aws".into(),
            separator: "-".into(),
        };
        assert_eq!(hostname(vars, &prefixed).as_deref(), Some("aws-i-1"));
    }
}

//! What `ferry inventory` prints, in ansible-inventory's shapes: `--list` (the inventory
//! script JSON: groups with their hosts and children, `_meta.hostvars`, keys sorted),
//! `--graph [GROUP]` (the `@group:` tree, optionally with `--vars`) and `--host NAME`.

use serde_json::{Map, Value as Json};

use super::Inventory;
use crate::vars::Vars;

/// Variables Ansible computes rather than reads; ansible-inventory leaves them out.
const MAGIC: &[&str] = &[
    "group_names",
    "groups",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "omit",
    "playbook_dir",
];

impl Inventory {
    /// `--list`.
    pub fn list_json(&self) -> Json {
        let mut out = Map::new();
        let mut hostvars = Map::new();
        for host in self.hosts() {
            let vars = self.shown_vars(host);
            if !vars.is_empty() {
                hostvars.insert(host.to_string(), Json::Object(vars));
            }
        }
        let mut meta = Map::new();
        meta.insert("hostvars".into(), Json::Object(hostvars));
        out.insert("_meta".into(), Json::Object(meta));
        for (name, group) in &self.model.groups {
            let mut g = Map::new();
            if name != "all" && !group.hosts.is_empty() {
                let hosts = group.hosts.iter().cloned().map(Json::String).collect();
                g.insert("hosts".into(), Json::Array(hosts));
            }
            let children = self.children(name);
            if !children.is_empty() {
                g.insert(
                    "children".into(),
                    children.into_iter().map(Json::String).collect(),
                );
            }
            if name == "all" || !g.is_empty() {
                out.insert(name.clone(), Json::Object(g));
            }
        }
        sorted(Json::Object(out))
    }

    /// JSON text as ansible-inventory prints it (indented by 4).
    pub fn to_text(value: &Json) -> String {
        use serde::Serialize;
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        let _ = value.serialize(&mut ser);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// `--host NAME`: its variables, or `None` if the inventory has no such host.
    pub fn host_json(&self, host: &str) -> Option<Json> {
        self.contains_host(host)
            .then(|| sorted(Json::Object(self.shown_vars(host))))
    }

    /// `--graph [GROUP]`, or `None` if there is no such group.
    pub fn graph(&self, group: &str, vars: bool) -> Option<String> {
        self.model.groups.get(group)?;
        let mut out = String::new();
        self.graph_group(group, 0, vars, &mut out);
        Some(out)
    }

    fn graph_group(&self, name: &str, depth: usize, vars: bool, out: &mut String) {
        line(out, depth, &format!("@{name}:"));
        for child in self.children(name) {
            self.graph_group(&child, depth + 1, vars, out);
        }
        let group = &self.model.groups[name];
        if name != "all" {
            for host in &group.hosts {
                line(out, depth + 1, host);
                if vars {
                    show_vars(out, depth + 2, self.shown_vars(host).iter());
                }
            }
        }
        if vars {
            show_vars(out, depth + 1, group.vars.iter());
        }
    }

    /// Child groups in Ansible's order: `ungrouped` first under `all`.
    fn children(&self, name: &str) -> Vec<String> {
        let mut kids = self.model.groups[name].children.clone();
        if name == "all" {
            if let Some(i) = kids.iter().position(|k| k == "ungrouped") {
                let u = kids.remove(i);
                kids.insert(0, u);
            }
        }
        kids
    }

    fn shown_vars(&self, host: &str) -> Vars {
        let mut vars = self.host_vars(host);
        vars.retain(|k, _| !MAGIC.contains(&k.as_str()));
        vars
    }
}

fn line(out: &mut String, depth: usize, text: &str) {
    if depth > 0 {
        out.push_str(&"  |".repeat(depth));
        out.push_str("--");
    }
    out.push_str(text);
    out.push('\n');
}

fn show_vars<'a>(
    out: &mut String,
    depth: usize,
    vars: impl Iterator<Item = (&'a String, &'a Json)>,
) {
    let mut vars: Vec<_> = vars
        .filter(|(k, _)| !MAGIC.contains(&k.as_str()) && k.as_str() != "ansible_port")
        .collect();
    vars.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in vars {
        let v = match v {
            Json::String(s) => s.clone(),
            other => crate::pyjson::dumps(other, None, false),
        };
        line(out, depth, &format!("{{{k} = {v}}}"));
    }
}

/// Keys sorted at every level, as `json.dumps(sort_keys=True)` prints them.
fn sorted(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<(String, Json)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

//! The `local` collector: facts from `fact_path` (`/etc/ansible/facts.d/*.fact`) — a file's
//! JSON or INI content, or the output of an executable one — under `ansible_local`, keyed
//! by the file's name without `.fact`, with Ansible's error texts for those that fail.

use serde_json::{Map, Value as Json};

use crate::facts::raw::Output;
use crate::facts::{s, Collector, Facts};

pub(crate) static LOCAL: Collector = Collector {
    name: "local",
    ids: &[],
    parts: &["local"],
    files: &[],
    exists: &[],
    needs: &[],
    parse: local,
};

fn local(out: &Output, f: &mut Facts) {
    let mut local = Map::new();
    for part in out.all("fact") {
        let mut lines = part.splitn(3, '\n');
        let (path, rc, body) = (
            lines.next().unwrap_or(""),
            lines.next().unwrap_or(""),
            lines.next().unwrap_or(""),
        );
        let name = path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .replacen(".fact", "", 1);
        let value = match rc {
            "-" | "0" => read_fact(body, path),
            rc => s(format!(
                "Failure executing fact script ({path}), rc: {rc}, err: "
            )),
        };
        local.insert(name, value);
    }
    f.insert("local".into(), Json::Object(local));
}

/// A fact file's content: JSON, else INI (sections of lower-cased options), else the error.
fn read_fact(body: &str, path: &str) -> Json {
    let body = body.strip_suffix('\n').unwrap_or(body);
    if let Ok(v) = serde_json::from_str::<Json>(body) {
        return v;
    }
    match ini(body) {
        Some(v) => Json::Object(v),
        None => s(format!(
            "error loading facts as JSON or ini - please check content: {path}"
        )),
    }
}

/// Python's `configparser` reading of simple INI: `[section]`, `key = value` or
/// `key: value`, `#`/`;` comments, indented continuation lines.
fn ini(text: &str) -> Option<Map<String, Json>> {
    let mut out = Map::new();
    let mut section: Option<String> = None;
    let mut last: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            out.entry(name.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            section = Some(name.to_string());
            last = None;
            continue;
        }
        let sect = section.as_ref()?;
        let Some(Json::Object(map)) = out.get_mut(sect) else {
            return None;
        };
        if line.starts_with([' ', '\t']) {
            if let Some(Json::String(v)) = last.as_ref().and_then(|k| map.get_mut(k)) {
                v.push('\n');
                v.push_str(t);
                continue;
            }
        }
        let at = t.find(['=', ':'])?;
        let (k, v) = (t[..at].trim().to_lowercase(), t[at + 1..].trim());
        map.insert(k.clone(), s(v));
        last = Some(k);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_read_as_json_ini_or_an_error() {
        assert_eq!(
            read_fact("{\"a\": 1}\n", "/x.fact"),
            serde_json::json!({"a": 1})
        );
        assert_eq!(
            read_fact("[general]\nName = web\nport: 80\n", "/x.fact"),
            serde_json::json!({"general": {"name": "web", "port": "80"}})
        );
        assert_eq!(
            read_fact("not ini\n", "/etc/ansible/facts.d/x.fact"),
            serde_json::json!("error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/x.fact")
        );
    }
}

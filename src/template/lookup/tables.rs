//! The plugins that read a value from a table file: `ini` (INI or Java properties) and
//! `csvfile`. Each term is a search key, optionally followed by `key=value` options that
//! override the keyword options for that term.

use regex::Regex;
use serde_json::Value as Json;

use super::{text, Call, Fail, Found};
use crate::text::parse_free_form;
use crate::vars::Vars;

/// A term's search key and its options (the keyword options, then the term's own).
fn term_options(
    call: &Call,
    term: &Json,
    defaults: &[(&str, Json)],
) -> Result<(String, Vars), Fail> {
    let mut opts: Vars = defaults
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    opts.extend(call.opts.clone());
    let (own, key) = parse_free_form(&text(term), None);
    for (k, v) in own {
        if !defaults.iter().any(|(d, _)| *d == k) {
            return Err(Fail::Soft(format!("{k} is not a valid option.")));
        }
        opts.insert(k, v);
    }
    if key.is_empty() {
        return Err(Fail::Soft(
            "Search key is required but was not found".into(),
        ));
    }
    Ok((key, opts))
}

/// `ini`: the value of a key in a section (`re=true`: of every key the regex matches).
pub(crate) fn ini(call: &Call) -> Found {
    let defaults = [
        ("file", Json::from("ansible.ini")),
        ("section", Json::from("global")),
        ("re", Json::Bool(false)),
        ("default", Json::from("")),
        ("type", Json::from("ini")),
        ("encoding", Json::from("utf-8")),
        ("case_sensitive", Json::Bool(false)),
        ("allow_no_value", Json::Bool(false)),
    ];
    let mut found = Vec::new();
    for term in &call.terms {
        let (key, opts) = term_options(call, term, &defaults)?;
        let file = text(&opts["file"]);
        let Some(path) = call.scope.find("files", &file) else {
            return Err(Fail::Soft(format!("Invalid filename: '{file}'")));
        };
        let mut content = std::fs::read_to_string(&path)
            .map_err(|e| Fail::Soft(format!("{}: {e}", path.display())))?;
        let mut section = text(&opts["section"]);
        if text(&opts["type"]) == "properties" {
            content = format!("[java_properties]\n{content}");
            section = "java_properties".into();
        }
        let sections = parse_ini(&content, super::truthy(&opts["case_sensitive"]));
        found.extend(values(&sections, &section, &key, &opts)?);
    }
    Ok(found)
}

/// The values `key` finds in `section` (its own entries, then `[DEFAULT]`'s): the value or
/// `default`; with `re`, the values of every key the regular expression matches.
fn values(sections: &Sections, section: &str, key: &str, opts: &Vars) -> Result<Vec<Json>, Fail> {
    let Some((_, entries)) = sections.iter().find(|(name, _)| name == section) else {
        return Err(Fail::Soft(format!(
            "No section '{section}' in {}",
            text(&opts["file"])
        )));
    };
    let defaults = sections
        .iter()
        .find(|(n, _)| n == "DEFAULT")
        .map(|(_, e)| e);
    let all: Vec<&(String, Option<String>)> = entries
        .iter()
        .chain(defaults.into_iter().flatten())
        .collect();
    if super::truthy(&opts["re"]) {
        let re = Regex::new(&format!("^(?:{key})"))
            .map_err(|e| Fail::Soft(format!("invalid regex '{key}': {e}")))?;
        return Ok(all
            .iter()
            .filter(|(k, _)| re.is_match(k))
            .filter_map(|(_, v)| v.clone())
            .map(Json::from)
            .collect());
    }
    let wanted = if super::truthy(&opts["case_sensitive"]) {
        key.to_string()
    } else {
        key.to_lowercase()
    };
    Ok(match all.iter().find(|(k, _)| *k == wanted) {
        Some((_, Some(v))) => vec![Json::from(v.as_str())],
        Some((_, None)) => Vec::new(),
        None => vec![opts["default"].clone()],
    })
}

/// Sections of an INI text in order, each with its `key → value` entries (`None`: a key
/// without a value). Keys are lower-cased unless `case_sensitive`.
type Sections = Vec<(String, Vec<(String, Option<String>)>)>;

/// Parses INI text as Python's configparser does, for what lookups need: `[sections]`,
/// `key = value` or `key: value`, `#`/`;` comments, indented continuation lines.
fn parse_ini(content: &str, case_sensitive: bool) -> Sections {
    let mut sections: Sections = Vec::new();
    for line in content.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            sections.push((name.to_string(), Vec::new()));
            continue;
        }
        let Some((_, entries)) = sections.last_mut() else {
            continue;
        };
        if line.starts_with([' ', '\t']) {
            if let Some((_, Some(v))) = entries.last_mut() {
                v.push('\n');
                v.push_str(trimmed);
                continue;
            }
        }
        let (k, v) = match trimmed.find(['=', ':']) {
            Some(i) => (
                trimmed[..i].trim(),
                Some(trimmed[i + 1..].trim().to_string()),
            ),
            None => (trimmed, None),
        };
        let k = if case_sensitive {
            k.to_string()
        } else {
            k.to_lowercase()
        };
        entries.retain(|(old, _)| *old != k);
        entries.push((k, v));
    }
    sections
}

/// `csvfile`: the `col` field of the first row whose `keycol` field is the key.
pub(crate) fn csvfile(call: &Call) -> Found {
    let defaults = [
        ("file", Json::from("ansible.csv")),
        ("col", Json::from("1")),
        ("delimiter", Json::from("TAB")),
        ("default", Json::Null),
        ("encoding", Json::from("utf-8")),
        ("keycol", Json::from(0)),
    ];
    let mut found = Vec::new();
    for term in &call.terms {
        let (key, opts) = term_options(call, term, &defaults)?;
        let delimiter = match text(&opts["delimiter"]).as_str() {
            "TAB" | "\\t" => '\t',
            d => d.chars().next().unwrap_or(','),
        };
        let file = text(&opts["file"]);
        let Some(path) = call.scope.find("files", &file) else {
            return Err(Fail::Soft(format!(
                "csvfile: [Errno 2] No such file or directory: '{file}'"
            )));
        };
        let content =
            std::fs::read_to_string(&path).map_err(|e| Fail::Soft(format!("csvfile: {e}")))?;
        let index = |name: &str| -> Result<usize, Fail> {
            text(&opts[name]).trim().parse().map_err(|_| {
                Fail::Soft(format!(
                    "csvfile: invalid literal for int(): '{}'",
                    text(&opts[name])
                ))
            })
        };
        let (col, keycol) = (index("col")?, index("keycol")?);
        match find_row(&content, delimiter, &key, keycol, col)? {
            Some(v) => found.push(Json::from(v)),
            None if !opts["default"].is_null() => found.push(opts["default"].clone()),
            None => {}
        }
    }
    Ok(found)
}

/// The `col` field of the first row whose `keycol` field is `key`.
fn find_row(
    content: &str,
    delimiter: char,
    key: &str,
    keycol: usize,
    col: usize,
) -> Result<Option<String>, Fail> {
    let out_of_range = || Fail::Soft("csvfile: list index out of range".into());
    for line in content.lines() {
        let row = split_csv(line, delimiter);
        if row.is_empty() {
            continue;
        }
        if row.get(keycol).ok_or_else(out_of_range)? == key {
            return row.get(col).cloned().map(Some).ok_or_else(out_of_range);
        }
    }
    Ok(None)
}

/// One CSV line's fields (`"` quotes, `""` inside quotes).
fn split_csv(line: &str, delimiter: char) -> Vec<String> {
    if line.is_empty() {
        return Vec::new();
    }
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("one field at least");
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted || field.is_empty() => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(String::new()),
            c => field.push(c),
        }
    }
    fields
}

//! Template files, rendered as Ansible's template module renders them: `trim_blocks` on (the
//! newline after a `{% %}` tag goes), the file's own trailing newlines kept, the module's
//! options and a first-line `#jinja2:` header (`#jinja2: trim_blocks: False,
//! lstrip_blocks: True, variable_start_string: '[['`) choosing whitespace and delimiters.

use super::compiled::{calls_lookup, context, env_with, names, Settings};
use super::errors::undefined_message;
use super::{pyliteral, TemplateError};
use crate::vars::Vars;

/// How a template file is read and written: the template module's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// Remove the first newline after a block tag (Ansible: on).
    pub trim_blocks: bool,
    /// Strip spaces and tabs before a block tag at the start of a line (Ansible: off).
    pub lstrip_blocks: bool,
    /// Keep a single trailing newline of the file (Ansible restores them anyway).
    pub keep_trailing_newline: bool,
    /// What each newline is written as: `\n`, `\r\n` or `\r`.
    pub newline_sequence: String,
    /// `block_start_string`, `block_end_string`, `variable_start_string`,
    /// `variable_end_string`, `comment_start_string`, `comment_end_string`.
    pub delimiters: [String; 6],
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            keep_trailing_newline: false,
            newline_sequence: "\n".into(),
            delimiters: ["{%", "%}", "{{", "}}", "{#", "#}"].map(String::from),
        }
    }
}

/// The names a `#jinja2:` header or the module may set, in `delimiters` order.
const DELIMITER_NAMES: [&str; 6] = [
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
];

impl FileOptions {
    /// Sets option `name` from a template module argument or header value; an unknown name or
    /// a value of the wrong type is an error naming it.
    pub fn set(&mut self, name: &str, value: &serde_json::Value) -> Result<(), String> {
        use serde_json::Value as Json;
        let flag = |v: &Json| match v {
            Json::Bool(b) => Ok(*b),
            Json::String(s) => crate::text::ansible_bool(s).ok_or(()),
            _ => Err(()),
        };
        let bad = || format!("'{name}' cannot be {value}");
        match name {
            "trim_blocks" => self.trim_blocks = flag(value).map_err(|_| bad())?,
            "lstrip_blocks" => self.lstrip_blocks = flag(value).map_err(|_| bad())?,
            "keep_trailing_newline" => {
                self.keep_trailing_newline = flag(value).map_err(|_| bad())?
            }
            "newline_sequence" => {
                let seq = value.as_str().ok_or_else(bad)?;
                if !matches!(seq, "\n" | "\r\n" | "\r" | "\\n" | "\\r\\n" | "\\r") {
                    return Err(format!(
                        "newline_sequence must be one of \\n, \\r\\n, \\r; got {seq:?}"
                    ));
                }
                self.newline_sequence = seq.replace("\\n", "\n").replace("\\r", "\r");
            }
            _ => {
                let i = DELIMITER_NAMES
                    .iter()
                    .position(|n| *n == name)
                    .ok_or_else(|| format!("unknown template option '{name}'"))?;
                self.delimiters[i] = value.as_str().ok_or_else(bad)?.to_string();
            }
        }
        Ok(())
    }

    /// Applies a `#jinja2:` first line, returning the template without it.
    fn header<'t>(&mut self, text: &'t str) -> Result<&'t str, String> {
        let Some(rest) = text.strip_prefix("#jinja2:") else {
            return Ok(text);
        };
        let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
        for pair in line.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once(':')
                .ok_or_else(|| format!("#jinja2 header: '{pair}' is not 'name: value'"))?;
            let value = pyliteral::parse(value.trim()).ok_or_else(|| {
                format!("#jinja2 header: {} is not a Python literal", value.trim())
            })?;
            self.set(key.trim(), &value)?;
        }
        Ok(body)
    }
}

impl super::Templar {
    /// Renders a template file's text with `vars` as the template module does.
    pub fn render_file(
        &self,
        text: &str,
        vars: &Vars,
        options: &FileOptions,
    ) -> Result<String, TemplateError> {
        let mut opts = options.clone();
        let body = opts.header(text).map_err(TemplateError)?;
        let settings = Settings {
            trim_blocks: opts.trim_blocks,
            lstrip_blocks: opts.lstrip_blocks,
            keep_trailing_newline: opts.keep_trailing_newline,
            delimiters: opts.delimiters.clone(),
        };
        let failed = |e: minijinja::Error| {
            if e.kind() == minijinja::ErrorKind::UndefinedError {
                return TemplateError(undefined_message(body, vars));
            }
            let at = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
            let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
            TemplateError(format!("{}{detail}{at}", e.kind()))
        };
        let env = env_with(&settings).map_err(failed)?;
        let source = match settings.delimiters == Settings::default().delimiters {
            true => super::rewrite::rewrite(body, true),
            false => super::rewrite::rewrite_custom_delimiters(body, &settings.delimiters),
        };
        let named = names(body);
        let mut out = env
            .render_str(&source, context(&named, vars, calls_lookup(&named)))
            .map_err(failed)?;
        // Ansible gives back the trailing newlines Jinja took from the end of the file.
        let (want, have) = (trailing_newlines(body), trailing_newlines(&out));
        for _ in have..want {
            out.push('\n');
        }
        if opts.newline_sequence != "\n" {
            out = out.replace('\n', &opts.newline_sequence);
        }
        Ok(out)
    }
}

fn trailing_newlines(s: &str) -> usize {
    s.len() - s.trim_end_matches('\n').len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Templar;
    use serde_json::json;

    fn render(text: &str, opts: &FileOptions) -> String {
        let mut vars = Vars::new();
        vars.insert("items".into(), json!(["a", "b"]));
        vars.insert("on".into(), json!(true));
        Templar::new().render_file(text, &vars, opts).unwrap()
    }

    #[test]
    fn blocks_on_their_own_lines_leave_no_blank_lines() {
        let text = "start\n{% for i in items %}\n- {{ i }}\n{% endfor %}\n{% if on %}\non\n{% endif %}\nend\n";
        assert_eq!(
            render(text, &FileOptions::default()),
            "start\n- a\n- b\non\nend\n"
        );
    }

    #[test]
    fn the_header_and_options_change_whitespace_and_delimiters() {
        let text = "#jinja2: trim_blocks: False, variable_start_string: '[[', variable_end_string: ']]'\n{% if on %}\n[[ items[0] ]] {{ x }}\n{% endif %}\n";
        assert_eq!(render(text, &FileOptions::default()), "\na {{ x }}\n");
        // Text that only looks like code under other delimiters keeps its filter names.
        let text = "#jinja2: variable_start_string: '[[', variable_end_string: ']]'\n[[ items | ansible.builtin.to_json ]] {{ x | ns.coll.f }}\n";
        assert_eq!(
            render(text, &FileOptions::default()),
            "[\"a\", \"b\"] {{ x | ns.coll.f }}\n"
        );
        let mut opts = FileOptions::default();
        opts.set("lstrip_blocks", &json!(true)).unwrap();
        opts.set("newline_sequence", &json!("\r\n")).unwrap();
        assert_eq!(render("  {% if on %}\nx\n  {% endif %}\n", &opts), "x\r\n");
        assert!(opts.set("trim_blocks", &json!([1])).is_err());
        assert!(Templar::new()
            .render_file(
                "#jinja2: nonsense\nx",
                &Vars::new(),
                &FileOptions::default()
            )
            .is_err());
    }

    #[test]
    fn the_files_trailing_newlines_are_kept() {
        assert_eq!(render("x\n\n", &FileOptions::default()), "x\n\n");
        assert_eq!(render("x", &FileOptions::default()), "x");
    }
}

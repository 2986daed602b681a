//! A keyword's value on one host: constants as loaded; templates (`become: "{{ admin }}"`,
//! `timeout: "{{ limit }}"`) rendered with the host's variables and converted as ansible-core's
//! `post_validate` converts them (strict booleans, whole integers, percentages).
//!
//! A value that does not convert is the task's failure on that host, in Ansible's words, with
//! the keyword, the value and where the task is. It does not own which variables a keyword
//! sees (the task's, the first host's, the play's): the callers choose.

use serde_json::Value as Json;

use crate::error::Span;
use crate::playbook::{Count, Flag};
use crate::template::Templar;
use crate::vars::Vars;

/// Why a keyword's value does not fit, ready to be a task's failure message.
pub(crate) type Misfit = String;

/// A keyword being rendered: its name, and where its task (or play) is written.
#[derive(Clone, Copy)]
pub(crate) struct Keyword<'a> {
    pub name: &'a str,
    pub at: &'a Span,
}

impl Keyword<'_> {
    /// A boolean keyword's value (`become`, `ignore_errors`, `run_once`, ...).
    pub(crate) fn boolean(self, f: &Flag, vars: &Vars, templar: &Templar) -> Result<bool, Misfit> {
        let t = match f {
            Flag::Const(b) => return Ok(*b),
            Flag::Template(t) => t,
        };
        let value = self.render(t, vars, templar)?;
        to_bool(&value).ok_or_else(|| {
            self.misfit(
                t,
                "bool",
                &format!("The value '{}' is not a valid boolean", shown(&value)),
            )
        })
    }

    /// A whole non-negative number keyword's value (`timeout`, `throttle`, `retries`, ...).
    pub(crate) fn integer(self, c: &Count, vars: &Vars, templar: &Templar) -> Result<u64, Misfit> {
        self.integer_or(c, None, vars, templar)
    }

    /// As [`Keyword::integer`], but a template that renders as `omit` gives `default` (the
    /// keyword's default, which Ansible's post_validate then sets) when there is one.
    pub(crate) fn integer_or(
        self,
        c: &Count,
        default: Option<u64>,
        vars: &Vars,
        templar: &Templar,
    ) -> Result<u64, Misfit> {
        let t = match c {
            Count::Const(n) => return Ok(*n),
            Count::Template(t) => t,
        };
        let value = self.render(t, vars, templar)?;
        if let (Some(d), Some(crate::template::OMIT)) = (default, value.as_str()) {
            return Ok(d);
        }
        to_count(&value).ok_or_else(|| {
            self.misfit(
                t,
                "int",
                &format!("'{}' is not a non-negative whole number", shown(&value)),
            )
        })
    }

    /// `t` rendered; an undefined variable or a template error is a misfit.
    pub(crate) fn render(self, t: &str, vars: &Vars, templar: &Templar) -> Result<Json, Misfit> {
        templar.render_str(t, vars).map_err(|e| {
            let what = if e.is_undefined() {
                "which includes an undefined variable"
            } else {
                "which does not render"
            };
            format!(
                "The field '{}' has an invalid value ('{t}'), {what}. The error was: {e}{}",
                self.name,
                appears_in(self.at)
            )
        })
    }

    /// Ansible's words for a value that renders but does not convert to `isa`.
    pub(crate) fn misfit(self, t: &str, isa: &str, why: &str) -> Misfit {
        format!(
            "the field '{}' has an invalid value ('{t}'), and could not be converted to {isa}. {why}{}",
            self.name,
            appears_in(self.at)
        )
    }
}

/// A task's keyword values on one host; the first that does not fit is kept, to fail the
/// task there once its `when` holds (Ansible validates them after `when`).
pub(crate) struct HostKeywords<'a> {
    templar: &'a Templar,
    vars: &'a Vars,
    at: &'a Span,
    /// The first keyword that did not fit.
    pub misfit: Option<Misfit>,
}

impl<'a> HostKeywords<'a> {
    /// Keywords of the task at `at`, rendered with `vars`.
    pub(crate) fn new(templar: &'a Templar, vars: &'a Vars, at: &'a Span) -> HostKeywords<'a> {
        HostKeywords {
            templar,
            vars,
            at,
            misfit: None,
        }
    }

    /// A boolean keyword's value; `None` when it is not set, renders as `omit` (the caller's
    /// default then holds, as Ansible's post_validate sets the keyword's default) or does
    /// not fit.
    pub(crate) fn flag(&mut self, name: &str, f: Option<&Flag>) -> Option<bool> {
        let key = Keyword { name, at: self.at };
        if let Some(Flag::Template(t)) = f {
            let omitted = self.templar.render_str(t, self.vars);
            if omitted.is_ok_and(|v| v.as_str() == Some(crate::template::OMIT)) {
                return None;
            }
        }
        self.keep(key.boolean(f?, self.vars, self.templar))
    }

    /// A number keyword's value; `None` when it is not set or does not fit.
    pub(crate) fn count(&mut self, name: &str, c: Option<&Count>) -> Option<u64> {
        let key = Keyword { name, at: self.at };
        self.keep(key.integer(c?, self.vars, self.templar))
    }

    /// A number keyword's value with a default (`async`, `poll`): the default when it is not
    /// set, renders as `omit`, or does not fit (the misfit is kept).
    pub(crate) fn count_or(&mut self, name: &str, c: Option<&Count>, default: u64) -> u64 {
        let key = Keyword { name, at: self.at };
        let Some(c) = c else { return default };
        let value = key.integer_or(c, Some(default), self.vars, self.templar);
        self.keep(value).unwrap_or(default)
    }

    fn keep<T>(&mut self, r: Result<T, Misfit>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.misfit.get_or_insert(e);
                None
            }
        }
    }
}

/// True when ansible-core's linear strategy takes the keyword as set: it reads `any_errors_fatal`
/// and `ignore_errors` before rendering them, so any template counts as true there.
pub(crate) fn unrendered_true(f: Option<&Flag>) -> bool {
    matches!(f, Some(Flag::Const(true) | Flag::Template(_)))
}

/// Where the error is, as Ansible ends such messages (see [`Span::ansible_context`]).
pub(crate) fn appears_in(at: &Span) -> String {
    format!("\n\n{}", at.ansible_context())
}

/// Ansible's strict boolean: true/false, 1/0 and the strings `boolean()` accepts.
fn to_bool(value: &Json) -> Option<bool> {
    match value {
        Json::Bool(b) => Some(*b),
        Json::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Json::String(s) if !s.trim().is_empty() => crate::text::ansible_bool(s),
        _ => None,
    }
}

/// A whole number, from a number or a string holding one (`"5"`, `"5.0"`), as Python's
/// `int(Decimal(value))` takes it when nothing would be truncated.
fn to_count(value: &Json) -> Option<u64> {
    let x = match value {
        Json::Number(n) => return n.as_u64().or_else(|| whole(n.as_f64()?)),
        Json::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    whole(x)
}

fn whole(x: f64) -> Option<u64> {
    (x >= 0.0 && x.fract() == 0.0 && x < u64::MAX as f64).then_some(x as u64)
}

/// A rendered value as Ansible shows it in a message.
fn shown(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_as_post_validate() {
        let bools = [
            (json!(true), Some(true)),
            (json!("yes"), Some(true)),
            (json!("False"), Some(false)),
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!(""), None),
            (json!("maybe"), None),
            (json!(2), None),
            (json!(null), None),
        ];
        for (value, want) in bools {
            assert_eq!(to_bool(&value), want, "{value}");
        }
        let counts = [
            (json!(5), Some(5)),
            (json!("7"), Some(7)),
            (json!(" 3 "), Some(3)),
            (json!(2.0), Some(2)),
            (json!("2.5"), None),
            (json!(-1), None),
            (json!("x"), None),
            (json!([1]), None),
        ];
        for (value, want) in counts {
            assert_eq!(to_count(&value), want, "{value}");
        }
    }

    #[test]
    fn a_misfit_names_the_keyword_the_value_and_the_place() {
        let templar = Templar::new();
        let file = crate::error::SourceFile::new("site.yml", "");
        let at = Span::new(&file, 4, 7);
        let key = Keyword {
            name: "timeout",
            at: &at,
        };
        let mut vars = Vars::new();
        vars.insert("t".into(), json!("soon"));
        let c = Count::Template("{{ t }}".into());
        let e = key.integer(&c, &vars, &templar).unwrap_err();
        assert!(
            e.starts_with("the field 'timeout' has an invalid value ('{{ t }}'), and could not be converted to int. 'soon' is not a non-negative whole number\n\nThe error appears to be in '"),
            "{e}"
        );
        assert!(e.ends_with("site.yml': line 4, column 7, but may\nbe elsewhere in the file depending on the exact syntax problem.\n"), "{e}");
        let f = Flag::Template("{{ nope }}".into());
        let e = key.boolean(&f, &vars, &templar).unwrap_err();
        assert!(
            e.starts_with("The field 'timeout' has an invalid value ('{{ nope }}'), which includes an undefined variable. The error was: "),
            "{e}"
        );
        assert!(e.contains("line 4, column 7, but may"), "{e}");
    }
}

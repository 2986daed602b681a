//! `ini_file`'s edit of a file's lines, as community.general's `do_ini` makes it: the section
//! found (between two sentinel lines, the first whose options satisfy `section_has_values`),
//! option lines replaced, removed or added, a missing section appended.

use regex::Regex;

use crate::modules::ini_args::{values_of, Args};

/// A fake section name that matches nothing in a file: options before the first section.
const FAKE: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

/// The edit's settings, with the option's patterns compiled.
pub(crate) struct Ini<'a> {
    args: &'a Args,
    values: Vec<String>,
    conditions: Vec<(String, Vec<String>)>,
    any: Option<Regex>,
    active: Option<Regex>,
}

/// The groups of an option line: (commented, value).
fn opt_match(re: &Regex, line: &str) -> Option<(bool, String)> {
    let caps = re.captures(line.strip_suffix('\n').unwrap_or(line))?;
    let comment = caps.get(2).is_some_and(|m| !m.as_str().is_empty());
    Some((comment, caps.get(8).map_or("", |m| m.as_str()).to_string()))
}

fn option_regex(option: &str, inactive: bool) -> Regex {
    let comment = if inactive { "([#;]?)" } else { "()" };
    let lead = if inactive { "( |\t)*" } else { "()" };
    let body = regex::escape(option);
    Regex::new(&format!(
        "^{lead}{comment}( |\t)*({body})( |\t)*(=|$)( |\t)*(.*)"
    ))
    .expect("escaped option makes a valid pattern")
}

impl<'a> Ini<'a> {
    pub(crate) fn new(args: &'a Args, values: Vec<String>) -> Ini<'a> {
        let mut unique: Vec<String> = Vec::new();
        for v in values {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        let conditions = args
            .section_has_values
            .iter()
            .flatten()
            .map(|c| (c.option.clone(), values_of(&c.value, &c.values)))
            .collect();
        let any = args.option.as_deref().map(|o| option_regex(o, true));
        let active = args.option.as_deref().map(|o| option_regex(o, false));
        Ini {
            args,
            values: unique,
            conditions,
            any,
            active,
        }
    }

    /// The option pattern used to find lines to change (commented ones too, unless
    /// `modify_inactive_option: false`).
    fn finder(&self) -> Option<&Regex> {
        match self.args.modify_inactive_option {
            true => self.any.as_ref(),
            false => self.active.as_ref(),
        }
    }

    fn assignment(&self, option: &str, value: &str) -> String {
        match self.args.no_extra_spaces {
            true => format!("{option}={value}\n"),
            false => format!("{option} = {value}\n"),
        }
    }

    /// Whether a section's lines satisfy `section_has_values`.
    fn has_values(&self, lines: &[String]) -> bool {
        self.conditions.iter().all(|(option, values)| {
            let re = option_regex(option, true);
            lines.iter().any(|l| {
                opt_match(&re, l).is_some_and(|(_, v)| values.is_empty() || values.contains(&v))
            })
        })
    }
}

/// A file's lines between the two sentinel lines `do_ini` adds, split around the section.
struct Split {
    before: Vec<String>,
    section: Vec<String>,
    after: Vec<String>,
    found: bool,
}

impl Ini<'_> {
    /// The edited text, whether it changed, and the message, as `do_ini` computes them.
    pub(crate) fn apply(mut self, old: &str) -> (String, bool, String) {
        let mut lines: Vec<String> = old.split_inclusive('\n').map(String::from).collect();
        let mut changed = false;
        if lines.is_empty() {
            lines.push("\n".into());
        }
        if let Some(last) = lines.last_mut().filter(|l| !l.ends_with('\n')) {
            last.push('\n');
            changed = true;
        }
        lines.insert(0, format!("[{FAKE}]"));
        lines.push("[".into());
        let section = match self.args.section.as_deref() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => FAKE.to_string(),
        };
        let mut split = self.split(lines, &section);
        let mut msg = "OK".to_string();
        if self.args.state == "present" {
            self.present(&mut split.section, &mut changed, &mut msg);
        } else {
            self.absent(&mut split.section, &mut changed, &mut msg);
        }
        let mut lines = split.before;
        lines.append(&mut split.section);
        lines.append(&mut split.after);
        lines.remove(0);
        lines.pop();
        if !split.found && self.args.state == "present" {
            msg = self.add_section(&mut lines, &section);
            changed = true;
        }
        (lines.concat(), changed, msg)
    }

    /// Finds the section (the first whose lines satisfy `section_has_values`).
    fn split(&self, mut lines: Vec<String>, section: &str) -> Split {
        let header = Regex::new(&format!(r"^\[\s*{}\s*]", regex::escape(section.trim())))
            .expect("escaped section makes a valid pattern");
        let (mut within, mut start, mut end) = (false, 0, 0);
        for (i, line) in lines.iter().enumerate() {
            if within && line.starts_with('[') {
                if self.has_values(&lines[start..i]) {
                    end = i;
                    break;
                }
                (within, start, end) = (false, 0, 0);
            }
            if header.is_match(line) {
                within = true;
                start = i;
            }
        }
        let after = lines.split_off(end);
        let section = lines.split_off(start);
        Split {
            before: lines,
            section,
            after,
            found: within,
        }
    }

    /// `state: present` inside the found section.
    fn present(&mut self, lines: &mut Vec<String>, changed: &mut bool, msg: &mut String) {
        let Some(option) = self.args.option.clone() else {
            return;
        };
        let mut touched = vec![false; lines.len()];
        let mut no_value_present = false;
        let finder = self.finder().cloned().expect("an option has patterns");
        for i in 0..lines.len() {
            let Some((_, val)) = opt_match(&finder, &lines[i]) else {
                continue;
            };
            if self.values.contains(&val) {
                let new = if val.is_empty() && self.args.allow_no_value {
                    no_value_present = true;
                    format!("{option}\n")
                } else {
                    self.assignment(&option, &val)
                };
                self.update(lines, i, new, changed, msg);
                touched[i] = true;
                let at = self.values.iter().position(|v| *v == val);
                at.map(|at| self.values.remove(at));
            } else if self.values.is_empty() && self.args.allow_no_value {
                self.update(lines, i, format!("{option}\n"), changed, msg);
                touched[i] = true;
                no_value_present = true;
                break;
            }
        }
        if self.args.exclusive && !self.args.allow_no_value {
            self.exclusive(lines, &mut touched, &finder, changed, msg);
        }
        let Some(index) = (1..=lines.len())
            .rev()
            .find(|&i| !blank_or_comment(&lines[i - 1]))
        else {
            return;
        };
        if !self.values.is_empty() {
            for v in self.values.iter().rev() {
                lines.insert(index, self.assignment(&option, v));
            }
        } else if self.args.allow_no_value && !no_value_present {
            lines.insert(index, format!("{option}\n"));
        } else {
            return;
        }
        *msg = "option added".into();
        *changed = true;
    }

    /// `exclusive`: other lines of the option take the remaining values, or go.
    fn exclusive(
        &mut self,
        lines: &mut Vec<String>,
        touched: &mut Vec<bool>,
        finder: &Regex,
        changed: &mut bool,
        msg: &mut String,
    ) {
        let option = self.args.option.clone().unwrap_or_default();
        for i in 0..lines.len() {
            if self.values.is_empty() {
                break;
            }
            if !touched[i] && opt_match(finder, &lines[i]).is_some() {
                let value = self.values.remove(0);
                let new = self.assignment(&option, &value);
                self.update(lines, i, new, changed, msg);
                touched[i] = true;
            }
        }
        for i in (1..lines.len()).rev() {
            if !touched[i] && opt_match(finder, &lines[i]).is_some() {
                lines.remove(i);
                touched.remove(i);
                *changed = true;
                *msg = "option changed".into();
            }
        }
    }

    /// Replaces line `i` with `new` if it differs (in its value only, with `ignore_spaces`).
    fn update(
        &self,
        lines: &mut [String],
        i: usize,
        new: String,
        changed: &mut bool,
        msg: &mut String,
    ) {
        let any = self.any.as_ref().expect("an option has patterns");
        let differs = match (self.args.ignore_spaces, opt_match(any, &lines[i])) {
            (true, Some((false, old))) => opt_match(any, &new).map(|(_, v)| v) != Some(old),
            _ => lines[i] != new,
        };
        if differs {
            lines[i] = new;
            *changed = true;
            *msg = "option changed".into();
        }
    }

    /// `state: absent`: the option's lines (those with `values` unless `exclusive`), or the
    /// whole section.
    fn absent(&self, lines: &mut Vec<String>, changed: &mut bool, msg: &mut String) {
        let Some(active) = &self.active else {
            if !lines.is_empty() {
                lines.clear();
                *msg = "section removed".into();
                *changed = true;
            }
            return;
        };
        if !self.args.exclusive && self.values.is_empty() {
            return;
        }
        let before = lines.len();
        lines.retain(|l| match opt_match(active, l) {
            Some((_, v)) => !self.args.exclusive && !self.values.contains(&v),
            None => true,
        });
        if lines.len() != before {
            *changed = true;
            *msg = "option changed".into();
        }
    }

    /// Appends a missing section with its option (and `section_has_values`); the message.
    fn add_section(&mut self, lines: &mut Vec<String>, section: &str) -> String {
        lines.push(format!("[{section}]\n"));
        let option = self.args.option.clone();
        for (cond, values) in self.conditions.clone() {
            if Some(&cond) != option.as_ref() {
                if !values.is_empty() {
                    lines.extend(values.iter().map(|v| self.assignment(&cond, v)));
                } else if self.args.allow_no_value {
                    lines.push(format!("{cond}\n"));
                }
            } else if !self.args.exclusive {
                for v in values {
                    if !self.values.contains(&v) {
                        self.values.push(v);
                    }
                }
            }
        }
        match option {
            Some(o) if !self.values.is_empty() => {
                lines.extend(self.values.iter().map(|v| self.assignment(&o, v)));
            }
            Some(o) if self.args.allow_no_value => lines.push(format!("{o}\n")),
            _ => return "only section added".into(),
        }
        "section and option added".into()
    }
}

/// A blank line or a comment (`#`, `;`).
fn blank_or_comment(line: &str) -> bool {
    let t = line
        .strip_suffix('\n')
        .unwrap_or(line)
        .trim_start_matches([' ', '\t']);
    t.is_empty() || t.starts_with(['#', ';'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as Json};

    fn edit(text: &str, extra: Json) -> (String, bool, String) {
        let mut v = json!({"path": "f"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let args: Args = serde_json::from_value(v).unwrap();
        let values = values_of(&args.value, &args.values);
        Ini::new(&args, values).apply(text)
    }

    #[test]
    fn edits_as_community_general_does() {
        for (text, extra, want, changed, msg) in [
            (
                "",
                json!({"section": "s", "option": "a", "value": 1}),
                "\n[s]\na = 1\n",
                true,
                "section and option added",
            ),
            (
                "[s]\na = 1\n",
                json!({"section": "s", "option": "a", "value": "1"}),
                "[s]\na = 1\n",
                false,
                "OK",
            ),
            (
                "[s]\na = 1\n",
                json!({"section": "s", "option": "a", "value": "2"}),
                "[s]\na = 2\n",
                true,
                "option changed",
            ),
            (
                "[s]\n#a = 1\n",
                json!({"section": "s", "option": "a", "value": "2"}),
                "[s]\na = 2\n",
                true,
                "option changed",
            ),
            (
                "[s]\n#a = 1\n",
                json!({"section": "s", "option": "a", "value": "2", "modify_inactive_option": false}),
                "[s]\na = 2\n#a = 1\n",
                true,
                "option added",
            ),
            (
                "[s]\nb=1\n\n[t]\n",
                json!({"section": "s", "option": "a", "value": "x", "no_extra_spaces": true}),
                "[s]\nb=1\na=x\n\n[t]\n",
                true,
                "option added",
            ),
            (
                "[s]\na = 1\na = 2\na = 3\n",
                json!({"section": "s", "option": "a", "values": ["3", "4"]}),
                "[s]\na = 4\na = 3\n",
                true,
                "option changed",
            ),
            (
                "[s]\na = 1\nb = 2\n",
                json!({"section": "s", "option": "a", "state": "absent"}),
                "[s]\nb = 2\n",
                true,
                "option changed",
            ),
            (
                "x\n[s]\na = 1\n[t]\nb = 1\n",
                json!({"section": "s", "state": "absent"}),
                "x\n[t]\nb = 1\n",
                true,
                "section removed",
            ),
            (
                "a = 1\n[s]\n",
                json!({"option": "a", "value": "2"}),
                "a = 2\n[s]\n",
                true,
                "option changed",
            ),
            (
                "[s]\nflag\n",
                json!({"section": "s", "option": "flag", "allow_no_value": true}),
                "[s]\nflag\n",
                false,
                "OK",
            ),
            (
                "[s]\na=1",
                json!({"section": "s", "option": "a", "value": "1", "no_extra_spaces": true}),
                "[s]\na=1\n",
                true,
                "OK",
            ),
            (
                "[s]\na=1\n",
                json!({"section": "s", "option": "a", "value": "1", "ignore_spaces": true}),
                "[s]\na=1\n",
                false,
                "OK",
            ),
        ] {
            let got = edit(text, extra.clone());
            assert_eq!(
                got,
                (want.to_string(), changed, msg.to_string()),
                "{text:?} {extra}"
            );
        }
    }
}

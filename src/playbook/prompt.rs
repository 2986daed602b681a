//! `vars_prompt`: read each prompt's entry, then resolve the values before any host is
//! contacted (`ferry run` asks a terminal first; the executor answers what is left before its
//! first play): `-e` supplies a value (no prompt, no encryption, as in Ansible); on a terminal
//! the user is asked (hidden when `private`, twice with `confirm`); without one, the
//! `default` is taken with Ansible's warning — and a prompt with neither is an error naming
//! where it is written (Ansible would go on with an empty value).

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors, Span};
use crate::playbook::fields::{parse_bool, parse_number, parse_string};
use crate::playbook::model::{Play, Playbook, Prompt};
use crate::template::Templar;
use crate::text::is_identifier;
use crate::vars::Vars;
use crate::yaml::{Node, NodeKind};

/// The hash names `encrypt` takes (passlib's), and password_hash's name for each.
const SCHEMES: &[(&str, &str)] = &[
    ("bcrypt", "bcrypt"),
    ("md5_crypt", "md5"),
    ("sha256_crypt", "sha256"),
    ("sha512_crypt", "sha512"),
];

/// Reads `vars_prompt:` (a list of prompts).
pub(crate) fn parse_prompts(node: &Node) -> Result<Vec<Prompt>, LoadError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(parse_prompt).collect(),
        _ => Err(node.error(format!(
            "'vars_prompt' must be a list, found {}",
            node.type_name()
        ))),
    }
}

fn parse_prompt(node: &Node) -> Result<Prompt, LoadError> {
    let Some(entries) = node.as_map() else {
        return Err(node.error("a vars_prompt entry must be a mapping with a 'name'"));
    };
    let mut p = Prompt {
        name: String::new(),
        prompt: None,
        default: None,
        private: true,
        confirm: false,
        encrypt: None,
        salt_size: None,
        salt: None,
        unsafe_: false,
        span: node.span.clone(),
    };
    for (k, v) in entries {
        let key = k.key_string();
        match key.as_str() {
            "name" => p.name = parse_string(v, "name")?,
            "prompt" => p.prompt = Some(parse_string(v, "prompt")?),
            "default" => p.default = Some(v.to_json()),
            "private" => p.private = parse_bool(v, "private")?,
            "confirm" => p.confirm = parse_bool(v, "confirm")?,
            "encrypt" => p.encrypt = Some(parse_scheme(v)?),
            "salt_size" => p.salt_size = Some(parse_number(v, "salt_size")?),
            "salt" => p.salt = Some(parse_string(v, "salt")?),
            "unsafe" => p.unsafe_ = parse_bool(v, "unsafe")?,
            other => {
                return Err(k
                    .error(format!("unknown vars_prompt key '{other}'"))
                    .with_hint("vars_prompt takes: name, prompt, default, private, confirm, encrypt, salt_size, salt, unsafe"))
            }
        }
    }
    if !is_identifier(&p.name) {
        return Err(node.error("a vars_prompt entry needs a 'name' that is a variable name"));
    }
    Ok(p)
}

fn parse_scheme(node: &Node) -> Result<String, LoadError> {
    let name = parse_string(node, "encrypt")?;
    match SCHEMES.iter().find(|(n, _)| *n == name) {
        Some((_, ours)) => Ok(ours.to_string()),
        None => Err(node
            .error(format!("encrypt: '{name}' is not a hash ferry knows"))
            .with_hint(format!(
                "ferry knows: {}",
                SCHEMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
    }
}

/// How prompts are answered: a terminal, or none.
pub trait Asker {
    /// Asks `question`, hiding the answer when `private`; `None` when there is no terminal.
    fn ask(&mut self, question: &str, private: bool) -> Option<String>;
    /// Says something to the user (a warning, a mismatch).
    fn say(&mut self, text: &str);
}

/// Asks a terminal for the prompts of every play of `playbook` (those `extra` does not
/// answer); the answers become play vars and the prompts are done.
pub fn ask_on_terminal(
    playbook: &mut Playbook,
    extra: &Vars,
    asker: &mut dyn Asker,
) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for play in &mut playbook.plays {
        match answers(play, extra, asker) {
            Ok(vars) => {
                play.vars.extend(vars);
                play.prompts.clear();
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}

/// The values of `play`'s prompts that `extra` does not give.
pub fn answers(play: &Play, extra: &Vars, asker: &mut dyn Asker) -> Result<Vars, LoadErrors> {
    let templar = Templar::new();
    let mut vars = Vars::new();
    let mut errors = Vec::new();
    for p in play.prompts.iter().filter(|p| !extra.contains_key(&p.name)) {
        match answer(p, asker, &templar) {
            Ok(v) => {
                vars.insert(p.name.clone(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(vars)
    } else {
        Err(LoadErrors(errors))
    }
}

/// No terminal: every prompt takes its default.
pub struct NoTerminal<'a>(pub &'a mut dyn FnMut(&str));

impl Asker for NoTerminal<'_> {
    fn ask(&mut self, _question: &str, _private: bool) -> Option<String> {
        None
    }
    fn say(&mut self, text: &str) {
        (self.0)(text)
    }
}

/// One prompt's value: asked (and confirmed), else its default; encrypted and kept from
/// templating as the prompt says.
fn answer(p: &Prompt, asker: &mut dyn Asker, templar: &Templar) -> Result<Json, LoadError> {
    let question = p.prompt.clone().unwrap_or_else(|| p.name.clone());
    let default = p.default.as_ref().map(|d| match d {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    });
    let shown = match &default {
        Some(d) => format!("{question} [{d}]: "),
        None => format!("{question}: "),
    };
    let typed = loop {
        let Some(first) = asker.ask(&shown, p.private) else {
            break None;
        };
        if !p.confirm
            || asker.ask(&format!("confirm {question}: "), p.private) == Some(first.clone())
        {
            break Some(first);
        }
        asker.say("***** VALUES ENTERED DO NOT MATCH ****");
    };
    let value = match (typed, default) {
        (Some(t), d) if t.is_empty() => d.unwrap_or_default(),
        (Some(t), _) => t,
        (None, Some(d)) => {
            asker.say("Not prompting as we are not in interactive mode");
            d
        }
        (None, None) => return Err(no_terminal(&p.span, &p.name)),
    };
    let value = match &p.encrypt {
        Some(scheme) => encrypt(&value, scheme, p, templar)?,
        None => value,
    };
    Ok(Json::String(if p.unsafe_ { raw(&value) } else { value }))
}

fn no_terminal(span: &Span, name: &str) -> LoadError {
    LoadError::at(
        span,
        format!("vars_prompt '{name}' has no value: there is no terminal to ask on and no default"),
    )
    .with_hint(format!("pass it with -e {name}=VALUE"))
}

/// The value hashed with `scheme` (password_hash's name), with the prompt's salt or salt size.
fn encrypt(value: &str, scheme: &str, p: &Prompt, templar: &Templar) -> Result<String, LoadError> {
    let mut vars = Vars::new();
    vars.insert("v".into(), value.into());
    vars.insert("s".into(), p.salt.clone().map_or(Json::Null, Json::String));
    vars.insert("n".into(), p.salt_size.map_or(Json::Null, Json::from));
    let expr = format!("{{{{ v | password_hash('{scheme}', salt=s, salt_size=n) }}}}");
    match templar.render_str(&expr, &vars) {
        Ok(Json::String(h)) => Ok(h),
        Ok(other) => Ok(other.to_string()),
        Err(e) => Err(LoadError::at(
            &p.span,
            format!("vars_prompt '{}': {e}", p.name),
        )),
    }
}

/// `unsafe: true`: the value is never templated (kept as Jinja's raw text).
fn raw(value: &str) -> String {
    if value.contains("{{") || value.contains("{%") || value.contains("{#") {
        format!("{{% raw %}}{value}{{% endraw %}}")
    } else {
        value.to_string()
    }
}

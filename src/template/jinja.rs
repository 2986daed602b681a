//! Jinja2's own filters and globals that minijinja lacks or writes differently, as Jinja2 3.x
//! under Ansible gives them: `center`, `wordcount`, `wordwrap`, `truncate`, `filesizeformat`,
//! `striptags`, `escape`/`e`/`forceescape` (Python's entities), `urlencode`, `urlize`,
//! `xmlattr`, `replace` with a count, `indent` (a trailing newline kept); `cycler`, `joiner`, `lipsum`, `dict`.

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, State};
use minijinja_contrib::filters as contrib;

use super::values::err;

/// Registers the filters and globals.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("center", |s: String, width: Option<usize>| {
        let width = width.unwrap_or(80);
        let len = s.chars().count();
        if len >= width {
            return s;
        }
        // Python's str.center: the odd space goes left when the text is odd in length.
        let pad = width - len;
        let left = pad / 2 + (pad & width & 1);
        format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left))
    });
    env.add_filter("wordcount", |v: Value| contrib::wordcount(&v));
    env.add_filter("wordwrap", wordwrap);
    env.add_filter("truncate", truncate);
    env.add_filter("indent", indent);
    env.add_filter("filesizeformat", |v: f64, binary: Option<bool>| {
        contrib::filesizeformat(v, binary)
    });
    env.add_filter("striptags", contrib::striptags);
    env.add_filter("escape", |v: Value| escape(&text_of(&v)));
    env.add_filter("e", |v: Value| escape(&text_of(&v)));
    env.add_filter("forceescape", |v: Value| escape(&text_of(&v)));
    env.add_filter("urlencode", urlencode);
    env.add_filter("urlize", urlize);
    env.add_filter("xmlattr", xmlattr);
    env.add_filter("replace", replace);
    env.add_function("cycler", |items: Rest<Value>| {
        minijinja_contrib::globals::cycler(items.0)
    });
    env.add_function("joiner", minijinja_contrib::globals::joiner);
    env.add_function("lipsum", minijinja_contrib::globals::lipsum);
    env.add_function("dict", dict);
    // Ansible's `undef(hint)`: an undefined value (for defaults a play must override).
    env.add_function("undef", |_hint: Option<String>, _kwargs: Kwargs| {
        Value::UNDEFINED
    });
}

/// A value's text: strings as they are, anything else as Python's `str()`.
fn text_of(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => super::py_repr(v),
    }
}

/// Python's `html.escape` as markupsafe applies it.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Jinja2's `wordwrap(width=79, break_long_words=True, wrapstring='\n')`: each line of the
/// text filled greedily, as Python's `textwrap` does.
fn wordwrap(
    s: String,
    width: Option<usize>,
    break_long_words: Option<bool>,
    wrapstring: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let width = width.or(kwargs.get("width")?).unwrap_or(79).max(1);
    let break_long = break_long_words
        .or(kwargs.get("break_long_words")?)
        .unwrap_or(true);
    let wrapstring = wrapstring
        .or(kwargs.get("wrapstring")?)
        .unwrap_or_else(|| "\n".into());
    let _: Option<bool> = kwargs.get("break_on_hyphens")?;
    kwargs.assert_all_used()?;
    let mut lines = Vec::new();
    for line in s.lines() {
        fill(line, width, break_long, &mut lines);
    }
    Ok(lines.join(&wrapstring))
}

/// Greedy filling of one line into `out`.
fn fill(line: &str, width: usize, break_long: bool, out: &mut Vec<String>) {
    let mut current = String::new();
    for word in line.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        let len = |s: &str| s.chars().count();
        if !current.is_empty() && len(&current) + 1 + word.len() <= width {
            current.push(' ');
            current.extend(word);
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        while break_long && word.len() > width {
            out.push(word.drain(..width).collect());
        }
        current = word.into_iter().collect();
    }
    if !current.is_empty() {
        out.push(current);
    }
}

/// Jinja2's `indent(width=4, first=False, blank=False)`: every line but the first (and blank
/// ones) indented by `width` spaces (or by `width` itself when it is a string); a trailing
/// newline stays, as Jinja2 splits `s + '\n'` into lines.
fn indent(
    s: String,
    width: Option<Value>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let width = match width {
        Some(w) => Some(w),
        None => kwargs.get("width")?,
    };
    let first = first.or(kwargs.get("first")?).unwrap_or(false);
    let blank = blank.or(kwargs.get("blank")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    let pad = match width {
        None => " ".repeat(4),
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or("").to_string(),
        Some(w) => " ".repeat(
            usize::try_from(w).map_err(|_| err("indent: width must be a number or a string"))?,
        ),
    };
    let text = format!("{s}\n");
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or("").to_string();
    for line in lines {
        out.push('\n');
        if blank || !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    if first {
        out.insert_str(0, &pad);
    }
    Ok(out)
}

/// Jinja2's `truncate(length=255, killwords=False, end='...', leeway=5)`.
fn truncate(
    s: String,
    length: Option<usize>,
    killwords: Option<bool>,
    end: Option<String>,
    leeway: Option<usize>,
) -> String {
    let length = length.unwrap_or(255);
    let end = end.unwrap_or_else(|| "...".into());
    let leeway = leeway.unwrap_or(5);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= length + leeway {
        return s;
    }
    let keep = length.saturating_sub(end.chars().count());
    let head: String = chars[..keep].iter().collect();
    if killwords.unwrap_or(false) {
        return head + &end;
    }
    let cut = head.rsplit_once(' ').map(|(a, _)| a).unwrap_or("");
    format!("{cut}{end}")
}

/// Percent-encoding as Jinja2's `urlencode`: a string keeps `/`; a dict or list of pairs
/// becomes `k=v&...` with `+` for spaces.
fn urlencode(v: Value) -> Result<String, Error> {
    fn quote(s: &str, safe: &str, plus: bool) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b' ' if plus => out.push('+'),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b if safe.as_bytes().contains(&b) => out.push(b as char),
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    match v.kind() {
        ValueKind::Map => {
            let mut parts = vec![];
            for k in v.try_iter()? {
                let val = v.get_item(&k)?;
                parts.push(format!(
                    "{}={}",
                    quote(&text_of(&k), "", true),
                    quote(&text_of(&val), "", true)
                ));
            }
            Ok(parts.join("&"))
        }
        ValueKind::Seq => {
            let mut parts = vec![];
            for pair in v.try_iter()? {
                let (k, val) = (
                    pair.get_item(&Value::from(0))?,
                    pair.get_item(&Value::from(1))?,
                );
                parts.push(format!(
                    "{}={}",
                    quote(&text_of(&k), "", true),
                    quote(&text_of(&val), "", true)
                ));
            }
            Ok(parts.join("&"))
        }
        _ => Ok(quote(&text_of(&v), "/", false)),
    }
}

/// Links for the URLs in a text, as Jinja2's `urlize` writes them (`rel="noopener"`).
fn urlize(s: String, trim_url_limit: Option<usize>, nofollow: Option<bool>) -> String {
    let rel = if nofollow.unwrap_or(false) {
        "nofollow noopener"
    } else {
        "noopener"
    };
    let words: Vec<String> = s
        .split(' ')
        .map(|w| {
            let is_url =
                w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.");
            if !is_url {
                return escape(w);
            }
            let href = if w.starts_with("www.") {
                format!("https://{w}")
            } else {
                w.to_string()
            };
            let shown = match trim_url_limit {
                Some(n) if w.chars().count() > n => {
                    format!("{}...", w.chars().take(n).collect::<String>())
                }
                _ => w.to_string(),
            };
            format!(
                "<a href=\"{}\" rel=\"{rel}\">{}</a>",
                escape(&href),
                escape(&shown)
            )
        })
        .collect();
    words.join(" ")
}

/// ` k="v"` for each item with a value (None and undefined are left out).
fn xmlattr(v: Value, autospace: Option<bool>) -> Result<String, Error> {
    let mut out = String::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        if val.is_none() || val.is_undefined() {
            continue;
        }
        let key = text_of(&k);
        if key.chars().any(|c| c.is_whitespace() || "/>=".contains(c)) {
            return Err(err(format!("Invalid character in attribute name: {key:?}")));
        }
        out.push_str(&format!(" {key}=\"{}\"", escape(&text_of(&val))));
    }
    if !autospace.unwrap_or(true) {
        out = out.trim_start().to_string();
    }
    Ok(out)
}

/// `replace(old, new, count=None)`.
fn replace(s: String, old: String, new: String, count: Option<usize>) -> String {
    match count {
        Some(n) => s.replacen(&old, &new, n),
        None => s.replace(&old, &new),
    }
}

/// Python's `dict()`: from pairs, a mapping, and/or keyword arguments.
fn dict(_state: &State, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let mut map = Vec::new();
    for arg in args.0 {
        match arg.kind() {
            ValueKind::Map => {
                for k in arg.try_iter()? {
                    let v = arg.get_item(&k)?;
                    map.push((k, v));
                }
            }
            _ => {
                for pair in arg.try_iter()? {
                    let items: Vec<Value> = pair.try_iter()?.collect();
                    let [k, v] = <[Value; 2]>::try_from(items)
                        .map_err(|_| err("dict(): each item must be a pair"))?;
                    map.push((k, v));
                }
            }
        }
    }
    for k in kwargs.args() {
        map.push((Value::from(k), kwargs.get::<Value>(k)?));
    }
    let mut out: Vec<(Value, Value)> = Vec::new();
    for (k, v) in map {
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(Value::from_pairs(out))
}

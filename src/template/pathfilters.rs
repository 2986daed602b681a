//! Ansible's path filters, as Python's `os.path` and `ntpath` answer: `normpath`,
//! `realpath`, `path_join`, `splitext`, `expandvars`, `win_basename`, `win_dirname`,
//! `win_splitdrive`.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use super::pyrepr::Tuple;

/// Registers the filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("normpath", |s: String| normpath(&s));
    env.add_filter("realpath", |s: String| {
        std::fs::canonicalize(&s)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| normpath(&absolute(&s)))
    });
    env.add_filter("path_join", path_join);
    env.add_filter("splitext", |s: String| {
        let (root, ext) = splitext(&s);
        Value::from_object(Tuple(vec![Value::from(root), Value::from(ext)]))
    });
    env.add_filter("expandvars", |s: String| expandvars(&s));
    env.add_filter("win_basename", |s: String| {
        let (_, path) = win_splitdrive(&s);
        path.rsplit(['\\', '/']).next().unwrap_or("").to_string()
    });
    env.add_filter("win_dirname", |s: String| {
        let (drive, path) = win_splitdrive(&s);
        let cut = path.rfind(['\\', '/']).map(|i| i + 1).unwrap_or(0);
        let head = &path[..cut];
        let trimmed = head.trim_end_matches(['\\', '/']);
        let head = if trimmed.is_empty() { head } else { trimmed };
        format!("{drive}{head}")
    });
    env.add_filter("win_splitdrive", |s: String| {
        let (drive, path) = win_splitdrive(&s);
        Value::from_object(Tuple(vec![Value::from(drive), Value::from(path)]))
    });
}

fn absolute(s: &str) -> String {
    if s.starts_with('/') {
        return s.to_string();
    }
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    format!("{cwd}/{s}")
}

/// `os.path.normpath` on POSIX.
pub(crate) fn normpath(s: &str) -> String {
    if s.is_empty() {
        return ".".into();
    }
    let lead = if s.starts_with("//") && !s.starts_with("///") {
        "//"
    } else if s.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in s.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if !lead.is_empty() => {}
            p => parts.push(p),
        }
    }
    let joined = format!("{lead}{}", parts.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// `os.path.join(*parts)`: an absolute part starts over.
fn path_join(parts: Value) -> Result<String, Error> {
    let parts: Vec<String> = match parts.as_str() {
        Some(s) => vec![s.to_string()],
        None => parts.try_iter()?.map(|p| p.to_string()).collect(),
    };
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') || out.is_empty() {
            out = p;
        } else if out.ends_with('/') {
            out.push_str(&p);
        } else {
            out.push('/');
            out.push_str(&p);
        }
    }
    Ok(out)
}

/// `os.path.splitext`: the last extension of the file name (a leading dot is not one).
fn splitext(s: &str) -> (&str, &str) {
    let name_start = s.rfind('/').map(|i| i + 1).unwrap_or(0);
    let name = &s[name_start..];
    let dots = name.len() - name.trim_start_matches('.').len();
    match name[dots..].rfind('.') {
        Some(i) => s.split_at(name_start + dots + i),
        None => (s, ""),
    }
}

/// `$NAME` and `${NAME}` from the controller's environment; unknown names stay as written.
fn expandvars(s: &str) -> String {
    let re = regex::Regex::new(r"\$(\w+)|\$\{([^}]*)\}").expect("valid regex");
    re.replace_all(s, |c: &regex::Captures| {
        let name = c.get(1).or(c.get(2)).map(|m| m.as_str()).unwrap_or("");
        std::env::var(name).unwrap_or_else(|_| c[0].to_string())
    })
    .into_owned()
}

/// `ntpath.splitdrive`: `C:` or a `\\server\share` prefix, and the rest.
fn win_splitdrive(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        return s.split_at(2);
    }
    let norm: String = s.replace('/', "\\");
    if norm.starts_with("\\\\") && !norm.starts_with("\\\\\\") {
        let rest = &norm[2..];
        if let Some(i) = rest.find('\\') {
            let after = &rest[i + 1..];
            let end = after.find('\\').map(|j| 2 + i + 1 + j).unwrap_or(s.len());
            return s.split_at(end);
        }
    }
    ("", s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_python_answers() {
        assert_eq!(normpath("/etc/../etc/./hosts"), "/etc/hosts");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath("//x//y/"), "//x/y");
        assert_eq!(splitext("archive.tar.gz"), ("archive.tar", ".gz"));
        assert_eq!(splitext("/a.b/.bashrc"), ("/a.b/.bashrc", ""));
        assert_eq!(win_splitdrive(r"C:\x\y.txt"), ("C:", r"\x\y.txt"));
        assert_eq!(win_splitdrive(r"\\srv\share\x"), (r"\\srv\share", r"\x"));
    }
}

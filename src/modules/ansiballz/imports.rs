//! Which Python modules a module's source imports: `import a.b`, `from a.b import c, d` (also
//! parenthesised over several lines), and relative imports, read line by line as Ansible's
//! AnsiballZ reads them with `ast` — only the names that can be module support code
//! (`ansible.module_utils.*`, `ansible_collections.*`) are kept.

/// One import statement: the dotted module it names, and the names taken from it (`from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    pub module: String,
    pub names: Vec<String>,
}

/// The imports of `source`, a file whose dotted package is `package` (what relative imports
/// start from), kept when they name module support code.
pub(crate) fn scan(source: &str, package: &str) -> Vec<Import> {
    statements(source)
        .iter()
        .filter_map(|s| parse(s, package))
        .flatten()
        .filter(|i| is_support(&i.module))
        .collect()
}

/// Whether a dotted name may be support code shipped with the module.
fn is_support(name: &str) -> bool {
    name == "ansible.module_utils"
        || name.starts_with("ansible.module_utils.")
        || name.starts_with("ansible_collections.")
}

/// The import statements of `source`, each on one line.
fn statements(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let text = strip_comment(line).trim();
        if !(text.starts_with("from ") || text.starts_with("import ")) {
            continue;
        }
        let mut stmt = text.to_string();
        loop {
            let open = stmt.matches('(').count() > stmt.matches(')').count();
            let cont = stmt.ends_with('\\');
            if !(open || cont) {
                break;
            }
            stmt = stmt.trim_end_matches('\\').to_string();
            match lines.next() {
                Some(next) => {
                    stmt.push(' ');
                    stmt.push_str(strip_comment(next).trim());
                }
                None => break,
            }
        }
        out.push(stmt);
    }
    out
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or("")
}

/// One statement's imports (`import a, b` gives two).
fn parse(stmt: &str, package: &str) -> Option<Vec<Import>> {
    let stmt = stmt.split(';').next().unwrap_or("");
    if let Some(rest) = stmt.strip_prefix("import ") {
        let modules = rest.split(',').filter_map(|part| {
            let name = part.split_whitespace().next()?;
            Some(Import {
                module: name.to_string(),
                names: Vec::new(),
            })
        });
        return Some(modules.collect());
    }
    let rest = stmt.strip_prefix("from ")?;
    let (module, names) = rest.split_once(" import ")?;
    let module = absolute(module.trim(), package)?;
    let names = names
        .replace(['(', ')'], " ")
        .split(',')
        .filter_map(|n| n.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "*")
        .collect();
    Some(vec![Import { module, names }])
}

/// A relative module name (`..module_utils.x`) made absolute from `package`.
fn absolute(module: &str, package: &str) -> Option<String> {
    let level = module.chars().take_while(|c| *c == '.').count();
    if level == 0 {
        return Some(module.to_string());
    }
    let mut base: Vec<&str> = package.split('.').collect();
    for _ in 1..level {
        base.pop()?;
    }
    let rest = &module[level..];
    let mut name = base.join(".");
    if !rest.is_empty() {
        name.push('.');
        name.push_str(rest);
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imp(module: &str, names: &[&str]) -> Import {
        Import {
            module: module.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn reads_the_imports_that_name_support_code() {
        let source = "\
import os, sys
from ansible.module_utils.basic import AnsibleModule  # the module
from ansible.module_utils.common.text.converters import (
    to_bytes,
    to_native,
)
import ansible.module_utils.six as six
try:
    from ansible_collections.community.general.plugins.module_utils.mh import \\
        ModuleHelper
except ImportError:
    pass
from ..module_utils.version import LooseVersion
from . import sibling
from ansible.module_utils import distro, urls as u
";
        let pkg = "ansible_collections.community.general.plugins.modules";
        assert_eq!(
            scan(source, pkg),
            vec![
                imp("ansible.module_utils.basic", &["AnsibleModule"]),
                imp(
                    "ansible.module_utils.common.text.converters",
                    &["to_bytes", "to_native"]
                ),
                imp("ansible.module_utils.six", &[]),
                imp(
                    "ansible_collections.community.general.plugins.module_utils.mh",
                    &["ModuleHelper"]
                ),
                imp(
                    "ansible_collections.community.general.plugins.module_utils.version",
                    &["LooseVersion"]
                ),
                imp(
                    "ansible_collections.community.general.plugins.modules",
                    &["sibling"]
                ),
                imp("ansible.module_utils", &["distro", "urls"]),
            ]
        );
    }
}

//! A file's extended attributes as the file modules set them: `chattr` flags (`attributes`)
//! and the SELinux context (`seuser`, `serole`, `setype`, `selevel`). Both are probed only
//! when a task asks for them. SELinux parts are ignored on a host where SELinux is disabled,
//! as Ansible ignores them. What `mode`/`owner`/`group` do is in [`files`](super::files).

use std::fmt::Write as _;

use super::exec::run;
use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};

/// The letters `lsattr` prints and the names Ansible gives them.
const FLAG_NAMES: &[(char, &str)] = &[
    ('A', "noatime"),
    ('C', "nocow"),
    ('D', "dirsync"),
    ('E', "encrypted"),
    ('F', "casefold"),
    ('I', "indexed"),
    ('N', "inline"),
    ('P', "projinherit"),
    ('S', "synchronous"),
    ('T', "blockroot"),
    ('V', "verity"),
    ('X', "compressedraw"),
    ('Z', "compresseddirty"),
    ('a', "append"),
    ('c', "compressed"),
    ('d', "nodump"),
    ('e', "extents"),
    ('h', "blocksize"),
    ('i', "immutable"),
    ('j', "journalled"),
    ('m', "dontcompress"),
    ('s', "zero"),
    ('t', "notail"),
    ('u', "undelete"),
    ('x', "dax"),
];

/// The names of `lsattr` flags (`"e"` → `["extents"]`), as `stat` reports `attributes`.
pub(crate) fn flag_names(flags: &str) -> Vec<String> {
    flags
        .chars()
        .filter_map(|c| FLAG_NAMES.iter().find(|(l, _)| *l == c))
        .map(|(_, n)| n.to_string())
        .collect()
}

/// What `lsattr -d` prints for a path, reduced to its set flags (`--------e--` → `e`).
pub(crate) fn parse_lsattr(line: &str) -> Option<String> {
    let field = line.split_whitespace().next()?;
    Some(field.chars().filter(|c| *c != '-').collect())
}

/// The SELinux context parts a task asks for (`None`: keep what the file has).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SeContext<'a> {
    pub user: Option<&'a str>,
    pub role: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub level: Option<&'a str>,
}

impl SeContext<'_> {
    fn is_empty(&self) -> bool {
        self.parts().iter().all(Option::is_none)
    }

    fn parts(&self) -> [Option<&str>; 4] {
        [self.user, self.role, self.kind, self.level]
    }
}

/// Brings the `chattr` flags (`+i`, `-a`, `=e` or `e`) and the SELinux context of `path` to
/// what is asked; true if anything changed (or would, under `--check`).
pub(crate) async fn fix_extended(
    ctx: &ModuleCtx<'_>,
    path: &str,
    attributes: Option<&str>,
    se: SeContext<'_>,
) -> Result<bool, ModuleResult> {
    let attributes = attributes.filter(|a| !a.is_empty());
    if attributes.is_none() && se.is_empty() {
        return Ok(false);
    }
    let p = quote(path);
    let probe = format!(
        "lsattr -d -- {p} 2>/dev/null | head -n1; echo; \
         if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then \
         stat -c %C -- {p}; matchpathcon -n -- {p} 2>/dev/null || echo; fi"
    );
    let out = run(ctx, &probe).await?;
    let mut lines = out.lines();
    let flags = lines.next().and_then(parse_lsattr).unwrap_or_default();
    let _ = lines.next();
    let mut script = String::new();
    if let Some(a) = attributes {
        if let Some(cmd) = chattr_command(a, &flags) {
            let _ = write!(script, "{cmd} -- {p}; ");
        }
    }
    if let (Some(current), false) = (lines.next(), se.is_empty()) {
        let default = lines.next().unwrap_or("");
        if let Some(cmd) = chcon_command(se, current, default) {
            let _ = write!(script, "{cmd} -- {p}; ");
        }
    }
    if script.is_empty() {
        return Ok(false);
    }
    if !ctx.check_mode {
        run(ctx, &format!("set -e; {script}")).await?;
    }
    Ok(true)
}

/// The `chattr` command for `wanted` when the file's `flags` differ from it, as Ansible
/// decides: a change unless the flags are exactly the ones named (`-x` always runs).
fn chattr_command(wanted: &str, flags: &str) -> Option<String> {
    let (op, letters) = match wanted.chars().next() {
        Some(c @ ('+' | '-' | '=')) => (c, &wanted[1..]),
        _ => ('=', wanted),
    };
    (letters != flags || op == '-').then(|| format!("chattr {}", quote(&format!("{op}{letters}"))))
}

/// The `chcon` command that gives the file the asked parts of its context (`_default`: the
/// part of the policy's default context for the path), or `None` when it has them.
fn chcon_command(se: SeContext<'_>, current: &str, default: &str) -> Option<String> {
    let have: Vec<&str> = current.splitn(4, ':').collect();
    let dflt: Vec<&str> = default.trim().splitn(4, ':').collect();
    let mut cmd = String::from("chcon");
    let mut differs = false;
    for (i, (flag, want)) in ["-u", "-r", "-t", "-l"].iter().zip(se.parts()).enumerate() {
        let Some(want) = want else { continue };
        let want = if want == "_default" {
            dflt.get(i).copied().unwrap_or("")
        } else {
            want
        };
        if want.is_empty() || have.get(i).copied() == Some(want) {
            continue;
        }
        differs = true;
        let _ = write!(cmd, " {flag} {}", quote(want));
    }
    differs.then_some(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chattr_changes_only_what_differs() {
        for (wanted, flags, cmd) in [
            ("e", "e", None),
            ("+i", "e", Some("chattr +i")),
            ("=e", "e", None),
            ("-i", "e", Some("chattr -i")),
            ("i", "", Some("chattr =i")),
        ] {
            assert_eq!(chattr_command(wanted, flags).as_deref(), cmd, "{wanted}");
        }
    }

    #[test]
    fn chcon_sets_the_asked_parts() {
        let se = SeContext {
            kind: Some("httpd_sys_content_t"),
            level: Some("_default"),
            ..Default::default()
        };
        assert_eq!(
            chcon_command(
                se,
                "unconfined_u:object_r:user_tmp_t:s0",
                "system_u:object_r:tmp_t:s0"
            )
            .as_deref(),
            Some("chcon -t httpd_sys_content_t")
        );
        let same = SeContext {
            user: Some("unconfined_u"),
            ..Default::default()
        };
        assert_eq!(chcon_command(same, "unconfined_u:object_r:x:s0", ""), None);
    }

    #[test]
    fn lsattr_flags_and_names() {
        assert_eq!(
            parse_lsattr("----i---------e------- /f").as_deref(),
            Some("ie")
        );
        assert_eq!(flag_names("ie"), ["immutable", "extents"]);
    }
}

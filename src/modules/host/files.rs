//! File primitives the file modules share: atomic writes of bytes (through
//! [`transfer`](super::transfer)), mode/owner/group fixes and what they change, as a diff
//! records it. Everything goes through [`ModuleCtx::exec`], so become and environment apply.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use super::exec::run;
use super::stat::RemoteStat;
use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};

/// Writes `data` to `dest` atomically (see [`transfer`](super::transfer)).
pub(crate) async fn write(
    ctx: &ModuleCtx<'_>,
    dest: &str,
    data: &[u8],
) -> Result<(), ModuleResult> {
    super::transfer::write(ctx, dest, super::transfer::Source::Bytes(data))
        .await
        .map(drop)
}

/// Brings mode, owner and group to what is asked; true if anything changed.
pub(crate) async fn fix_attrs(
    ctx: &ModuleCtx<'_>,
    path: &str,
    st: &RemoteStat,
    attrs: &Attrs,
) -> Result<bool, ModuleResult> {
    let mut script = String::new();
    let p = quote(path);
    if let Some(mode) = &attrs.mode {
        if !mode_matches(mode, &st.mode) {
            let _ = write!(script, "chmod {} -- {p}; ", quote(mode));
        }
    }
    if let Some(spec) = chown_spec(st, attrs) {
        let _ = write!(script, "chown {spec} -- {p}; ");
    }
    let changed = !script.is_empty();
    if changed && !ctx.check_mode {
        run(ctx, &format!("set -e; {script}")).await?;
    }
    let extended = attrs.attributes.as_deref();
    Ok(super::fattrs::fix_extended(ctx, path, extended, attrs.se_context()).await? || changed)
}

/// What `chown` must set for the owner and group asked (`o:g`, `o`, `:g`, quoted) where they
/// differ from `st`; `None` when both already match.
pub(crate) fn chown_spec(st: &RemoteStat, attrs: &Attrs) -> Option<String> {
    let owner = attrs
        .owner
        .as_ref()
        .filter(|o| **o != st.owner && **o != st.uid.to_string());
    let group = attrs
        .group
        .as_ref()
        .filter(|g| **g != st.group && **g != st.gid.to_string());
    match (owner, group) {
        (Some(o), Some(g)) => Some(format!("{}:{}", quote(o), quote(g))),
        (Some(o), None) => Some(quote(o)),
        (None, Some(g)) => Some(format!(":{}", quote(g))),
        (None, None) => None,
    }
}

/// The arguments every file-writing module takes (Ansible's common file arguments).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct Attrs {
    #[serde(default, deserialize_with = "de_mode")]
    pub mode: Option<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// `chattr` flags: `+i`, `-a`, `=e`, `e`.
    #[serde(alias = "attr")]
    pub attributes: Option<String>,
    pub seuser: Option<String>,
    pub serole: Option<String>,
    pub setype: Option<String>,
    pub selevel: Option<String>,
    /// Ansible falls back to a non-atomic write with it when an atomic one fails; ferry's
    /// writes are always atomic, which is what Ansible does whenever the atomic write works.
    #[serde(default, deserialize_with = "crate::modules::de_bool")]
    #[allow(dead_code)]
    pub unsafe_writes: bool,
}

impl Attrs {
    /// The SELinux parts asked for.
    pub(crate) fn se_context(&self) -> super::fattrs::SeContext<'_> {
        super::fattrs::SeContext {
            user: self.seuser.as_deref(),
            role: self.serole.as_deref(),
            kind: self.setype.as_deref(),
            level: self.selevel.as_deref(),
        }
    }
}

/// Octal modes as Ansible takes them: `0644`, `"0644"`, `644` (YAML int 0644 is 420 decimal).
pub(crate) fn de_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(match Option::<Json>::deserialize(d)? {
        None | Some(Json::Null) => None,
        Some(Json::Number(n)) => n.as_u64().map(|v| format!("{v:04o}")),
        Some(Json::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn mode_matches(want: &str, have: &str) -> bool {
    if !want.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let norm = |m: &str| u32::from_str_radix(m, 8).unwrap_or(u32::MAX);
    norm(want) == norm(have)
}

/// The changes [`fix_attrs`] makes (or would make) as Ansible's modules record them in a diff
/// (`set_fs_attributes_if_different`): for each of owner, group and mode that differs, its
/// value before and after — ids for owner and group, `0644` for modes. `after` is the path's
/// stat once fixed, when there is one (not in check mode).
pub(crate) fn attrs_diff(
    before: &RemoteStat,
    attrs: &Attrs,
    after: Option<&RemoteStat>,
) -> (Map<String, Json>, Map<String, Json>) {
    let (mut was, mut now) = (Map::new(), Map::new());
    let id = |want: &str, fixed: Option<u64>| match (want.parse::<u64>(), fixed) {
        (Ok(n), _) | (_, Some(n)) => Json::from(n),
        _ => Json::from(want),
    };
    let ids = [
        (
            "owner",
            &attrs.owner,
            &before.owner,
            before.uid,
            after.map(|a| a.uid),
        ),
        (
            "group",
            &attrs.group,
            &before.group,
            before.gid,
            after.map(|a| a.gid),
        ),
    ];
    for (key, want, name, had, fixed) in ids {
        if let Some(w) = want
            .as_ref()
            .filter(|w| *w != name && **w != had.to_string())
        {
            was.insert(key.into(), had.into());
            now.insert(key.into(), id(w, fixed));
        }
    }
    if let Some(mode) = attrs
        .mode
        .as_ref()
        .filter(|m| !mode_matches(m, &before.mode))
    {
        let octal = |m: &str| u32::from_str_radix(m, 8).ok().map(|v| format!("0{v:03o}"));
        was.insert(
            "mode".into(),
            octal(&before.mode).unwrap_or_default().into(),
        );
        let fixed = after.and_then(|a| octal(&a.mode));
        now.insert(
            "mode".into(),
            octal(mode).or(fixed).unwrap_or(mode.clone()).into(),
        );
    }
    (was, now)
}

/// [`attrs_diff`] with owner and group names read as ids on the host when there is no stat
/// after to read them from (check mode), as Ansible's module looks them up.
pub(crate) async fn attrs_changes(
    ctx: &ModuleCtx<'_>,
    before: &RemoteStat,
    attrs: &Attrs,
    after: Option<&RemoteStat>,
) -> Result<(Map<String, Json>, Map<String, Json>), ModuleResult> {
    fn named(n: &Option<String>) -> Option<&String> {
        n.as_ref().filter(|n| n.parse::<u64>().is_err())
    }
    let (owner, group) = (named(&attrs.owner), named(&attrs.group));
    if after.is_some() || (owner.is_none() && group.is_none()) {
        return Ok(attrs_diff(before, attrs, after));
    }
    let lookup = |cmd: &str, name: Option<&String>| match name {
        Some(n) => format!("{cmd} {} 2>/dev/null || echo; ", quote(n)),
        None => "echo; ".to_string(),
    };
    let script = lookup("id -u --", owner) + &lookup("getent group --", group);
    let out = run(ctx, &script).await?;
    let mut lines = out.lines();
    let mut ids = before.clone();
    if let Some(uid) = lines.next().and_then(|l| l.trim().parse().ok()) {
        ids.uid = uid;
    }
    let gid = lines
        .next()
        .and_then(|l| l.split(':').nth(2)?.trim().parse().ok());
    if let Some(gid) = gid {
        ids.gid = gid;
    }
    // The mode is not read from this stand-in: attrs_diff takes it from the arguments.
    ids.mode = String::new();
    Ok(attrs_diff(before, attrs, Some(&ids)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What a diff records of the attributes asked, against a file root owns with mode 0644.
    #[test]
    fn attribute_changes_are_recorded_as_ansible_records_them() {
        let st = RemoteStat {
            exists: true,
            mode: "0644".into(),
            owner: "root".into(),
            group: "root".into(),
            ..Default::default()
        };
        let after = RemoteStat {
            uid: 2,
            gid: 3,
            mode: "2750".into(),
            ..st.clone()
        };
        let attrs = |mode: Option<&str>, owner: Option<&str>, group: Option<&str>| Attrs {
            mode: mode.map(String::from),
            owner: owner.map(String::from),
            group: group.map(String::from),
            ..Default::default()
        };
        let cases = [
            (
                attrs(Some("0644"), Some("root"), Some("0")),
                None,
                json!([{}, {}]),
            ),
            (
                attrs(Some("600"), None, None),
                None,
                json!([{"mode": "0644"}, {"mode": "0600"}]),
            ),
            (
                attrs(Some("u+x"), None, None),
                None,
                json!([{"mode": "0644"}, {"mode": "u+x"}]),
            ),
            (
                attrs(Some("g+s"), Some("bin"), Some("sys")),
                Some(&after),
                json!([{"mode": "0644", "owner": 0, "group": 0}, {"mode": "02750", "owner": 2, "group": 3}]),
            ),
            (
                attrs(None, Some("7"), None),
                None,
                json!([{"owner": 0}, {"owner": 7}]),
            ),
        ];
        for (asked, after, want) in cases {
            let (was, now) = attrs_diff(&st, &asked, after);
            assert_eq!(json!([was, now]), want, "{asked:?}");
        }
    }
}

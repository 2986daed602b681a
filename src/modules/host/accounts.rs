//! What the host's account databases say about a user or a group, read in one command: the
//! passwd and shadow entries, the groups listing the user as a member, and the groups a task
//! names. `user` and `group` query with these before they change anything.

use std::fmt::Write as _;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};

/// A passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Passwd {
    pub name: String,
    pub uid: u64,
    pub gid: u64,
    pub comment: String,
    pub home: String,
    pub shell: String,
}

/// A group entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub name: String,
    pub gid: u64,
    pub members: Vec<String>,
}

/// A shadow entry's fields that modules compare (empty when unreadable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Shadow {
    pub hash: String,
    pub min: String,
    pub max: String,
    pub warn: String,
    pub inactive: String,
    pub expire: String,
}

/// What a query found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The user's passwd entry.
    pub user: Option<Passwd>,
    /// The user's shadow entry.
    pub shadow: Option<Shadow>,
    /// The groups that list the user as a member.
    pub member_of: Vec<String>,
    /// The groups asked about, by the name or gid asked, that exist.
    pub groups: Vec<(String, Group)>,
    /// Whether the user's home directory (or the one asked) exists.
    pub home_exists: bool,
}

impl Found {
    /// The group asked about as `key` (a name or gid).
    pub(crate) fn group(&self, key: &str) -> Option<&Group> {
        self.groups.iter().find(|(k, _)| k == key).map(|(_, g)| g)
    }
}

/// Records a command's non-empty `stdout`/`stderr` with their `_lines`, as Ansible's
/// account modules return them.
pub(crate) fn record_output(data: &mut crate::vars::Vars, stdout: &str, stderr: &str) {
    for (k, v) in [("stdout", stdout), ("stderr", stderr)] {
        if !v.is_empty() {
            let lines: Vec<serde_json::Value> = v.lines().map(|l| l.into()).collect();
            data.insert(k.into(), v.into());
            data.insert(format!("{k}_lines"), lines.into());
        }
    }
}

/// Where entries are read: `getent` (every NSS source) or, for `local: true`, the files.
fn lookup(db: &str, key: &str, local: bool) -> String {
    let k = quote(key);
    match local {
        false => format!("getent {db} {k}"),
        true => format!(
            "awk -F: -v k={k} '$1==k || $3==k {{print; exit}}' /etc/{}",
            if db == "passwd" { "passwd" } else { "group" }
        ),
    }
}

/// Reads the user `name` (may be absent), its memberships, the groups in `groups`, and
/// whether `home` (else the user's home) exists.
pub(crate) async fn query(
    ctx: &ModuleCtx<'_>,
    name: Option<&str>,
    groups: &[&str],
    home: Option<&str>,
    local: bool,
) -> Result<Found, ModuleResult> {
    let mut s = String::new();
    if let Some(name) = name {
        let n = quote(name);
        let _ = write!(
            s,
            "p=$({pw}) && echo \"pw:$p\"; \
             s=$(getent shadow {n} 2>/dev/null) && echo \"sh:$s\"; \
             getent group | awk -F: -v u={n} '{{c=split($4,m,\",\"); for(i=1;i<=c;i++) if(m[i]==u) print \"mem:\" $1}}'; ",
            pw = lookup("passwd", name, local)
        );
        let h = match home {
            Some(h) => quote(h),
            None => "\"$(echo \"$p\" | cut -d: -f6)\"".to_string(),
        };
        let _ = write!(s, "h={h}; [ -n \"$h\" ] && [ -e \"$h\" ] && echo home:; ");
    }
    for g in groups {
        let _ = write!(
            s,
            "e=$({}) && echo \"grp:\"{}\"=$e\"; ",
            lookup("group", g, local),
            quote(g)
        );
    }
    s.push_str("true");
    Ok(parse(&host::run(ctx, &s).await?))
}

fn parse(out: &str) -> Found {
    let mut found = Found::default();
    for line in out.lines() {
        let Some((tag, rest)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "pw" => found.user = parse_passwd(rest),
            "sh" => found.shadow = Some(parse_shadow(rest)),
            "mem" => found.member_of.push(rest.to_string()),
            "home" => found.home_exists = true,
            "grp" => {
                if let Some((key, entry)) = rest.split_once('=') {
                    if let Some(g) = parse_group(entry) {
                        found.groups.push((key.to_string(), g));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// One `name:x:uid:gid:gecos:home:shell` line.
pub(crate) fn parse_passwd(line: &str) -> Option<Passwd> {
    let f: Vec<&str> = line.split(':').collect();
    (f.len() >= 7).then(|| Passwd {
        name: f[0].into(),
        uid: f[2].parse().unwrap_or(0),
        gid: f[3].parse().unwrap_or(0),
        comment: f[4].into(),
        home: f[5].into(),
        shell: f[6].into(),
    })
}

/// One `name:x:gid:a,b` line.
pub(crate) fn parse_group(line: &str) -> Option<Group> {
    let f: Vec<&str> = line.split(':').collect();
    (f.len() >= 4).then(|| Group {
        name: f[0].into(),
        gid: f[2].parse().unwrap_or(0),
        members: f[3]
            .split(',')
            .filter(|m| !m.is_empty())
            .map(String::from)
            .collect(),
    })
}

fn parse_shadow(line: &str) -> Shadow {
    let f: Vec<&str> = line.split(':').collect();
    let at = |i: usize| f.get(i).copied().unwrap_or("").to_string();
    Shadow {
        hash: at(1),
        min: at(3),
        max: at(4),
        warn: at(5),
        inactive: at(6),
        expire: at(7),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_output_is_read() {
        let f = parse(
            "pw:ann:x:1001:1002:Ann,,,:/home/ann:/bin/bash\n\
             sh:ann:$6$x$y:19000:0:99999:7:::\n\
             mem:sudo\nmem:adm\nhome:\n\
             grp:wheel=wheel:x:10:ann,bob\n",
        );
        let u = f.user.unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1001, 1002, "/home/ann"));
        assert_eq!(f.shadow.unwrap().hash, "$6$x$y");
        assert_eq!(f.member_of, ["sudo", "adm"]);
        assert!(f.home_exists);
        assert_eq!(f.groups[0].1.members, ["ann", "bob"]);
    }
}

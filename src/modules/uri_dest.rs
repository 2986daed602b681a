//! `uri`'s host-side files: the `creates`/`removes` guard, and `dest` — the body saved to a
//! temporary file beside it, moved into place only when it differs (or not fetched again
//! with `If-Modified-Since` when `force` is off and the server answers 304), then mode and
//! owner. A saved body is reported changed, as Ansible reports it.

use crate::connection::quote;
use crate::modules::host::{self, Attrs};
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// `creates`/`removes`: the skipped result when the request is not to be made.
pub(crate) async fn guard(
    ctx: &ModuleCtx<'_>,
    creates: &Option<String>,
    removes: &Option<String>,
) -> Result<Option<ModuleResult>, ModuleResult> {
    for (path, skip_if_there) in [(creates, true), (removes, false)] {
        let Some(path) = path else { continue };
        let there = host::run(ctx, &format!("[ -e {} ] && echo yes || true", quote(path))).await?;
        if (there.trim() == "yes") == skip_if_there {
            let why = if skip_if_there {
                "exists"
            } else {
                "does not exist"
            };
            let mut data = Vars::new();
            data.insert(
                "stdout".into(),
                format!("skipped, since '{path}' {why}").into(),
            );
            return Ok(Some(ModuleResult::ok(data)));
        }
    }
    Ok(None)
}

/// Where a response body goes.
pub(crate) struct Saved {
    dest: String,
    tmp: String,
    exists: bool,
}

impl Saved {
    /// `dest`, or a file in it named after the URL's last path segment when it is a directory.
    pub(crate) async fn new(
        ctx: &ModuleCtx<'_>,
        dest: &str,
        url: &str,
    ) -> Result<Saved, ModuleResult> {
        let st = host::stat(ctx, dest, false).await?;
        let dest = if st.is_dir() {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            let name = path
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or("index.html");
            format!("{}/{name}", dest.trim_end_matches('/'))
        } else {
            dest.to_string()
        };
        let exists = host::stat(ctx, &dest, false).await?.exists;
        let dir = dest
            .rsplit_once('/')
            .map_or(".", |(d, _)| if d.is_empty() { "/" } else { d });
        let tmp = format!("{dir}/.ferry-{:016x}.tmp", rand::random::<u64>());
        Ok(Saved { dest, tmp, exists })
    }

    /// The curl flags that save the body (and, without `force`, ask only for a newer one).
    pub(crate) fn curl_flags(&self, force: bool) -> String {
        let mut flags = format!(" -o {}", quote(&self.tmp));
        if !force && self.exists {
            flags.push_str(&format!(" -z {}", quote(&self.dest)));
        }
        flags
    }

    /// Moves the body into place if it differs from the file there; mode and owner.
    pub(crate) async fn finish(
        self,
        ctx: &ModuleCtx<'_>,
        mut r: ModuleResult,
        attrs: &Attrs,
    ) -> Result<ModuleResult, ModuleResult> {
        let (t, d) = (quote(&self.tmp), quote(&self.dest));
        let script = format!(
            "if [ ! -e {t} ]; then :; elif [ -e {d} ] && cmp -s -- {t} {d}; then rm -f -- {t}; \
             else mv -f -- {t} {d} && echo changed; fi"
        );
        let not_modified = r.data.get("status").and_then(|s| s.as_u64()) == Some(304);
        if r.failed || not_modified {
            host::run(ctx, &format!("rm -f -- {t}")).await?;
            r.data.insert("path".into(), self.dest.into());
            return Ok(r);
        }
        // Ansible reports a saved body as a change, even when the file was the same.
        host::run(ctx, &script).await?;
        r.changed = true;
        let st = host::stat(ctx, &self.dest, false).await?;
        r.changed |= host::fix_attrs(ctx, &self.dest, &st, attrs).await?;
        r.data.insert("path".into(), self.dest.into());
        Ok(r)
    }
}

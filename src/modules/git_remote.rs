//! `git`'s commands on the host ([`Git`]: the executable, `umask`, the SSH command for
//! `key_file`/`ssh_opts`/`accept_hostkey`, the C locale) and the remote's refs read from one
//! `git ls-remote` ([`RemoteRefs`]).

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::git_args::Args;
use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};

/// Runs git on the host for one task.
pub(crate) struct Git<'a> {
    pub ctx: &'a ModuleCtx<'a>,
    /// Environment, umask and the executable, put before every git command.
    prefix: String,
}

/// A git command's stdout, or its stdout and stderr when it failed.
pub(crate) type Ran = Result<String, (String, String)>;

impl<'a> Git<'a> {
    pub(crate) fn new(ctx: &'a ModuleCtx<'a>, args: &Args) -> Result<Git<'a>, ModuleResult> {
        let mut prefix =
            String::from("export LANG=C LC_ALL=C LC_MESSAGES=C LANGUAGE=C GIT_TERMINAL_PROMPT=0; ");
        match &args.umask {
            None | Some(Json::Null) => {}
            Some(Json::String(u))
                if !u.is_empty() && u.chars().all(|c| ('0'..='7').contains(&c)) =>
            {
                prefix.push_str(&format!("umask {u}; "));
            }
            Some(Json::String(_)) => {
                return Err(ModuleResult::failed("umask must be an octal integer"))
            }
            Some(_) => {
                return Err(ModuleResult::failed(
                    "umask must be defined as a quoted octal integer",
                ))
            }
        }
        if let Some(ssh) = ssh_command(args) {
            prefix.push_str(&format!("export GIT_SSH_COMMAND={}; ", quote(&ssh)));
        }
        prefix.push_str(&quote(args.executable.as_deref().unwrap_or("git")));
        Ok(Git { ctx, prefix })
    }

    /// Runs `git ARGS` (in `cwd`).
    pub(crate) async fn run(&self, cwd: Option<&str>, args: &str) -> Result<Ran, ModuleResult> {
        let cd = cwd.map_or(String::new(), |d| format!("cd {} && ", quote(d)));
        let out = self
            .ctx
            .exec(&format!("{cd}{} {args}", self.prefix))
            .await
            .map_err(|e| ModuleResult::unreachable(&e))?;
        Ok(match out.rc {
            0 => Ok(out.stdout),
            _ => Err((out.stdout, out.stderr)),
        })
    }

    /// Runs `git ARGS`; a failure is the module's, naming the command.
    pub(crate) async fn ok(&self, cwd: Option<&str>, args: &str) -> Result<String, ModuleResult> {
        self.run(cwd, args).await?.map_err(|(out, err)| {
            let mut r =
                ModuleResult::failed(format!("Failed to run git {args}: {}{}", out, err.trim()));
            r.data.insert("stderr".into(), err.into());
            r
        })
    }

    /// The commit checked out (`rev-parse HEAD`).
    pub(crate) async fn version(&self, dest: &str) -> Result<Option<String>, ModuleResult> {
        Ok(self
            .run(Some(dest), "rev-parse HEAD")
            .await?
            .ok()
            .map(|s| s.trim().to_string()))
    }

    /// Changes to tracked files (untracked ones do not count).
    pub(crate) async fn has_local_mods(&self, dest: &str) -> Result<bool, ModuleResult> {
        let out = self
            .run(Some(dest), "status --porcelain")
            .await?
            .unwrap_or_default();
        Ok(out.lines().any(|l| !l.starts_with("??")))
    }

    /// Points `remote` at `repo` if it points elsewhere (not in check mode); true if it
    /// pointed elsewhere.
    pub(crate) async fn set_remote_url(
        &self,
        dest: &str,
        remote: &str,
        repo: &str,
    ) -> Result<bool, ModuleResult> {
        let url = self
            .run(
                Some(dest),
                &format!("ls-remote --get-url {}", quote(remote)),
            )
            .await?;
        let Ok(url) = url.map(|u| u.trim().to_string()) else {
            return Ok(false);
        };
        let same = |a: &str, b: &str| {
            a.trim_end_matches('/').trim_end_matches(".git")
                == b.trim_end_matches('/').trim_end_matches(".git")
        };
        let plain = |u: &str| u.strip_prefix("file://").unwrap_or(u).to_string();
        if url == repo || same(&plain(&url), &plain(repo)) {
            return Ok(false);
        }
        if !self.ctx.check_mode {
            let set = format!("remote set-url {} {}", quote(remote), quote(repo));
            self.run(Some(dest), &set).await?.map_err(|(o, e)| {
                ModuleResult::failed(format!(
                    "Failed to set a new url {repo} for {remote}: {o} {e}"
                ))
            })?;
        }
        Ok(true)
    }

    /// The branch the remote's HEAD names, as recorded at clone time (else asked).
    pub(crate) async fn head_branch(
        &self,
        dest: &str,
        remote: &str,
    ) -> Result<Option<String>, ModuleResult> {
        let sym = format!("symbolic-ref --quiet refs/remotes/{}/HEAD", quote(remote));
        if let Ok(r) = self.run(Some(dest), &sym).await? {
            let prefix = format!("refs/remotes/{remote}/");
            return Ok(r.trim().strip_prefix(&prefix).map(String::from));
        }
        let remote_head = format!("ls-remote --symref {} HEAD", quote(remote));
        let out = self
            .run(Some(dest), &remote_head)
            .await?
            .unwrap_or_default();
        Ok(out.lines().find_map(|l| {
            let rest = l.strip_prefix("ref: refs/heads/")?;
            Some(rest.split('\t').next()?.to_string())
        }))
    }

    pub(crate) async fn is_remote_branch(
        &self,
        dest: &str,
        remote: &str,
        v: &str,
    ) -> Result<bool, ModuleResult> {
        let cmd = format!(
            "ls-remote {} -h {}",
            quote(remote),
            quote(&format!("refs/heads/{v}"))
        );
        Ok(self
            .run(Some(dest), &cmd)
            .await?
            .is_ok_and(|o| o.contains(v)))
    }

    pub(crate) async fn is_local_branch(&self, dest: &str, v: &str) -> Result<bool, ModuleResult> {
        let cmd = format!(
            "show-ref --verify --quiet {}",
            quote(&format!("refs/heads/{v}"))
        );
        Ok(self.run(Some(dest), &cmd).await?.is_ok())
    }

    /// `track_submodules`: whether a submodule's checkout differs from its remote's master.
    pub(crate) async fn submodules_behind(
        &self,
        dest: &str,
        remote: &str,
    ) -> Result<bool, ModuleResult> {
        let at = |r: &str| {
            format!(
                "submodule foreach --quiet {}",
                quote(&format!("git rev-parse {r}"))
            )
        };
        let now = self.ok(Some(dest), &at("HEAD")).await?;
        let tip = self
            .run(Some(dest), &at(&format!("{remote}/master")))
            .await?
            .unwrap_or_default();
        Ok(now != tip)
    }

    /// `verify_commit`: the tag's or commit's signature, from a key in `allow` if given.
    pub(crate) async fn verify(
        &self,
        dest: &str,
        v: &str,
        allow: &[String],
    ) -> Result<(), ModuleResult> {
        let tags = self
            .ok(
                Some(dest),
                "for-each-ref --format='%(objecttype) %(refname:short)' refs/tags",
            )
            .await?;
        let annotated = tags.lines().any(|l| l == format!("tag {v}"));
        let sub = if annotated {
            "verify-tag"
        } else {
            "verify-commit"
        };
        let raw = if allow.is_empty() { "" } else { " --raw" };
        let ran = self
            .run(Some(dest), &format!("{sub} {}{raw}", quote(v)))
            .await?;
        let err = match ran {
            Ok(_) => return Ok(()),
            Err((_, err)) if !allow.is_empty() && err.contains("VALIDSIG") => err,
            Err((out, err)) => {
                return Err(ModuleResult::failed(format!(
                    "Failed to verify GPG signature of commit/tag \"{v}\": {out}{err}"
                )))
            }
        };
        let fingerprint = err.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"VALIDSIG"))
                .then(|| f[if f.len() == 11 { 10 } else { 2 }].to_string())
        });
        match fingerprint {
            Some(f) if allow.contains(&f) => Ok(()),
            f => Err(ModuleResult::failed(format!(
                "The gpg_allowlist does not include the public key \"{}\" for this commit",
                f.unwrap_or_default()
            ))),
        }
    }

    /// `archive`: `git archive` of `version` into the file (replaced only if it differs);
    /// true if written.
    pub(crate) async fn archive(
        &self,
        dest: &str,
        archive: &str,
        prefix: Option<&str>,
        version: &str,
    ) -> Result<bool, ModuleResult> {
        let fmt = [(".zip", "zip"), (".tar.gz", "tar.gz"), (".gz", "tar.gz"), (".tgz", "tgz"), (".tar", "tar")]
            .iter()
            .find(|(ext, _)| archive.ends_with(ext))
            .map(|(_, f)| *f)
            .ok_or_else(|| ModuleResult::failed(format!(
                "Unable to get file extension from archive file name : {archive}; the format must be one of ['tar', 'tar.gz', 'zip', 'tgz']"
            )))?;
        let pre = prefix.map_or(String::new(), |p| format!(" --prefix {}", quote(p)));
        let tmp = host::run(self.ctx, "mktemp -d").await?.trim().to_string();
        let new = format!("{tmp}/new.{fmt}");
        let made = format!(
            "archive --format {fmt} --output {}{pre} {}",
            quote(&new),
            quote(version)
        );
        let ran = self.ok(Some(dest), &made).await;
        let (n, a) = (quote(&new), quote(archive));
        let script = format!(
            "if [ -e {a} ] && cmp -s -- {n} {a}; then echo same; else mv -f -- {n} {a}; fi; rm -rf -- {}",
            quote(&tmp)
        );
        let moved = match ran {
            Ok(_) => host::run(self.ctx, &script).await?,
            Err(e) => {
                host::run(self.ctx, &format!("rm -rf -- {}", quote(&tmp))).await?;
                return Err(e);
            }
        };
        Ok(moved.trim() != "same")
    }
}

/// The SSH command git uses for `key_file`, `ssh_opts` and the host key options.
fn ssh_command(args: &Args) -> Option<String> {
    let mut opts = args.ssh_opts.clone();
    let strict = match (args.accept_hostkey, args.accept_newhostkey) {
        (true, _) => Some("-o StrictHostKeyChecking=no"),
        (_, true) => Some("-o StrictHostKeyChecking=accept-new"),
        _ => None,
    };
    if let Some(s) = strict {
        let o = opts.get_or_insert_with(String::new);
        if !o.contains("StrictHostKeyChecking=no")
            && !o.contains("StrictHostKeyChecking=accept-new")
        {
            o.push(' ');
            o.push_str(s);
        }
    }
    if args.key_file.is_none() && opts.is_none() {
        return None;
    }
    let mut cmd = String::from("ssh");
    if let Some(key) = &args.key_file {
        cmd.push_str(&format!(" -i {} -o IdentitiesOnly=yes", quote(key)));
    }
    if let Some(o) = opts {
        cmd.push(' ');
        cmd.push_str(o.trim());
    }
    Some(cmd)
}

/// The remote's refs: `ls-remote --symref` output.
pub(crate) struct RemoteRefs {
    lines: Vec<(String, String)>,
    /// The branch the remote's HEAD points at.
    head_branch: Option<String>,
}

impl RemoteRefs {
    /// `git ls-remote --symref REMOTE` (a URL, or a remote's name read in `cwd`).
    pub(crate) async fn read(
        git: &Git<'_>,
        remote: &str,
        cwd: Option<&str>,
    ) -> Result<RemoteRefs, ModuleResult> {
        let out = git
            .run(cwd, &format!("ls-remote --symref {}", quote(remote)))
            .await?
            .map_err(|(o, e)| {
                ModuleResult::failed(format!(
                    "Failed to read the refs of {remote}: {o}{}",
                    e.trim()
                ))
            })?;
        let mut refs = RemoteRefs {
            lines: Vec::new(),
            head_branch: None,
        };
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("ref: refs/heads/") {
                if rest.ends_with("\tHEAD") {
                    refs.head_branch = rest.split('\t').next().map(String::from);
                }
                continue;
            }
            if let Some((sha, name)) = line.split_once('\t') {
                refs.lines.push((sha.to_string(), name.to_string()));
            }
        }
        Ok(refs)
    }

    fn sha(&self, name: &str) -> Option<String> {
        self.lines
            .iter()
            .find(|(_, n)| n == name)
            .map(|(s, _)| s.clone())
    }

    pub(crate) fn is_branch(&self, v: &str) -> bool {
        self.sha(&format!("refs/heads/{v}")).is_some()
    }

    pub(crate) fn is_tag(&self, v: &str) -> bool {
        self.sha(&format!("refs/tags/{v}")).is_some()
    }

    /// The commit `version` is on the remote: HEAD (or `head_branch`'s tip), a branch's tip,
    /// a tag's commit, else `version` itself (a commit).
    pub(crate) fn head_of(&self, version: &str, head_branch: Option<&str>) -> Option<String> {
        if version == "HEAD" {
            return match head_branch.or(self.head_branch.as_deref()) {
                Some(b) => self.sha(&format!("refs/heads/{b}")),
                None => self.sha("HEAD"),
            };
        }
        self.sha(&format!("refs/heads/{version}"))
            .or_else(|| self.sha(&format!("refs/tags/{version}^{{}}")))
            .or_else(|| self.sha(&format!("refs/tags/{version}")))
            .or_else(|| Some(version.to_string()))
    }
}

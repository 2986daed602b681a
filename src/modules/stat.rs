//! `stat`: reports what is at a path on the host; changes nothing.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{
    argnames, de_bool, typed, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "stat",
    args: Some(|| argnames::of::<Args>().to_vec()),
    run: |ctx, args| Box::pin(typed("stat", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    get_checksum: bool,
    checksum_algorithm: Option<String>,
    /// Report on the file a symlink points to rather than on the link.
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if let Some(alg) = args.checksum_algorithm.as_deref().filter(|a| *a != "sha1") {
        return Err(ModuleResult::failed(format!(
            "checksum_algorithm '{alg}' is not supported by ferry (sha1 is)"
        )));
    }
    let target = if args.follow {
        let line = format!("readlink -f -- {} || true", quote(&args.path));
        let out = host::run(ctx, &line).await?;
        match out.trim() {
            "" => args.path.clone(),
            resolved => resolved.to_string(),
        }
    } else {
        args.path.clone()
    };
    let st = host::stat(ctx, &target, args.get_checksum).await?;
    let mut stat = Vars::new();
    stat.insert("exists".into(), st.exists.into());
    if st.exists {
        let mode_num = u32::from_str_radix(&st.mode, 8).unwrap_or(0);
        stat.insert("path".into(), args.path.clone().into());
        stat.insert("mode".into(), st.mode.clone().into());
        stat.insert("isdir".into(), st.is_dir().into());
        stat.insert("isreg".into(), st.is_file().into());
        stat.insert("islnk".into(), st.is_link().into());
        stat.insert("size".into(), st.size.into());
        stat.insert("uid".into(), st.uid.into());
        stat.insert("gid".into(), st.gid.into());
        stat.insert("pw_name".into(), st.owner.clone().into());
        stat.insert("gr_name".into(), st.group.clone().into());
        stat.insert("mtime".into(), st.mtime.into());
        stat.insert("xusr".into(), (mode_num & 0o100 != 0).into());
        stat.insert("wusr".into(), (mode_num & 0o200 != 0).into());
        stat.insert("rusr".into(), (mode_num & 0o400 != 0).into());
        if let Some(t) = &st.link_target {
            stat.insert("lnk_target".into(), t.clone().into());
        }
        if let Some(sum) = &st.sha1 {
            stat.insert("checksum".into(), sum.clone().into());
        }
    }
    let mut data = Vars::new();
    data.insert("stat".into(), Json::Object(stat));
    Ok(ModuleResult::ok(data))
}

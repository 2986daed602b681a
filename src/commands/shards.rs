//! `ferry shards merge LOG...`: the `--output json` logs of every shard of one rollout as one
//! run — a line naming the shards, the recap (per stage) with every shard's hosts, a JUnit
//! file, and the exit code the unsharded run would have had.

use std::sync::Arc;

use crate::cli::{OutputFormat, ShardsMergeArgs};
use crate::error::Error;
use crate::events::Reporter;
use crate::output::human::Human;
use crate::output::json::JsonLines;
use crate::output::junit::Junit;
use crate::output::shards::{self, ShardLog};

/// Merges the logs; returns the merged exit code.
pub fn merge(args: &ShardsMergeArgs) -> Result<i32, Error> {
    let mut logs = args
        .logs
        .iter()
        .map(|p| ShardLog::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    shards::check(&mut logs)?;
    if let Some(path) = &args.junit {
        let junit = Junit::default();
        shards::replay(&logs, &junit);
        junit.write(path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    }
    let merged = shards::recaps(&logs);
    let main: Arc<dyn Reporter> = match args.output {
        OutputFormat::Human => {
            say(&format!("merged {} shards", logs.len()));
            Arc::new(Human::new(0))
        }
        OutputFormat::Json => Arc::new(JsonLines::default()),
    };
    for (stage, recap) in &merged.recaps {
        if let Some(stage) = stage {
            main.stage_start(stage);
        }
        main.recap(recap);
    }
    Ok(merged.exit_code)
}

fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

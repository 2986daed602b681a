//! What each shard of a rollout records in PostgreSQL besides its own row
//! (`postgres_rollouts.rs`): its part of each stage, merged into the run's stage rows, and its
//! report model, merged into the run's; and the shards as `ferry history show` lists them.
//! Each merge is one transaction under the run's advisory lock.

use crate::report::merge::merged;
use crate::report::model::Report;
use crate::state::postgres::{block, PgError, PgStore, NOW};
use crate::state::postgres_rollouts::lock_run;
use crate::state::rollout::{merged_exports, merged_stage, ShardRow};

impl PgStore {
    /// A shard's part of a stage starts; the first shard creates the stage's row.
    pub fn start_shard_stage(&self, run: i64, name: &str, status: &str) -> Result<(), PgError> {
        let sql = format!(
            "INSERT INTO stages(run_id, name, status, started) VALUES($1,$2,$3,{NOW})
             ON CONFLICT(run_id, name) DO NOTHING"
        );
        block(self.client().execute(&sql, &[&run, &name, &status]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// A shard's part of a stage ended: merged into the stage's row.
    pub fn finish_shard_stage(
        &self,
        run: i64,
        name: &str,
        status: &str,
        code: i64,
        exports: String,
    ) -> Result<(), PgError> {
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            lock_run(&tx, run).await?;
            let row = tx
                .query_one(
                    "SELECT status, exit_code, exports FROM stages WHERE run_id=$1 AND name=$2",
                    &[&run, &name],
                )
                .await?;
            let (theirs, their_code): (String, Option<i64>) = (row.get(0), row.get(1));
            let sql = format!(
                "UPDATE stages SET status=$3, exit_code=$4, finished={NOW}, exports=$5
                 WHERE run_id=$1 AND name=$2"
            );
            let status = merged_stage(&theirs, status);
            let code = their_code.unwrap_or(0).max(code);
            let exports = merged_exports(row.get(2), exports);
            tx.execute(&sql, &[&run, &name, &status, &code, &exports])
                .await?;
            tx.commit().await
        })
        .map_err(|e| self.err(e))
    }

    /// A rollout's run: `report` (this shard's) merged into what the shards before it stored,
    /// with the run's status, in one transaction. False if `id` is no rollout's run.
    pub(crate) fn store_shard_report(&self, id: i64, report: &mut Report) -> Result<bool, PgError> {
        let mut c = self.client();
        block(async {
            let tx = c.transaction().await?;
            lock_run(&tx, id).await?;
            let run = tx
                .query_opt(
                    "SELECT x.status, x.exit_code FROM rollouts r JOIN runs x ON x.id = r.run_id
                     WHERE r.run_id=$1",
                    &[&id],
                )
                .await?;
            let Some(run) = run else {
                return Ok(false);
            };
            let stored = tx
                .query_opt("SELECT model FROM reports WHERE run_id=$1", &[&id])
                .await?
                .and_then(|r| r.get::<_, Option<String>>(0));
            *report = merged(stored.as_deref(), report, run.get(0), run.get(1));
            let args = serde_json::to_string(&report.args).unwrap_or_default();
            let model = serde_json::to_string(&*report).unwrap_or_default();
            tx.execute(
                "INSERT INTO reports(run_id, args, model) VALUES($1,$2,$3)
                 ON CONFLICT(run_id) DO UPDATE SET args=$2, model=$3",
                &[&id, &args, &model],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .map_err(|e| self.err(e))
    }

    /// The shards of run `id`, by index.
    pub fn rollout_shards(&self, id: i64) -> Result<Vec<ShardRow>, PgError> {
        let rows = block(self.client().query(
            "SELECT r.key, s.shard, r.count, s.status, s.exit_code, s.\"user\", s.host
             FROM rollout_shards s JOIN rollouts r ON r.run_id = s.run_id
             WHERE s.run_id=$1 ORDER BY s.shard",
            &[&id],
        ))
        .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| {
                ShardRow::read(
                    r.get(0),
                    (r.get(1), r.get(2)),
                    r.get(3),
                    r.get(4),
                    (r.get(5), r.get(6)),
                )
            })
            .collect())
    }
}

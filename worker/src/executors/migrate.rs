//! The `migrate` kind: a live source copied in passes until it converges, then cut over
//! (or, with `cutover: never`, replicated for ever).
//!
//! # Passes
//! Each pass lists the source and sorts it against the per-path records of what earlier
//! passes copied ([`changes`]): files no record covers, files whose size or tag (or time)
//! moved, and recorded paths that vanished. A pass with no records at all (the first)
//! runs the whole prefix through the copy engine (listing both sides, sharding across
//! workers, skipping what is already in place by `overwrite`); later passes copy only
//! the changed files, in batches of at most [`BATCH_FILES`] files or [`BATCH_BYTES`]
//! through the copy engine's explicit file list, and (with `delete_extraneous`) delete
//! the vanished ones, within `max_delete`. After each batch its files are recorded, so a
//! killed worker's next attempt starts the pass again with those batches done; files
//! a lost batch had already written are found in place by the copy's decision.
//!
//! # Where the records live, and what they cost
//! In the destination's `.ferry/migrate/<key>/` ([`crate::state_log`]), not the
//! database: the worker never sees the database, and the records must be next to the
//! data they describe to survive a restore of either. A record is about 80 bytes of JSON
//! (path, size, time, tag), so 1,000,000 paths are a snapshot of about 80–120 MB,
//! rewritten once every [`COMPACT_EVERY`] journals, plus one small journal object per
//! batch; in memory about 200 bytes a path.
//!
//! # Converging and cutting over
//! A pass that finds at most `converge.max_changed` changes has converged. Passes before
//! the first convergence count against `max_passes`. Once converged, `auto` runs a final
//! pass and a check (`verify: checksum` compares content, else sizes) and succeeds;
//! `manual` keeps passing until the cutover is asked for (the coordinator flag set by
//! `POST /api/v1/tasks/{id}/cutover`), then does the same; `never` keeps passing and
//! rides out a destination that is down (a failed pass is reported and the next one
//! tries again: the backlog and lag show the catching up).
//!
//! # Progress
//! The live progress carries the pass, the backlog (changes found and not yet copied)
//! and the lag (age of the oldest change not yet copied); the result lists every pass.

mod changes;

use super::copy::run_copy;
use super::support::wrong_body;
use crate::listing::{Entry, Filter, list};
use crate::state_log::{StateLog, pair_key};
use crate::stores::{Resolved, StoreResolver};
use changes::{Changes, Copied, changes};
use chrono::Utc;
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::{CheckMode, CheckTask, CopyTask, Cutover, Destination, ListedFile, MigrateTask, OnInconsistent, Overwrite, TaskBody, Verify};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Most files copied between two records of progress.
pub const BATCH_FILES: usize = 2_000;
/// Most bytes copied between two records of progress.
pub const BATCH_BYTES: u64 = 4 << 30;
/// Journals written before they are folded into a new snapshot.
pub const COMPACT_EVERY: u64 = 64;
/// Times a batch is tried again after source files vanished under it.
const VANISHED_RETRIES: u32 = 5;
/// Pass summaries kept in the result (the newest).
const PASSES_KEPT: usize = 50;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(MigrateExecutor { resolver: resolver.clone() })
}

/// Runs `migrate` tasks.
#[derive(Debug, Clone)]
pub struct MigrateExecutor {
    resolver: StoreResolver,
}

#[async_trait::async_trait]
impl Executor for MigrateExecutor {
    fn kind(&self) -> &'static str {
        "migrate"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Migrate(task) = body else {
            return Err(wrong_body("migrate", body));
        };
        let resolver = self.resolver.for_attempt(ctx);
        let mut src = resolver.resolve_full(&task.source)?;
        let mut dst = resolver.resolve_full(&task.destination)?;
        (src.explicit_prefix, dst.explicit_prefix) = (true, true);
        let key = pair_key(src.url.as_str(), dst.url.as_str());
        let log = open_records(ctx, task, &src, &dst, &key).await?;
        let mut m = Migration { ctx, task, resolver: &resolver, src: &src, dst: &dst, log, state: State::default(), max_lag: 0, left: (0, None), last_clean: None };
        m.state = State::resume(m.log.meta(), ctx);
        m.run().await
    }
}

/// What a migration keeps beside its records between attempts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// The task these figures belong to; another task starts counting afresh (its
    /// records still spare it what is in place).
    task: String,
    /// Passes completed.
    pass: u64,
    /// Passes that counted against `max_passes` (those before the first convergence).
    counted: u32,
    /// The newest pass summaries.
    passes: Vec<Value>,
    /// Totals over every pass (the summaries keep only the newest).
    #[serde(default)]
    totals: Totals,
    /// The first pass that converged.
    #[serde(default)]
    converged_after: Option<u64>,
    /// When the first pass began: the lag of a change older than the migration counts
    /// from here.
    #[serde(default)]
    since: Option<chrono::DateTime<Utc>>,
}

/// Files and bytes a migration moved over all its passes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Totals {
    copied: u64,
    bytes_copied: u64,
    deleted: u64,
}

impl State {
    /// Whether a pass has converged (passes after it do not count against `max_passes`).
    fn converged(&self) -> bool {
        self.converged_after.is_some()
    }

    fn resume(meta: &Value, ctx: &ExecContext) -> Self {
        let task = ctx.task_id.to_string();
        match serde_json::from_value::<State>(meta.clone()) {
            Ok(s) if s.task == task => s,
            _ => State { task, ..State::default() },
        }
    }
}

struct Migration<'a> {
    ctx: &'a ExecContext,
    task: &'a MigrateTask,
    resolver: &'a StoreResolver,
    src: &'a Resolved,
    dst: &'a Resolved,
    log: StateLog<Copied>,
    state: State,
    max_lag: u64,
    /// What the last pass left undone: changes not copied, and the oldest of them.
    left: (u64, Option<chrono::DateTime<Utc>>),
    /// When the last pass that finished without an error began (listed the source).
    last_clean: Option<chrono::DateTime<Utc>>,
}

/// What one pass did.
#[derive(Debug, Default)]
struct PassDone {
    found: u64,
    bytes_found: u64,
    copied: u64,
    bytes_copied: u64,
    deleted: u64,
    lag_secs: u64,
    /// The file behind the lag.
    oldest_path: Option<String>,
}

impl Migration<'_> {
    async fn run(&mut self) -> Result<TaskOutput, ExecError> {
        let mut final_pass = false;
        loop {
            let pass = self.state.pass + 1;
            let counts = !self.state.converged();
            let (started, started_at) = (Instant::now(), Utc::now());
            let done = self.pass(pass).await;
            let mut summary = json!({"pass": pass, "final": final_pass, "started_at": started_at, "seconds": started.elapsed().as_secs_f64()});
            let converged_now = match &done {
                Ok(d) => {
                    self.last_clean = Some(started_at);
                    let converged = d.found <= self.task.converge.max_changed;
                    let t = &mut self.state.totals;
                    (t.copied, t.bytes_copied, t.deleted) = (t.copied + d.copied, t.bytes_copied + d.bytes_copied, t.deleted + d.deleted);
                    if converged {
                        self.state.converged_after.get_or_insert(pass);
                    }
                    for (k, v) in [
                        ("found_changed", d.found),
                        ("bytes_changed", d.bytes_found),
                        ("copied", d.copied),
                        ("bytes_copied", d.bytes_copied),
                        ("deleted", d.deleted),
                        ("backlog", 0),
                        ("lag_secs", d.lag_secs),
                    ] {
                        summary[k] = json!(v);
                    }
                    summary["converged"] = json!(converged);
                    if let Some(p) = &d.oldest_path {
                        summary["oldest_change"] = json!(p);
                    }
                    converged
                }
                Err(ExecError::Retryable(msg)) if self.task.cutover == Cutover::Never => {
                    // A DR copy rides out an outage: the next pass tries again, and the
                    // backlog and lag show how far behind it fell.
                    let lag = self.left.1.map_or(0, age);
                    self.max_lag = self.max_lag.max(lag);
                    summary["error"] = json!(msg);
                    summary["backlog"] = json!(self.left.0);
                    summary["lag_secs"] = json!(lag);
                    false
                }
                Err(e) => {
                    let _ = self.log.flush().await;
                    return Err(e.clone());
                }
            };
            if counts {
                self.state.counted += 1;
            }
            self.state.pass = pass;
            self.state.passes.push(summary);
            let excess = self.state.passes.len().saturating_sub(PASSES_KEPT);
            self.state.passes.drain(..excess);
            match self.save().await {
                Err(ExecError::Retryable(_)) if self.task.cutover == Cutover::Never => {}
                other => other?,
            }
            let (backlog, oldest) = if done.is_ok() { (0, None) } else { self.left };
            self.ctx.progress.set_pass(pass, backlog, oldest, self.state.converged());
            if final_pass {
                return self.cut_over().await;
            }
            if converged_now {
                let due = match self.task.cutover {
                    Cutover::Auto => true,
                    Cutover::Manual => self.ctx.cutover_requested().await,
                    Cutover::Never => false,
                };
                if due {
                    final_pass = true;
                    continue;
                }
            }
            if !self.state.converged() && self.state.counted >= self.task.converge.max_passes {
                return Err(ExecError::Fatal(format!(
                    "the migration did not converge within {} passes (max_passes): the last pass found {} changes, more than max_changed ({}); the source is changing faster than it is copied",
                    self.task.converge.max_passes,
                    done.map(|d| d.found).unwrap_or_default(),
                    self.task.converge.max_changed
                )));
            }
            self.pause().await?;
        }
    }

    /// Sleeps `pass_interval`, waking at once for a cancel, and for a cutover asked of a
    /// converged manual migration.
    async fn pause(&self) -> Result<(), ExecError> {
        let until = Instant::now() + self.task.converge.pass_interval.0;
        while Instant::now() < until {
            let step = until.saturating_duration_since(Instant::now()).min(Duration::from_secs(1));
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => return Err(ExecError::Cancelled),
                _ = tokio::time::sleep(step) => {}
            }
            if self.task.cutover == Cutover::Manual && self.state.converged() && self.ctx.cutover_requested().await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn save(&mut self) -> Result<(), ExecError> {
        let meta = serde_json::to_value(&self.state).expect("state serializes");
        self.log.save_meta(meta).await?;
        if self.log.journals_since_snapshot() >= COMPACT_EVERY {
            self.log.compact().await?;
        }
        Ok(())
    }

    /// One pass: list, sort against the records, copy and delete what changed.
    async fn pass(&mut self, pass: u64) -> Result<PassDone, ExecError> {
        let filter = Filter::new(&self.task.include, &self.task.exclude)?;
        let listing = list(self.src, &filter)
            .await
            .map_err(|e| crate::error::store_exec_error(&format!("listing {}", self.src.url), e))?;
        if !listing.exists {
            return Err(ExecError::Fatal(format!("source {} not found", self.task.source.url)));
        }
        let first = self.log.records().is_empty();
        let found = changes(listing.entries, self.log.records());
        // A change waits from when it was made — but not from before the migration began
        // (pass 1 of an old lake is not years behind), nor from before the listing of the
        // last pass that copied everything it found: a change older than that listing
        // would have been found by it, so its time is a writer caught mid-write.
        let since = *self.state.since.get_or_insert_with(Utc::now);
        let since = self.last_clean.map_or(since, |clean| clean.max(since));
        let oldest = found.oldest().map(|t| t.max(since));
        let mut done = PassDone { found: found.count(), bytes_found: found.bytes(), lag_secs: oldest.map_or(0, age), ..PassDone::default() };
        self.max_lag = self.max_lag.max(done.lag_secs);
        self.left = (done.found, oldest);
        done.oldest_path = found.oldest_file().map(|e| e.rel_path.clone());
        let Changes { added, changed, vanished } = found;
        let mut backlog = done.found;
        self.ctx.progress.add_total(added.len() as u64 + changed.len() as u64, done.bytes_found);
        self.ctx.progress.set_pass(pass, backlog, self.left.1, self.state.converged());
        if self.task.delete_extraneous
            && let Some(max) = self.task.max_delete
            && !max.allows(vanished.len() as u64, self.log.records().len() as u64)
        {
            return Err(ExecError::Fatal(format!(
                "pass {pass} would delete {} of the {} files migrated (e.g. {}), more than max_delete allows ({max}); nothing was deleted",
                vanished.len(),
                self.log.records().len(),
                vanished.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        let mut whole = first && !added.is_empty();
        if whole {
            // Nothing recorded: the whole prefix through the copy engine (sharded). A file
            // the writers delete meanwhile fails it; then the batches below take over.
            match run_copy(self.resolver, self.ctx, &self.copy_task(None, self.task.overwrite), false).await {
                Ok(out) => {
                    done.copied += out.result["files_copied"].as_u64().unwrap_or(0);
                    done.bytes_copied += out.result["bytes_copied"].as_u64().unwrap_or(0);
                    for e in &added {
                        self.log.set(&e.rel_path, Some(Copied::of(e)));
                    }
                    self.log.flush().await?;
                }
                Err(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                Err(_) => whole = false,
            }
        }
        if !whole {
            let mut todo: Vec<(Entry, Overwrite)> =
                changed.into_iter().map(|e| (e, Overwrite::Overwrite)).chain(added.into_iter().map(|e| (e, self.task.overwrite))).collect();
            todo.sort_by_key(|(e, _)| e.last_modified);
            while !todo.is_empty() {
                let mut take = 0;
                let mut bytes = 0;
                while take < todo.len() && take < BATCH_FILES && (take == 0 || bytes + todo[take].0.size <= BATCH_BYTES) {
                    bytes += todo[take].0.size;
                    take += 1;
                }
                let batch: Vec<(Entry, Overwrite)> = todo.drain(..take).collect();
                let mut kept = Vec::with_capacity(batch.len());
                for mode in [Overwrite::Overwrite, self.task.overwrite] {
                    let files: Vec<Entry> = batch.iter().filter(|(_, m)| *m == mode).map(|(e, _)| e.clone()).collect();
                    if !files.is_empty() {
                        let (files, (n, b)) = self.copy_files(files, mode).await?;
                        done.copied += n;
                        done.bytes_copied += b;
                        kept.extend(files);
                    }
                    if mode == self.task.overwrite {
                        break;
                    }
                }
                for e in &kept {
                    self.log.set(&e.rel_path, Some(Copied::of(e)));
                }
                self.log.flush().await?;
                backlog = backlog.saturating_sub(batch.len() as u64);
                let oldest = todo.iter().map(|(e, _)| e.last_modified.max(since)).min();
                self.left = (backlog, oldest);
                self.ctx.progress.set_pass(pass, backlog, oldest, self.state.converged());
            }
        }
        if self.task.delete_extraneous && !vanished.is_empty() {
            done.deleted = self.delete(&vanished).await?;
        } else if !vanished.is_empty() {
            // Not propagated: forget them, so they are not found again every pass.
            for p in &vanished {
                self.log.set(p, None);
            }
            self.log.flush().await?;
        }
        Ok(done)
    }

    /// Copies `files` with one copy over an explicit list. A live source loses files
    /// between listing and reading: when the copy fails, the files still there are tried
    /// again (up to [`VANISHED_RETRIES`] times) and the vanished ones are left to the next
    /// pass, which finds them gone. Returns the files copied or confirmed in place, with
    /// the copy's files and bytes written.
    async fn copy_files(&self, mut files: Vec<Entry>, mode: Overwrite) -> Result<(Vec<Entry>, (u64, u64)), ExecError> {
        let mut tries = 0;
        loop {
            let list = files.iter().map(|e| ListedFile { path: e.rel_path.clone(), size: None, blake3: None }).collect();
            match run_copy(self.resolver, self.ctx, &self.copy_task(Some(list), mode), false).await {
                Ok(out) => {
                    let n = |k: &str| out.result[k].as_u64().unwrap_or(0);
                    return Ok((files, (n("files_copied"), n("bytes_copied"))));
                }
                Err(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                Err(e) => {
                    let before = files.len();
                    let mut still = Vec::with_capacity(before);
                    for f in files {
                        match object_store::ObjectStoreExt::head(self.src.store.as_ref(), &f.location).await {
                            Err(object_store::Error::NotFound { .. }) => {}
                            _ => still.push(f),
                        }
                    }
                    tries += 1;
                    if still.len() == before || tries > VANISHED_RETRIES {
                        return Err(e);
                    }
                    files = still;
                    if files.is_empty() {
                        return Ok((files, (0, 0)));
                    }
                }
            }
        }
    }

    /// Deletes vanished paths at the destination (into its versions when asked).
    async fn delete(&mut self, vanished: &[String]) -> Result<u64, ExecError> {
        let dst = self.dst;
        let mut n = 0;
        for p in vanished {
            crate::versions::remove(dst, p, self.task.versions.as_ref())
                .await
                .map_err(|e| crate::error::store_exec_error(&format!("deleting {p} at {}", dst.url), e))?;
            n += 1;
            self.log.note(p, None).await?;
        }
        self.log.flush().await?;
        Ok(n)
    }

    /// The copy a pass runs: the whole prefix, or the given files.
    fn copy_task(&self, files: Option<Vec<ListedFile>>, overwrite: Overwrite) -> CopyTask {
        let mut c = CopyTask::between(self.task.source.clone(), vec![Destination::sync(self.task.destination.clone())]);
        c.files = files;
        c.include = self.task.include.clone();
        c.exclude = self.task.exclude.clone();
        c.overwrite = overwrite;
        c.verify = self.task.verify;
        c.versions = self.task.versions;
        c
    }

    /// The final check, and the result.
    async fn cut_over(&mut self) -> Result<TaskOutput, ExecError> {
        self.log.compact().await?;
        let check = CheckTask {
            source: self.task.source.clone(),
            target: self.task.destination.clone(),
            mode: if self.task.verify == Verify::Checksum { CheckMode::Checksum } else { CheckMode::Size },
            include: self.task.include.clone(),
            exclude: self.task.exclude.clone(),
            on_inconsistent: OnInconsistent::Report,
        };
        let out = crate::compare::run(self.resolver, self.ctx, &check).await?;
        if let Some(text) = crate::compare::inconsistency(&out, self.task.delete_extraneous) {
            return Err(ExecError::Fatal(format!(
                "cutover check found the destination different from the source: {text}; were writers still running?"
            )));
        }
        let result = json!({
            "passes": self.state.passes,
            "passes_total": self.state.pass,
            "converged_after_pass": self.state.converged_after,
            "files_copied": self.state.totals.copied,
            "bytes_copied": self.state.totals.bytes_copied,
            "files_deleted": self.state.totals.deleted,
            "max_lag_secs": self.max_lag,
            "check": out.result,
            "cut_over_at": Utc::now(),
            "summary": format!("{} passes, cut over; check: {} files agree", self.state.pass, out.result["source_files"]),
        });
        Ok(TaskOutput { result, report: None })
    }
}

/// The records, read from the destination. A replication (`cutover: never`) whose
/// destination is down keeps trying every `pass_interval`, showing everything at the
/// source as its backlog and the oldest file's age as its lag, rather than failing.
async fn open_records(ctx: &ExecContext, task: &MigrateTask, src: &Resolved, dst: &Resolved, key: &str) -> Result<StateLog<Copied>, ExecError> {
    let since = Utc::now();
    loop {
        let err = match StateLog::open(dst, "migrate", key).await {
            Ok(log) => return Ok(log),
            Err(e) => ExecError::from(e),
        };
        if task.cutover != Cutover::Never || !matches!(err, ExecError::Retryable(_)) {
            return Err(err);
        }
        let filter = Filter::new(&task.include, &task.exclude)?;
        if let Ok(listing) = list(src, &filter).await {
            let oldest = listing.entries.iter().map(|e| e.last_modified.max(since)).min();
            ctx.progress.set_pass(1, listing.entries.len() as u64, oldest, false);
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(ExecError::Cancelled),
            _ = tokio::time::sleep(task.converge.pass_interval.0.max(Duration::from_secs(1))) => {}
        }
    }
}

fn age(t: chrono::DateTime<Utc>) -> u64 {
    (Utc::now() - t).num_seconds().max(0) as u64
}

#[cfg(test)]
mod tests;

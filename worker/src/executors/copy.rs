//! The `copy` kind: files from one location to one or more destinations.
//!
//! # How an attempt runs
//! 1. A source that is a prefix is planned and run in shards ([`sharded`]): source and
//!    destinations listed as sorted streams, merged, decided file by file, the work cut
//!    into shards that run inline or on every worker. A single file is one inline shard.
//!    Nothing there at all is fatal: "source … not found".
//! 2. A destination is always a folder: the source's relative paths are written under it
//!    (`file:///in/a.csv` → `file:///out/` writes `/out/a.csv`).
//! 3. Per file, decide for each destination whether to write it ([`crate::decide`]),
//!    then read the source **once** and stream it to every destination that needs it
//!    ("feed several clusters from one source read"). Up to [`MAX_FILES_IN_FLIGHT`]
//!    files move at a time per shard. A destination that fails does not stop the others;
//!    the attempt fails at the end naming each destination's outcome, and the retry
//!    writes only where the file is still missing.
//!
//! Redelivered attempts are cheap: files that already landed are skipped by the same
//! decision (in the default `skip` mode: same size at the destination).
//!
//! # Local to local
//! A file going from a local source to exactly one local destination skips
//! `object_store` and is copied by the kernel (`copy_file_range`) into a staging file
//! that is then renamed (see [`local`]); the guarantees below hold the same way.
//!
//! # Nothing half-written is visible
//! Files under [`SMALL_FILE_LIMIT`] are read whole and written with one `put`; larger
//! ones are streamed through `put_multipart` ([`WriteMultipart`], a few parts in flight
//! per destination). Neither ever shows a partial file at its final name:
//!
//! - `LocalFileSystem` (checked in object_store 0.14.2 `src/local.rs`): `put_opts` and
//!   `put_multipart_opts` both open a staging file `<dest>#<n>` next to the destination
//!   (`new_staged_upload`, `create_new`), write into it, and publish it with a `rename(2)`
//!   (`finish_staged_rename`, called from `put_opts` and from `LocalUpload::complete`) —
//!   atomic within one filesystem. Listings skip `#<n>` staging names
//!   (`is_valid_file_path`), and an upload that is aborted or dropped (error,
//!   cancellation) deletes its staging file (`LocalUpload::abort` / `Drop`).
//! - Object stores (S3, GCS, Azure): a `PUT` is atomic, and a multipart upload's object
//!   appears only when the upload is completed. On error or cancellation the upload is
//!   aborted; an upload lost to a crash stays invisible (bucket lifecycle rules reap it).
//! - `InMemory`: `put` inserts the whole object; multipart parts are buffered and
//!   inserted on completion.
//!
//! # Dry run
//! With `dry_run: true` the same decisions are made (hashing in checksum mode) and
//! reported, file by file with the reason, but nothing is written or deleted (see
//! [`dry_run`]).
//!
//! # Verify
//! With `verify: checksum` the source is hashed as it is read, every written file is read
//! back and compared, files left in place are confirmed by hash, and the report is a
//! manifest of path, size and hash (see [`verify`]).
//!
//! # Bandwidth
//! Under a `bandwidth` budget (the task's, the pipeline's) the bytes read are metered and
//! drawn from the coordinator's shared bucket ([`ferry_common::throttle`]), so all the
//! workers of a task or run stay within it together; such copies skip the local fast path.
//!
//! # Unpack
//! With `unpack: true` the source is one archive expanded into every destination as it
//! streams (see [`unpack`]).
//!
//! # Mirror
//! With `delete_extraneous: true`, destination files the source lacks are deleted after
//! the copy, within the `max_delete` guard (see [`mirror`]).
//!
//! # Result
//! `{"files_total", "bytes_total", "files_copied", "bytes_copied", "files_skipped",
//! "bytes_skipped", "destinations": [{"url", "files_copied", "bytes_copied",
//! "files_skipped", "bytes_skipped"}]}`, plus `files_deleted` and `bytes_deleted` (in
//! both places) for a mirror, and `files_verified` with `verify: checksum`; totals are
//! summed over destinations (`files_total` = source files × destinations). The report is
//! the manifest when verifying, else there is none.
//!
//! # Progress
//! `files_total`/`bytes_total` grow by the whole work (files × destinations) right after
//! listing; skipped files count as done at once, copied bytes as they stream, a copied
//! file when it has landed.

use super::{cancellable, wrong_body};
use crate::decide::{Decision, decide, decide_by_hash, reason};
use crate::error::store_exec_error;
use crate::hash::hash_at;
use crate::listing::{Entry, Filter, anything_at, join, list};
use crate::stores::{Resolved, StoreResolver};
use bytes::Bytes;
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::shards::{ShardFile, ShardOrder, ShardState};
use ferry_common::spec::{CopyTask, Overwrite, TaskBody, Verify};
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Files copied concurrently within one attempt.
pub const MAX_FILES_IN_FLIGHT: usize = 16;
/// Files smaller than this are buffered and written with a single `put`.
pub const SMALL_FILE_LIMIT: u64 = 8 * 1024 * 1024;
/// Multipart parts in flight per destination of one large file.
const PARTS_IN_FLIGHT: usize = 4;

/// The registry's constructor for this kind.
pub(crate) fn executor(resolver: &StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(CopyExecutor::new(resolver.clone()))
}

/// Runs `copy` tasks through the shared store resolver.
#[derive(Debug, Clone)]
pub struct CopyExecutor {
    resolver: StoreResolver,
}

impl CopyExecutor {
    /// A copy executor resolving locations with `resolver`.
    pub fn new(resolver: StoreResolver) -> Self {
        Self { resolver }
    }
}

/// Per-destination counters, as reported in the result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    files_copied: u64,
    bytes_copied: u64,
    files_skipped: u64,
    bytes_skipped: u64,
    files_deleted: u64,
    bytes_deleted: u64,
}

impl Tally {
    /// Adds a shard's counters for this destination (copied files and bytes, skipped
    /// files and bytes, as [`ShardState::tallies`] holds them).
    fn add_shard(&mut self, t: &[u64; 4]) {
        self.files_copied += t[0];
        self.bytes_copied += t[1];
        self.files_skipped += t[2];
        self.bytes_skipped += t[3];
    }
}

/// One destination with what it already holds.
struct Dest {
    loc: Resolved,
    existing: HashMap<String, Entry>,
}

/// What happened to one file at one destination. A destination that fails does not stop
/// the others: the file is still written wherever it can be, and the attempt fails at its
/// end naming the destinations that did (a retry then writes only there).
enum FileOutcome {
    Copied(u64),
    Skipped(u64),
    Failed(ExecError),
}

/// One source file's outcomes, with its hash when the copy verifies.
struct FileDone {
    rel_path: String,
    size: u64,
    per_dest: Vec<(usize, FileOutcome)>,
    hash: Option<blake3::Hash>,
}

#[async_trait::async_trait]
impl Executor for CopyExecutor {
    fn kind(&self) -> &'static str {
        "copy"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Copy(task) = body else {
            return Err(wrong_body("copy", body));
        };
        run(&self.resolver, ctx, task).await
    }

    async fn execute_shard(
        &self,
        ctx: &ExecContext,
        body: &TaskBody,
        order: &ShardOrder,
    ) -> Result<ShardState, ExecError> {
        let TaskBody::Copy(task) = body else {
            return Err(wrong_body("copy", body));
        };
        let src = self.resolver.resolve_full(&task.source)?;
        let dests = task
            .destinations
            .iter()
            .map(|d| self.resolver.resolve_full(d))
            .collect::<Result<Vec<_>, _>>()?;
        shard::run(ctx, task, &src, &dests, order.files.clone(), shard::SourceShape::Prefix, true).await
    }
}

async fn run(
    resolver: &StoreResolver,
    ctx: &ExecContext,
    task: &CopyTask,
) -> Result<TaskOutput, ExecError> {
    if task.destinations.is_empty() {
        return Err(ExecError::Fatal(
            "a copy needs at least one destination".into(),
        ));
    }
    let filter = Filter::new(&task.include, &task.exclude)?;
    let src = resolver.resolve_full(&task.source)?;
    let mut dest_locs = Vec::with_capacity(task.destinations.len());
    for d in &task.destinations {
        let mut loc = resolver.resolve_full(d)?;
        loc.explicit_prefix = true;
        dest_locs.push(loc);
    }

    if !task.unpack && !task.dry_run && names_prefix(&src).await? {
        let exists = anything_at(&src).await.map_err(|e| store_exec_error(&format!("listing {}", src.url), e))?;
        if !exists {
            return Err(ExecError::Fatal(format!("source {} not found", task.source.url)));
        }
        return sharded::run(ctx, task, &src, &dest_locs, &filter).await;
    }

    if task.unpack {
        if task.delete_extraneous || task.dry_run || task.verify == Verify::Checksum {
            return Err(ExecError::Fatal(
                "unpack cannot be combined with delete_extraneous, dry_run or verify yet".into(),
            ));
        }
        return unpack::run(ctx, task, &src, &dest_locs).await;
    }

    let listing = cancellable(&ctx.cancel, async {
        list(&src, &filter)
            .await
            .map_err(|e| store_exec_error(&format!("listing {}", src.url), e))
    })
    .await?;
    if !listing.exists {
        return Err(ExecError::Fatal(format!(
            "source {} not found",
            task.source.url
        )));
    }

    let n_dest = dest_locs.len() as u64;
    let files_total = listing.entries.len() as u64 * n_dest;
    let bytes_total = listing.total_bytes() * n_dest;

    if task.dry_run {
        let mut dests = Vec::with_capacity(dest_locs.len());
        for loc in dest_locs {
            let l = cancellable(&ctx.cancel, async {
                list(&loc, &filter)
                    .await
                    .map_err(|e| store_exec_error(&format!("listing {}", loc.url), e))
            })
            .await?;
            let existing = l.entries.into_iter().map(|e| (e.rel_path.clone(), e)).collect();
            dests.push(Dest { loc, existing });
        }
        let deletions = mirror::plan(task, &listing, &dests)?;
        ctx.progress.add_total(files_total, bytes_total);
        return dry_run::run(ctx, task, &src, &dests, listing.entries, deletions).await;
    }

    // A single file (prefixes go through `sharded`): one inline shard, which looks the
    // file up at each destination rather than listing the destination folders. Only the
    // refusal of a single-file mirror is wanted from the mirror plan.
    mirror::plan(task, &listing, &[])?;
    ctx.progress.add_total(files_total, bytes_total);
    let files = listing
        .entries
        .into_iter()
        .map(|e| ShardFile {
            dests: vec![None; dest_locs.len()],
            path: e.rel_path,
            size: e.size,
            modified: e.last_modified,
        })
        .collect();
    let state = shard::run(ctx, task, &src, &dest_locs, files, shard::SourceShape::SingleObject, true).await?;
    let mut tallies = vec![Tally::default(); dest_locs.len()];
    for (t, s) in tallies.iter_mut().zip(&state.tallies) {
        t.add_shard(s);
    }
    let mut manifest = verify::Manifest::default();
    manifest.extend(state.manifest);

    let mut result = result_json(files_total, bytes_total, task, &tallies);
    let report = (task.verify == Verify::Checksum).then(|| {
        result["files_verified"] = json!(manifest.count());
        manifest.into_report()
    });
    Ok(TaskOutput { result, report })
}

/// Whether the source is a prefix (a folder) rather than one object.
async fn names_prefix(src: &Resolved) -> Result<bool, ExecError> {
    if src.explicit_prefix || src.prefix.is_root() {
        return Ok(true);
    }
    match src.store.head(&src.prefix).await {
        Ok(_) => Ok(false),
        Err(object_store::Error::NotFound { .. }) => Ok(true),
        Err(e) => Err(store_exec_error(&format!("looking up {}", src.url), e)),
    }
}

fn result_json(files_total: u64, bytes_total: u64, task: &CopyTask, tallies: &[Tally]) -> Value {
    let sum = tallies.iter().fold(Tally::default(), |a, t| Tally {
        files_copied: a.files_copied + t.files_copied,
        bytes_copied: a.bytes_copied + t.bytes_copied,
        files_skipped: a.files_skipped + t.files_skipped,
        bytes_skipped: a.bytes_skipped + t.bytes_skipped,
        files_deleted: a.files_deleted + t.files_deleted,
        bytes_deleted: a.bytes_deleted + t.bytes_deleted,
    });
    let destinations: Vec<Value> = task
        .destinations
        .iter()
        .zip(tallies)
        .map(|(d, t)| {
            let mut v = json!({
                "url": d.url,
                "files_copied": t.files_copied,
                "bytes_copied": t.bytes_copied,
                "files_skipped": t.files_skipped,
                "bytes_skipped": t.bytes_skipped,
            });
            if task.delete_extraneous {
                with_deleted(&mut v, t);
            }
            v
        })
        .collect();
    let mut out = json!({
        "files_total": files_total,
        "bytes_total": bytes_total,
        "files_copied": sum.files_copied,
        "bytes_copied": sum.bytes_copied,
        "files_skipped": sum.files_skipped,
        "bytes_skipped": sum.bytes_skipped,
        "destinations": destinations,
    });
    if task.delete_extraneous {
        with_deleted(&mut out, &sum);
    }
    out
}

/// Adds the deletion counters (only mirrors report them).
fn with_deleted(v: &mut Value, t: &Tally) {
    v["files_deleted"] = json!(t.files_deleted);
    v["bytes_deleted"] = json!(t.bytes_deleted);
}

/// Per destination, whether one source file must be written there and why; plus the
/// source's hash when deciding needed it.
struct FilePlan {
    decisions: Vec<(Decision, &'static str)>,
    src_hash: Option<blake3::Hash>,
}

/// Decides, per destination, whether one source file must be written there, and why.
/// With `verify: checksum` a file that would be kept is kept only if its content matches.
async fn plan_file(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Dest],
    entry: &Entry,
) -> Result<FilePlan, ExecError> {
    if ctx.cancel.is_cancelled() {
        return Err(ExecError::Cancelled);
    }
    let mut src_hash = None;
    let mut plan = Vec::with_capacity(dests.len());
    for d in dests {
        let existing = d.existing.get(&entry.rel_path);
        let mut mode = task.overwrite;
        let mut decision = decide(mode, entry, existing);
        if task.verify == Verify::Checksum && decision == Decision::Skip {
            mode = Overwrite::Checksum;
            decision = Decision::NeedsChecksum;
        }
        if let (Decision::NeedsChecksum, Some(existing)) = (decision, existing) {
            let sh = match src_hash {
                Some(h) => h,
                None => {
                    let h = hash_at(src, &entry.location, &ctx.cancel).await?;
                    *src_hash.insert(h)
                }
            };
            let dh = hash_at(&d.loc, &existing.location, &ctx.cancel).await?;
            decision = decide_by_hash(&sh, &dh);
        }
        plan.push((decision, reason(mode, entry, existing, decision)));
    }
    Ok(FilePlan {
        decisions: plan,
        src_hash,
    })
}

/// Decides and, where needed, copies one source file to the destinations that need it.
async fn copy_file(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Dest],
    entry: Entry,
) -> Result<FileDone, ExecError> {
    let plan = plan_file(ctx, task, src, dests, &entry).await?;
    let verifying = task.verify == Verify::Checksum;
    let mut hash = plan.src_hash;
    let mut targets = Vec::new();
    let mut outcomes = Vec::with_capacity(dests.len());
    for (i, (decision, _)) in plan.decisions.into_iter().enumerate() {
        if decision == Decision::Skip {
            ctx.progress.add_done(1, entry.size);
            outcomes.push((i, FileOutcome::Skipped(entry.size)));
        } else {
            targets.push(i);
        }
    }
    if !targets.is_empty() {
        let (copied, streamed_hash, failures) = transfer(ctx, src, dests, &targets, &entry, verifying).await?;
        let mut written = Vec::with_capacity(targets.len());
        for (i, failure) in targets.into_iter().zip(failures) {
            match failure {
                Some(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                Some(e) => outcomes.push((i, FileOutcome::Failed(e))),
                None => written.push(i),
            }
        }
        if verifying && !written.is_empty() {
            let expected = match streamed_hash.or(hash) {
                Some(h) => h,
                // The kernel copied it without it passing through here: hash the source.
                None => hash_at(src, &entry.location, &ctx.cancel).await?,
            };
            for i in std::mem::take(&mut written) {
                match verify::confirm_written(ctx, &dests[i], &entry.rel_path, &expected).await {
                    Ok(()) => written.push(i),
                    Err(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                    Err(e) => outcomes.push((i, FileOutcome::Failed(e))),
                }
            }
            hash = Some(expected);
        }
        outcomes.extend(written.into_iter().map(|i| (i, FileOutcome::Copied(copied))));
    }
    Ok(FileDone {
        rel_path: entry.rel_path,
        size: entry.size,
        per_dest: outcomes,
        hash: hash.filter(|_| verifying),
    })
}

/// Reads `entry` once and writes it to `dests[targets]`; returns the bytes read, when
/// `hashing` their BLAKE3 hash (none from the local fast path, where the bytes never pass
/// through this process), and per target the error that stopped it there, if any. An
/// error reading the source ends the file everywhere and is returned as such.
async fn transfer(
    ctx: &ExecContext,
    src: &Resolved,
    dests: &[Dest],
    targets: &[usize],
    entry: &Entry,
    hashing: bool,
) -> Result<(u64, Option<blake3::Hash>, Vec<Option<ExecError>>), ExecError> {
    let mut paths = Vec::with_capacity(targets.len());
    for &i in targets {
        let p = join(&dests[i].loc.prefix, &entry.rel_path).map_err(|e| {
            ExecError::Fatal(format!("destination path for {}: {e}", entry.rel_path))
        })?;
        paths.push((i, p));
    }
    // Under a bandwidth budget every byte passes through here to be metered.
    if let [(i, path)] = paths.as_slice()
        && !ctx.throttle.is_active()
        && let (Some(from), Some(to)) = (
            local::filesystem_path(src, &entry.location),
            local::filesystem_path(&dests[*i].loc, path),
        )
    {
        return match local::copy(from, to, ctx.progress.clone(), ctx.cancel.clone()).await {
            Ok(n) => Ok((n, None, vec![None])),
            Err(e) => Ok((0, None, vec![Some(local::copy_error(e, &entry.rel_path, &dests[*i].loc.url))])),
        };
    }
    let read_err = |e| store_exec_error(&format!("reading {}", entry.location), e);
    let stream = src
        .store
        .get(&entry.location)
        .await
        .map_err(read_err)?
        .into_stream();
    let mut hasher = hashing.then(blake3::Hasher::new);
    let (n, failures) = if entry.size < SMALL_FILE_LIMIT {
        put_small(ctx, dests, &paths, entry, stream, hasher.as_mut()).await?
    } else {
        put_large(ctx, dests, &paths, entry, stream, hasher.as_mut()).await?
    };
    Ok((n, hasher.map(|h| h.finalize()), failures))
}

/// The coordinator keeping the bandwidth budget failed: worth another attempt.
fn budget_err(e: ferry_common::CommonError) -> ExecError {
    ExecError::Retryable(format!("drawing from the bandwidth budget: {e}"))
}

fn write_err(path: &Path) -> impl Fn(object_store::Error) -> ExecError + '_ {
    move |e| store_exec_error(&format!("writing {path}"), e)
}

async fn put_small(
    ctx: &ExecContext,
    dests: &[Dest],
    paths: &[(usize, Path)],
    entry: &Entry,
    mut stream: BoxStream<'static, object_store::Result<Bytes>>,
    mut hasher: Option<&mut blake3::Hasher>,
) -> Result<(u64, Vec<Option<ExecError>>), ExecError> {
    let mut chunks = Vec::new();
    let mut total = 0u64;
    let mut meter = ctx.throttle.meter();
    while let Some(chunk) = stream.next().await {
        if ctx.cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let chunk =
            chunk.map_err(|e| store_exec_error(&format!("reading {}", entry.location), e))?;
        total += chunk.len() as u64;
        meter.add(chunk.len() as u64).await.map_err(budget_err)?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&chunk);
        }
        chunks.push(chunk);
    }
    meter.flush().await.map_err(budget_err)?;
    let payload: PutPayload = chunks.into_iter().collect();
    let failures = futures::future::join_all(paths.iter().map(|(i, path)| {
        let payload = payload.clone();
        async move {
            match dests[*i].loc.store.put(path, payload).await {
                Ok(_) => {
                    ctx.progress.add_done(1, total);
                    None
                }
                Err(e) => Some(write_err(path)(e)),
            }
        }
    }))
    .await;
    Ok((total, failures))
}

async fn put_large(
    ctx: &ExecContext,
    dests: &[Dest],
    paths: &[(usize, Path)],
    entry: &Entry,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    hasher: Option<&mut blake3::Hasher>,
) -> Result<(u64, Vec<Option<ExecError>>), ExecError> {
    let mut writers = Vec::with_capacity(paths.len());
    let mut failures = Vec::with_capacity(paths.len());
    for (i, path) in paths {
        match dests[*i].loc.store.put_multipart(path).await {
            Ok(upload) => {
                writers.push(Some(WriteMultipart::new(upload)));
                failures.push(None);
            }
            Err(e) => {
                writers.push(None);
                failures.push(Some(write_err(path)(e)));
            }
        }
    }
    if writers.iter().all(Option::is_none) {
        return Ok((0, failures));
    }
    match pump(ctx, paths, entry, stream, &mut writers, &mut failures, hasher).await {
        Ok(total) => {
            let finished = writers.into_iter().zip(paths).map(|(w, (_, path))| async move {
                let w = w?;
                match w.finish().await {
                    Ok(_) => {
                        ctx.progress.add_done(1, 0);
                        None
                    }
                    Err(e) => Some(write_err(path)(e)),
                }
            });
            let finished = futures::future::join_all(finished).await;
            for (slot, failure) in failures.iter_mut().zip(finished) {
                if slot.is_none() {
                    *slot = failure;
                }
            }
            Ok((total, failures))
        }
        Err(e) => {
            // Best effort: the error being reported is the one that matters.
            for w in writers.into_iter().flatten() {
                abort(w).await;
            }
            Err(e)
        }
    }
}

/// Aborts an upload that will not be completed; its own error would only hide the cause.
async fn abort(w: WriteMultipart) {
    if let Err(e) = w.abort().await {
        tracing::debug!(error = %e, "aborting a multipart upload failed");
    }
}

/// Streams the source into every writer, with back-pressure from the slowest one. A
/// writer that fails is aborted and recorded in `failures`; the others go on, and
/// reading stops early only when every writer has failed.
async fn pump(
    ctx: &ExecContext,
    paths: &[(usize, Path)],
    entry: &Entry,
    mut stream: BoxStream<'static, object_store::Result<Bytes>>,
    writers: &mut [Option<WriteMultipart>],
    failures: &mut [Option<ExecError>],
    mut hasher: Option<&mut blake3::Hasher>,
) -> Result<u64, ExecError> {
    let mut total = 0u64;
    let mut meter = ctx.throttle.meter();
    while let Some(chunk) = stream.next().await {
        if ctx.cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let chunk =
            chunk.map_err(|e| store_exec_error(&format!("reading {}", entry.location), e))?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&chunk);
        }
        let mut live = 0u64;
        for (k, (slot, (_, path))) in writers.iter_mut().zip(paths).enumerate() {
            let Some(w) = slot.as_mut() else { continue };
            match w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                Ok(()) => {
                    w.put(chunk.clone());
                    live += 1;
                }
                Err(e) => {
                    failures[k] = Some(write_err(path)(e));
                    if let Some(w) = slot.take() {
                        abort(w).await;
                    }
                }
            }
        }
        total += chunk.len() as u64;
        ctx.progress.add_bytes_done(chunk.len() as u64 * live);
        if live == 0 {
            break;
        }
        meter.add(chunk.len() as u64).await.map_err(budget_err)?;
    }
    meter.flush().await.map_err(budget_err)?;
    Ok(total)
}

mod dry_run;
mod local;
mod local_batch;
mod mirror;
mod shard;
mod sharded;
mod unpack;
mod verify;

#[cfg(test)]
mod tests;

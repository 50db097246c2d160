//! The `copy` kind: files from one location to one or more destinations.
//!
//! # How an attempt runs
//! 1. A source that is a prefix is planned and run in shards ([`sharded`]): source and
//!    destinations listed as sorted streams, merged, decided file by file, the work cut
//!    into shards that run inline or on every worker. A single file is one inline shard.
//!    Nothing there at all is fatal: "source … not found".
//! 2. A destination is always a folder: the source's relative paths are written under it
//!    (`file:///in/a.csv` → `file:///out/` writes `/out/a.csv`).
//! 3. Per file ([`file`](mod@file)), decide for each destination whether to write it ([`decide`]),
//!    then read the source **once** and stream it to every destination that needs it
//!    ([`transfer`]; "feed several clusters from one source read"). Up to [`MAX_FILES_IN_FLIGHT`]
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
//! Files under [`SMALL_FILE_LIMIT`] are read whole and written with one `put` ([`small`]);
//! larger ones are streamed through `put_multipart` ([`multipart`],
//! [`object_store::WriteMultipart`], a few parts in flight per destination). Neither ever
//! shows a partial file at its final name:
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

// The stages, in the order a file meets them. Each module uses only modules listed above
// it; none uses this one.
//
// What every stage reports: tallies, per-file outcomes, the result document.
mod outcome;
// 1. Listing: the source's files and what each destination holds.
mod list;
// 2. Deciding: per file and destination, write or keep, and why.
mod decide;
// 3. Transferring: one read of the file, written to every destination that needs it —
//    local to local by the kernel, small files in one `put`, large ones multipart.
mod local;
mod stream;
mod small;
mod multipart;
mod transfer;
// 4. Verifying: read back what was written; the manifest.
mod verify;
// The stages for one file, then for a shard of files, then for a whole prefix.
mod file;
mod local_batch;
mod shard;
mod mirror;
mod sharded;
// What an explicit file list asks for and what async deliveries will need.
mod file_book;
// The other ways through: report without writing, or expand an archive.
mod dry_run;
mod unpack;

pub use shard::MAX_FILES_IN_FLIGHT;
pub use small::SMALL_FILE_LIMIT;

use super::support::wrong_body;
use crate::listing::{Filter, Listing};
use crate::stores::{Resolved, StoreResolver};
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::shards::{ShardFile, ShardOrder, ShardState};
use ferry_common::spec::{CopyTask, TaskBody, Verify};
use outcome::{Tally, result_json};
use file_book::FileBook;
use serde_json::json;
use shard::{ShardJob, SourceShape};
use std::borrow::Cow;

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

#[async_trait::async_trait]
impl Executor for CopyExecutor {
    fn kind(&self) -> &'static str {
        "copy"
    }

    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError> {
        let TaskBody::Copy(task) = body else {
            return Err(wrong_body("copy", body));
        };
        let record = task.has_async();
        run(&self.resolver.for_attempt(ctx), ctx, &sync_part(task), record).await
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
        let task = &*sync_part(task);
        let resolver = self.resolver.for_attempt(ctx);
        let src = resolver.resolve_full(&task.source)?;
        let dests = task
            .destinations
            .iter()
            .map(|d| resolver.resolve_full(&d.location))
            .collect::<Result<Vec<_>, _>>()?;
        let job = ShardJob { task, src: &src, dests: &dests, shape: SourceShape::Prefix, recheck: true };
        shard::run(ctx, &job, order.files.clone()).await
    }
}

/// The part of a copy the task itself does: its sync destinations (async ones are
/// delivered later, from the first sync destination).
fn sync_part(task: &CopyTask) -> Cow<'_, CopyTask> {
    if !task.has_async() {
        return Cow::Borrowed(task);
    }
    let mut sync = task.clone();
    sync.destinations.retain(|d| d.is_sync());
    Cow::Owned(sync)
}

/// Runs the sync part of a copy; `record` keeps the files it leaves for the deliveries.
async fn run(
    resolver: &StoreResolver,
    ctx: &ExecContext,
    task: &CopyTask,
    record: bool,
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
        let mut loc = resolver.resolve_full(&d.location)?;
        loc.explicit_prefix = true;
        dest_locs.push(loc);
    }

    if !task.unpack && !task.dry_run && list::names_prefix(&src).await? {
        list::ensure_anything_at(&src, &task.source.url).await?;
        return sharded::run(ctx, task, &src, &dest_locs, &filter, FileBook::new(task, record)).await;
    }

    if task.unpack {
        if task.delete_extraneous || task.dry_run || task.verify == Verify::Checksum {
            return Err(ExecError::Fatal(
                "unpack cannot be combined with delete_extraneous, dry_run or verify yet".into(),
            ));
        }
        return unpack::run(ctx, task, &src, &dest_locs).await;
    }

    let listing = list::source(ctx, &src, &filter, &task.source.url).await?;
    if task.dry_run {
        let dests = list::destinations(ctx, dest_locs, &filter).await?;
        let deletions = mirror::plan(task, &listing, &dests)?;
        let (files_total, bytes_total) = totals(&listing, dests.len());
        ctx.progress.add_total(files_total, bytes_total);
        let plan = dry_run::DryRun { task, src: &src, dests: &dests, entries: listing.entries, deletions };
        return dry_run::run(ctx, plan).await;
    }
    single_file(ctx, task, &src, &dest_locs, listing, FileBook::new(task, record)).await
}

/// A single file (prefixes go through `sharded`): one inline shard, which looks the file
/// up at each destination rather than listing the destination folders.
async fn single_file(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dest_locs: &[Resolved],
    mut listing: Listing,
    mut book: FileBook,
) -> Result<TaskOutput, ExecError> {
    // Only the refusal of a single-file mirror is wanted from the mirror plan.
    mirror::plan(task, &listing, &[])?;
    listing.entries.retain(|e| book.admit(&e.rel_path, e.size));
    book.check_complete(&task.source.url)?;
    let (files_total, bytes_total) = totals(&listing, dest_locs.len());
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
    let job = ShardJob { task, src, dests: dest_locs, shape: SourceShape::SingleObject, recheck: true };
    let state = shard::run(ctx, &job, files).await?;
    let mut tallies = vec![Tally::default(); dest_locs.len()];
    for (t, s) in tallies.iter_mut().zip(&state.tallies) {
        t.add_shard(s);
    }
    let mut manifest = verify::Manifest::default();
    manifest.extend(state.manifest);

    let mut result = result_json(files_total, bytes_total, task, &tallies);
    let mut report = (task.verify == Verify::Checksum).then(|| {
        result["files_verified"] = json!(manifest.count());
        manifest.into_report()
    });
    book.finish(&mut result, &mut report);
    Ok(TaskOutput { result, report })
}

/// Runs a copy as the executor does (its sync destinations), for kinds built on a copy
/// (a migration's pass); `record` keeps the files it leaves in the report's `files`.
pub(crate) async fn run_copy(
    resolver: &StoreResolver,
    ctx: &ExecContext,
    task: &CopyTask,
    record: bool,
) -> Result<TaskOutput, ExecError> {
    run(resolver, ctx, task, record).await
}

/// Writes one file of `src` (its listing `entry`) to `to` under `entry.rel_path`, with the
/// copy's own transfer (a kernel copy between local folders, one `put`, or a multipart
/// upload; never half-visible), for kinds that decide file by file themselves (a sync).
/// Returns the BLAKE3 of what was read when `hashing` and the bytes passed through here.
pub(crate) async fn copy_one(
    ctx: &ExecContext,
    src: &Resolved,
    entry: &crate::listing::Entry,
    to: &Resolved,
    hashing: bool,
) -> Result<Option<blake3::Hash>, ExecError> {
    let dests = [list::Dest { loc: to.clone(), existing: Default::default() }];
    let t = transfer::Transfer { src, entry, dests: &dests, targets: &[0], hashing };
    let done = transfer::transfer(ctx, t).await?;
    match done.failures.into_iter().next().flatten() {
        Some(e) => Err(e),
        None => Ok(done.hash),
    }
}

/// The whole work of copying `listing` to `n_dest` destinations: files and bytes.
fn totals(listing: &Listing, n_dest: usize) -> (u64, u64) {
    let n_dest = n_dest as u64;
    (listing.entries.len() as u64 * n_dest, listing.total_bytes() * n_dest)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod file_list_tests;

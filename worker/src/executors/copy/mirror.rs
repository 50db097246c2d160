//! Mirroring (`delete_extraneous: true`): after the copy, destination files the source
//! does not have are deleted, as `rclone sync` does, so the destination ends up equal to
//! the source. The `max_delete` guard is checked before anything is written, so a mirror
//! pointed at the wrong place (an empty source, a mistyped prefix) fails without touching
//! the destination.

use super::list::Dest;
use crate::error::store_exec_error;
use crate::listing::{Entry, Listing};
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::spec::CopyTask;
use ferry_common::values::Versions;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashSet;

/// Deletes issued at once per destination.
const DELETES_IN_FLIGHT: usize = 16;

/// Per destination, the files to delete: those the destination listing has and the
/// source listing has not (both listings went through the same include/exclude filter,
/// so excluded files are never candidates). Fails when one destination would lose more
/// than `max_delete` allows.
pub(super) fn plan(task: &CopyTask, source: &Listing, dests: &[Dest]) -> Result<Vec<Vec<Entry>>, ExecError> {
    if !task.delete_extraneous {
        return Ok(vec![Vec::new(); dests.len()]);
    }
    if source.single_object {
        return Err(ExecError::Fatal(format!(
            "delete_extraneous mirrors a folder, and the source {} is a single file; copy it without delete_extraneous",
            task.source.url
        )));
    }
    let source_paths: HashSet<&str> = source.entries.iter().map(|e| e.rel_path.as_str()).collect();
    let mut plans = Vec::with_capacity(dests.len());
    for d in dests {
        let mut extra: Vec<Entry> = d
            .existing
            .values()
            .filter(|e| !source_paths.contains(e.rel_path.as_str()))
            .cloned()
            .collect();
        extra.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        let held = d.existing.len() as u64;
        if let Some(max) = task.max_delete
            && !max.allows(extra.len() as u64, held)
        {
            let examples: Vec<String> = extra.iter().take(3).map(|e| e.rel_path.clone()).collect();
            return Err(too_many(extra.len() as u64, held, &d.loc.url, &examples, max));
        }
        plans.push(extra);
    }
    Ok(plans)
}

/// The error of a mirror stopped by its `max_delete` guard.
pub(super) fn too_many(
    deleting: u64,
    held: u64,
    url: &url::Url,
    examples: &[String],
    max: ferry_common::spec::MaxDelete,
) -> ExecError {
    ExecError::Fatal(format!(
        "mirroring would delete {deleting} of the {held} files at {url} (e.g. {}), more than max_delete allows ({max}); nothing was copied or deleted",
        examples.join(", ")
    ))
}

/// Deletes the planned files of one destination; returns files and bytes deleted. A
/// file already gone counts as deleted (a retried attempt finds part of its work done).
/// With `versions`, a deleted file is moved into its versions instead.
pub(super) async fn delete(ctx: &ExecContext, d: &Dest, extra: Vec<Entry>, versions: Option<&Versions>) -> Result<(u64, u64), ExecError> {
    let sizes: Vec<u64> = futures::stream::iter(extra)
        .map(|e| async move {
            if ctx.cancel.is_cancelled() {
                return Err(ExecError::Cancelled);
            }
            crate::versions::remove(&d.loc, &e.rel_path, versions)
                .await
                .map(|()| e.size)
                .map_err(|err| store_exec_error(&format!("deleting {} from {}", e.rel_path, d.loc.url), err))
        })
        .buffer_unordered(DELETES_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok((sizes.len() as u64, sizes.iter().sum()))
}

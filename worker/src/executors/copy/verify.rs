//! `verify: checksum`: end-to-end verification that does not depend on any store's own
//! hash. The source is hashed (BLAKE3) as it streams through the copy, every file written
//! is read back and hashed, and a mismatch fails the attempt (retryable: the next attempt
//! hashes the destination again and rewrites it). Files left in place are confirmed by
//! hashing both sides rather than trusted for their size.
//!
//! The task's report is the manifest: one `{path, size, blake3, destinations}` item per
//! source file, where `destinations` holds, per destination in spec order, `"copied"` or
//! `"kept"` (already there with the same content). The API serves it per task
//! (`?kind=manifest`) and per run (`GET /api/v1/runs/{id}/manifest`, CSV).

use super::list::Dest;
use crate::hash::hash_at;
use crate::listing::join;
use ferry_common::executor::{ExecContext, ExecError};
use object_store::path::Path;
use serde_json::{Value, json};

/// Most manifest items kept in one task's report; a larger copy reports the exact count
/// and `manifest_truncated: true` (the report is one stored row).
pub(super) const MANIFEST_LIMIT: usize = 100_000;

/// Reads back what was written at one destination and compares it with the source's hash.
pub(super) async fn confirm_written(
    ctx: &ExecContext,
    dest: &Dest,
    rel_path: &str,
    expected: &blake3::Hash,
) -> Result<(), ExecError> {
    let loc = &dest.loc;
    let path: Path = join(&loc.prefix, rel_path)
        .map_err(|e| ExecError::Fatal(format!("destination path for {rel_path}: {e}")))?;
    let got = hash_at(loc, &path, &ctx.cancel).await?;
    if &got != expected {
        return Err(ExecError::Retryable(format!(
            "verification failed: {rel_path} at {} reads back as BLAKE3 {} but the source was {}",
            loc.url,
            got.to_hex(),
            expected.to_hex()
        )));
    }
    Ok(())
}

/// The manifest being built for one attempt.
#[derive(Debug, Default)]
pub(super) struct Manifest {
    items: Vec<Value>,
    count: u64,
}

impl Manifest {
    /// Records one source file and what happened to it at each destination.
    pub(super) fn push(&mut self, rel_path: &str, size: u64, hash: &blake3::Hash, per_dest: Vec<&'static str>) {
        self.count += 1;
        if self.items.len() < MANIFEST_LIMIT {
            self.items.push(json!({
                "path": rel_path,
                "size": size,
                "blake3": hash.to_hex().as_str(),
                "destinations": per_dest,
            }));
        }
    }

    /// Adds the items another shard verified.
    pub(super) fn extend(&mut self, items: Vec<Value>) {
        self.count += items.len() as u64;
        let room = MANIFEST_LIMIT.saturating_sub(self.items.len());
        self.items.extend(items.into_iter().take(room));
    }

    /// The items, for a shard to hand to its parent.
    pub(super) fn into_items(self) -> Vec<Value> {
        self.items
    }

    /// Files verified so far.
    pub(super) fn count(&self) -> u64 {
        self.count
    }

    /// The report: items sorted by path (a stable order for paging and diffing).
    pub(super) fn into_report(mut self) -> Value {
        self.items.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        json!({
            "manifest": self.items,
            "manifest_count": self.count,
            "manifest_truncated": self.count > MANIFEST_LIMIT as u64,
        })
    }
}

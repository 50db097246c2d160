//! Stage 3, transferring: one source file read **once** and written to every destination
//! that needs it — by the kernel when it goes from a local file to one local destination
//! ([`super::local`]), else streamed: read whole and `put` when small ([`super::small`]),
//! multipart uploads when large ([`super::multipart`]).

use super::list::Dest;
use super::small::{SMALL_FILE_LIMIT, put_small};
use super::multipart::put_large;
use super::stream::{Reading, Targets, Written};
use super::local;
use crate::error::store_exec_error;
use crate::listing::{Entry, join};
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use object_store::ObjectStoreExt;

/// One source file to write to some of the destinations.
pub(super) struct Transfer<'a> {
    pub(super) src: &'a Resolved,
    pub(super) entry: &'a Entry,
    pub(super) dests: &'a [Dest],
    /// Indexes in `dests` of the destinations that need the file.
    pub(super) targets: &'a [usize],
    /// Whether to hash the bytes as they pass (`verify: checksum`).
    pub(super) hashing: bool,
}

/// What a transfer did.
pub(super) struct Transferred {
    /// The bytes read.
    pub(super) bytes: u64,
    /// Their BLAKE3 hash when hashing; none from the local fast path, where the bytes
    /// never pass through this process.
    pub(super) hash: Option<blake3::Hash>,
    /// Per target, the error that stopped it there, if any.
    pub(super) failures: Vec<Option<ExecError>>,
}

/// Reads the file once and writes it to every target. An error reading the source ends
/// the file everywhere and is returned as such.
pub(super) async fn transfer(ctx: &ExecContext, t: Transfer<'_>) -> Result<Transferred, ExecError> {
    let Transfer { src, entry, dests, targets, hashing } = t;
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
            Ok(n) => Ok(Transferred { bytes: n, hash: None, failures: vec![None] }),
            Err(e) => Ok(Transferred {
                bytes: 0,
                hash: None,
                failures: vec![Some(local::copy_error(e, &entry.rel_path, &dests[*i].loc.url))],
            }),
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
    let from = Reading { entry, stream, hasher: hasher.as_mut() };
    let to = Targets { dests, paths: &paths };
    let Written { bytes, failures } = if entry.size < SMALL_FILE_LIMIT {
        put_small(ctx, from, to).await?
    } else {
        put_large(ctx, from, to).await?
    };
    Ok(Transferred { bytes, hash: hasher.map(|h| h.finalize()), failures })
}

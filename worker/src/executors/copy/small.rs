//! Stage 3, transferring a small file (under [`SMALL_FILE_LIMIT`]): read whole, then one
//! `put` per target, all at once.

use super::stream::{Reading, Targets, Written, budget_err, write_err};
use crate::error::store_exec_error;
use ferry_common::executor::{ExecContext, ExecError};
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};

/// Files smaller than this are buffered and written with a single `put`.
pub const SMALL_FILE_LIMIT: u64 = 8 * 1024 * 1024;

/// Reads the file whole and writes it to every target.
pub(super) async fn put_small(ctx: &ExecContext, from: Reading<'_>, to: Targets<'_>) -> Result<Written, ExecError> {
    let Reading { entry, mut stream, mut hasher } = from;
    let Targets { dests, paths } = to;
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
    Ok(Written { bytes: total, failures })
}

//! Stage 3, transferring a large file: one multipart upload per target, fed from the one
//! read of the source with up to [`PARTS_IN_FLIGHT`] parts in flight each.

use super::stream::{Reading, Targets, Written, budget_err, write_err};
use crate::error::store_exec_error;
use ferry_common::executor::{ExecContext, ExecError};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};

/// Multipart parts in flight per destination of one large file.
const PARTS_IN_FLIGHT: usize = 4;

/// The uploads of one file, one per target: `None` once a target has failed, its error
/// beside it in `failures`.
struct Uploads<'a> {
    paths: &'a [(usize, Path)],
    writers: Vec<Option<WriteMultipart>>,
    failures: Vec<Option<ExecError>>,
}

/// Streams the file into a multipart upload at every target.
pub(super) async fn put_large(ctx: &ExecContext, from: Reading<'_>, to: Targets<'_>) -> Result<Written, ExecError> {
    let Targets { dests, paths } = to;
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
        return Ok(Written { bytes: 0, failures });
    }
    let mut uploads = Uploads { paths, writers, failures };
    match pump(ctx, from, &mut uploads).await {
        Ok(total) => {
            let Uploads { writers, mut failures, .. } = uploads;
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
            Ok(Written { bytes: total, failures })
        }
        Err(e) => {
            // Best effort: the error being reported is the one that matters.
            for w in uploads.writers.into_iter().flatten() {
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
async fn pump(ctx: &ExecContext, from: Reading<'_>, uploads: &mut Uploads<'_>) -> Result<u64, ExecError> {
    let Reading { entry, mut stream, mut hasher } = from;
    let paths = uploads.paths;
    let (writers, failures) = (&mut uploads.writers, &mut uploads.failures);
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

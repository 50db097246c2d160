//! Stopping work promptly when an attempt is cancelled, for every stage that waits on
//! I/O (listing, comparing, copying).

use ferry_common::executor::ExecError;
use std::future::Future;
use tokio_util::sync::CancellationToken;

/// Runs `fut` unless `cancel` fires first, so long listings stop promptly too.
pub(crate) async fn cancellable<T>(
    cancel: &CancellationToken,
    fut: impl Future<Output = Result<T, ExecError>>,
) -> Result<T, ExecError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(ExecError::Cancelled),
        r = fut => r,
    }
}


//! Helpers every executor uses, below all of them so no executor reaches into the
//! registry module for them.

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

/// The error for a task body handed to the wrong executor (a registry bug or a forged
/// message); never worth retrying.
pub(crate) fn wrong_body(expected: &str, body: &ferry_common::spec::TaskBody) -> ExecError {
    ExecError::Fatal(format!(
        "the {expected} executor cannot run a `{}` task",
        body.kind()
    ))
}

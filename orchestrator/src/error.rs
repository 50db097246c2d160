//! Errors of the orchestrator.

use thiserror::Error;

/// What can stop the orchestrator's loop.
#[derive(Debug, Error)]
pub enum OrchestratorError {
    #[error(transparent)]
    Store(#[from] ferry_store::StoreError),
    #[error(transparent)]
    Common(#[from] ferry_common::CommonError),
}

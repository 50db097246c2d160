//! The `wait` kind runs in the orchestrator, never on a worker: its conditions are
//! checked there and the task succeeds without a slot. This executor exists because
//! every registered kind has one; a `wait` message reaching a worker (an orchestrator of
//! another version) fails permanently with that explanation instead of waiting here.

use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::spec::TaskBody;

/// The registry's constructor for this kind.
pub(crate) fn executor(_resolver: &crate::stores::StoreResolver) -> std::sync::Arc<dyn Executor> {
    std::sync::Arc::new(WaitExecutor)
}

/// Refuses: sensors hold no worker slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitExecutor;

#[async_trait::async_trait]
impl Executor for WaitExecutor {
    fn kind(&self) -> &'static str {
        "wait"
    }

    async fn execute(&self, _ctx: &ExecContext, _body: &TaskBody) -> Result<TaskOutput, ExecError> {
        Err(ExecError::Fatal(
            "`wait` tasks are checked by the orchestrator and never run on a worker; this message came from an orchestrator that does not know that".into(),
        ))
    }
}

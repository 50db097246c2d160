//! The worker's side of sharded copies for a planning attempt: shards go to the task's
//! own queue as copies of the attempt's message, their states come back through the
//! coordinator, and the attempt's slot can be handed back while it waits.

use ferry_common::CommonError;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::messages::TaskMessage;
use ferry_common::shards::{ShardHub, ShardOrder, ShardState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An attempt's hold on one of the worker's concurrency slots, releasable once.
pub(crate) struct Slot(Mutex<Option<Box<dyn Send>>>);

impl Slot {
    /// Holds `permit` until released or dropped.
    pub(crate) fn new(permit: impl Send + 'static) -> Arc<Self> {
        Arc::new(Self(Mutex::new(Some(Box::new(permit)))))
    }

    /// Gives the slot back to the worker (a second call does nothing).
    pub(crate) fn release(&self) {
        drop(self.0.lock().map(|mut p| p.take()));
    }
}

/// Publishes the shards of one attempt and reads their states.
pub(crate) struct AttemptShardHub {
    pub(crate) broker: Arc<dyn Broker>,
    pub(crate) coordinator: Arc<dyn Coordinator>,
    /// The planning attempt's own message; shards are copies of it with `shard` set.
    pub(crate) template: TaskMessage,
    pub(crate) slot: Arc<Slot>,
}

impl std::fmt::Debug for AttemptShardHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptShardHub")
            .field("task_id", &self.template.task_id)
            .field("attempt", &self.template.attempt)
            .finish()
    }
}

#[async_trait::async_trait]
impl ShardHub for AttemptShardHub {
    async fn publish(&self, order: ShardOrder) -> Result<(), CommonError> {
        let mut msg = self.template.clone();
        msg.shard = Some(order);
        self.broker.publish_task(&msg).await
    }

    async fn states(&self) -> Result<HashMap<u32, ShardState>, CommonError> {
        self.coordinator
            .shard_states(self.template.task_id, self.template.attempt)
            .await
    }

    fn release_slot(&self) {
        self.slot.release();
    }
}

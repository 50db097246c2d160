//! Ferry's worker: takes task messages from the broker, runs them with the executor for
//! their kind, and reports `started` / `progress` / `finished` events back.
//!
//! Workers are stateless and hold no database credentials: a task message carries all an
//! attempt needs, and the orchestrator is the only writer of task state. Delivery is
//! at-least-once, so executors are idempotent (a redelivered copy skips what already
//! landed) and a delivery is acked only after its `finished` event is durable.
//!
//! - [`run_worker`] — the consumer loop ([`consumer`]) and each attempt's lifecycle:
//!   concurrency slots, progress events, cancel requests, timeouts, panics, heartbeats
//!   and graceful shutdown. Tuned by [`WorkerConfig`].
//! - [`Registry`] — executors by kind: `copy`, `check`, `noop`, `delete`, `wait`,
//!   `migrate`, `sync`, `restore`
//!   ([`executors`]), and the [`ConditionEvaluator`] ([`conditions`]) that checks
//!   post-conditions at the end of an attempt (the orchestrator owns another one for
//!   pre-conditions and sensors).
//! - [`StoreResolver`] — locations (`file://`, `memory://`, `s3://`, `az://`, `gs://`, …)
//!   to `object_store` stores ([`stores`]), [`listing`], the copy decision ([`decide`])
//!   and content hashing ([`hash`]).
//!
//! # Which way the module arrows go
//! A module uses only modules below it, so the imports form a DAG: `consumer` →
//! `attempt` → `shard_attempt` → `shared` → `executors` → `conditions` → `compare` →
//! `decide` → `listing` → `stores` → `cancel`, `error`, with `hash` (→ `stores`),
//! `shard_hub` and `config` at the side, and `state_log` (records kept beside the data:
//! a migration's, a sync's baseline) and `versions` (replaced versions kept under
//! `.ferry-versions/`) between `executors` and `listing`.
//! What two modules both need moves down into one they both use (`shared` holds what
//! task and shard attempts share). Inside a folder module the same holds: a child uses
//! siblings declared before it, never its parent's items: in [`executors::copy`],
//! `sharded` → `shard` → `file` → `decide`, `transfer`, `verify` → `list`, `outcome`.
//! The executors' shared helpers sit in `executors::support`, below every executor.

mod attempt;
mod roots;
mod shard_attempt;
mod shard_hub;
mod shared;
mod cancel;
pub mod compare;
pub mod conditions;
pub mod config;
pub mod consumer;
pub mod decide;
pub mod error;
pub mod executors;
pub mod hash;
pub mod listing;
pub mod state_log;
pub mod stores;
pub mod versions;
#[cfg(test)]
mod test_support;

pub use conditions::ConditionEvaluator;
pub use config::WorkerConfig;
pub use ferry_common::connections::{Connection, Connections};
pub use consumer::run_worker;
pub use error::WorkerError;
pub use executors::Registry;
pub use stores::StoreResolver;

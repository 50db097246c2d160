//! The orchestrator: the one writer of run and task state.
//!
//! It turns a run's spec into a task DAG ([`planner`]), applies worker events as guarded
//! transitions ([`transitions`], [`active_run`]), batches every change of one step into
//! one database transaction, and only then acks the events and publishes newly ready
//! tasks ([`engine`]). A crash between those steps loses nothing: unacked events come
//! back, and tasks stored as `queued` are published again at start-up. Conditions
//! (`pre`, `wait` sensors) are checked off the step loop (module `sensing`) through a
//! [`ferry_common::conditions::ConditionProbe`], so waiting tasks hold no worker.

pub mod active_run;
mod deliveries;
pub mod engine;
pub mod error;
pub mod outbox;
pub mod planner;
mod scheduler;
mod sensing;
mod tenancy;
pub mod transitions;

pub use engine::{EngineConfig, Orchestrator, RunUpdate};
pub use error::OrchestratorError;

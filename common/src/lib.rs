//! Ferry's domain model, shared by every role: the pipeline spec and its validation, the
//! run and task state machines, locations, secrets, and the three seams (`Broker`,
//! `Coordinator`, `Executor`) that let one orchestrator drive an in-process engine or a
//! distributed one without knowing which.
//!
//! This crate knows no web framework, no database and no message-broker client: those
//! live behind the seams so the model can be tested without any server. `Coordinator`
//! is itself three parts (see [`coordination`]). Every implementation of `Broker` and
//! `Coordinator`, the in-process ones of [`inproc`] included, runs the conformance suite
//! of the `ferry-conformance` crate.
//!
//! The modules form a DAG: plain data (`budget`, `shards`, `spec`, `state`, …) below the
//! seams (`broker`, `coordination`), which sit below what draws on them (`throttle`,
//! `executor`, `inproc`).

pub mod broker;
pub mod budget;
pub mod checks;
pub mod conditions;
pub mod connections;
pub mod coordination;
pub mod dag;
pub mod delivery_state;
pub mod error;
pub mod executor;
pub mod failure;
pub mod file_roots;
pub mod inproc;
pub mod kinds;
pub mod location;
pub mod messages;
pub mod notify;
pub mod problem;
pub mod schedule;
pub mod sealed;
pub mod secret;
pub mod shards;
pub mod signature;
pub mod spec;
pub mod state;
pub mod template;
pub mod throttle;
pub mod triggers;
pub mod values;

pub use error::CommonError;

//! The API against a real (in-memory SQLite) store and the in-process seams.
//!
//! No orchestrator runs here, so runs stay `queued` unless a test moves them with
//! `Store::apply`, as the orchestrator would; the full loop is tested by the root crate.

mod support;

mod connections;
mod deliveries;
mod migrations;
mod pipelines;
mod portal;
mod problems;
mod runs;
mod service;
mod tenancy;
mod tenant_walk;

//! End-to-end tests of the `ferry` binary: the CLI and the API, driven as a user would.

mod api;
mod api_problems;
mod api_retry;
mod app;
mod backends;
mod conditions;
mod cli;
mod distributed;
mod file_arrival;
mod file_roots;
mod fixtures;
mod notify;
mod receiver;
mod restore_cli;
mod schedule_control;
mod schedules;
mod tenants;
mod triggers;

//! One module per subcommand.

pub(crate) mod api;
pub(crate) mod bench;
pub(crate) mod bench_notify;
pub(crate) mod bench_schedules;
pub(crate) mod bench_stack;
pub(crate) mod bench_wait;
pub(crate) mod common_args;
pub(crate) mod migrate;
pub(crate) mod notifier;
pub(crate) mod notifier_args;
pub(crate) mod orchestrator;
pub(crate) mod probes;
pub(crate) mod progress;
pub(crate) mod restore;
pub(crate) mod run;
pub(crate) mod run_deliveries;
pub(crate) mod server_args;
pub(crate) mod shutdown;
pub(crate) mod spec_file;
pub(crate) mod standalone;
pub(crate) mod summary;
pub(crate) mod tenancy;
pub(crate) mod validate;
pub(crate) mod worker;

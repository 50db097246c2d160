//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod common_args;
pub(crate) mod progress;
pub(crate) mod run;
pub(crate) mod spec_file;
pub(crate) mod standalone;
pub(crate) mod summary;
pub(crate) mod validate;

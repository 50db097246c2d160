//! Flags shared by the subcommands that start the embedded stack.

use clap::Args;
use ferry::embedded::EmbeddedOptions;
use std::path::PathBuf;

/// Where state lives and how much runs at once.
#[derive(Args, Debug, Clone)]
pub(crate) struct EmbeddedArgs {
    /// Folder for the embedded database and the generated admin key.
    #[arg(long, env = "FERRY_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Database URL (`sqlite://…` or `postgres://…`); defaults to SQLite in the data dir.
    #[arg(long, env = "FERRY_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// Concurrent task attempts of the in-process worker.
    #[arg(long, env = "FERRY_WORKER_CONCURRENCY", default_value_t = 8)]
    pub(crate) concurrency: u32,
}

impl EmbeddedArgs {
    pub(crate) fn options(&self) -> EmbeddedOptions {
        EmbeddedOptions {
            data_dir: self.data_dir.clone().unwrap_or_else(ferry::data_dir::default_data_dir),
            database_url: self.database_url.clone(),
            worker_concurrency: self.concurrency,
            file_roots: ferry_common::file_roots::FileRoots::anywhere(),
            notifier: None,
        }
    }
}

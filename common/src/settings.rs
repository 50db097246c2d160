//! Settings, loaded once in `main` (flags, then `FERRY_*` environment) and passed down.

use std::fmt;
use std::path::PathBuf;

/// A value that must never reach a log line: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the one place that needs it (comparison, a connection).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Everything a role needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the embedded database and generated admin key live.
    pub data_dir: PathBuf,
    /// `sqlite://…` (embedded) or `postgres://…` (distributed); defaults under `data_dir`.
    pub database_url: Option<String>,
    /// Bearer key for `/api/v1`; generated into `data_dir` when absent.
    pub admin_key: Option<Secret>,
    /// Concurrent task attempts per worker.
    pub worker_concurrency: u32,
}

impl Settings {
    /// The database URL in force: the configured one, else SQLite in the data dir.
    pub fn effective_database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("ferry.db").display())
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".ferry"),
            database_url: None,
            admin_key: None,
            worker_concurrency: 8,
        }
    }
}

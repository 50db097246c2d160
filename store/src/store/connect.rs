//! Opening the connection pool, tuned per backend.

use crate::StoreError;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// How long to wait for a server (or a pooled connection) before failing, so a missing
/// database is reported in seconds instead of hanging start-up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for the lock another connection holds.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite serialises writers anyway; a few connections let readers proceed beside one.
const SQLITE_POOL: u32 = 8;
const POSTGRES_POOL: u32 = 16;

/// Opens a pool on `url`; SQLite URLs get their folder created and WAL mode.
pub(super) async fn open(url: &str) -> Result<DatabaseConnection, StoreError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT);
    if url.starts_with("sqlite:") {
        configure_sqlite(url, &mut opts)?;
    } else {
        opts.max_connections(POSTGRES_POOL);
    }
    Ok(Database::connect(opts).await?)
}

fn configure_sqlite(url: &str, opts: &mut ConnectOptions) -> Result<(), StoreError> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // An in-memory database lives as long as a connection to it: keep exactly one
        // open for the life of the pool.
        opts.max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    } else {
        if let Ok(parsed) = SqliteConnectOptions::from_str(url) {
            create_parent(parsed.get_filename())?;
        }
        opts.max_connections(SQLITE_POOL);
    }
    opts.map_sqlx_sqlite_opts(|o| {
        o.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
    });
    Ok(())
}

/// Creates the folder a database file goes in, so a fresh install needs no set-up.
fn create_parent(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Db(DbErr::Custom(format!("cannot create folder {}: {e}", dir.display())))
        }),
        _ => Ok(()),
    }
}

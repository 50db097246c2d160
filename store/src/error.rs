//! Errors of the database layer.

use thiserror::Error;

/// What can go wrong talking to the database.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint was hit, e.g. a second pipeline with the same name.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A cursor that this store did not hand out.
    #[error("invalid cursor `{0}`")]
    InvalidCursor(String),
    /// A stored value that does not decode (a state name this build does not know).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused or could not be reached.
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Migrations failed.
    #[error("migration: {0}")]
    Migration(String),
}

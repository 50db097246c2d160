//! The seam between the store suite and a database backend.

use ferry_store::Store;

/// What the suite needs from one database backend.
///
/// A harness is made fresh for every case: a migrated store with the default tenant
/// on a database no other case sees (a temp SQLite file; a new Postgres database),
/// failing loudly when the server is missing. Dropping it may drop the database.
pub trait StoreHarness: Send + Sync + 'static {
    /// The store under test.
    fn store(&self) -> &Store;
}

//! The shared store suite on both databases the store supports: every case on a fresh
//! SQLite file and on a fresh Postgres database (which must be reachable: the Postgres
//! cases fail otherwise).

mod support;

use ferry_conformance::store::StoreHarness;
use ferry_store::Store;
use support::{Backend, Guard};

/// A migrated store on a database of its own; the guard drops the database after.
struct Db {
    store: Store,
    _guard: Guard,
}

impl StoreHarness for Db {
    fn store(&self) -> &Store {
        &self.store
    }
}

async fn fresh(backend: Backend, name: &str) -> Db {
    let (store, guard) = support::fresh(backend).await;
    assert_eq!(store.backend_name(), name);
    Db { store, _guard: guard }
}

async fn sqlite() -> Db {
    fresh(Backend::Sqlite, "sqlite").await
}

async fn postgres() -> Db {
    fresh(Backend::Postgres, "postgres").await
}

ferry_conformance::store_tests!(sqlite_store, sqlite);
ferry_conformance::store_tests!(postgres_store, postgres);

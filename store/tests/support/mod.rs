//! Fresh databases for tests: a SQLite file in a temp dir, or a new Postgres database
//! dropped when the guard goes.

use ferry_store::Store;
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

/// Where the test's database lives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The server every Postgres test uses; override with `FERRY_TEST_POSTGRES`.
fn postgres_admin_url() -> String {
    std::env::var("FERRY_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Keeps the database alive for the test; drops it after.
pub(crate) enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(String),
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres(name) = self {
            let name = name.clone();
            // Drop runs outside any runtime the test may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A migrated store with the default tenant, on a database no other test sees.
pub(crate) async fn fresh(backend: Backend) -> (Store, Guard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("ferry.db").display());
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            store.ensure_default_tenant().await.unwrap();
            (store, Guard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("Postgres is required at {admin_url} (start it: scripts/services.sh): {e}"));
            let name = format!("t_{}", Uuid::new_v4().simple());
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            let url = match admin_url.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => unreachable!("the admin URL names a database"),
            };
            let guard = Guard::Postgres(name);
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            store.ensure_default_tenant().await.unwrap();
            assert_eq!(store.backend_name(), "postgres");
            (store, guard)
        }
    }
}

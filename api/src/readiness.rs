//! Readiness of whatever servers a role depends on: shared by the API's `/readyz` and
//! by the small probe server the orchestrator and worker roles run, so every role
//! reports its dependencies the same way.

use crate::dto::{DependencyState, Readiness};
use crate::error::{ApiError, ApiResult};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_store::Store;
use std::future::Future;
use std::sync::Arc;

/// The servers one role needs; `None` for those it does not use (a worker holds no
/// database credentials).
#[derive(Clone, Default)]
pub struct Dependencies {
    /// The database.
    pub store: Option<Store>,
    /// The task and event broker.
    pub broker: Option<Arc<dyn Broker>>,
    /// Leases, heartbeats, cancel flags.
    pub coordinator: Option<Arc<dyn Coordinator>>,
}

impl Dependencies {
    /// Asks every dependency at once; each answers for itself.
    pub async fn check(&self) -> Vec<DependencyState> {
        let db = async {
            match &self.store {
                Some(s) => Some(state("database", s.backend_name(), s.ping().await.err().map(|e| e.to_string()))),
                None => None,
            }
        };
        let broker = async {
            match &self.broker {
                Some(b) => Some(state("broker", b.name(), b.ready().await.err().map(|e| e.to_string()))),
                None => None,
            }
        };
        let coord = async {
            match &self.coordinator {
                Some(c) => Some(state("coordinator", c.name(), c.ready().await.err().map(|e| e.to_string()))),
                None => None,
            }
        };
        let (a, b, c) = tokio::join!(db, broker, coord);
        [a, b, c].into_iter().flatten().collect()
    }

    /// `Readiness` when everything answers, else the `503` problem naming what is down.
    pub async fn readiness(&self) -> ApiResult<Readiness> {
        let deps = self.check().await;
        let down: Vec<String> = deps
            .iter()
            .filter(|d| !d.ready)
            .map(|d| format!("the {} {} does not answer", d.backend, d.name))
            .collect();
        if !down.is_empty() {
            for d in deps.iter().filter(|d| !d.ready) {
                tracing::warn!(dependency = %d.name, backend = %d.backend, error = ?d.error, "readiness: down");
            }
            let what = match deps.iter().filter(|d| !d.ready).count() {
                1 => deps.iter().find(|d| !d.ready).map_or("dependencies", |d| d.name),
                _ => "dependencies",
            };
            return Err(ApiError::Unavailable {
                what,
                detail: format!("not ready: {}", down.join("; ")),
            });
        }
        let backend = |name: &str| deps.iter().find(|d| d.name == name).map(|d| d.backend.clone());
        Ok(Readiness {
            status: "ready".to_owned(),
            database: backend("database"),
            broker: backend("broker"),
            coordinator: backend("coordinator"),
            dependencies: deps,
        })
    }
}

fn state(name: &'static str, backend: &str, error: Option<String>) -> DependencyState {
    DependencyState {
        name,
        backend: backend.to_owned(),
        ready: error.is_none(),
        error,
    }
}

/// `/healthz` and `/readyz` alone, for roles that serve no API (orchestrator, worker),
/// so that a process supervisor can probe them like the API.
pub fn probe_router(deps: Dependencies) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(crate::dto::Health { status: "ok".to_owned() }) }))
        .route("/readyz", get(probe_readyz))
        .with_state(deps)
}

async fn probe_readyz(State(deps): State<Dependencies>) -> ApiResult<Json<Readiness>> {
    deps.readiness().await.map(Json)
}

/// Serves [`probe_router`] until `shutdown` resolves.
pub async fn serve_probes(
    listener: tokio::net::TcpListener,
    deps: Dependencies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, probe_router(deps))
        .with_graceful_shutdown(shutdown)
        .await
}

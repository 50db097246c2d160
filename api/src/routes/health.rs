//! `/healthz` and `/readyz`: for load balancers and orchestrators (Kubernetes probes),
//! hence no authentication and no detail beyond what is up.

use crate::dto::{Health, Readiness};
use crate::error::ApiResult;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;

/// Liveness: the process answers. Checks nothing else, so a database outage does not get
/// the process restarted.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "healthz",
    responses((status = 200, description = "The process is up.", body = Health))
)]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database, the broker and the coordinator answer, so requests can be
/// served.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "The database or the broker is down; `detail` says which.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    let deps = crate::readiness::Dependencies {
        store: Some(state.store.clone()),
        broker: Some(state.broker.clone()),
        coordinator: Some(state.coordinator.clone()),
    };
    deps.readiness().await.map(Json)
}

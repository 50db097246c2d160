//! `/healthz` and `/readyz`: for load balancers and orchestrators (Kubernetes probes),
//! hence no authentication and no detail beyond what is up.

use crate::dto::{Health, Readiness};
use crate::error::{ApiError, ApiResult};
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

/// Readiness: the database and the broker answer, so requests can be served.
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
    let (db, broker) = tokio::join!(state.store.ping(), state.broker.ready());
    let db_detail = db.err().map(|e| {
        tracing::warn!(error = %e, "readiness: database down");
        format!(
            "the {} database does not answer",
            state.store.backend_name()
        )
    });
    let broker_detail = broker.err().map(|e| {
        tracing::warn!(error = %e, "readiness: broker down");
        format!("the {} broker does not answer", state.broker.name())
    });
    let what = match (&db_detail, &broker_detail) {
        (None, None) => None,
        (Some(_), None) => Some("database"),
        (None, Some(_)) => Some("broker"),
        (Some(_), Some(_)) => Some("dependencies"),
    };
    if let Some(what) = what {
        let down: Vec<String> = db_detail.into_iter().chain(broker_detail).collect();
        return Err(ApiError::Unavailable {
            what,
            detail: format!("not ready: {}", down.join("; ")),
        });
    }
    Ok(Json(Readiness {
        status: "ready".to_owned(),
        database: state.store.backend_name().to_owned(),
        broker: state.broker.name().to_owned(),
    }))
}

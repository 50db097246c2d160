//! `/api/v1/workers`: who is taking work right now.

use crate::dto::WorkerList;
use crate::error::{ApiError, ApiResult};
use crate::problem::Problem;
use crate::auth::Caller;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;

/// Workers that sent a heartbeat recently, with what they run.
#[utoipa::path(
    get,
    path = "/api/v1/workers",
    tag = "workers",
    operation_id = "list_workers",
    responses(
        (status = 200, description = "The live workers.", body = WorkerList),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the operator's key lists workers.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The coordinator is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_workers(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<WorkerList>> {
    // Workers serve every tenant; what they run is not one tenant's to see.
    caller.require_operator()?;
    let mut workers = state.coordinator.live_workers().await.map_err(|e| {
        tracing::error!(error = %e, coordinator = state.coordinator.name(), "cannot list workers");
        ApiError::Unavailable {
            what: "coordinator",
            detail: format!(
                "the {} coordinator cannot be reached; try again later",
                state.coordinator.name()
            ),
        }
    })?;
    workers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(WorkerList {
        items: workers,
    }))
}

//! `GET /api/v1/runs/{id}/transitions`: the recorded history of a run and its tasks,
//! every state change with its time and cause ("retry of run …", "upstream failed",
//! "worker lost", …), so an operator can tell why a run ended as it did.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One recorded state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct Transition {
    /// The task that changed, or absent for the run itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_id: Option<Uuid>,
    /// The state left; absent when the run or task was created in `to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<String>,
    /// The state entered.
    pub(crate) to: String,
    /// Why, in words.
    pub(crate) cause: String,
    /// When.
    pub(crate) at: DateTime<Utc>,
}

/// A run's history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct TransitionList {
    /// Every transition of the run and its tasks.
    pub(crate) items: Vec<Transition>,
}

/// The run's state changes and its tasks', oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/transitions",
    tag = "runs",
    operation_id = "list_run_transitions",
    params(("id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 200, description = "The history.", body = TransitionList),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_run_transitions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<TransitionList>> {
    state
        .store
        .get_run(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))?;
    let items = state
        .store
        .list_transitions(id)
        .await?
        .into_iter()
        .map(|t| Transition {
            task_id: t.task_id,
            from: t.from_state,
            to: t.to_state,
            cause: t.cause,
            at: t.at,
        })
        .collect();
    Ok(Json(TransitionList { items }))
}

//! `POST /api/v1/tasks/{id}/cutover`: a converged `migrate` task with `cutover: manual`
//! is told to run its final pass and check. The request is a coordinator flag its
//! worker looks at between passes (and on every new attempt), as a cancel is.

use crate::auth::{Caller, Role};
use crate::dto::Task;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// Asks a running `migrate` task (`cutover: manual`) to cut over: once a pass has
/// converged it runs a final pass and a check, then succeeds. Asked before convergence,
/// it cuts over as soon as a pass converges.
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{id}/cutover",
    tag = "tasks",
    operation_id = "cutover_task",
    params(("id" = Uuid, Path, description = "Task id.")),
    responses(
        (status = 202, description = "Cutover requested; the task finishes after its final pass and check.", body = Task),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role may not run pipelines.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such task.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a `migrate` task with `cutover: manual`, or it already finished.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database or the coordinator is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cutover_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    caller.require(Role::Runner)?;
    let row = state
        .store
        .get_task(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("task", id))?;
    if row.kind != "migrate" {
        return Err(ApiError::Conflict(format!("task {id} is a `{}` task; only a `migrate` task cuts over", row.kind)));
    }
    let mode = row.spec.get("cutover").and_then(|v| v.as_str()).unwrap_or("auto");
    if mode != "manual" {
        return Err(ApiError::Conflict(format!(
            "task {id} has `cutover: {mode}`; only a `cutover: manual` migration waits to be cut over"
        )));
    }
    if row.state.is_terminal() {
        return Err(ApiError::Conflict(format!("task {id} already finished ({}); there is nothing to cut over", row.state.as_str())));
    }
    state
        .coordinator
        .request_cutover(id)
        .await
        .map_err(|_| ApiError::Unavailable { what: "coordinator", detail: "cannot reach the coordinator to ask for the cutover; try again".into() })?;
    let task = super::tasks::with_destinations(&state, vec![row]).await?.remove(0);
    Ok((StatusCode::ACCEPTED, Json(task)))
}

//! `/api/v1/runs`: follow runs and cancel them.

use crate::dto::{Run, RunPage, RunProgress};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::page_request;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ferry_common::state::RunState;
use ferry_store::{RunFilter, RunRow};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Query parameters of `GET /api/v1/runs`: filters plus the page.
///
/// Spelled out rather than nesting [`crate::pagination::PageQuery`]: query strings carry
/// only text, and serde's `flatten` loses the number parsing of `limit`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RunsQuery {
    /// Only runs of this pipeline.
    pub(crate) pipeline_id: Option<Uuid>,
    /// Only runs in this state: `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[param(value_type = Option<crate::dto::RunState>)]
    pub(crate) state: Option<String>,
    /// Only runs started so: `manual`, `schedule`, `backfill`, `file_arrival`,
    /// `upstream`, `fresh` or `webhook`.
    #[param(value_type = Option<ferry_common::triggers::TriggerKind>)]
    pub(crate) trigger: Option<String>,
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

/// Reads the `state` filter, naming the accepted values when it is not one.
fn parse_state(text: &str) -> ApiResult<RunState> {
    RunState::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| {
            let allowed: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest(format!(
                "unknown run state `{text}`; expected one of: {}",
                allowed.join(", ")
            ))
        })
}

/// Reads the `trigger` filter, naming the accepted values when it is not one.
fn parse_trigger(text: &str) -> ApiResult<ferry_common::triggers::TriggerKind> {
    use ferry_common::triggers::TriggerKind;
    TriggerKind::parse(text).ok_or_else(|| {
        let allowed: Vec<&str> = TriggerKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::BadRequest(format!("unknown trigger `{text}`; expected one of: {}", allowed.join(", ")))
    })
}

/// Adds progress to run rows with one query for the whole page.
async fn with_progress(state: &AppState, rows: Vec<RunRow>) -> ApiResult<Vec<Run>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let progress = state.store.run_progress(&ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let p = progress
                .get(&row.id)
                .copied()
                .map(RunProgress::from)
                .unwrap_or_default();
            Run::new(row, p)
        })
        .collect())
}

/// Lists runs, newest first, optionally of one pipeline or in one state.
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "runs",
    operation_id = "list_runs",
    params(RunsQuery),
    responses(
        (status = 200, description = "A page of runs.", body = RunPage),
        (status = 400, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> ApiResult<Json<RunPage>> {
    let filter = RunFilter {
        pipeline_id: query.pipeline_id,
        state: query
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(parse_state)
            .transpose()?,
        trigger: query.trigger.as_deref().filter(|s| !s.is_empty()).map(parse_trigger).transpose()?,
    };
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let page = state
        .store
        .list_runs(caller.tenant, &filter, &page)
        .await?;
    Ok(Json(RunPage {
        items: with_progress(&state, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

/// One run, with its progress.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}",
    tag = "runs",
    operation_id = "get_run",
    params(("id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 200, description = "The run.", body = Run),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Run>> {
    let row = state
        .store
        .get_run(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))?;
    let mut runs = with_progress(&state, vec![row]).await?;
    runs.pop()
        .map(Json)
        .ok_or_else(|| ApiError::Internal("a run vanished while adding its progress".to_owned()))
}

/// Asks for a run to be cancelled.
///
/// Answers at once with the run marked `cancel_requested`; the orchestrator stops its
/// tasks and moves it to `cancelled` shortly after. Asking again is harmless.
#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/cancel",
    tag = "runs",
    operation_id = "cancel_run",
    params(("id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 202, description = "Cancel requested.", body = Run),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run already finished.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<Run>)> {
    caller.require(Role::Runner)?;
    let row = state
        .store
        .request_cancel(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", id))?;
    if row.state.is_terminal() {
        return Err(ApiError::RunFinished(format!(
            "run {id} already finished ({}); there is nothing to cancel",
            row.state.as_str()
        )));
    }
    (state.on_run_change)();
    let mut runs = with_progress(&state, vec![row]).await?;
    let run = runs
        .pop()
        .ok_or_else(|| ApiError::Internal("a run vanished while adding its progress".to_owned()))?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_filter_names_the_allowed_values() {
        assert_eq!(parse_state("running").unwrap(), RunState::Running);
        let err = parse_state("done").unwrap_err().to_string();
        assert!(
            err.contains("queued, running, succeeded, failed, cancelled"),
            "{err}"
        );
    }
}

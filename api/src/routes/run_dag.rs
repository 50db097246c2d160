//! `GET /api/v1/runs/{id}/dag.svg`: the run's DAG as a picture, each task coloured by its
//! state and linked to it; inferred dependencies dashed. Drawn from the run's own spec
//! (the one it was planned from), so a later edit of the pipeline does not redraw it.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use ferry_common::spec;
use std::collections::HashMap;
use uuid::Uuid;

/// The run's DAG as SVG (no script, no stylesheet: it can be embedded as it is).
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/dag.svg",
    tag = "runs",
    operation_id = "get_run_dag_svg",
    params(("id" = Uuid, Path, description = "Run id.")),
    responses(
        (status = 200, description = "An SVG picture: tasks left to right in dependency order, filled by state, each a link to `/api/v1/tasks/{id}`; inferred edges dashed.", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The run's spec no longer parses with this version.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_run_dag_svg(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<(HeaderMap, String)> {
    let graph = graph_of(&state, caller, id).await?;
    let tasks: HashMap<String, (ferry_common::state::TaskState, Uuid)> =
        state.store.all_run_tasks(caller.tenant, id).await?.into_iter().map(|t| (t.key, (t.state, t.id))).collect();
    let svg = crate::dag_svg::render(&graph, &format!("run {id}"), |key| tasks.get(key).map(|(s, tid)| (*s, format!("/api/v1/tasks/{tid}"))));
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok((headers, svg))
}

/// The graph a run of the caller's tenant was planned from.
pub(crate) async fn graph_of(state: &AppState, caller: Caller, id: Uuid) -> ApiResult<spec::PipelineGraph> {
    let run = state.store.get_run(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("run", id))?;
    Ok(spec::parse_value(run.spec).map_err(ApiError::InvalidSpec)?.graph())
}

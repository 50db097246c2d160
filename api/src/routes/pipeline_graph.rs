//! `/api/v1/pipelines/{id}/graph`: the DAG a pipeline runs as, with the dependencies
//! inferred from locations marked, so a user sees why a task waits for another.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use ferry_common::spec::{self, PipelineGraph};
use uuid::Uuid;

/// A pipeline's tasks and edges; `inferred: true` marks an edge that comes from a task
/// reading a location another writes, with that location.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines/{id}/graph",
    tag = "pipelines",
    operation_id = "get_pipeline_graph",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 200, description = "The pipeline's DAG.", body = PipelineGraph),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The stored spec no longer parses with this version; `errors` lists why.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_pipeline_graph(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PipelineGraph>> {
    let row = state
        .store
        .get_pipeline(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let spec = spec::parse_value(row.spec).map_err(ApiError::InvalidSpec)?;
    Ok(Json(spec.graph()))
}

//! `/api/v1/pipelines`: create, read, replace and delete pipeline definitions, and start
//! runs of them.

use crate::dto::{Pipeline, PipelinePage, PipelineSpec, Run, RunProgress, RunRequest};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, SpecBody};
use crate::pagination::PageQuery;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use uuid::Uuid;

/// Parses, validates and serializes a submitted spec; returns its name and stored form.
/// Local locations are checked against the caller's tenant's file roots.
async fn accept_spec(state: &AppState, caller: &Caller, body: SpecBody) -> ApiResult<(String, serde_json::Value)> {
    let mut ctx = state.validation.clone();
    let own = state.store.get_tenant(caller.tenant).await?.map(|t| t.file_roots).unwrap_or_default();
    ctx.file_roots = state.validation.file_roots.for_tenant(&own, caller.tenant == ferry_store::DEFAULT_TENANT);
    ctx.connections.extend(super::connections::names_of(state, caller.tenant).await?);
    ctx.channels = Some(state.store.channel_names(caller.tenant).await?);
    let spec = ferry_common::spec::check_value(body.value, &ctx).map_err(|problems| at_lines(problems, &body.text))?;
    let stored = serde_json::to_value(&spec)
        .map_err(|e| ApiError::Internal(format!("cannot serialize a parsed spec: {e}")))?;
    Ok((spec.name, stored))
}

/// Validates a spec built by the server (a restore's one-task spec) as a submitted one
/// is, for the caller's tenant; returns its stored form.
pub(crate) async fn checked_spec(state: &AppState, caller: &Caller, value: serde_json::Value) -> ApiResult<serde_json::Value> {
    let text = value.to_string();
    accept_spec(state, caller, SpecBody { value, text }).await.map(|(_, stored)| stored)
}

/// The problems of a submitted text, each with the line it is on.
fn at_lines(problems: Vec<ferry_common::spec::SpecProblem>, text: &str) -> ApiError {
    let lines = crate::spec_lines::SpecLines::of(text);
    ApiError::InvalidSpecText(
        problems
            .into_iter()
            .map(|p| {
                let line = lines.line_of(&p.path).and_then(|l| u32::try_from(l).ok());
                crate::problem::SpecError { line, ..p.into() }
            })
            .collect(),
    )
}

/// A `Location` header naming a created resource.
pub(crate) fn location(path: String) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&path) {
        headers.insert(LOCATION, value);
    }
    headers
}

/// Stores a new pipeline.
///
/// The body is a pipeline spec in JSON (`application/json`) or YAML
/// (`application/yaml`, `application/x-yaml`, `text/yaml`). The whole spec is checked
/// and refused with every problem listed when anything is wrong.
#[utoipa::path(
    post,
    path = "/api/v1/pipelines",
    tag = "pipelines",
    operation_id = "create_pipeline",
    request_body(
        description = "A pipeline spec in JSON. The same document in YAML is accepted too, sent with `Content-Type: application/yaml` (left out here: client generators make one body type per operation).",
        content(
            (PipelineSpec = "application/json")
        )
    ),
    responses(
        (status = 201, description = "Stored; `Location` names the new pipeline.", body = Pipeline),
        (status = 400, description = "The body is not JSON/YAML or not a mapping.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A pipeline of that name exists.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body exceeds 10 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor YAML.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The spec is wrong; `errors` lists every problem.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_pipeline(
    State(state): State<AppState>,
    caller: Caller,
    body: SpecBody,
) -> ApiResult<(StatusCode, HeaderMap, Json<Pipeline>)> {
    caller.require(Role::Editor)?;
    let (name, stored) = accept_spec(&state, &caller, body).await?;
    let row = state
        .store
        .create_pipeline(caller.tenant, &name, &stored)
        .await?;
    let headers = location(format!("/api/v1/pipelines/{}", row.id));
    Ok((StatusCode::CREATED, headers, Json(row.into())))
}

/// Lists pipelines, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines",
    tag = "pipelines",
    operation_id = "list_pipelines",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of pipelines.", body = PipelinePage),
        (status = 400, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_pipelines(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<PipelinePage>> {
    let page = state
        .store
        .list_pipelines(caller.tenant, &query.to_request()?)
        .await?;
    Ok(Json(PipelinePage {
        items: page.items.into_iter().map(Pipeline::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One pipeline.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines/{id}",
    tag = "pipelines",
    operation_id = "get_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 200, description = "The pipeline.", body = Pipeline),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_pipeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Pipeline>> {
    let row = state
        .store
        .get_pipeline(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pipeline", id))?;
    Ok(Json(row.into()))
}

/// Replaces a pipeline's spec (and name, which comes from the spec).
///
/// Runs already created keep the spec they started with.
#[utoipa::path(
    put,
    path = "/api/v1/pipelines/{id}",
    tag = "pipelines",
    operation_id = "replace_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    request_body(
        description = "A pipeline spec in JSON. The same document in YAML is accepted too, sent with `Content-Type: application/yaml` (left out here: client generators make one body type per operation).",
        content(
            (PipelineSpec = "application/json")
        )
    ),
    responses(
        (status = 200, description = "Replaced.", body = Pipeline),
        (status = 400, description = "The id is not a UUID, or the body is not JSON/YAML or not a mapping.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another pipeline has that name.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body exceeds 10 MiB.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor YAML.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The spec is wrong; `errors` lists every problem.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn replace_pipeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    body: SpecBody,
) -> ApiResult<Json<Pipeline>> {
    caller.require(Role::Editor)?;
    let (name, stored) = accept_spec(&state, &caller, body).await?;
    let row = state
        .store
        .update_pipeline(caller.tenant, id, &name, &stored)
        .await?
        .ok_or_else(|| ApiError::not_found("pipeline", id))?;
    Ok(Json(row.into()))
}

/// Deletes a pipeline. Its runs stay, for history.
#[utoipa::path(
    delete,
    path = "/api/v1/pipelines/{id}",
    tag = "pipelines",
    operation_id = "delete_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_pipeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Editor)?;
    if state.store.delete_pipeline(caller.tenant, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("pipeline", id))
    }
}

/// Starts a run of a pipeline with its current spec.
///
/// The run is `queued`; the orchestrator plans and dispatches it. The body is optional:
/// an empty one (or `{}`) starts the run now with no parameters.
#[utoipa::path(
    post,
    path = "/api/v1/pipelines/{id}/runs",
    tag = "runs",
    operation_id = "create_run",
    params(("id" = Uuid, Path, description = "Pipeline id.")),
    request_body(content = RunRequest, description = "Optional (no body: a run now, with no parameters): the logical time and the values of the spec's `{{ trigger.… }}` variables.", content_type = "application/json"),
    responses(
        (status = 202, description = "Queued; `Location` names the run.", body = Run),
        (status = 400, description = "The id is not a UUID, or the body is not a run request.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The spec uses a variable this run does not supply.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong admin key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pipeline.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    body: Bytes,
) -> ApiResult<(StatusCode, HeaderMap, Json<Run>)> {
    caller.require(Role::Runner)?;
    let request: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("the run request is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::BadRequest("the run request must be a JSON object such as {\"parameters\": {…}}, or no body at all".into()));
        }
        serde_json::from_value(value).map_err(|e| ApiError::BadRequest(format!("the run request is not valid: {e}")))?
    };
    start_run(&state, &caller, id, request).await
}

/// Starts a run of pipeline `id` as `request` asks (the API's `POST …/runs` and the
/// portal's "Start run" both come here).
pub(crate) async fn start_run(state: &AppState, caller: &Caller, id: Uuid, request: RunRequest) -> ApiResult<(StatusCode, HeaderMap, Json<Run>)> {
    caller.require(Role::Runner)?;
    let pipeline = state
        .store
        .get_pipeline(caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pipeline", id))?;
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    let mut trigger = ferry_common::triggers::RunTrigger::manual(request.logical_time.map_or(now, |t| chrono::SubsecRound::trunc_subsecs(t, 6)));
    trigger.detail = request.parameters.map(serde_json::Value::Object);
    let spec = ferry_common::template::render_for_run(&pipeline.spec, &trigger).map_err(|e| {
        ApiError::InvalidSpec(vec![ferry_common::problem::SpecProblem {
            path: e.path,
            message: format!("{}; supply it in the run request's `parameters`", e.message),
        }])
    })?;
    let row = state
        .store
        .create_run_because(caller.tenant, pipeline.id, &spec, &trigger, "run requested")
        .await?;
    (state.on_run_change)();
    let headers = location(format!("/api/v1/runs/{}", row.id));
    Ok((
        StatusCode::ACCEPTED,
        headers,
        Json(Run::new(row, RunProgress::default())),
    ))
}

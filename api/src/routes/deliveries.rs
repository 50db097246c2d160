//! `/api/v1/deliveries`: every destination's delivery of a copy's data, and the two
//! hands a user has on an async one: try again now, or give it up.

use crate::auth::{Caller, Role};
use crate::dto_deliveries::{Delivery, DeliveryPage};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::page_request;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use ferry_common::delivery_state::DeliveryState;
use ferry_common::spec::{DEFAULT_DELIVER_WITHIN, PipelineSpec, TaskBody};
use ferry_store::DeliveryFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Filters and paging of `GET /api/v1/deliveries`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// Only deliveries of this dataset.
    pub(crate) dataset: Option<String>,
    /// Only deliveries to this destination URL (as the spec wrote it).
    pub(crate) destination: Option<String>,
    /// Only deliveries in this state.
    #[param(value_type = Option<DeliveryState>)]
    pub(crate) state: Option<String>,
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

fn parse_state(text: &str) -> ApiResult<DeliveryState> {
    text.parse().map_err(|_| {
        let allowed: Vec<&str> = DeliveryState::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::BadRequest(format!("unknown delivery state `{text}`; expected one of: {}", allowed.join(", ")))
    })
}

/// Lists deliveries, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    tag = "deliveries",
    operation_id = "list_deliveries",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries.", body = DeliveryPage),
        (status = 400, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_deliveries(State(state): State<AppState>, caller: Caller, ApiQuery(query): ApiQuery<DeliveriesQuery>) -> ApiResult<Json<DeliveryPage>> {
    let text = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(|s| s.replace('\0', ""));
    let filter = DeliveryFilter {
        dataset: text(&query.dataset),
        destination: text(&query.destination),
        state: query.state.as_deref().filter(|s| !s.is_empty()).map(parse_state).transpose()?,
        ..DeliveryFilter::default()
    };
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let page = state.store.list_deliveries(caller.tenant, &filter, &page).await?;
    Ok(Json(DeliveryPage { items: page.items.into_iter().map(Delivery::from).collect(), next_cursor: page.next_cursor }))
}

/// One delivery.
#[utoipa::path(
    get,
    path = "/api/v1/deliveries/{id}",
    tag = "deliveries",
    operation_id = "get_delivery",
    params(("id" = Uuid, Path, description = "Delivery id.")),
    responses(
        (status = 200, description = "The delivery.", body = Delivery),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_delivery(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Delivery>> {
    let row = state.store.get_delivery(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("delivery", id))?;
    Ok(Json(row.into()))
}

/// Attempts an async delivery again now: a `failed` or `cancelled` one starts over
/// (with a new `deliver_within` window), a `retrying` one stops waiting for its backoff.
#[utoipa::path(
    post,
    path = "/api/v1/deliveries/{id}/retry",
    tag = "deliveries",
    operation_id = "retry_delivery",
    params(("id" = Uuid, Path, description = "Delivery id.")),
    responses(
        (status = 200, description = "The delivery, due now.", body = Delivery),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read (retrying and cancelling need the runner role).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is delivered, running, or sync (its task delivered it).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn retry_delivery(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Delivery>> {
    caller.require(Role::Runner)?;
    let d = state.store.get_delivery(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("delivery", id))?;
    let window = deliver_within(&state, caller.tenant, &d).await?;
    let row = state.store.retry_delivery(caller.tenant, id, Utc::now(), window).await?.ok_or_else(|| ApiError::not_found("delivery", id))?;
    (state.on_run_change)();
    Ok(Json(row.into()))
}

/// The `deliver_within` of the destination a delivery is for, as its run's spec says.
async fn deliver_within(state: &AppState, tenant: Uuid, d: &ferry_store::DeliveryRow) -> ApiResult<std::time::Duration> {
    let spec = state.store.get_run(tenant, d.run_id).await?.and_then(|r| serde_json::from_value::<PipelineSpec>(r.spec).ok());
    let destination = spec.as_ref().and_then(|s| s.tasks.iter().find(|t| t.id == d.task_key)).and_then(|t| match &t.body {
        TaskBody::Copy(c) => c.destinations.iter().find(|x| x.location.url == d.destination).cloned(),
        _ => None,
    });
    Ok(destination.map_or(DEFAULT_DELIVER_WITHIN, |x| x.retry_window()).0)
}

/// Gives an async delivery up: it is not attempted again (an attempt under way runs to
/// its end, and its outcome is not recorded), and later incremental deliveries to the
/// same destination stop waiting for it.
#[utoipa::path(
    post,
    path = "/api/v1/deliveries/{id}/cancel",
    tag = "deliveries",
    operation_id = "cancel_delivery",
    params(("id" = Uuid, Path, description = "Delivery id.")),
    responses(
        (status = 200, description = "The delivery, cancelled.", body = Delivery),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key may only read (retrying and cancelling need the runner role).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is delivered or cancelled already, or sync.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn cancel_delivery(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Delivery>> {
    caller.require(Role::Runner)?;
    let row = state.store.cancel_delivery(caller.tenant, id, Utc::now()).await?.ok_or_else(|| ApiError::not_found("delivery", id))?;
    (state.on_run_change)();
    Ok(Json(row.into()))
}

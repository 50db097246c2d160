//! `/api/v1/datasets`: what each dataset's copies delivered where, and when — the
//! freshness markers a `fresh` condition reads.

use crate::auth::Caller;
use crate::dto_datasets::{Dataset, DatasetList};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;

/// The tenant's datasets, by name, each with its destinations' markers.
#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    tag = "datasets",
    operation_id = "list_datasets",
    responses(
        (status = 200, description = "Every dataset delivered at least once.", body = DatasetList),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_datasets(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<DatasetList>> {
    let rows = state.store.dataset_markers(caller.tenant, None).await?;
    Ok(Json(DatasetList { items: Dataset::group(rows) }))
}

/// One dataset's markers, per destination.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    operation_id = "get_dataset",
    params(("name" = String, Path, description = "Dataset name, as a copy's `dataset` gives it.")),
    responses(
        (status = 200, description = "The dataset.", body = Dataset),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Never delivered (or another tenant's).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_dataset(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>) -> ApiResult<Json<Dataset>> {
    // A name no dataset can have is not looked up (and a NUL never reaches Postgres).
    if !ferry_common::values::is_dataset_name(&name) {
        return Err(ApiError::NotFound(format!("no dataset named `{}`", name.escape_debug())));
    }
    let rows = state.store.dataset_markers(caller.tenant, Some(&name)).await?;
    Dataset::group(rows).pop().map(Json).ok_or_else(|| ApiError::NotFound(format!("no dataset `{name}` has been delivered (a copy names it with `dataset:`)")))
}

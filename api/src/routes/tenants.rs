//! `/api/v1/tenants`: the operator creates, lists, changes and deletes tenants.

use crate::auth::Caller;
use crate::dto_tenancy::{Tenant, TenantCreate, TenantPage, TenantPatch};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ferry_store::{DEFAULT_TENANT, TenantDeletion};
use uuid::Uuid;

/// Checks a tenant's name and roots, naming what is wrong.
fn check(name: &str, file_roots: &[String]) -> ApiResult<()> {
    let ok = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(ApiError::BadRequest(format!(
            "tenant name `{name}` must be 1 to 64 letters, digits, `-`, `_` or `.`"
        )));
    }
    if let Some(bad) = file_roots.iter().find(|r| !r.starts_with('/') || r.split('/').any(|seg| seg == "..")) {
        return Err(ApiError::BadRequest(format!("file root `{bad}` must be an absolute path without `..`")));
    }
    Ok(())
}

/// Creates a tenant (operator only).
#[utoipa::path(
    post,
    path = "/api/v1/tenants",
    tag = "tenants",
    operation_id = "create_tenant",
    request_body = TenantCreate,
    responses(
        (status = 201, description = "Created.", body = Tenant),
        (status = 400, description = "A bad name, root or body (unknown fields are named).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator's key.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TenantCreate>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    caller.require_operator()?;
    check(&body.name, &body.file_roots)?;
    let row = state.store.create_tenant(&body.name, &body.file_roots, &body.quotas).await.map_err(ApiError::conflict)?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Lists tenants (operator only).
#[utoipa::path(
    get,
    path = "/api/v1/tenants",
    tag = "tenants",
    operation_id = "list_tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tenants.", body = TenantPage),
        (status = 400, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator's key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_tenants(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<TenantPage>> {
    caller.require_operator()?;
    let page = state.store.list_tenants(&query.to_request()?).await?;
    Ok(Json(TenantPage { items: page.items.into_iter().map(Tenant::from).collect(), next_cursor: page.next_cursor }))
}

/// One tenant (operator only).
#[utoipa::path(
    get,
    path = "/api/v1/tenants/{id}",
    tag = "tenants",
    operation_id = "get_tenant",
    params(("id" = Uuid, Path, description = "Tenant id.")),
    responses(
        (status = 200, description = "The tenant.", body = Tenant),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator's key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_tenant(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Tenant>> {
    caller.require_operator()?;
    let row = state.store.get_tenant(id).await?.ok_or_else(|| ApiError::not_found("tenant", id))?;
    Ok(Json(row.into()))
}

/// Changes a tenant's name, file roots or quotas (operator only).
#[utoipa::path(
    patch,
    path = "/api/v1/tenants/{id}",
    tag = "tenants",
    operation_id = "update_tenant",
    params(("id" = Uuid, Path, description = "Tenant id.")),
    request_body = TenantPatch,
    responses(
        (status = 200, description = "Changed.", body = Tenant),
        (status = 400, description = "A bad id, name, root or body.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator's key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new name is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<TenantPatch>,
) -> ApiResult<Json<Tenant>> {
    caller.require_operator()?;
    let mut row = state.store.get_tenant(id).await?.ok_or_else(|| ApiError::not_found("tenant", id))?;
    if let Some(name) = patch.name {
        row.name = name;
    }
    if let Some(roots) = patch.file_roots {
        row.file_roots = roots;
    }
    if let Some(quotas) = patch.quotas {
        row.quotas = quotas;
    }
    check(&row.name, &row.file_roots)?;
    let row = state.store.update_tenant(&row).await.map_err(ApiError::conflict)?.ok_or_else(|| ApiError::not_found("tenant", id))?;
    Ok(Json(row.into()))
}

/// Deletes a tenant (operator only); refused while it has runs queued or running.
#[utoipa::path(
    delete,
    path = "/api/v1/tenants/{id}",
    tag = "tenants",
    operation_id = "delete_tenant",
    params(("id" = Uuid, Path, description = "Tenant id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the operator's key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has runs in flight, or is the default tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_tenant(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    caller.require_operator()?;
    if id == DEFAULT_TENANT {
        return Err(ApiError::Conflict("the default tenant holds the operator's own work and cannot be deleted".into()));
    }
    match state.store.delete_tenant(id).await? {
        TenantDeletion::Deleted => Ok(StatusCode::NO_CONTENT),
        TenantDeletion::NotFound => Err(ApiError::not_found("tenant", id)),
        TenantDeletion::RunsInFlight(n) => Err(ApiError::Conflict(format!(
            "the tenant has {n} run(s) queued or running; cancel them or let them finish first"
        ))),
    }
}

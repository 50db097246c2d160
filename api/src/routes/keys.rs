//! `/api/v1/keys`: tenant admins (and the operator) create, list and revoke API keys.
//! The secret is in the answer to its creation and nowhere else.

use crate::auth::{Caller, Role, issue_key};
use crate::dto_tenancy::{ApiKey, ApiKeyPage, KeyCreate, KeyCreated};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Query of `GET /api/v1/keys`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct KeysQuery {
    /// The operator only: whose keys (a tenant name); the `default` tenant's otherwise.
    pub(crate) tenant: Option<String>,
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

/// The tenant a request acts for: its key's, or for the operator the one it names.
async fn target_tenant(state: &AppState, caller: &Caller, named: Option<&str>) -> ApiResult<Uuid> {
    let Some(name) = named else { return Ok(caller.tenant) };
    let tenant = state
        .store
        .get_tenant_by_name(name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no tenant named `{name}`")))?;
    if !caller.operator && tenant.id != caller.tenant {
        return Err(ApiError::Forbidden("a tenant key acts only for its own tenant".into()));
    }
    Ok(tenant.id)
}

/// Creates a key; the answer holds its secret, once.
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "keys",
    operation_id = "create_key",
    request_body = KeyCreate,
    responses(
        (status = 201, description = "Created; `secret` is shown this once.", body = KeyCreated),
        (status = 400, description = "A bad body (unknown fields are named) or name.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or another tenant named.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No tenant of that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<KeyCreate>,
) -> ApiResult<(StatusCode, Json<KeyCreated>)> {
    caller.require(Role::Admin)?;
    if body.name.trim().is_empty() || body.name.len() > 128 {
        return Err(ApiError::BadRequest("a key's `name` must be 1 to 128 characters".into()));
    }
    let tenant = target_tenant(&state, &caller, body.tenant.as_deref()).await?;
    let (row, secret) = issue_key(tenant, &body.name, body.role, body.expires_at);
    state.store.create_key(&row).await?;
    let key = ApiKey::from_row(row).ok_or_else(|| ApiError::Internal("a key was stored with an unknown role".into()))?;
    Ok((StatusCode::CREATED, Json(KeyCreated { key, secret })))
}

/// Lists a tenant's keys (secrets are never shown).
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "keys",
    operation_id = "list_keys",
    params(KeysQuery),
    responses(
        (status = 200, description = "A page of keys.", body = ApiKeyPage),
        (status = 400, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or another tenant named.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No tenant of that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<KeysQuery>,
) -> ApiResult<Json<ApiKeyPage>> {
    caller.require(Role::Admin)?;
    let tenant = target_tenant(&state, &caller, query.tenant.as_deref()).await?;
    let page = crate::pagination::page_request(query.cursor.as_deref(), query.limit)?;
    let page = state.store.list_keys(tenant, &page).await?;
    let items = page.items.into_iter().filter_map(ApiKey::from_row).collect();
    Ok(Json(ApiKeyPage { items, next_cursor: page.next_cursor }))
}

/// Revokes a key at once: every API instance refuses it from its next request.
#[utoipa::path(
    delete,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    operation_id = "revoke_key",
    params(("id" = Uuid, Path, description = "Key id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key (or already revoked).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn revoke_key(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    caller.require(Role::Admin)?;
    // The operator may revoke any tenant's key; a tenant admin only its own tenant's.
    let tenant = if caller.operator {
        state.store.get_key_by_id(id).await?.map(|k| k.tenant_id).ok_or_else(|| ApiError::not_found("key", id))?
    } else {
        caller.tenant
    };
    if state.store.revoke_key(tenant, id, Utc::now().trunc_subsecs(6)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("key", id))
    }
}

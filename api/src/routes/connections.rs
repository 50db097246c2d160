//! `/api/v1/connections`: a tenant's stored connections. Secret fields are sealed with
//! AES-256-GCM under `FERRY_MASTER_KEY` as they arrive and never answered; a run naming a
//! connection finds it in its own tenant only.

use crate::auth::{Caller, Role};
use crate::dto_connections::{Connection, ConnectionBody, ConnectionKind, ConnectionPage};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{SubsecRound, Utc};
use ferry_store::ConnectionRow;
use uuid::Uuid;

/// Checks a body and seals its secrets; `keep` are the stored sealed secrets a `PUT`
/// without secrets keeps.
fn prepare(state: &AppState, body: &ConnectionBody, keep: Option<(&Option<String>, &Vec<String>, &Option<String>)>) -> ApiResult<(Option<String>, Vec<String>, Option<String>)> {
    let ok = !body.name.is_empty() && body.name.len() <= 128 && body.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(ApiError::BadRequest(format!("connection name `{}` must be 1 to 128 letters, digits, `-`, `_` or `.`", body.name)));
    }
    if matches!(body.kind, ConnectionKind::Postgres | ConnectionKind::Mysql) && body.url.is_none() {
        return Err(ApiError::BadRequest(format!("a `{}` connection needs its `url`", body.kind.as_str())));
    }
    if let Some(url) = &body.url
        && url::Url::parse(url).is_ok_and(|u| u.password().is_some())
    {
        return Err(ApiError::BadRequest("the `url` carries a password; put it in `secrets.password`, which is stored sealed".into()));
    }
    if let Some(clash) = body.secrets.keys().find(|k| body.stored_options().contains_key(*k)) {
        return Err(ApiError::BadRequest(format!("`{clash}` is given both as an option and as a secret")));
    }
    if body.secrets.is_empty() {
        return Ok(match keep {
            Some((sealed, names, key)) => (sealed.clone(), names.clone(), key.clone()),
            None => (None, Vec::new(), None),
        });
    }
    let Some(key) = &state.master_key else {
        return Err(ApiError::Unavailable {
            what: "master key",
            detail: "this server has no FERRY_MASTER_KEY, so it cannot store secrets".into(),
        });
    };
    let plain = serde_json::to_vec(&body.secrets).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((Some(key.seal(&plain)), body.secrets.keys().cloned().collect(), Some(key.id().to_string())))
}

fn shown(row: ConnectionRow) -> ApiResult<Connection> {
    Connection::from_row(row).ok_or_else(|| ApiError::Internal("a connection was stored with an unknown kind".into()))
}

/// Stores a connection (editors).
#[utoipa::path(
    post,
    path = "/api/v1/connections",
    tag = "connections",
    operation_id = "create_connection",
    request_body = ConnectionBody,
    responses(
        (status = 201, description = "Stored; secrets are sealed and not shown.", body = Connection),
        (status = 400, description = "A bad name, kind or body (unknown fields are named).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has a connection of that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable, or no master key is set.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_connection(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> ApiResult<(StatusCode, Json<Connection>)> {
    caller.require(Role::Editor)?;
    let (secrets, secret_names, key_id) = prepare(&state, &body, None)?;
    let now = Utc::now().trunc_subsecs(6);
    let row = ConnectionRow {
        id: Uuid::now_v7(),
        tenant_id: caller.tenant,
        name: body.name.clone(),
        kind: body.kind.as_str().to_string(),
        options: body.stored_options(),
        secrets,
        secret_names,
        key_id,
        created_at: now,
        updated_at: now,
    };
    state.store.create_connection(&row).await.map_err(ApiError::conflict)?;
    Ok((StatusCode::CREATED, Json(shown(row)?)))
}

/// Lists the tenant's connections.
#[utoipa::path(
    get,
    path = "/api/v1/connections",
    tag = "connections",
    operation_id = "list_connections",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of connections.", body = ConnectionPage),
        (status = 400, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_connections(State(state): State<AppState>, caller: Caller, ApiQuery(query): ApiQuery<PageQuery>) -> ApiResult<Json<ConnectionPage>> {
    let page = state.store.list_connections(Some(caller.tenant), &query.to_request()?).await?;
    let items = page.items.into_iter().filter_map(Connection::from_row).collect();
    Ok(Json(ConnectionPage { items, next_cursor: page.next_cursor }))
}

/// One connection.
#[utoipa::path(
    get,
    path = "/api/v1/connections/{id}",
    tag = "connections",
    operation_id = "get_connection",
    params(("id" = Uuid, Path, description = "Connection id.")),
    responses(
        (status = 200, description = "The connection (no secret values).", body = Connection),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn get_connection(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Connection>> {
    let row = state.store.get_connection(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("connection", id))?;
    Ok(Json(shown(row)?))
}

/// Replaces a connection (editors); secrets left out keep their stored values.
#[utoipa::path(
    put,
    path = "/api/v1/connections/{id}",
    tag = "connections",
    operation_id = "replace_connection",
    params(("id" = Uuid, Path, description = "Connection id.")),
    request_body = ConnectionBody,
    responses(
        (status = 200, description = "Replaced.", body = Connection),
        (status = 400, description = "A bad id, name, kind or body.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another connection has that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable, or no master key is set.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn replace_connection(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> ApiResult<Json<Connection>> {
    caller.require(Role::Editor)?;
    let old = state.store.get_connection(caller.tenant, id).await?.ok_or_else(|| ApiError::not_found("connection", id))?;
    let (secrets, secret_names, key_id) = prepare(&state, &body, Some((&old.secrets, &old.secret_names, &old.key_id)))?;
    let row = ConnectionRow {
        name: body.name.clone(),
        kind: body.kind.as_str().to_string(),
        options: body.stored_options(),
        secrets,
        secret_names,
        key_id,
        ..old
    };
    let row = state.store.update_connection(&row).await.map_err(ApiError::conflict)?.ok_or_else(|| ApiError::not_found("connection", id))?;
    Ok(Json(shown(row)?))
}

/// Deletes a connection (editors).
#[utoipa::path(
    delete,
    path = "/api/v1/connections/{id}",
    tag = "connections",
    operation_id = "delete_connection",
    params(("id" = Uuid, Path, description = "Connection id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role below editor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection in this tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn delete_connection(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    caller.require(Role::Editor)?;
    if state.store.delete_connection(caller.tenant, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("connection", id))
    }
}


/// The connection names a tenant's specs may use: the server's file, plus its stored ones.
pub(crate) async fn names_of(state: &AppState, tenant: Uuid) -> ApiResult<Vec<String>> {
    Ok(state.store.tenant_connections(tenant).await?.into_iter().map(|c| c.name).collect())
}

//! `/api/v1/audit`: every change made through the API, newest first.

use crate::auth::{Caller, Role};
use crate::dto_tenancy::{AuditEntry, AuditPage};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /api/v1/audit`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// The operator only: one tenant's entries (a tenant name); all tenants' otherwise.
    pub(crate) tenant: Option<String>,
    /// `next_cursor` of the previous page; omit for the first page.
    #[param(pattern = r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, at least 1 (default 50); larger values than 500 are answered with 500.
    #[param(minimum = 1)]
    pub(crate) limit: Option<i32>,
}

/// The audit log: a tenant admin sees its tenant's, the operator everyone's.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    operation_id = "list_audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries, newest first.", body = AuditPage),
        (status = 400, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin, or a tenant key naming a tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No tenant of that name.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    caller.require(Role::Admin)?;
    let scope = match (&query.tenant, caller.operator) {
        (None, true) => None,
        (None, false) => Some(caller.tenant),
        (Some(name), true) => Some(
            state
                .store
                .get_tenant_by_name(name)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no tenant named `{name}`")))?
                .id,
        ),
        (Some(_), false) => return Err(ApiError::Forbidden("a tenant key reads only its own tenant's audit log".into())),
    };
    let page = crate::pagination::page_request(query.cursor.as_deref(), query.limit)?;
    let page = state.store.list_audit(scope, &page).await?;
    Ok(Json(AuditPage { items: page.items.into_iter().map(AuditEntry::from).collect(), next_cursor: page.next_cursor }))
}

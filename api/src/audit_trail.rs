//! Records every change made through the API: after a request that may change something
//! (any method but GET and HEAD) is answered, one audit entry with its time, tenant, key,
//! route, object and status. Refused attempts are recorded too: they are what an audit
//! is read for.

use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::LOCATION;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{SubsecRound, Utc};
use ferry_store::AuditRow;
use uuid::Uuid;

/// Middleware: answers the request, then appends its audit entry.
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let caller = req.extensions().get::<Caller>().copied();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
    let method = req.method().to_string();
    let path_object = req.uri().path().split('/').find_map(|seg| Uuid::parse_str(seg).ok());
    let res = next.run(req).await;
    let Some(caller) = caller else { return res };
    let created = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|l| l.rsplit('/').next()).and_then(|id| Uuid::parse_str(id).ok());
    let row = AuditRow {
        id: Uuid::now_v7(),
        at: Utc::now().trunc_subsecs(6),
        tenant_id: caller.tenant,
        key_id: caller.key_id,
        action: format!("{method} {route}"),
        method,
        route,
        object_id: path_object.or(created),
        status: res.status().as_u16(),
    };
    if let Err(e) = state.store.append_audit(&row).await {
        tracing::warn!(error = %e, action = %row.action, "cannot record an audit entry");
    }
    res
}

//! For tenant admins: API keys (a new key's secret is shown once, on the page that
//! created it) and the audit log.

use super::error::PortalError;
use super::format::{maybe_time, short_id, time};
use super::layout::{Section, action_button, csrf_field, page};
use super::page_id;
use super::layout::TokenForm;
use super::session::Session;
use crate::auth::Role;
use crate::dto_tenancy::{KeyCreate, KeyCreated};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::audit::AuditQuery;
use crate::routes::keys::{self, KeysQuery};
use crate::routes::audit;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

/// The new-key form.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    name: String,
    role: Role,
}

/// A page cursor.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Cursor {
    cursor: Option<String>,
}

/// `GET /keys`.
pub(crate) async fn list(State(st): State<AppState>, session: Session, Query(c): Query<Cursor>) -> Result<Response, PortalError> {
    render(&st, &session, c.cursor, None).await
}

async fn render(st: &AppState, session: &Session, cursor: Option<String>, created: Option<&KeyCreated>) -> Result<Response, PortalError> {
    let listed = keys::list_keys(State(st.clone()), session.caller, ApiQuery(KeysQuery { tenant: None, cursor, limit: None })).await?.0;
    let body = html! {
        h1 { "API keys" }
        @if let Some(k) = created {
            div.notice role="status" {
                p { "Key " strong { (k.key.name) } " created. Copy its secret now: it is not stored and will not be shown again." }
                p { label for="new-key-secret" { "Secret" } input #new-key-secret readonly value=(k.secret); }
            }
        }
        div.table-wrap tabindex="0" { table #keys {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Prefix" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Revoked" } th scope="col" { "Actions" } } }
            tbody { @for k in &listed.items { tr {
                td { (k.name) } td { (k.role.as_str()) } td { code { (k.prefix) } }
                td { (time(&k.created_at)) } td { (maybe_time(k.last_used_at.as_ref())) } td { (maybe_time(k.revoked_at.as_ref())) }
                td { @if k.revoked_at.is_none() && session.caller.key_id != Some(k.id) { (action_button(session, &format!("/keys/{}/revoke", k.id), "Revoke", "danger")) } }
            } } }
        } }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/keys?cursor=" (c) } { "Next page" } } }
        h2 { "Create a key" }
        form.stacked method="post" action="/keys" {
            (csrf_field(session))
            label for="k-name" { "Name" } input #k-name name="name" required;
            label for="k-role" { "Role" }
            select #k-role name="role" { @for r in [Role::Viewer, Role::Runner, Role::Editor, Role::Admin] { option value=(r.as_str()) { (r.as_str()) } } }
            button type="submit" { "Create key" }
        }
    };
    Ok(page(session, Section::Keys, "API keys", body))
}

/// `POST /keys`: creates a key and shows its secret once.
pub(crate) async fn create(State(st): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<KeyForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let body = KeyCreate { name: f.name, role: f.role, expires_at: None, tenant: None };
    let (_, created) = keys::create_key(State(st.clone()), session.caller, ApiJson(body)).await?;
    render(&st, &session, None, Some(&created.0)).await
}

/// `POST /keys/{id}/revoke`.
pub(crate) async fn revoke(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "key")?;
    keys::revoke_key(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/keys").into_response())
}

/// `GET /audit`.
pub(crate) async fn audit_log(State(st): State<AppState>, session: Session, Query(c): Query<Cursor>) -> Result<Response, PortalError> {
    let listed = audit::list_audit(State(st), session.caller, ApiQuery(AuditQuery { tenant: None, cursor: c.cursor, limit: None })).await?.0;
    let body = html! {
        h1 { "Audit log" }
        @if listed.items.is_empty() { p { "Nothing recorded yet." } } @else {
            div.table-wrap tabindex="0" { table #audit {
                thead { tr { th scope="col" { "When" } th scope="col" { "Action" } th scope="col" { "Route" } th scope="col" { "Object" } th scope="col" { "Key" } th scope="col" { "Status" } } }
                tbody { @for a in &listed.items { tr {
                    td { (time(&a.at)) } td { (a.action) } td { code { (a.route) } }
                    td { @if let Some(o) = a.object_id { (short_id(&o)) } @else { "–" } }
                    td { @if let Some(k) = a.key_id { (short_id(&k)) } @else { "operator" } }
                    td { (a.status) }
                } } }
            } }
        }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/audit?cursor=" (c) } { "Next page" } } }
    };
    Ok(page(&session, Section::Audit, "Audit log", body))
}

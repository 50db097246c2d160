//! Connections: the list, a form to add one and a form to change one. Secret fields are
//! write-only: a page shows which are set, never their values, and leaving one empty
//! keeps what is stored.

use super::error::PortalError;
use super::format::time;
use super::layout::{Section, action_button, csrf_field, page};
use super::shell::with_status;
use super::page_id;
use super::layout::TokenForm;
use super::session::Session;
use crate::auth::Role;
use crate::dto_connections::{Connection, ConnectionBody, ConnectionKind};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::routes::connections;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;

const KINDS: [&str; 6] = ["s3", "azure", "gcs", "http", "postgres", "mysql"];

/// The connection form's fields; `options` and `secrets` are `name=value` lines.
#[derive(Debug, Deserialize)]
pub(crate) struct ConnectionForm {
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    secrets: String,
}

/// `name=value` lines as a map; a line without `=` is an error naming it.
fn pairs(field: &str, text: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once('=').ok_or_else(|| ApiError::BadRequest(format!("{field}: `{line}` is not `name=value`")))?;
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

impl ConnectionForm {
    fn body(&self) -> Result<ConnectionBody, ApiError> {
        let kind: ConnectionKind = serde_json::from_value(serde_json::Value::String(self.kind.clone()))
            .map_err(|_| ApiError::BadRequest(format!("unknown connection kind `{}`; one of {}", self.kind, KINDS.join(", "))))?;
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(ConnectionBody {
            name: self.name.trim().to_owned(),
            kind,
            url: opt(&self.url),
            endpoint: opt(&self.endpoint),
            region: opt(&self.region),
            options: pairs("options", &self.options)?,
            secrets: pairs("secrets", &self.secrets)?,
        })
    }
}

/// `GET /connections`.
pub(crate) async fn list(State(st): State<AppState>, session: Session, Query(q): Query<PageQuery>) -> Result<Response, PortalError> {
    let listed = connections::list_connections(State(st), session.caller, ApiQuery(q)).await?.0;
    Ok(render_list(&session, &listed.items, listed.next_cursor.as_deref(), None))
}

fn render_list(session: &Session, items: &[Connection], next: Option<&str>, problem: Option<&str>) -> Response {
    let body = html! {
        h1 { "Connections" }
        @if items.is_empty() { p { "No connections yet." } } @else {
            div.table-wrap tabindex="0" { table #connections {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Options" } th scope="col" { "Secrets" } th scope="col" { "Changed" } } }
                tbody { @for c in items { tr {
                    td { a href={ "/connections/" (c.id) } { (c.name) } }
                    td { (c.kind.as_str()) }
                    td { @for (k, v) in &c.options { code { (k) "=" (v) } " " } }
                    td { @if c.secrets_set.is_empty() { "none" } @else { @for s in &c.secrets_set { code { (s) } " set " } } }
                    td { (time(&c.updated_at)) }
                } } }
            } }
        }
        @if let Some(c) = next { p { a rel="next" href={ "/connections?cursor=" (c) } { "Next page" } } }
        @if session.can(Role::Editor) {
            h2 { "Add a connection" }
            (form(session, "/connections", None, problem))
        }
    };
    page(session, Section::Connections, "Connections", body)
}

fn form(session: &Session, action: &str, current: Option<&Connection>, problem: Option<&str>) -> Markup {
    let opts = current.map(|c| c.options.iter().filter(|(k, _)| !matches!(k.as_str(), "url" | "endpoint" | "region")).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")).unwrap_or_default();
    html! {
        @if let Some(p) = problem { p.problem role="alert" { (p) } }
        form.stacked method="post" action=(action) {
            (csrf_field(session))
            label for="c-name" { "Name" }
            input #c-name name="name" required value=[current.map(|c| c.name.as_str())];
            label for="c-kind" { "Kind" }
            select #c-kind name="kind" { @for k in KINDS { option value=(k) selected[current.is_some_and(|c| c.kind.as_str() == k)] { (k) } } }
            label for="c-url" { "URL (databases, HTTP)" } input #c-url name="url" value=[current.and_then(|c| c.options.get("url")).map(String::as_str)];
            label for="c-endpoint" { "Endpoint (object stores)" } input #c-endpoint name="endpoint" value=[current.and_then(|c| c.options.get("endpoint")).map(String::as_str)];
            label for="c-region" { "Region" } input #c-region name="region" value=[current.and_then(|c| c.options.get("region")).map(String::as_str)];
            label for="c-options" { "Other options (name=value per line)" } textarea #c-options name="options" rows="3" { (opts) }
            label for="c-secrets" { "Secrets (name=value per line; write-only)" }
            textarea #c-secrets name="secrets" rows="3" autocomplete="off" aria-describedby="c-secrets-help" {}
            p #c-secrets-help .hint {
                @match current { Some(c) if !c.secrets_set.is_empty() => { "Set now: " (c.secrets_set.join(", ")) ". Leave empty to keep them; values are never shown." }, _ => { "Stored sealed; never shown again." } }
            }
            button type="submit" { @if current.is_some() { "Save connection" } @else { "Add connection" } }
        }
    }
}

/// `POST /connections`.
pub(crate) async fn create(State(st): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<ConnectionForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let made = match f.body() {
        Ok(body) => connections::create_connection(State(st.clone()), session.caller, ApiJson(body)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match made {
        Ok(()) => Ok(Redirect::to("/connections").into_response()),
        Err(e @ (ApiError::BadRequest(_) | ApiError::NameTaken(_))) => {
            let listed = connections::list_connections(State(st), session.caller, ApiQuery(PageQuery::default())).await?.0;
            Ok(with_status(render_list(&session, &listed.items, listed.next_cursor.as_deref(), Some(&e.to_string())), e.to_problem().status_code()))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /connections/{id}`.
pub(crate) async fn detail(State(st): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, PortalError> {
    let id = page_id(&id, "connection")?;
    let c = connections::get_connection(State(st), session.caller, ApiPath(id)).await?.0;
    Ok(render_detail(&session, &c, None))
}

fn render_detail(session: &Session, c: &Connection, problem: Option<&str>) -> Response {
    let body = html! {
        h1 { (c.name) }
        dl.facts {
            dt { "Kind" } dd { (c.kind.as_str()) }
            @for (k, v) in &c.options { dt { (k) } dd { (v) } }
            dt { "Secrets" } dd { @if c.secrets_set.is_empty() { "none set" } @else { (c.secrets_set.join(", ")) " set" } }
        }
        @if session.can(Role::Editor) {
            h2 { "Change" }
            (form(session, &format!("/connections/{}", c.id), Some(c), problem))
            (action_button(session, &format!("/connections/{}/delete", c.id), "Delete connection", "danger"))
        }
    };
    page(session, Section::Connections, &c.name, body)
}

/// `POST /connections/{id}`.
pub(crate) async fn save(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<ConnectionForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "connection")?;
    let saved = match f.body() {
        Ok(body) => connections::replace_connection(State(st.clone()), session.caller, ApiPath(id), ApiJson(body)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/connections/{id}")).into_response()),
        Err(e @ (ApiError::BadRequest(_) | ApiError::NameTaken(_))) => {
            let c = connections::get_connection(State(st), session.caller, ApiPath(id)).await?.0;
            Ok(with_status(render_detail(&session, &c, Some(&e.to_string())), e.to_problem().status_code()))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /connections/{id}/delete`.
pub(crate) async fn delete(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "connection")?;
    connections::delete_connection(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/connections").into_response())
}

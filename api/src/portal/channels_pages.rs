//! Channels (webhook and email) with a test-send button, tenant-wide notification rules,
//! and the notifications sent, with their delivery state.

use super::error::PortalError;
use super::format::{maybe_time, short_id, state, time};
use super::layout::{Section, action_button, csrf_field, page};
use super::shell::with_status;
use super::page_id;
use super::layout::TokenForm;
use super::session::Session;
use crate::auth::Role;
use crate::dto_notify::{ChannelBody, ChannelTestResult, NotificationRuleBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::notifications::NotificationsQuery;
use crate::routes::{channels, notification_rules, notifications};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use ferry_common::notify::EventKind;
use maud::html;
use serde::Deserialize;

/// The channel form's fields (`to`: addresses separated by commas or lines).
#[derive(Debug, Deserialize)]
pub(crate) struct ChannelForm {
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    to: String,
}

impl ChannelForm {
    fn body(&self) -> Result<ChannelBody, ApiError> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut doc = serde_json::json!({"name": self.name.trim(), "kind": self.kind});
        if let Some(u) = text(&self.url) { doc["url"] = u.into(); }
        if let Some(s) = text(&self.secret) { doc["secret"] = s.into(); }
        if let Some(f) = text(&self.format) { doc["format"] = f.into(); }
        let to: Vec<String> = self.to.split([',', '\n']).filter_map(text).collect();
        if !to.is_empty() { doc["to"] = to.into(); }
        serde_json::from_value(doc).map_err(|e| ApiError::BadRequest(format!("the channel is not valid: {e}")))
    }
}

/// The rule form: the events ticked and the channels named.
#[derive(Debug, Deserialize)]
pub(crate) struct RuleForm {
    csrf: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    channels: String,
}

/// `GET /channels`.
pub(crate) async fn list(State(st): State<AppState>, session: Session) -> Result<Response, PortalError> {
    render(&st, &session, None, None).await
}

async fn render(st: &AppState, session: &Session, problem: Option<&str>, tested: Option<(&str, &ChannelTestResult)>) -> Result<Response, PortalError> {
    let chans = channels::list_channels(State(st.clone()), session.caller).await?.0.items;
    let rules = notification_rules::list_notification_rules(State(st.clone()), session.caller).await?.0.items;
    let body = html! {
        h1 { "Channels" }
        @if let Some(p) = problem { p.problem role="alert" { (p) } }
        @if let Some((name, r)) = tested {
            p #test-result .notice role="status" {
                "Test of " strong { (name) } ": " @if r.delivered { "delivered" } @else { "not delivered" }
                @if let Some(s) = r.status { " (HTTP " (s) ")" } " in " (r.elapsed_ms) " ms — " (r.detail)
            }
        }
        @if chans.is_empty() { p { "No channels yet." } } @else {
            div.table-wrap tabindex="0" { table #channels {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Target" } th scope="col" { "Signed" } th scope="col" { "Actions" } } }
                tbody { @for c in &chans { tr {
                    td { (c.name) }
                    td { (serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) }
                    td { (c.url.as_deref().unwrap_or("")) (c.to.as_ref().map(|t| t.join(", ")).unwrap_or_default()) }
                    td { @if c.signed { "yes" } @else { "no" } }
                    td { @if session.can(Role::Editor) {
                        (action_button(session, &format!("/channels/{}/test", c.name), "Send test", ""))
                        (action_button(session, &format!("/channels/{}/delete", c.name), "Delete", "danger"))
                    } }
                } } }
            } }
        }
        @if session.can(Role::Editor) {
            h2 { "Add a channel" }
            form.stacked method="post" action="/channels" {
                (csrf_field(session))
                label for="ch-name" { "Name" } input #ch-name name="name" required;
                label for="ch-kind" { "Kind" } select #ch-kind name="kind" { option value="webhook" { "webhook" } option value="email" { "email" } }
                label for="ch-url" { "Webhook URL" } input #ch-url name="url" type="url";
                label for="ch-secret" { "Signing secret (write-only)" } input #ch-secret name="secret" type="password" autocomplete="off";
                label for="ch-format" { "Format" } select #ch-format name="format" { option value="" { "json" } option value="slack" { "slack" } }
                label for="ch-to" { "Email addresses (comma-separated)" } input #ch-to name="to";
                button type="submit" { "Add channel" }
            }
        }
        h2 { "Rules for every pipeline" }
        @if rules.is_empty() { p { "No tenant-wide rules; pipelines may still name channels in their own `notify:`." } } @else {
            ul #rules { @for r in &rules { li {
                "On " (r.on.join(", ")) " → " (r.channels.join(", "))
                @if session.can(Role::Editor) { " " (action_button(session, &format!("/notification-rules/{}/delete", r.id), "Delete rule", "danger")) }
            } } }
        }
        @if session.can(Role::Editor) && !chans.is_empty() {
            form.stacked method="post" action="/notification-rules" {
                (csrf_field(session))
                label for="r-on" { "Events (comma-separated)" }
                input #r-on name="on" required aria-describedby="r-on-help";
                p #r-on-help .hint { "One or more of: " (EventKind::names().join(", ")) }
                label for="r-channels" { "Channels (comma-separated)" } input #r-channels name="channels" required;
                button type="submit" { "Add rule" }
            }
        }
    };
    Ok(page(session, Section::Channels, "Channels", body))
}

/// `POST /channels`.
pub(crate) async fn create(State(st): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<ChannelForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let made = match f.body() {
        Ok(body) => channels::create_channel(State(st.clone()), session.caller, ApiJson(body)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match made {
        Ok(()) => Ok(Redirect::to("/channels").into_response()),
        Err(e @ (ApiError::BadRequest(_) | ApiError::NameTaken(_))) => problem_page(&st, &session, &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn problem_page(st: &AppState, session: &Session, e: &ApiError) -> Result<Response, PortalError> {
    Ok(with_status(render(st, session, Some(&e.to_string()), None).await?, e.to_problem().status_code()))
}

/// `POST /channels/{name}/test`: sends a test event and shows what came back.
pub(crate) async fn test(State(st): State<AppState>, session: Session, Path(name): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let result = channels::test_channel(State(st.clone()), session.caller, ApiPath(name.clone())).await?.0;
    render(&st, &session, None, Some((&name, &result))).await
}

/// `POST /channels/{name}/delete`.
pub(crate) async fn delete(State(st): State<AppState>, session: Session, Path(name): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    channels::delete_channel(State(st), session.caller, ApiPath(name)).await?;
    Ok(Redirect::to("/channels").into_response())
}

/// `POST /notification-rules`.
pub(crate) async fn create_rule(State(st): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<RuleForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let split = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let body = NotificationRuleBody { on: split(&f.on), channels: split(&f.channels) };
    match notification_rules::create_notification_rule(State(st.clone()), session.caller, ApiJson(body)).await {
        Ok(_) => Ok(Redirect::to("/channels").into_response()),
        Err(e @ (ApiError::BadRequest(_) | ApiError::InvalidRule(_))) => {
            let detail = match &e {
                ApiError::InvalidRule(problems) => problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "),
                other => other.to_string(),
            };
            problem_page(&st, &session, &ApiError::BadRequest(detail)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /notification-rules/{id}/delete`.
pub(crate) async fn delete_rule(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "notification rule")?;
    notification_rules::delete_notification_rule(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/channels").into_response())
}

/// `GET /notifications`.
pub(crate) async fn list_notifications(State(st): State<AppState>, session: Session, Query(q): Query<NotificationsQuery>) -> Result<Response, PortalError> {
    let q = NotificationsQuery { state: q.state.filter(|s| !s.is_empty()), ..q };
    let chosen = q.state.clone();
    let listed = notifications::list_notifications(State(st), session.caller, ApiQuery(q)).await?.0;
    let body = html! {
        h1 { "Notifications" }
        form.filters method="get" action="/notifications" {
            label for="n-state" { "State" }
            select #n-state name="state" {
                option value="" { "any" }
                @for s in ["pending", "delivered", "retrying", "failed"] { option value=(s) selected[chosen.as_deref() == Some(s)] { (s) } }
            }
            button type="submit" { "Filter" }
        }
        @if listed.items.is_empty() { p { "Nothing sent yet." } } @else {
            div.table-wrap tabindex="0" { table #notifications {
                thead { tr { th scope="col" { "Event" } th scope="col" { "Run" } th scope="col" { "Channel" } th scope="col" { "State" } th scope="col" { "Attempts" } th scope="col" { "Last answer" } th scope="col" { "Created" } th scope="col" { "Delivered" } } }
                tbody { @for n in &listed.items { tr {
                    td { (n.event.kind) @if let Some(s) = &n.event.summary { br; small { (s) } } }
                    td { @if let Some(r) = n.event.run_id { a href={ "/runs/" (r) } { (short_id(&r)) } } @else { "–" } }
                    td { (n.channel) }
                    td { (state(serde_json::to_value(n.state).ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref().unwrap_or(""))) }
                    td { (n.attempts) }
                    td { (n.last_answer.as_deref().unwrap_or("")) }
                    td { (time(&n.created_at)) }
                    td { (maybe_time(n.delivered_at.as_ref())) }
                } } }
            } }
        }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/notifications?cursor=" (c) (chosen.as_deref().map(|s| format!("&state={s}")).unwrap_or_default()) } { "Next page" } } }
    };
    Ok(page(&session, Section::Notifications, "Notifications", body))
}

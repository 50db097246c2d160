//! Pipelines: the list with each one's last run and next scheduled time, the editor
//! (create and change a spec, problems shown at their lines), and one pipeline's page
//! (start a run, pause or resume its schedules, its recent runs and firings ledger).

use super::error::PortalError;
use super::format::{maybe_time, short_id, state, time};
use super::layout::{Section, TokenForm, action_button, page};
use super::shell::with_status;
use super::session::Session;
use super::spec_editor::{editor, problems_of};
use super::page_id;
use crate::auth::Role;
use crate::dto::RunRequest;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, SpecBody};
use crate::pagination::PageQuery;
use crate::routes::runs::RunsQuery;
use crate::routes::{firings, pipeline_control, pipelines, runs};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

/// A submitted spec.
#[derive(Debug, Deserialize)]
pub(crate) struct SpecForm {
    csrf: String,
    spec: String,
}

const STARTER: &str = "name: my-pipeline\ndescription: copies the landing folder\ntasks:\n  - id: copy\n    kind: copy\n    source: /data/landing/\n    destination: /data/lake/\n";

/// `GET /pipelines`.
pub(crate) async fn list(State(st): State<AppState>, session: Session, Query(q): Query<PageQuery>) -> Result<Response, PortalError> {
    let listed = pipelines::list_pipelines(State(st.clone()), session.caller, ApiQuery(q)).await?.0;
    let mut rows = Vec::with_capacity(listed.items.len());
    let now = chrono::Utc::now();
    for p in &listed.items {
        let last = runs::list_runs(State(st.clone()), session.caller, ApiQuery(RunsQuery { pipeline_id: Some(p.id), limit: Some(1), ..Default::default() })).await?.0.items.into_iter().next();
        let next = firings::schedule_views(p.spec.clone(), now).ok().and_then(|views| views.iter().flat_map(|v| v.next_utc.iter().copied()).min());
        rows.push((p, last, next));
    }
    let body = html! {
        div.heading {
            h1 { "Pipelines" }
            @if session.can(Role::Editor) { a.button href="/pipelines/new" { "New pipeline" } }
        }
        @if rows.is_empty() {
            p { "No pipelines yet." }
        } @else {
            div.table-wrap tabindex="0" {
                table #pipelines {
                    caption.visually-hidden { "Pipelines, with their last run and next scheduled time" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Last run" } th scope="col" { "Next scheduled" } th scope="col" { "Schedule" } } }
                    tbody {
                        @for (p, last, next) in &rows {
                            tr {
                                td { a href={ "/pipelines/" (p.id) } { (p.name) } @if let Some(d) = &p.description { br; small { (d) } } }
                                td { @match last { Some(r) => { a href={ "/runs/" (r.id) } { (state(r.state.as_str())) } " " (time(&r.created_at)) }, None => { "never run" } } }
                                td { (maybe_time(next.as_ref())) }
                                td { @if p.paused_at.is_some() { "paused" } @else if next.is_some() { "active" } @else { "–" } }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/pipelines?cursor=" (c) } { "Next page" } } }
    };
    Ok(page(&session, Section::Pipelines, "Pipelines", body))
}

/// `GET /pipelines/new`.
pub(crate) async fn new_form(session: Session) -> Result<Response, PortalError> {
    session.caller.require(Role::Editor)?;
    let body = html! { h1 { "New pipeline" } (editor(&session, "/pipelines/new", STARTER, &[], "Create pipeline")) };
    Ok(page(&session, Section::Pipelines, "New pipeline", body))
}

/// `POST /pipelines/new`.
pub(crate) async fn create(State(st): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<SpecForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let made = match SpecBody::from_yaml(f.spec.clone()) {
        Ok(body) => pipelines::create_pipeline(State(st), session.caller, body).await,
        Err(e) => Err(e),
    };
    match made {
        Ok((_, _, created)) => Ok(Redirect::to(&format!("/pipelines/{}", created.0.id)).into_response()),
        Err(e) => match problems_of(&e) {
            Some(errors) => {
                let body = html! { h1 { "New pipeline" } (editor(&session, "/pipelines/new", &f.spec, &errors, "Create pipeline")) };
                Ok(with_status(page(&session, Section::Pipelines, "New pipeline", body), e.to_problem().status_code()))
            }
            None => Err(e.into()),
        },
    }
}

/// `GET /pipelines/{id}`.
pub(crate) async fn detail(State(st): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, PortalError> {
    let id = page_id(&id, "pipeline")?;
    let p = pipelines::get_pipeline(State(st.clone()), session.caller, ApiPath(id)).await?.0;
    let text = super::spec_yaml::to_yaml(&p.spec);
    render_detail(&st, &session, &p, &text, &[], StatusCode::OK).await
}

async fn render_detail(st: &AppState, session: &Session, p: &crate::dto::Pipeline, text: &str, errors: &[crate::problem::SpecError], status: StatusCode) -> Result<Response, PortalError> {
    let id = p.id;
    let recent = runs::list_runs(State(st.clone()), session.caller, ApiQuery(RunsQuery { pipeline_id: Some(id), limit: Some(10), ..Default::default() })).await?.0.items;
    let schedules = firings::schedule_views(p.spec.clone(), chrono::Utc::now())?;
    // Triggers (file arrival, upstream, fresh, webhook) fire into the same ledger, and a
    // pause holds them too.
    let fires = !schedules.is_empty() || p.spec.get("triggers").and_then(serde_json::Value::as_array).is_some_and(|t| !t.is_empty());
    let ledger = if !fires {
        Vec::new()
    } else {
        firings::list_firings(State(st.clone()), session.caller, ApiPath(id), ApiQuery(PageQuery { cursor: None, limit: Some(20) })).await?.0.items
    };
    let body = html! {
        div.heading {
            h1 { (p.name) }
            div.actions {
                @if session.can(Role::Runner) {
                    (start_form(session, id, &p.spec))
                    @if fires {
                        @if p.paused_at.is_some() {
                            (action_button(session, &format!("/pipelines/{id}/resume"), "Resume schedule", ""))
                        } @else {
                            (action_button(session, &format!("/pipelines/{id}/pause"), "Pause schedule", ""))
                        }
                    }
                }
            }
        }
        @if let Some(d) = &p.description { p { (d) } }
        @if let Some(at) = &p.paused_at { p.notice { "Schedules paused since " (time(at)) "." } }
        section aria-labelledby="runs-title" {
            h2 #runs-title { "Recent runs" }
            @if recent.is_empty() { p { "No runs yet." } } @else {
                div.table-wrap tabindex="0" { table #recent-runs {
                    thead { tr { th scope="col" { "Run" } th scope="col" { "State" } th scope="col" { "Trigger" } th scope="col" { "Created" } } }
                    tbody { @for r in &recent { tr {
                        td { a href={ "/runs/" (r.id) } title=(r.id) { (short_id(&r.id)) } }
                        td { (state(r.state.as_str())) }
                        td { (r.trigger.kind.as_str()) }
                        td { (time(&r.created_at)) }
                    } } }
                } }
                p { a href={ "/runs?pipeline_id=" (id) } { "All runs of this pipeline" } }
            }
        }
        @if !schedules.is_empty() {
            section aria-labelledby="schedule-title" {
                h2 #schedule-title { "Schedule" }
                ul { @for s in &schedules { li { code { (s.cron) } " (" (s.timezone) "), next: " @for (i, t) in s.next_utc.iter().take(3).enumerate() { @if i > 0 { ", " } (time(t)) } } } }
            }
        }
        @if fires {
            section aria-labelledby="firings-title" {
                h2 #firings-title { "Firings (why it did or did not fire)" }
                @if ledger.is_empty() { p { "Nothing recorded yet." } } @else {
                    div.table-wrap tabindex="0" { table #firings {
                        thead { tr { th scope="col" { "Slot" } th scope="col" { "Source" } th scope="col" { "Outcome" } th scope="col" { "Run" } th scope="col" { "Detail" } } }
                        tbody { @for f in &ledger { tr {
                            td { (time(&f.slot)) }
                            td { (f.source) }
                            td { (f.outcome) }
                            td { @if let Some(r) = f.run_id { a href={ "/runs/" (r) } { (short_id(&r)) } } @else { "–" } }
                            td { (f.detail.as_deref().unwrap_or("")) }
                        } } }
                    } }
                }
            }
        }
        section aria-labelledby="spec-title" {
            h2 #spec-title { "Spec" }
            @if session.can(Role::Editor) {
                (editor(session, &format!("/pipelines/{id}"), text, errors, "Save spec"))
                (action_button(session, &format!("/pipelines/{id}/delete"), "Delete pipeline", "danger"))
            } @else {
                pre.spec { code { (text) } }
            }
        }
    };
    Ok(with_status(page(session, Section::Pipelines, &p.name, body), status))
}

/// `POST /pipelines/{id}`: saves an edited spec.
pub(crate) async fn save(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<SpecForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "pipeline")?;
    let saved = match SpecBody::from_yaml(f.spec.clone()) {
        Ok(body) => pipelines::replace_pipeline(State(st.clone()), session.caller, ApiPath(id), body).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/pipelines/{id}")).into_response()),
        Err(e) => match problems_of(&e) {
            Some(errors) => {
                let p = pipelines::get_pipeline(State(st.clone()), session.caller, ApiPath(id)).await?.0;
                render_detail(&st, &session, &p, &f.spec, &errors, e.to_problem().status_code()).await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /pipelines/{id}/runs`: starts a run (with the parameters the form asked for)
/// and shows it.
pub(crate) async fn start_run(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(fields): Form<Vec<(String, String)>>) -> Result<Response, PortalError> {
    let token = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
    session.check_form(token, &headers)?;
    let id = page_id(&id, "pipeline")?;
    let request = run_request(&fields)?;
    let (_, _, run) = pipelines::start_run(&st, &session.caller, id, request).await?;
    Ok(Redirect::to(&format!("/runs/{}", run.0.id)).into_response())
}

/// The run request of the start form: `logical_time` (UTC, as a `datetime-local` input
/// sends it) and a `trigger.<path>` field per variable, nested as the trigger would.
fn run_request(fields: &[(String, String)]) -> Result<RunRequest, ApiError> {
    let mut request = RunRequest::default();
    let mut parameters = serde_json::Map::new();
    for (name, value) in fields.iter().filter(|(_, v)| !v.trim().is_empty()) {
        if name == "logical_time" {
            let t = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| ApiError::BadRequest(format!("logical time `{value}` is not a date and time such as 2026-12-01T00:00")))?;
            request.logical_time = Some(t.and_utc());
        } else if let Some(path) = name.strip_prefix("trigger.") {
            let parts: Vec<&str> = path.split('.').collect();
            insert_at(&mut parameters, &parts, value);
        }
    }
    request.parameters = (!parameters.is_empty()).then_some(parameters);
    Ok(request)
}

/// Sets `parts` (a dotted path) to `value` in `map`, making the objects on the way.
fn insert_at(map: &mut serde_json::Map<String, serde_json::Value>, parts: &[&str], value: &str) {
    match parts {
        [] => {}
        [last] => {
            map.insert((*last).to_owned(), serde_json::Value::String(value.to_owned()));
        }
        [first, rest @ ..] => {
            let next = map.entry((*first).to_owned()).or_insert_with(|| serde_json::Value::Object(Default::default()));
            if let serde_json::Value::Object(inner) = next {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// The start form: a field per variable the spec's run expands.
fn start_form(session: &Session, id: uuid::Uuid, spec: &serde_json::Value) -> maud::Markup {
    let vars = ferry_common::template::run_variables(spec);
    let asks_time = vars.iter().any(|v| v == "logical_time" || v == "logical_date");
    let asked: Vec<&String> = vars.iter().filter(|v| v.starts_with("trigger.")).collect();
    html! {
        form.start-run method="post" action={ "/pipelines/" (id) "/runs" } {
            (super::layout::csrf_field(session))
            @if asks_time {
                label for="p-logical-time" { "Logical time (UTC; empty: now)" }
                input #p-logical-time type="datetime-local" name="logical_time";
            }
            @for (i, v) in asked.iter().enumerate() {
                label for={ "p-" (i) } { code { (v) } }
                input id={ "p-" (i) } name=(v);
            }
            button.primary type="submit" { "Start run" }
        }
    }
}

/// `POST /pipelines/{id}/pause` and `/resume`.
pub(crate) async fn pause(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "pipeline")?;
    let _ = pipeline_control::pause_pipeline(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/pipelines/{id}")).into_response())
}

/// `POST /pipelines/{id}/resume`.
pub(crate) async fn resume(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "pipeline")?;
    let _ = pipeline_control::resume_pipeline(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/pipelines/{id}")).into_response())
}

/// `POST /pipelines/{id}/delete`.
pub(crate) async fn delete(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "pipeline")?;
    pipelines::delete_pipeline(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to("/pipelines").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_form_fields_become_the_run_request() {
        let f = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let r = run_request(&[f("csrf", "x"), f("logical_time", "2026-12-01T06:30"), f("trigger.payload.day", "mon"), f("trigger.path", "a/b"), f("trigger.payload.empty", " ")]).unwrap();
        assert_eq!(r.logical_time.unwrap().to_rfc3339(), "2026-12-01T06:30:00+00:00");
        assert_eq!(serde_json::Value::Object(r.parameters.unwrap()), serde_json::json!({"payload": {"day": "mon"}, "path": "a/b"}));
        assert!(run_request(&[f("logical_time", "yesterday")]).is_err());
    }
}

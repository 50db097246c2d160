//! Runs: the list (filtered by state, pipeline and trigger) and one run's page — its DAG
//! drawn by Ferry, live progress bars, the transitions timeline, errors in full, and the
//! cancel and retry buttons.

use super::error::PortalError;
use super::format::{maybe_time, short_id, state, time};
use super::layout::{Section, action_button, page};
use super::page_id;
use super::layout::TokenForm;
use super::run_view::{live_view, task_rows};
use super::session::Session;
use crate::auth::Role;
use crate::dto::RunState;
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::routes::runs::RunsQuery;
use crate::routes::{pipelines, run_history, run_manifest, run_retry, runs, tasks};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use ferry_common::triggers::TriggerKind;
use maud::{PreEscaped, html};
use std::collections::HashMap;

/// Transitions shown on a run page before "show all" (a 1,000-task run has thousands).
const TIMELINE_SHOWN: usize = 200;

/// `GET /runs`.
pub(crate) async fn list(State(st): State<AppState>, session: Session, Query(q): Query<RunsQuery>) -> Result<Response, PortalError> {
    let q = RunsQuery { state: q.state.filter(|s| !s.is_empty()), trigger: q.trigger.filter(|s| !s.is_empty()), ..q };
    let listed = runs::list_runs(State(st.clone()), session.caller, ApiQuery(q.clone())).await?.0;
    let pipes = pipelines::list_pipelines(State(st.clone()), session.caller, ApiQuery(PageQuery { cursor: None, limit: Some(500) })).await?.0.items;
    let names: HashMap<uuid::Uuid, &str> = pipes.iter().map(|p| (p.id, p.name.as_str())).collect();
    let chosen = |a: Option<&str>, b: &str| a == Some(b);
    let next_query = |cursor: &str| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if let Some(v) = &q.state { s.append_pair("state", v); }
        if let Some(v) = &q.trigger { s.append_pair("trigger", v); }
        if let Some(v) = &q.pipeline_id { s.append_pair("pipeline_id", &v.to_string()); }
        s.append_pair("cursor", cursor);
        s.finish()
    };
    let body = html! {
        h1 { "Runs" }
        form.filters method="get" action="/runs" {
            label for="f-state" { "State" }
            select #f-state name="state" {
                option value="" { "any" }
                @for s in RunState::ALL { option value=(s.as_str()) selected[chosen(q.state.as_deref(), s.as_str())] { (s.as_str()) } }
            }
            label for="f-pipeline" { "Pipeline" }
            select #f-pipeline name="pipeline_id" {
                option value="" { "any" }
                @for p in &pipes { option value=(p.id) selected[q.pipeline_id == Some(p.id)] { (p.name) } }
            }
            label for="f-trigger" { "Trigger" }
            select #f-trigger name="trigger" {
                option value="" { "any" }
                @for t in TriggerKind::ALL { option value=(t.as_str()) selected[chosen(q.trigger.as_deref(), t.as_str())] { (t.as_str()) } }
            }
            button type="submit" { "Filter" }
        }
        @if listed.items.is_empty() { p { "No runs match." } } @else {
            div.table-wrap tabindex="0" { table #runs {
                caption.visually-hidden { "Runs, newest first" }
                thead { tr { th scope="col" { "Run" } th scope="col" { "Pipeline" } th scope="col" { "State" } th scope="col" { "Trigger" } th scope="col" { "Progress" } th scope="col" { "Created" } th scope="col" { "Finished" } } }
                tbody { @for r in &listed.items { tr {
                    td { a href={ "/runs/" (r.id) } title=(r.id) { (short_id(&r.id)) } }
                    td { @match names.get(&r.pipeline_id) { Some(n) => a href={ "/pipelines/" (r.pipeline_id) } { (n) }, None => { (short_id(&r.pipeline_id)) } } }
                    td { (state(r.state.as_str())) }
                    td { (r.trigger.kind.as_str()) }
                    td { (r.progress.tasks_succeeded) " / " (r.progress.tasks_total) " tasks" }
                    td { (time(&r.created_at)) }
                    td { (maybe_time(r.finished_at.as_ref())) }
                } } }
            } }
        }
        @if let Some(c) = &listed.next_cursor { p { a rel="next" href={ "/runs?" (next_query(c)) } { "Next page" } } }
    };
    Ok(page(&session, Section::Runs, "Runs", body))
}

/// `?all=1` shows the whole timeline.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct RunPageQuery {
    #[serde(default)]
    all: Option<String>,
}

/// `GET /runs/{id}`.
pub(crate) async fn detail(State(st): State<AppState>, session: Session, Path(id): Path<String>, Query(q): Query<RunPageQuery>) -> Result<Response, PortalError> {
    let id = page_id(&id, "run")?;
    let run = runs::get_run(State(st.clone()), session.caller, ApiPath(id)).await?.0;
    let (tasks, verified) = tasks::run_tasks_live_with_manifest(&st, session.caller, id).await?;
    let pipeline = pipelines::get_pipeline(State(st.clone()), session.caller, ApiPath(run.pipeline_id)).await.ok().map(|p| p.0.name);
    let history = run_history::list_run_transitions(State(st.clone()), session.caller, ApiPath(id)).await?.0.items;
    let view = live_view(&run, &tasks, chrono::Utc::now());
    let keys: HashMap<uuid::Uuid, &str> = tasks.iter().map(|t| (t.id, t.key.as_str())).collect();
    let ids: HashMap<&str, (ferry_common::state::TaskState, String)> = tasks.iter().map(|t| (t.key.as_str(), (t.state, format!("/tasks/{}", t.id)))).collect();
    let svg = match crate::routes::run_dag::graph_of(&st, session.caller, id).await {
        Ok(graph) => crate::dag_svg::render(&graph, &format!("DAG of run {id}"), |key| ids.get(key).cloned()),
        Err(_) => String::new(),
    };
    let shown: Vec<_> = if q.all.is_some() { history.iter().collect() } else { history.iter().rev().take(TIMELINE_SHOWN).collect::<Vec<_>>().into_iter().rev().collect() };
    let title = format!("Run {}", short_id(&id));
    let body = html! {
        div.heading {
            h1 { (title) }
            div.actions {
                @if session.can(Role::Runner) {
                    div data-show-while="active" hidden[view.finished] { (action_button(&session, &format!("/runs/{id}/cancel"), "Cancel run", "danger")) }
                    div data-show-when="failed cancelled" hidden[!matches!(view.state, "failed" | "cancelled")] { (action_button(&session, &format!("/runs/{id}/retry"), "Retry failed tasks", "")) }
                }
                @if verified { a.button href={ "/runs/" (id) "/manifest.csv" } download { "Download manifest (CSV)" } }
            }
        }
        dl #run-facts .facts {
            dt { "State" } dd { span #run-state class={ "state state-" (view.state) } aria-live="polite" { (view.state) } }
            dt { "Pipeline" } dd { a href={ "/pipelines/" (run.pipeline_id) } { (pipeline.as_deref().unwrap_or("(deleted)")) } }
            dt { "Trigger" } dd { (run.trigger.kind.as_str()) }
            dt { "Created" } dd { (time(&run.created_at)) }
            dt { "Started" } dd { (maybe_time(run.started_at.as_ref())) }
            dt { "Finished" } dd { (maybe_time(run.finished_at.as_ref())) }
        }
        pre #run-error .error hidden[view.error.is_none()] { (view.error.as_deref().unwrap_or("")) }
        div #run-totals {
            progress value=(view.totals.value) max=(view.totals.max) aria-label="Run progress" {}
            span.totals-text { (view.totals_text) }
        }
        figure #dag {
            div.dag-scroll tabindex="0" role="region" aria-label="DAG" { (PreEscaped(svg)) }
            figcaption { "Tasks left to right in dependency order; dashed edges are inferred from data (one task reads what another writes). Select a task to open it." }
        }
        section.deferred aria-labelledby="tasks-title" {
            h2 #tasks-title { "Tasks" }
            div.table-wrap tabindex="0" { table #tasks {
                thead { tr { th scope="col" { "Task" } th scope="col" { "Kind" } th scope="col" { "State" } th scope="col" { "Files" } th scope="col" { "Bytes" } th scope="col" { "Rate" } th scope="col" { "ETA" } th scope="col" { "Attempt" } } }
                tbody { (task_rows(&tasks, &view)) }
            } }
            div #task-errors {
                @for t in tasks.iter().filter(|t| t.error.is_some()) {
                    details.task-error open { summary { "Error of " (t.key) } pre { (t.error.as_deref().unwrap_or("")) } }
                }
            }
        }
        section #run-timeline .deferred aria-labelledby="timeline-title" {
            h2 #timeline-title { "Transitions" }
            @if shown.len() < history.len() { p { "The latest " (shown.len()) " of " (history.len()) ". " a href={ "/runs/" (id) "?all=1" } { "Show all" } } }
            ol #transitions {
                @for tr in &shown { li {
                    (time(&tr.at)) " · "
                    @match tr.task_id.and_then(|t| keys.get(&t)) { Some(k) => { "task " strong { (k) } }, None => { strong { "run" } } }
                    " " (tr.from.as_deref().unwrap_or("·")) " → " (state(&tr.to)) ": " (tr.cause)
                } }
            }
        }
        div #live data-src={ "/runs/" (id) "/live?tasks=" (tasks.len()) } hidden {}
    };
    Ok(page(&session, Section::Runs, &title, body))
}

/// `POST /runs/{id}/cancel`.
pub(crate) async fn cancel(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "run")?;
    let _ = runs::cancel_run(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/runs/{id}")).into_response())
}

/// `POST /runs/{id}/retry`: a new attempt of the failed tasks, shown at once.
pub(crate) async fn retry(State(st): State<AppState>, session: Session, Path(id): Path<String>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    let id = page_id(&id, "run")?;
    let (_, _, run) = run_retry::retry_run(State(st), session.caller, ApiPath(id)).await?;
    Ok(Redirect::to(&format!("/runs/{}", run.0.id)).into_response())
}

/// `GET /runs/{id}/manifest.csv`: the API's manifest, for the session's tenant.
pub(crate) async fn manifest(State(st): State<AppState>, session: Session, Path(id): Path<String>) -> Result<Response, PortalError> {
    let id = page_id(&id, "run")?;
    Ok(run_manifest::get_run_manifest(State(st), session.caller, ApiPath(id)).await?.into_response())
}

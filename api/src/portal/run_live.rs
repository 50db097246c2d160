//! `GET /runs/{id}/live`: server-sent events carrying the run page's figures whenever
//! they change, so bars move and DAG nodes change colour without a reload.
//!
//! The stream reads the run the same way the page does (the API's own handlers, scoped
//! by the session), every 400 ms — well inside the one second the page promises — and
//! sends only when something changed. It re-checks the session every ten seconds, so a
//! sign-out or a revoked key stops it, and it ends once the run has finished.

use super::error::PortalError;
use super::page_id;
use super::run_view::live_view;
use super::session::{self, Session};
use crate::extract::ApiPath;
use crate::routes::{runs, tasks};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(400);
const RECHECK_SESSION_EVERY: u32 = 25;

struct Follow {
    st: AppState,
    /// How many tasks the page has rows for; when the run has others (it was planned
    /// after the page loaded), the rows and the DAG are sent again.
    shown: usize,
    /// Send the next update without waiting (right after a layout).
    now: bool,
    session: Session,
    headers: HeaderMap,
    run: uuid::Uuid,
    last: Option<String>,
    polls: u32,
    done: bool,
}

/// `?tasks=N`: how many task rows the page was rendered with.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LiveQuery {
    tasks: Option<usize>,
}

/// The task rows and the DAG, rendered again, as JSON `{rows, dag}`.
async fn layout(f: &Follow, tasks: &[crate::dto::Task], view: &super::run_view::LiveView) -> Result<String, crate::error::ApiError> {
    let graph = crate::routes::run_dag::graph_of(&f.st, f.session.caller, f.run).await?;
    let links: std::collections::HashMap<&str, (ferry_common::state::TaskState, String)> = tasks.iter().map(|t| (t.key.as_str(), (t.state, format!("/tasks/{}", t.id)))).collect();
    let dag = crate::dag_svg::render(&graph, &format!("DAG of run {}", f.run), |key| links.get(key).cloned());
    let rows = super::run_view::task_rows(tasks, view).into_string();
    Ok(serde_json::json!({"rows": rows, "dag": dag}).to_string())
}

/// `GET /runs/{id}/live`.
pub(crate) async fn live(State(st): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<LiveQuery>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PortalError> {
    let run = page_id(&id, "run")?;
    let _ = runs::get_run(State(st.clone()), session.caller, ApiPath(run)).await?;
    let follow = Follow { st, shown: q.tasks.unwrap_or(0), now: false, session, headers, run, last: None, polls: 0, done: false };
    let stream = futures::stream::unfold(follow, |mut f| async move {
        loop {
            if f.done {
                return None;
            }
            if f.polls > 0 && !std::mem::take(&mut f.now) {
                tokio::time::sleep(POLL_EVERY).await;
            }
            f.polls += 1;
            if f.polls % RECHECK_SESSION_EVERY == 0 && !matches!(session::lookup(&f.st, &f.headers).await, Ok(Some(_))) {
                return Some((Ok(Event::default().event("signed-out").data("{}")), Follow { done: true, ..f }));
            }
            let Ok(run) = runs::get_run(State(f.st.clone()), f.session.caller, ApiPath(f.run)).await else { continue };
            let Ok(tasks) = tasks::run_tasks_live(&f.st, f.session.caller, f.run).await else { continue };
            let view = live_view(&run.0, &tasks, chrono::Utc::now());
            if tasks.len() != f.shown {
                let Ok(layout) = layout(&f, &tasks, &view).await else { continue };
                f.shown = tasks.len();
                f.now = true;
                return Some((Ok(Event::default().event("layout").data(layout)), f));
            }
            let Ok(json) = serde_json::to_string(&view) else { continue };
            f.done = view.finished;
            if f.last.as_deref() != Some(json.as_str()) {
                f.last = Some(json.clone());
                return Some((Ok(Event::default().event("progress").data(json)), f));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

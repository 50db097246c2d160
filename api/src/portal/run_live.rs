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
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(400);
const RECHECK_SESSION_EVERY: u32 = 25;

struct Follow {
    st: AppState,
    session: Session,
    headers: HeaderMap,
    run: uuid::Uuid,
    last: Option<String>,
    polls: u32,
    done: bool,
}

/// `GET /runs/{id}/live`.
pub(crate) async fn live(State(st): State<AppState>, session: Session, headers: HeaderMap, Path(id): Path<String>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PortalError> {
    let run = page_id(&id, "run")?;
    let _ = runs::get_run(State(st.clone()), session.caller, ApiPath(run)).await?;
    let follow = Follow { st, session, headers, run, last: None, polls: 0, done: false };
    let stream = futures::stream::unfold(follow, |mut f| async move {
        loop {
            if f.done {
                return None;
            }
            if f.polls > 0 {
                tokio::time::sleep(POLL_EVERY).await;
            }
            f.polls += 1;
            if f.polls % RECHECK_SESSION_EVERY == 0 && !matches!(session::lookup(&f.st, &f.headers).await, Ok(Some(_))) {
                return Some((Ok(Event::default().event("signed-out").data("{}")), Follow { done: true, ..f }));
            }
            let Ok(run) = runs::get_run(State(f.st.clone()), f.session.caller, ApiPath(f.run)).await else { continue };
            let Ok(tasks) = tasks::run_tasks_live(&f.st, f.session.caller, f.run).await else { continue };
            let view = live_view(&run.0, &tasks, chrono::Utc::now());
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

//! The store suite: one [`Store`] API, two databases (SQLite embedded, Postgres
//! distributed), the same behaviour.
//!
//! What the cases hold both backends to:
//!
//! - pipelines: unique names per tenant (`Conflict`), get/update/delete scoped to a
//!   tenant, keyset pages by id that follow their cursor, `InvalidCursor` for a cursor
//!   the store did not hand out;
//! - runs: created `queued` with their first transition recorded in the same
//!   transaction; listed newest first, filtered by pipeline and state;
//! - state changes: the orchestrator's [`Store::apply`] writes runs, tasks and their
//!   transitions; the history reads back in order with its causes; progress sums tasks.
//!   The store does not judge whether a state change is legal (the orchestrator, the
//!   one writer, does, with `ferry_common::state`); its one guarded write is
//!   [`Store::request_cancel`], which refuses a run that already finished;
//! - concurrent writers: two creates of one name have one winner and one `Conflict`
//!   (the unique index decides, on both backends); concurrent batches are serialised,
//!   all succeed and all their rows land (SQLite waits on its busy timeout; Postgres
//!   runs them side by side);
//! - a batch larger than one statement's parameter limit is split and lands whole;
//! - the notifier's outbox, routing and deliveries (module [`crate::outbox`]).

use chrono::Utc;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{
    DEFAULT_TENANT, PageRequest, RunFilter, RunRow, Store, StoreError, TaskRow, TransitionRow, WriteBatch,
};
use serde_json::json;
use uuid::Uuid;

pub use crate::outbox::the_outbox_keeps_routes_and_delivers_each_pair_once;

pub use crate::store_harness::StoreHarness;

fn page(cursor: Option<String>, limit: u64) -> PageRequest {
    PageRequest { cursor, limit }
}

/// A task row of `run` in `state`, as the orchestrator's planner would write it.
fn task(run: &RunRow, key: &str, state: TaskState) -> TaskRow {
    let at = Utc::now();
    TaskRow {
        id: Uuid::now_v7(),
        tenant_id: run.tenant_id,
        run_id: run.id,
        key: key.to_owned(),
        kind: "noop".to_owned(),
        state,
        attempt: 0,
        depends_on: vec![],
        spec: json!({"id": key, "kind": "noop"}),
        queue: "default".to_owned(),
        error: None,
        result: None,
        report: None,
        files_total: 0,
        files_done: 0,
        bytes_total: 0,
        bytes_done: 0,
        retry_at: None,
        created_at: at,
        started_at: None,
        finished_at: None,
        updated_at: at,
        waiting_for: None,
        wait_deadline: None,
        lost: 0,
        failure: None,
    }
}

/// A recorded change of `task` (or of the run when `None`).
fn transition(run: &RunRow, task: Option<Uuid>, from: &str, to: &str, cause: &str) -> TransitionRow {
    TransitionRow {
        tenant_id: run.tenant_id,
        run_id: run.id,
        task_id: task,
        from_state: Some(from.to_owned()),
        to_state: to.to_owned(),
        cause: cause.to_owned(),
        at: Utc::now(),
    }
}

/// A pipeline and a queued run of it.
async fn a_run(store: &Store, name: &str) -> RunRow {
    let p = store.create_pipeline(DEFAULT_TENANT, name, &json!({"name": name})).await.unwrap();
    store.create_run(DEFAULT_TENANT, p.id, &p.spec).await.unwrap()
}

/// The store answers, names its backend, and migrating or seeding again changes nothing.
pub async fn migrated_and_ready(h: impl StoreHarness) {
    let store = h.store();
    store.ping().await.expect("ping");
    assert!(["sqlite", "postgres"].contains(&store.backend_name()), "{}", store.backend_name());
    store.migrate().await.expect("migrations are idempotent");
    store.ensure_default_tenant().await.expect("seeding is idempotent");
}

/// Names are unique per tenant; reads, updates and deletes are scoped to the tenant.
pub async fn pipelines_crud(h: impl StoreHarness) {
    let store = h.store();
    let spec = json!({"name": "p", "tasks": []});
    let a = store.create_pipeline(DEFAULT_TENANT, "a", &spec).await.unwrap();
    let dup = store.create_pipeline(DEFAULT_TENANT, "a", &spec).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let elsewhere = Uuid::now_v7();
    store.create_pipeline(elsewhere, "a", &spec).await.expect("another tenant may use the name");
    let b = store.create_pipeline(DEFAULT_TENANT, "b", &spec).await.unwrap();
    assert_eq!(store.get_pipeline(DEFAULT_TENANT, a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_pipeline(elsewhere, a.id).await.unwrap(), None, "other tenants do not see it");

    let clash = store.update_pipeline(DEFAULT_TENANT, b.id, "a", &spec).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let renamed = store.update_pipeline(DEFAULT_TENANT, b.id, "c", &json!({"x": 1})).await.unwrap().unwrap();
    assert_eq!((renamed.name.as_str(), &renamed.spec), ("c", &json!({"x": 1})));
    assert_eq!(store.update_pipeline(elsewhere, b.id, "d", &spec).await.unwrap(), None);
    assert!(!store.delete_pipeline(elsewhere, b.id).await.unwrap(), "nor delete it");
    assert!(store.delete_pipeline(DEFAULT_TENANT, b.id).await.unwrap());
    assert!(!store.delete_pipeline(DEFAULT_TENANT, b.id).await.unwrap());
    assert_eq!(store.update_pipeline(DEFAULT_TENANT, b.id, "d", &spec).await.unwrap(), None);
}

/// Pages hold at most `limit` items in id order, each cursor leads to the next page, the
/// last page has no cursor, and a made-up cursor is refused.
pub async fn pipeline_pages_follow_the_cursor(h: impl StoreHarness) {
    let store = h.store();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(store.create_pipeline(DEFAULT_TENANT, &format!("p{i}"), &json!({})).await.unwrap().id);
    }
    store.create_pipeline(Uuid::now_v7(), "p-elsewhere", &json!({})).await.unwrap();
    let (mut seen, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None);
    loop {
        let p = store.list_pipelines(DEFAULT_TENANT, &page(cursor, 2)).await.unwrap();
        sizes.push(p.items.len());
        seen.extend(p.items.iter().map(|p| p.id));
        match p.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, ids, "every pipeline of the tenant once, in id (creation) order");
    let all = store.list_pipelines(DEFAULT_TENANT, &page(None, 0)).await.unwrap();
    assert_eq!((all.items.len(), all.next_cursor), (5, None), "limit 0 means the default page");
    let bad = store.list_pipelines(DEFAULT_TENANT, &page(Some("nope".into()), 1)).await;
    assert!(matches!(bad, Err(StoreError::InvalidCursor(_))), "{bad:?}");
}

/// A new run is `queued`, and its first transition is recorded with its cause.
pub async fn a_run_starts_queued_with_its_first_transition(h: impl StoreHarness) {
    let store = h.store();
    let p = store.create_pipeline(DEFAULT_TENANT, "p", &json!({"tasks": []})).await.unwrap();
    let run = store.create_run(DEFAULT_TENANT, p.id, &p.spec).await.unwrap();
    assert_eq!((run.state, run.cancel_requested, &run.spec), (RunState::Queued, false, &p.spec));
    assert_eq!(store.get_run(DEFAULT_TENANT, run.id).await.unwrap(), Some(run.clone()));
    assert_eq!(store.get_run(Uuid::now_v7(), run.id).await.unwrap(), None, "scoped to the tenant");
    let history = store.list_transitions(run.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].from_state.as_deref(), history[0].to_state.as_str()), (None, "queued"));
    assert_eq!((history[0].task_id, history[0].cause.as_str()), (None, "run requested"));

    let retry = store.create_run_because(DEFAULT_TENANT, p.id, &p.spec, &ferry_common::triggers::RunTrigger::manual(chrono::Utc::now()), "retry of an earlier run").await.unwrap();
    assert_eq!(store.list_transitions(retry.id).await.unwrap()[0].cause, "retry of an earlier run");
    let flags = store.active_run_flags().await.unwrap();
    assert_eq!(flags.len(), 2, "both runs are active");
}

/// Runs list newest first, page by cursor, and filter by pipeline and state.
pub async fn runs_list_newest_first_and_filter(h: impl StoreHarness) {
    let store = h.store();
    let p = store.create_pipeline(DEFAULT_TENANT, "p", &json!({})).await.unwrap();
    let q = store.create_pipeline(DEFAULT_TENANT, "q", &json!({})).await.unwrap();
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(store.create_run(DEFAULT_TENANT, p.id, &p.spec).await.unwrap());
    }
    let on_q = store.create_run(DEFAULT_TENANT, q.id, &q.spec).await.unwrap();
    let by_p = RunFilter { pipeline_id: Some(p.id), state: None, trigger: None };
    let first = store.list_runs(DEFAULT_TENANT, &by_p, &page(None, 2)).await.unwrap();
    let second = store.list_runs(DEFAULT_TENANT, &by_p, &page(first.next_cursor.clone(), 2)).await.unwrap();
    let ids: Vec<Uuid> = first.items.iter().chain(&second.items).map(|r| r.id).collect();
    let newest_first: Vec<Uuid> = runs.iter().rev().map(|r| r.id).collect();
    assert_eq!(ids, newest_first);
    assert_eq!(second.next_cursor, None);

    let mut done = runs[0].clone();
    done.state = RunState::Failed;
    store.apply(&WriteBatch { runs: vec![done.clone()], ..Default::default() }).await.unwrap();
    let failed = RunFilter { pipeline_id: None, state: Some(RunState::Failed), trigger: None };
    let got = store.list_runs(DEFAULT_TENANT, &failed, &page(None, 0)).await.unwrap();
    assert_eq!(got.items.iter().map(|r| r.id).collect::<Vec<_>>(), [done.id]);
    let all = store.list_runs(DEFAULT_TENANT, &RunFilter::default(), &page(None, 0)).await.unwrap();
    assert_eq!(all.items[0].id, on_q.id, "newest first across pipelines");
    assert_eq!(all.items.len(), 4);
}

/// The orchestrator's batches move a run and its tasks through their states; every
/// change is recorded in order, with its cause; progress is summed from the tasks.
pub async fn batches_move_runs_and_tasks_and_record_transitions(h: impl StoreHarness) {
    let store = h.store();
    let run = a_run(store, "p").await;
    let mut running = run.clone();
    running.state = RunState::Queued.transition(RunState::Running).unwrap();
    running.started_at = Some(Utc::now());
    let mut t1 = task(&run, "t1", TaskState::Queued);
    t1.attempt = 1;
    let t2 = task(&run, "t2", TaskState::Waiting);
    let step1 = WriteBatch {
        runs: vec![running.clone()],
        tasks: vec![t1.clone(), t2.clone()],
        transitions: vec![
            transition(&run, None, "queued", "running", "planned"),
            transition(&run, Some(t1.id), "pending", "queued", "dependencies met"),
        ],
        events: vec![],
        markers: vec![],
        ..WriteBatch::default()
    };
    store.apply(&step1).await.unwrap();
    let (active, tasks) = store.load_active().await.unwrap();
    assert_eq!((active.len(), active[0].state, tasks.len()), (1, RunState::Running, 2));

    t1.state = TaskState::Queued.transition(TaskState::Running).unwrap();
    store.apply(&WriteBatch {
        tasks: vec![t1.clone()],
        transitions: vec![transition(&run, Some(t1.id), "queued", "running", "started on w1")],
        ..Default::default()
    })
    .await
    .unwrap();
    t1.state = TaskState::Running.transition(TaskState::Succeeded).unwrap();
    t1.result = Some(json!({"ok": true}));
    (t1.files_total, t1.files_done, t1.bytes_total, t1.bytes_done) = (3, 3, 5_000_000_000, 5_000_000_000);
    t1.finished_at = Some(Utc::now());
    store.apply(&WriteBatch {
        tasks: vec![t1.clone()],
        transitions: vec![transition(&run, Some(t1.id), "running", "succeeded", "finished")],
        ..Default::default()
    })
    .await
    .unwrap();

    let stored = store.get_task(DEFAULT_TENANT, t1.id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.attempt, &stored.result), (TaskState::Succeeded, 1, &Some(json!({"ok": true}))));
    assert_eq!(stored.bytes_done, 5_000_000_000, "counters past 32 bits survive");
    let progress = store.run_progress(&[run.id]).await.unwrap()[&run.id];
    assert_eq!((progress.tasks_total, progress.tasks_succeeded, progress.tasks_failed), (2, 1, 0));
    assert_eq!((progress.files_done, progress.bytes_total), (3, 5_000_000_000));

    let history = store.list_transitions(run.id).await.unwrap();
    let steps: Vec<(&str, &str)> = history.iter().map(|t| (t.to_state.as_str(), t.cause.as_str())).collect();
    assert_eq!(
        steps,
        [
            ("queued", "run requested"),
            ("running", "planned"),
            ("queued", "dependencies met"),
            ("running", "started on w1"),
            ("succeeded", "finished"),
        ],
        "every change, in order, with its cause"
    );
    let first = store.list_tasks(DEFAULT_TENANT, run.id, &page(None, 1)).await.unwrap();
    let rest = store.list_tasks(DEFAULT_TENANT, run.id, &page(first.next_cursor.clone(), 1)).await.unwrap();
    let keys: Vec<&str> = first.items.iter().chain(&rest.items).map(|t| t.key.as_str()).collect();
    assert_eq!((keys, rest.next_cursor), (vec!["t1", "t2"], None), "tasks page in planning order");
}

/// A cancel request flags an active run and is refused (the run comes back unchanged)
/// once the run has finished; an unknown run is `None`.
pub async fn cancel_is_refused_once_a_run_finished(h: impl StoreHarness) {
    let store = h.store();
    let active = a_run(store, "active").await;
    let flagged = store.request_cancel(DEFAULT_TENANT, active.id).await.unwrap().unwrap();
    assert!(flagged.cancel_requested);
    assert!(store.active_run_flags().await.unwrap().iter().any(|f| f.id == active.id && f.cancel_requested));

    let mut finished = a_run(store, "finished").await;
    finished.state = RunState::Failed;
    finished.finished_at = Some(Utc::now());
    store.apply(&WriteBatch { runs: vec![finished.clone()], ..Default::default() }).await.unwrap();
    let after = store.request_cancel(DEFAULT_TENANT, finished.id).await.unwrap().unwrap();
    assert_eq!((after.state, after.cancel_requested), (RunState::Failed, false), "a finished run is not flagged");
    assert_eq!(store.request_cancel(DEFAULT_TENANT, Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(store.request_cancel(Uuid::now_v7(), active.id).await.unwrap(), None, "scoped to the tenant");

    // The orchestrator acts on the flag; the run is then no longer active.
    let mut cancelled = flagged;
    cancelled.state = RunState::Queued.transition(RunState::Cancelled).unwrap();
    cancelled.finished_at = Some(Utc::now());
    store.apply(&WriteBatch { runs: vec![cancelled.clone()], ..Default::default() }).await.unwrap();
    assert!(store.active_run_flags().await.unwrap().is_empty());
    let filter = RunFilter { pipeline_id: Some(cancelled.pipeline_id), state: Some(RunState::Cancelled), trigger: None };
    let listed = store.list_runs(DEFAULT_TENANT, &filter, &page(None, 0)).await.unwrap();
    assert_eq!(listed.items.iter().map(|r| r.id).collect::<Vec<_>>(), [cancelled.id]);
}

/// Of concurrent creates of one name exactly one wins; the others get `Conflict`.
pub async fn concurrent_creates_of_one_name_have_one_winner(h: impl StoreHarness) {
    let store = h.store();
    let spec = json!({"name": "race"});
    let attempts = (0..8).map(|_| store.create_pipeline(DEFAULT_TENANT, "race", &spec));
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count();
    assert_eq!((won, refused), (1, 7), "{results:?}");
    let listed = store.list_pipelines(DEFAULT_TENANT, &page(None, 0)).await.unwrap();
    assert_eq!(listed.items.len(), 1);
}

/// Concurrent batches are serialised: every one succeeds and every row lands.
pub async fn concurrent_batches_are_serialised(h: impl StoreHarness) {
    let store = h.store();
    let run = a_run(store, "p").await;
    let batches: Vec<WriteBatch> = (0..8)
        .map(|b| {
            let tasks: Vec<TaskRow> = (0..50).map(|i| task(&run, &format!("b{b}-t{i}"), TaskState::Queued)).collect();
            let transitions = tasks.iter().map(|t| transition(&run, Some(t.id), "pending", "queued", "planned")).collect();
            WriteBatch { runs: vec![], tasks, transitions, events: vec![], markers: vec![], ..WriteBatch::default() }
        })
        .collect();
    let results = futures::future::join_all(batches.iter().map(|b| store.apply(b))).await;
    for r in &results {
        assert!(r.is_ok(), "a concurrent batch failed instead of waiting its turn: {r:?}");
    }
    assert_eq!(store.all_run_tasks(DEFAULT_TENANT, run.id).await.unwrap().len(), 400);
    assert_eq!(store.list_transitions(run.id).await.unwrap().len(), 401);
}

/// A batch of more rows than one statement may bind is split and lands whole.
pub async fn a_large_batch_fits_the_parameter_limits(h: impl StoreHarness) {
    let store = h.store();
    let run = a_run(store, "big").await;
    let tasks: Vec<TaskRow> = (0..2_000).map(|i| task(&run, &format!("t{i}"), TaskState::Queued)).collect();
    store.apply(&WriteBatch { tasks, ..Default::default() }).await.unwrap();
    let progress = store.run_progress(&[run.id]).await.unwrap()[&run.id];
    assert_eq!(progress.tasks_total, 2_000);
}

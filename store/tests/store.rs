//! The store against both backends it supports: every test runs on a fresh SQLite file
//! and on a fresh Postgres database (which must be reachable: the test fails otherwise).

mod support;

use chrono::Utc;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{DEFAULT_TENANT, PageRequest, RunFilter, StoreError, TaskRow, TransitionRow, WriteBatch};
use serde_json::json;
use support::Backend;
use uuid::Uuid;

fn task(run: &ferry_store::RunRow, key: &str, state: TaskState) -> TaskRow {
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
    }
}

async fn pipelines_crud(backend: Backend) {
    let (store, _guard) = support::fresh(backend).await;
    let spec = json!({"name": "p", "tasks": []});
    let a = store.create_pipeline(DEFAULT_TENANT, "a", &spec).await.unwrap();
    let dup = store.create_pipeline(DEFAULT_TENANT, "a", &spec).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let b = store.create_pipeline(DEFAULT_TENANT, "b", &spec).await.unwrap();
    assert_eq!(store.get_pipeline(DEFAULT_TENANT, a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_pipeline(Uuid::now_v7(), a.id).await.unwrap(), None, "other tenant");

    let first = store.list_pipelines(DEFAULT_TENANT, &PageRequest { cursor: None, limit: 1 }).await.unwrap();
    assert_eq!(first.items.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a.id]);
    let cursor = first.next_cursor.expect("a second page");
    let second = store
        .list_pipelines(DEFAULT_TENANT, &PageRequest { cursor: Some(cursor), limit: 1 })
        .await
        .unwrap();
    assert_eq!(second.items.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(second.next_cursor, None);
    let bad = store
        .list_pipelines(DEFAULT_TENANT, &PageRequest { cursor: Some("nope".into()), limit: 1 })
        .await;
    assert!(matches!(bad, Err(StoreError::InvalidCursor(_))));

    let clash = store.update_pipeline(DEFAULT_TENANT, b.id, "a", &spec).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let renamed = store.update_pipeline(DEFAULT_TENANT, b.id, "c", &json!({"x": 1})).await.unwrap().unwrap();
    assert_eq!(renamed.name, "c");
    assert_eq!(renamed.spec, json!({"x": 1}));
    assert!(store.delete_pipeline(DEFAULT_TENANT, b.id).await.unwrap());
    assert!(!store.delete_pipeline(DEFAULT_TENANT, b.id).await.unwrap());
    assert_eq!(store.update_pipeline(DEFAULT_TENANT, b.id, "d", &spec).await.unwrap(), None);
}

async fn runs_tasks_and_batches(backend: Backend) {
    let (store, _guard) = support::fresh(backend).await;
    let spec = json!({"name": "p", "tasks": [{"id": "t", "kind": "noop"}]});
    let p = store.create_pipeline(DEFAULT_TENANT, "p", &spec).await.unwrap();
    let run = store.create_run(DEFAULT_TENANT, p.id, &p.spec).await.unwrap();
    assert_eq!(run.state, RunState::Queued);
    assert_eq!(store.get_run(DEFAULT_TENANT, run.id).await.unwrap(), Some(run.clone()));
    let flags = store.active_run_flags().await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].id, run.id);

    // The orchestrator's first step: run running, two tasks planned.
    let mut running = run.clone();
    running.state = RunState::Running;
    running.started_at = Some(Utc::now());
    let mut t1 = task(&run, "t1", TaskState::Queued);
    t1.attempt = 1;
    let t2 = task(&run, "t2", TaskState::Waiting);
    let transition = TransitionRow {
        tenant_id: run.tenant_id,
        run_id: run.id,
        task_id: Some(t1.id),
        from_state: Some("pending".into()),
        to_state: "queued".into(),
        cause: "dependencies met".into(),
        at: Utc::now(),
    };
    store
        .apply(&WriteBatch { runs: vec![running.clone()], tasks: vec![t1.clone(), t2.clone()], transitions: vec![transition] })
        .await
        .unwrap();
    let (active, tasks) = store.load_active().await.unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].state, RunState::Running);
    assert_eq!(tasks.len(), 2);

    // A later step updates a task in place: result, counters, finish time.
    t1.state = TaskState::Succeeded;
    t1.result = Some(json!({"ok": true}));
    t1.files_total = 3;
    t1.files_done = 3;
    t1.bytes_total = 5_000_000_000;
    t1.bytes_done = 5_000_000_000;
    t1.finished_at = Some(Utc::now());
    store.apply(&WriteBatch { tasks: vec![t1.clone()], ..Default::default() }).await.unwrap();
    let stored = store.get_task(DEFAULT_TENANT, t1.id).await.unwrap().unwrap();
    assert_eq!(stored.state, TaskState::Succeeded);
    assert_eq!(stored.result, Some(json!({"ok": true})));
    assert_eq!(stored.bytes_done, 5_000_000_000);

    let progress = store.run_progress(&[run.id]).await.unwrap()[&run.id];
    assert_eq!(progress.tasks_total, 2);
    assert_eq!(progress.tasks_succeeded, 1);
    assert_eq!(progress.tasks_failed, 0);
    assert_eq!(progress.files_done, 3);
    assert_eq!(progress.bytes_total, 5_000_000_000);

    let page = store.list_tasks(DEFAULT_TENANT, run.id, &PageRequest::default()).await.unwrap();
    assert_eq!(page.items.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(), vec!["t1", "t2"]);
    let history = store.list_transitions(run.id).await.unwrap();
    assert_eq!(history.iter().map(|t| t.to_state.as_str()).collect::<Vec<_>>(), vec!["queued", "queued"]);
    assert_eq!(history[1].cause, "dependencies met");

    // Cancelling: flagged while active, refused (unchanged) once finished.
    let flagged = store.request_cancel(DEFAULT_TENANT, run.id).await.unwrap().unwrap();
    assert!(flagged.cancel_requested);
    let mut done = flagged.clone();
    done.state = RunState::Cancelled;
    done.finished_at = Some(Utc::now());
    store.apply(&WriteBatch { runs: vec![done], ..Default::default() }).await.unwrap();
    assert!(store.active_run_flags().await.unwrap().is_empty());
    let filtered = store
        .list_runs(DEFAULT_TENANT, &RunFilter { pipeline_id: Some(p.id), state: Some(RunState::Cancelled) }, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(filtered.items.len(), 1);
    let none = store
        .list_runs(DEFAULT_TENANT, &RunFilter { pipeline_id: None, state: Some(RunState::Running) }, &PageRequest::default())
        .await
        .unwrap();
    assert!(none.items.is_empty());
    assert_eq!(store.request_cancel(DEFAULT_TENANT, Uuid::now_v7()).await.unwrap(), None);
}

async fn large_batch(backend: Backend) {
    let (store, _guard) = support::fresh(backend).await;
    let p = store.create_pipeline(DEFAULT_TENANT, "big", &json!({})).await.unwrap();
    let run = store.create_run(DEFAULT_TENANT, p.id, &p.spec).await.unwrap();
    let tasks: Vec<TaskRow> = (0..2_000).map(|i| task(&run, &format!("t{i}"), TaskState::Queued)).collect();
    store.apply(&WriteBatch { tasks, ..Default::default() }).await.unwrap();
    let progress = store.run_progress(&[run.id]).await.unwrap()[&run.id];
    assert_eq!(progress.tasks_total, 2_000);
    let newest_first = store.list_runs(DEFAULT_TENANT, &RunFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(newest_first.items[0].id, run.id);
}

#[tokio::test]
async fn sqlite_pipelines_crud() {
    pipelines_crud(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_pipelines_crud() {
    pipelines_crud(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_runs_tasks_and_batches() {
    runs_tasks_and_batches(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_runs_tasks_and_batches() {
    runs_tasks_and_batches(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_large_batch() {
    large_batch(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_large_batch() {
    large_batch(Backend::Postgres).await;
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let (store, _guard) = support::fresh(Backend::Sqlite).await;
    store.migrate().await.unwrap();
    store.ensure_default_tenant().await.unwrap();
    assert_eq!(store.backend_name(), "sqlite");
}

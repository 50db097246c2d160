use super::*;
use ferry_store::TransitionRow;
use serde_json::json;

#[test]
fn a_successful_copy_gets_a_delivered_row_per_sync_destination_and_a_pending_one_per_async() {
    let spec = ferry_common::spec::parse_value(json!({"name": "p", "tasks": [
        {"id": "orders", "kind": "copy", "dataset": "orders", "incremental": true, "source": "/in/", "destinations": [
            "/lake/orders/",
            {"url": "s3://b/orders/", "connection": "b", "delivery": "async"},
            {"url": "az://c/orders/", "delivery": "async", "deliver_within": "24h"},
        ]},
        {"id": "plain", "kind": "copy", "source": "/in/", "destination": "/other/"},
    ]}))
    .unwrap();
    let run = crate::planner::test_run_row(&spec);
    let mut tasks = crate::planner::plan(&run, &spec, Utc::now());
    tasks[0].result = Some(json!({"destinations": [{"url": "/lake/orders/", "files_copied": 2, "bytes_copied": 30, "files_skipped": 1, "bytes_skipped": 5}]}));
    tasks[0].report = Some(json!({"files": [{"path": "a.csv", "size": 30}, {"path": "b.csv", "size": 5}]}));
    let at = Utc::now();
    let tr = |i: usize| TransitionRow { tenant_id: run.tenant_id, run_id: run.id, task_id: Some(tasks[i].id), from_state: None, to_state: "succeeded".into(), cause: String::new(), at };
    let batch = WriteBatch { transitions: vec![tr(0), tr(1)], tasks: tasks.clone(), ..WriteBatch::default() };
    let rows = created_by(&batch, |_| Some((run.pipeline_id, run.trigger.logical_time)));
    let seen: Vec<(&str, &str, DeliveryState)> = rows.iter().map(|d| (d.destination.as_str(), d.mode.as_str(), d.state)).collect();
    assert_eq!(seen, vec![
        ("/lake/orders/", "sync", DeliveryState::Delivered),
        ("s3://b/orders/", "async", DeliveryState::Pending),
        ("az://c/orders/", "async", DeliveryState::Pending),
    ]);
    assert_eq!((rows[0].files, rows[0].bytes), (3, 35));
    let body: CopyTask = serde_json::from_value(rows[1].body.clone().unwrap()).unwrap();
    assert_eq!(body.source.url, "/lake/orders/", "an async delivery reads the first sync destination");
    assert_eq!(body.destinations.len(), 1);
    assert_eq!(body.files.iter().flatten().map(|f| f.path.as_str()).collect::<Vec<_>>(), vec!["a.csv", "b.csv"]);
    assert_eq!(rows[2].deliver_by, Some(at + chrono::Duration::hours(24)));
    assert_eq!(rows[1].deliver_by, Some(at + chrono::Duration::days(7)));
    assert!(rows.iter().all(|d| d.incremental && d.task_key == "orders"));
}

#[test]
fn only_succeeded_copies_naming_a_dataset_move_markers_at_their_sync_destinations() {
    let spec = ferry_common::spec::parse_value(json!({"name": "p", "tasks": [
        {"id": "a", "kind": "copy", "dataset": "orders", "source": "/in/", "destinations": ["/lake/", {"url": "s3://b/o/", "connection": "b"}, {"url": "/later/", "delivery": "async"}]},
        {"id": "b", "kind": "copy", "source": "/in/", "destination": "/other/"},
        {"id": "c", "kind": "copy", "dataset": "orders", "source": "/in/", "destination": "/failed/"},
    ]}))
    .unwrap();
    let run = crate::planner::test_run_row(&spec);
    let tasks = crate::planner::plan(&run, &spec, Utc::now());
    let tr = |i: usize, to: &str| TransitionRow { tenant_id: run.tenant_id, run_id: run.id, task_id: Some(tasks[i].id), from_state: None, to_state: to.into(), cause: String::new(), at: Utc::now() };
    let batch = WriteBatch { transitions: vec![tr(0, "succeeded"), tr(1, "succeeded"), tr(2, "failed")], tasks: tasks.clone(), ..WriteBatch::default() };
    let logical = run.trigger.logical_time;
    let rows = created_by(&batch, |_| Some((run.pipeline_id, logical)));
    let markers: Vec<_> = rows.iter().filter_map(outcome::marker_of).collect();
    let at: Vec<(&str, &str)> = markers.iter().map(|m| (m.dataset.as_str(), m.destination.as_str())).collect();
    assert_eq!(at, vec![("orders", "/lake/"), ("orders", "s3://b/o/")], "the async one moves when delivered");
    assert!(markers.iter().all(|m| m.task_id == tasks[0].id && m.logical_time == logical && m.run_id == run.id));
    let quiet = WriteBatch { transitions: vec![tr(0, "running")], tasks, ..WriteBatch::default() };
    assert!(created_by(&quiet, |_| None).is_empty());
}

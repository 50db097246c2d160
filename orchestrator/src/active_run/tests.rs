use super::*;
use ferry_common::spec::{SpecFormat, ValidationContext, load};
use serde_json::json;

mod conditions;
mod rules;

fn spec(yaml: &str) -> PipelineSpec {
    load(yaml, SpecFormat::Yaml, &ValidationContext::default()).expect("valid spec")
}

fn run_row(spec: &PipelineSpec) -> RunRow {
    crate::planner::test_run_row(spec)
}

fn event(run: &ActiveRun, key: &str, kind: EventKind) -> TaskEvent {
    let t = run.tasks().iter().find(|t| t.key == key).expect("task");
    TaskEvent { task_id: t.id, run_id: t.run_id, attempt: t.attempt, worker_id: "w1".into(), at: Utc::now(), kind }
}

fn ok(run: &ActiveRun, key: &str) -> TaskEvent {
    event(run, key, EventKind::Finished {
        outcome: Outcome::Succeeded { result: json!({}), report: None },
        progress: Progress::default(),
    })
}

fn fail(run: &ActiveRun, key: &str, retryable: bool) -> TaskEvent {
    event(run, key, EventKind::Finished {
        outcome: Outcome::Failed { error: "boom".into(), retryable },
        progress: Progress::default(),
    })
}

fn state(run: &ActiveRun, key: &str) -> TaskState {
    run.tasks().iter().find(|t| t.key == key).unwrap().state
}

fn published(fx: &Effects) -> Vec<&str> {
    fx.publish.iter().map(|m| m.key.as_str()).collect()
}

const FAN_IN: &str = "name: p\ntasks:\n  - {id: a, kind: noop}\n  - {id: b, kind: noop}\n  - {id: c, kind: noop, depends_on: [a, b]}\n  - {id: d, kind: noop, depends_on: [c]}\n";

#[test]
fn roots_are_queued_first_and_fan_in_waits_for_all() {
    let s = spec(FAN_IN);
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    assert_eq!(run.state(), RunState::Running);
    assert_eq!(published(&fx), vec!["a", "b"]);

    let mut fx = Effects::default();
    let e = ok(&run, "a");
    run.apply_event(&e, Utc::now(), &mut fx);
    assert!(fx.publish.is_empty(), "c must wait for b too");
    assert_eq!(state(&run, "c"), TaskState::Pending);

    let e = ok(&run, "b");
    run.apply_event(&e, Utc::now(), &mut fx);
    assert_eq!(published(&fx), vec!["c"]);
    let e = ok(&run, "c");
    run.apply_event(&e, Utc::now(), &mut fx);
    let e = ok(&run, "d");
    run.apply_event(&e, Utc::now(), &mut fx);
    assert_eq!(run.state(), RunState::Succeeded);
    assert!(run.is_finished());
}

#[test]
fn a_failure_skips_its_dependants_and_fails_the_run() {
    let s = spec(FAN_IN);
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    let e = fail(&run, "a", false);
    run.apply_event(&e, Utc::now(), &mut fx);
    assert_eq!(state(&run, "a"), TaskState::Failed);
    assert_eq!(state(&run, "c"), TaskState::Skipped);
    assert_eq!(state(&run, "d"), TaskState::Skipped);
    assert_eq!(run.state(), RunState::Running, "b is still running");
    let e = ok(&run, "b");
    run.apply_event(&e, Utc::now(), &mut fx);
    assert_eq!(run.state(), RunState::Failed);
    let (row, _) = run.take_dirty();
    assert!(row.unwrap().error.unwrap().contains('a'));
}

#[test]
fn retryable_failures_retry_until_the_budget_is_spent() {
    let s = spec("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 1, initial: 1s}}\n");
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    let now = Utc::now();
    let e = fail(&run, "a", true);
    run.apply_event(&e, now, &mut fx);
    assert_eq!(state(&run, "a"), TaskState::Retrying);
    let mut fx = Effects::default();
    run.due_retries(now, &mut fx);
    assert!(fx.publish.is_empty(), "not before the delay");
    run.due_retries(now + chrono::Duration::seconds(2), &mut fx);
    assert_eq!(fx.publish.len(), 1);
    assert_eq!(fx.publish[0].attempt, 2);
    let e = fail(&run, "a", true);
    run.apply_event(&e, now, &mut fx);
    assert_eq!(state(&run, "a"), TaskState::Failed, "max 1 retry");
    assert_eq!(run.state(), RunState::Failed);
}

#[test]
fn events_of_a_stale_attempt_change_nothing() {
    let s = spec("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 3, initial: 1s}}\n");
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    let stale = ok(&run, "a"); // attempt 1
    let e = fail(&run, "a", true);
    run.apply_event(&e, Utc::now(), &mut fx);
    run.due_retries(Utc::now() + chrono::Duration::seconds(5), &mut fx); // attempt 2 queued
    run.apply_event(&stale, Utc::now(), &mut fx);
    assert_eq!(state(&run, "a"), TaskState::Queued, "a zombie's success must not count");
    let fresh = ok(&run, "a");
    run.apply_event(&fresh, Utc::now(), &mut fx);
    assert_eq!(run.state(), RunState::Succeeded);
    // a duplicate of the final event is ignored too
    let before = fx.transitions.len();
    run.apply_event(&fresh, Utc::now(), &mut fx);
    assert_eq!(fx.transitions.len(), before);
}

#[test]
fn cancel_stops_everything_and_asks_workers() {
    let s = spec(FAN_IN);
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    let started = event(&run, "a", EventKind::Started);
    run.apply_event(&started, Utc::now(), &mut fx);
    let mut fx = Effects::default();
    run.cancel(Utc::now(), &mut fx);
    assert_eq!(run.state(), RunState::Cancelled);
    assert_eq!(fx.cancel.len(), 2, "a (running) and b (queued)");
    assert!(run.tasks().iter().all(|t| t.state == TaskState::Cancelled));
}

#[test]
fn every_change_is_recorded_with_a_cause() {
    let s = spec("name: p\ntasks:\n  - {id: a, kind: noop}\n");
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    let e = event(&run, "a", EventKind::Started);
    run.apply_event(&e, Utc::now(), &mut fx);
    let e = ok(&run, "a");
    run.apply_event(&e, Utc::now(), &mut fx);
    let seen: Vec<(Option<&str>, &str)> = fx
        .transitions
        .iter()
        .map(|t| (t.task_id.map(|_| "task"), t.to_state.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("task"), "pending"),
            (None, "running"),
            (Some("task"), "queued"),
            (Some("task"), "running"),
            (Some("task"), "succeeded"),
            (None, "succeeded"),
        ]
    );
    assert!(fx.transitions.iter().all(|t| !t.cause.is_empty()));
}

#[test]
fn restore_republishes_queued_and_retries_lost_running_tasks() {
    let s = spec(FAN_IN);
    let mut fx = Effects::default();
    let mut run = ActiveRun::start(run_row(&s), s.clone(), Utc::now(), &mut fx);
    let e = event(&run, "a", EventKind::Started);
    run.apply_event(&e, Utc::now(), &mut fx);
    let (row, _) = run.take_dirty();
    let row = row.unwrap();
    let tasks = run.tasks().to_vec();

    let mut fx = Effects::default();
    let restored = ActiveRun::restore(row, s, tasks, true, Utc::now(), &mut fx).unwrap();
    let mut keys = published(&fx);
    keys.sort_unstable();
    assert_eq!(keys, vec!["a", "b"]);
    let a = fx.publish.iter().find(|m| m.key == "a").unwrap();
    assert_eq!(a.attempt, 2, "the lost attempt is superseded");
    assert_eq!(state(&restored, "a"), TaskState::Queued);
}

#[test]
fn the_reaper_retries_an_attempt_no_live_worker_reports() {
    let s = spec("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 1, initial: 1s}}\n");
    let mut fx = Effects::default();
    let t0 = Utc::now();
    let mut run = ActiveRun::start(run_row(&s), s, t0, &mut fx);
    let started = event(&run, "a", EventKind::Started);
    run.apply_event(&started, t0, &mut fx);
    let id = run.tasks()[0].id;
    let grace = std::time::Duration::from_secs(10);
    let live: std::collections::HashSet<Uuid> = [id].into_iter().collect();
    let none = std::collections::HashSet::new();

    let mut fx = Effects::default();
    assert_eq!(run.reap(&live, grace, t0 + chrono::Duration::seconds(60), &mut fx), 0, "listed: alive");
    assert_eq!(run.reap(&none, grace, t0 + chrono::Duration::seconds(61), &mut fx), 0, "missing, not for long");
    assert_eq!(run.reap(&live, grace, t0 + chrono::Duration::seconds(65), &mut fx), 0, "back in a heartbeat");
    assert_eq!(run.reap(&none, grace, t0 + chrono::Duration::seconds(66), &mut fx), 0);
    assert_eq!(run.reap(&none, grace, t0 + chrono::Duration::seconds(77), &mut fx), 1, "missing for the whole grace");
    assert_eq!(state(&run, "a"), TaskState::Queued, "a lost attempt runs again at once");
    assert_eq!((run.tasks()[0].attempt, run.tasks()[0].lost), (2, 1));
    assert!(run.tasks()[0].error.as_deref().unwrap().contains("worker lost"));

    // The late `finished` of the reaped attempt changes nothing.
    let late = TaskEvent { attempt: 1, ..ok(&run, "a") };
    run.apply_event(&late, t0 + chrono::Duration::seconds(78), &mut fx);
    assert_eq!(state(&run, "a"), TaskState::Queued);
}

#[test]
fn the_reaper_fails_an_attempt_past_its_timeout() {
    let s = spec("name: p\ntasks:\n  - {id: a, kind: noop, timeout: 30s}\n");
    let mut fx = Effects::default();
    let t0 = Utc::now();
    let mut run = ActiveRun::start(run_row(&s), s, t0, &mut fx);
    let started = event(&run, "a", EventKind::Started);
    run.apply_event(&started, t0, &mut fx);
    let live: std::collections::HashSet<Uuid> = [run.tasks()[0].id].into_iter().collect();
    let grace = std::time::Duration::from_secs(10);
    assert_eq!(run.reap(&live, grace, t0 + chrono::Duration::seconds(35), &mut fx), 0);
    assert_eq!(run.reap(&live, grace, t0 + chrono::Duration::seconds(41), &mut fx), 1);
    assert_eq!(state(&run, "a"), TaskState::Failed, "no retries left");
    assert_eq!(run.state(), RunState::Failed);
}

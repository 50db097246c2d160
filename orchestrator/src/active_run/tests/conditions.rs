//! Waiting for conditions, sensors that never reach a worker, post-condition repair and
//! inferred dependencies in the run order.

use super::*;
use crate::active_run::GateVerdict;

fn started(yaml: &str, at: DateTime<Utc>) -> (ActiveRun, Effects) {
    let s = spec(yaml);
    let mut fx = Effects::default();
    let run = ActiveRun::start(run_row(&s), s, at, &mut fx);
    (run, fx)
}

const GATED: &str = "name: p\ntasks:
  - id: load
    kind: noop
    pre: [{exists: /landing/_SUCCESS}]
    wait: {poke: 10s, timeout: 1m}
  - id: sensor
    kind: wait
    until: [{exists: /landing/_SUCCESS}]
    wait: {poke: 10s, timeout: 1m, on_timeout: skip}
";

#[test]
fn a_task_with_conditions_waits_and_a_sensor_never_reaches_a_worker() {
    let t0 = Utc::now();
    let (mut run, fx) = started(GATED, t0);
    assert!(fx.publish.is_empty(), "nothing is queued before its conditions hold");
    assert_eq!(state(&run, "load"), TaskState::Waiting);
    let due = run.due_probes(t0);
    assert_eq!(due.len(), 2);
    assert!(run.due_probes(t0).is_empty(), "a check under way is not asked twice");

    let mut fx = Effects::default();
    for r in &due {
        run.apply_probe(r.task_id, t0, GateVerdict::Unmet("exists: /landing/_SUCCESS (not found)".into()), t0, &mut fx);
    }
    let load = run.tasks().iter().find(|t| t.key == "load").unwrap();
    assert_eq!(load.waiting_for.as_deref(), Some("exists: /landing/_SUCCESS (not found)"));
    assert_eq!(load.wait_deadline, Some(t0 + chrono::Duration::minutes(1)));
    assert_eq!(run.next_probe_at(), Some(t0 + chrono::Duration::seconds(10)));

    let t1 = t0 + chrono::Duration::seconds(10);
    let due = run.due_probes(t1);
    let mut fx = Effects::default();
    for r in &due {
        run.apply_probe(r.task_id, t1, GateVerdict::Holds, t1, &mut fx);
    }
    assert_eq!(published(&fx), vec!["load"], "the sensor is finished here, not queued");
    assert_eq!(state(&run, "sensor"), TaskState::Succeeded);
    assert_eq!(state(&run, "load"), TaskState::Queued);
}

#[test]
fn the_stored_deadline_fails_or_skips_and_survives_a_restore() {
    let t0 = Utc::now();
    let (mut run, _) = started(GATED, t0);
    let mut fx = Effects::default();
    for r in run.due_probes(t0) {
        run.apply_probe(r.task_id, t0, GateVerdict::Unmet("x (not found)".into()), t0, &mut fx);
    }
    // A new leader takes over from the stored rows: the deadline is kept, not restarted.
    let (row, _) = run.take_dirty();
    let tasks = run.tasks().to_vec();
    let s = spec(GATED);
    let t_late = t0 + chrono::Duration::seconds(61);
    let mut fx = Effects::default();
    let mut run = ActiveRun::restore(row.unwrap(), s, tasks, false, t_late, &mut fx).unwrap();
    for r in run.due_probes(t_late) {
        run.apply_probe(r.task_id, t_late, GateVerdict::Unmet("x (not found)".into()), t_late, &mut fx);
    }
    assert_eq!(state(&run, "load"), TaskState::Failed);
    assert!(run.tasks()[0].error.as_deref().unwrap().contains("timed out after 1m waiting for x (not found)"));
    assert_eq!(state(&run, "sensor"), TaskState::Skipped, "on_timeout: skip");
    assert_eq!(run.state(), RunState::Failed);
}

#[test]
fn a_broken_condition_fails_the_task_permanently() {
    let t0 = Utc::now();
    let (mut run, _) = started(GATED, t0);
    let mut fx = Effects::default();
    let due = run.due_probes(t0);
    run.apply_probe(due[0].task_id, t0, GateVerdict::Broken("condition query on w: syntax error".into()), t0, &mut fx);
    assert_eq!(state(&run, "load"), TaskState::Failed);
    assert_eq!(run.tasks()[0].failure.as_ref().unwrap().class, FailureClass::Permanent);
}

#[test]
fn after_a_failed_post_condition_the_next_copy_attempt_repairs() {
    let (mut run, fx) = started(
        "name: p\ntasks:\n  - {id: c, kind: copy, source: /a/, destination: /b/, retries: {max: 1, initial: 1s}, post: [{consistent: {mode: checksum}}]}\n",
        Utc::now(),
    );
    assert_eq!(fx.publish[0].post.len(), 1, "the worker is told the post-conditions");
    let e = event(&run, "c", EventKind::Finished {
        outcome: Outcome::PostConditionFailed { error: "post-condition consistent: checksum failed: 1 differ".into() },
        progress: Progress::default(),
    });
    let t = Utc::now();
    let mut fx = Effects::default();
    run.apply_event(&e, t, &mut fx);
    assert_eq!(state(&run, "c"), TaskState::Retrying);
    run.due_retries(t + chrono::Duration::seconds(5), &mut fx);
    let msg = fx.publish.last().expect("retry published");
    let ferry_common::spec::TaskBody::Copy(copy) = &msg.body else { panic!("copy") };
    assert_eq!(copy.overwrite, ferry_common::spec::Overwrite::Checksum, "rewrites what differs whatever overwrite says");
}

#[test]
fn an_inferred_dependency_orders_the_run() {
    let (mut run, fx) = started(
        "name: p\ntasks:\n  - {id: verify, kind: check, source: /landing/, target: /lake/}\n  - {id: ingest, kind: copy, source: /landing/, destination: /lake/}\n",
        Utc::now(),
    );
    assert_eq!(published(&fx), vec!["ingest"]);
    assert_eq!(run.tasks()[0].depends_on, vec!["ingest".to_string()]);
    let fx = {
        let mut fx = Effects::default();
        let e = ok(&run, "ingest");
        run.apply_event(&e, Utc::now(), &mut fx);
        fx
    };
    assert_eq!(published(&fx), vec!["verify"]);
}

//! Trigger rules, allowed failures, failure classes and lost attempts.

use super::*;

fn start(yaml: &str) -> (ActiveRun, Effects) {
    let s = spec(yaml);
    let mut fx = Effects::default();
    let run = ActiveRun::start(run_row(&s), s, Utc::now(), &mut fx);
    (run, fx)
}

fn apply(run: &mut ActiveRun, make: impl FnOnce(&ActiveRun) -> TaskEvent) -> Effects {
    let e = make(run);
    let mut fx = Effects::default();
    run.apply_event(&e, Utc::now(), &mut fx);
    fx
}

const RULES: &str = "name: p\ntasks:
  - {id: a, kind: noop}
  - {id: b, kind: noop}
  - {id: done, kind: noop, depends_on: [a, b], trigger_rule: all_done}
  - {id: alert, kind: noop, depends_on: [a, b], trigger_rule: one_failed}
  - {id: all_failed, kind: noop, depends_on: [a, b], trigger_rule: all_failed}
  - {id: normal, kind: noop, depends_on: [a, b]}
  - {id: after_normal, kind: noop, depends_on: [normal]}
";

#[test]
fn each_trigger_rule_decides_from_the_final_states() {
    let (mut run, _) = start(RULES);
    let fx = apply(&mut run, |r| fail(r, "a", false));
    assert_eq!(published(&fx), vec!["alert"], "one_failed runs as soon as one failed");
    assert_eq!(state(&run, "normal"), TaskState::Skipped);
    assert_eq!(state(&run, "after_normal"), TaskState::Skipped, "a skip settles its own dependants");
    assert_eq!(state(&run, "done"), TaskState::Pending, "all_done waits for b");
    assert_eq!(state(&run, "all_failed"), TaskState::Pending);

    let fx = apply(&mut run, |r| ok(r, "b"));
    assert_eq!(published(&fx), vec!["done"]);
    assert_eq!(state(&run, "all_failed"), TaskState::Skipped, "b succeeded");
    apply(&mut run, |r| ok(r, "done"));
    apply(&mut run, |r| ok(r, "alert"));
    assert_eq!(run.state(), RunState::Failed, "a failed and does not allow it");
}

#[test]
fn all_failed_runs_when_every_dependency_failed_and_one_failed_is_skipped_otherwise() {
    let (mut run, _) = start(RULES);
    apply(&mut run, |r| fail(r, "a", false));
    let fx = apply(&mut run, |r| fail(r, "b", false));
    let mut keys = published(&fx);
    keys.sort_unstable();
    assert_eq!(keys, vec!["all_failed", "done"]);

    let (mut run, _) = start(RULES);
    apply(&mut run, |r| ok(r, "a"));
    let fx = apply(&mut run, |r| ok(r, "b"));
    let mut keys = published(&fx);
    keys.sort_unstable();
    assert_eq!(keys, vec!["done", "normal"]);
    assert_eq!(state(&run, "alert"), TaskState::Skipped);
    assert_eq!(state(&run, "all_failed"), TaskState::Skipped);
}

#[test]
fn an_allowed_failure_does_not_fail_the_run_and_its_dependants_follow_their_rule() {
    let (mut run, _) = start(
        "name: p\ntasks:\n  - {id: flaky, kind: noop, allow_failure: true}\n  - {id: next, kind: noop, depends_on: [flaky]}\n  - {id: cleanup, kind: noop, depends_on: [flaky], trigger_rule: all_done}\n",
    );
    let fx = apply(&mut run, |r| fail(r, "flaky", false));
    assert_eq!(published(&fx), vec!["cleanup"]);
    assert_eq!(state(&run, "next"), TaskState::Skipped);
    apply(&mut run, |r| ok(r, "cleanup"));
    assert_eq!(run.state(), RunState::Succeeded);
}

#[test]
fn a_permanent_error_fails_at_once_and_records_its_class() {
    let (mut run, _) = start("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 5}}\n");
    apply(&mut run, |r| fail(r, "a", false));
    assert_eq!(state(&run, "a"), TaskState::Failed);
    let f = run.tasks()[0].failure.clone().unwrap();
    assert_eq!((f.class, f.attempt, f.message.as_str()), (FailureClass::Permanent, 1, "boom"));

    let (mut run, _) = start("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 5}}\n");
    apply(&mut run, |r| fail(r, "a", true));
    assert_eq!(state(&run, "a"), TaskState::Retrying);
    assert_eq!(run.tasks()[0].failure.as_ref().unwrap().class, FailureClass::Retryable);
}

#[test]
fn lost_attempts_spend_no_retry_until_max_lost() {
    let (mut run, _) = start("name: p\ntasks:\n  - {id: a, kind: noop, max_lost: 2}\n");
    let grace = std::time::Duration::from_secs(1);
    let none = std::collections::HashSet::new();
    let mut t = Utc::now();
    for lost in 1..=3u32 {
        apply(&mut run, |r| event(r, "a", EventKind::Started));
        let mut fx = Effects::default();
        run.reap(&none, grace, t, &mut fx);
        t += chrono::Duration::seconds(5);
        assert_eq!(run.reap(&none, grace, t, &mut fx), 1);
        if lost <= 2 {
            assert_eq!(state(&run, "a"), TaskState::Queued, "lost {lost}: no retries configured, still runs again");
            assert_eq!(published(&fx), vec!["a"]);
        }
    }
    assert_eq!(state(&run, "a"), TaskState::Failed);
    let f = run.tasks()[0].failure.clone().unwrap();
    assert_eq!(f.class, FailureClass::Permanent);
    assert!(f.message.starts_with("lost 2 times"), "{}", f.message);
}

#[test]
fn a_lost_attempt_does_not_use_up_a_retry() {
    let (mut run, _) = start("name: p\ntasks:\n  - {id: a, kind: noop, retries: {max: 1, initial: 1s}}\n");
    let none = std::collections::HashSet::new();
    apply(&mut run, |r| event(r, "a", EventKind::Started));
    let mut fx = Effects::default();
    let t = Utc::now();
    run.reap(&none, std::time::Duration::from_secs(1), t, &mut fx);
    run.reap(&none, std::time::Duration::from_secs(1), t + chrono::Duration::seconds(5), &mut fx);
    // Attempt 2 fails for real: its one retry is still there.
    apply(&mut run, |r| fail(r, "a", true));
    assert_eq!(state(&run, "a"), TaskState::Retrying);
}

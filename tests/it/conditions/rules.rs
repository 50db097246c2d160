//! Trigger rules and allowed failures end to end: a clean-up and an alert run after a
//! failure, the normal path is skipped, and the run's outcome follows `allow_failure`.

use super::row;
use crate::backends::{run_spec, text};

#[test]
fn clean_up_and_alert_tasks_run_after_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-folder");
    let spec = format!(
        "name: rules\ntasks:
  - {{id: extract, kind: copy, source: '{}/', destination: '{}/', retries: {{max: 3}}}}
  - {{id: load, kind: noop, depends_on: [extract]}}
  - {{id: cleanup, kind: noop, depends_on: [extract], trigger_rule: all_done}}
  - {{id: alert, kind: noop, depends_on: [extract], trigger_rule: one_failed}}
  - {{id: all_failed, kind: noop, depends_on: [extract], trigger_rule: all_failed}}
",
        missing.display(),
        tmp.path().join("out").display()
    );
    let done = run_spec(tmp.path(), "rules", &spec, &super::no_connections(tmp.path()));
    let stdout = text(&done);
    assert!(!done.status.success(), "extract failed and does not allow it: {stdout}");
    let (state, attempt, detail) = row(&stdout, "extract");
    assert_eq!((state.as_str(), attempt), ("failed", 1), "a missing source is permanent: {stdout}");
    assert!(detail.starts_with("(permanent)"), "{stdout}");
    assert_eq!(row(&stdout, "load").0, "skipped");
    assert_eq!(row(&stdout, "cleanup").0, "succeeded");
    assert_eq!(row(&stdout, "alert").0, "succeeded");
    assert_eq!(row(&stdout, "all_failed").0, "succeeded");

    let allowed = spec.replace("retries: {max: 3}}", "retries: {max: 3}, allow_failure: true}");
    let done = run_spec(tmp.path(), "allowed", &allowed, &super::no_connections(tmp.path()));
    assert!(done.status.success(), "an allowed failure does not fail the run: {}", text(&done));
}

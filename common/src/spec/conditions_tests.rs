//! Conditions, wait policies, trigger rules and inferred dependencies, as a spec writes
//! them and validation judges them.

use crate::spec::{SpecFormat, SpecProblem, TaskBody, TriggerRule, ValidationContext, load};
use crate::conditions::{Condition, OnTimeout};

fn ctx() -> ValidationContext {
    ValidationContext { connections: ["warehouse".to_string()].into_iter().collect(), ..ValidationContext::default() }
}

fn problems(yaml: &str) -> Vec<SpecProblem> {
    load(yaml, SpecFormat::Yaml, &ctx()).expect_err("spec should be refused")
}

fn has(problems: &[SpecProblem], path: &str, needle: &str) -> bool {
    problems.iter().any(|p| p.path == path && p.message.contains(needle))
}

#[test]
fn the_issue_example_parses() {
    let spec = load(
        r#"
name: gated
tasks:
  - id: load
    kind: copy
    source: s3://landing/2026-12-01/
    destination: /backup/landing/
    pre:
      - exists: s3://landing/2026-12-01/_SUCCESS
      - min_files: {url: s3://landing/2026-12-01/, count: 24}
      - min_size: {url: s3://landing/2026-12-01/big.csv, bytes: 1MiB}
      - table_exists: {connection: warehouse, table: public.orders}
      - query: {connection: warehouse, sql: "select count(*) >= 1000 from orders where day = current_date"}
    wait: {poke: 30s, timeout: 6h, on_timeout: skip}
    post:
      - consistent: {mode: checksum}
      - min_files: {url: /backup/landing/, count: 24}
    trigger_rule: all_done
    allow_failure: true
  - id: sensor
    kind: wait
    until: [{exists: "s3://landing/x/_SUCCESS"}]
"#,
        SpecFormat::Yaml,
        &ctx(),
    )
    .expect("valid");
    let load = &spec.tasks[0];
    assert_eq!(load.pre.len(), 5);
    assert!(matches!(&load.pre[2], Condition::MinSize(m) if m.bytes.0 == 1 << 20));
    let wait = load.wait.unwrap();
    assert_eq!((wait.poke.0.as_secs(), wait.timeout.0.as_secs(), wait.on_timeout), (30, 6 * 3600, OnTimeout::Skip));
    assert_eq!(load.trigger_rule, TriggerRule::AllDone);
    assert!(load.allow_failure);
    assert!(matches!(&spec.tasks[1].body, TaskBody::Wait(w) if w.until.len() == 1));
    assert_eq!(spec.tasks[1].gate().len(), 1);
    // It survives the trip through the stored JSON unchanged.
    let again = crate::spec::parse_value(serde_json::to_value(&spec).unwrap()).unwrap();
    assert_eq!(spec, again);
}

#[test]
fn every_bad_new_field_is_reported_at_once() {
    let p = problems(
        r#"
name: bad
tasks:
  - id: a
    kind: noop
    pre: [{exist: /data/x}, {query: {sql: "select 1"}}]
    trigger_rule: all_sucess
  - {id: c, kind: wait, until: []}
"#,
    );
    // Structural mistakes in conditions and policies come together, and with the
    // meaning problems of the tasks that did parse.
    assert!(has(&p, "tasks[0].pre[0]", "unknown variant `exist`"), "{p:#?}");
    assert!(has(&p, "tasks[0].pre[1].query", "missing field `connection`"), "{p:#?}");
    assert!(has(&p, "tasks[0].trigger_rule", "unknown variant `all_sucess`"), "{p:#?}");
    assert!(has(&p, "tasks[1].until", "at least one condition"), "{p:#?}");
    let p = problems(
        r#"
name: bad
tasks:
  - id: a
    kind: noop
    pre:
      - table_exists: {connection: nowhere, table: "a b"}
      - consistent: {}
      - min_files: {url: /data/, count: 0}
    wait: {poke: 2h, timeout: 1h}
  - id: b
    kind: noop
    post: [{consistent: {mode: checksum}}]
    wait: {poke: 1s}
  - id: c
    kind: wait
    until: []
"#,
    );
    assert!(has(&p, "tasks[0].pre[0].table_exists.connection", "no connection named `nowhere`"), "{p:#?}");
    assert!(has(&p, "tasks[0].pre[0].table_exists.table", "not a table name"), "{p:#?}");
    assert!(has(&p, "tasks[0].pre[1].consistent", "use it under `post`"), "{p:#?}");
    assert!(has(&p, "tasks[0].pre[2].min_files.count", "at least 1"), "{p:#?}");
    assert!(has(&p, "tasks[0].wait.poke", "longer than timeout"), "{p:#?}");
    assert!(has(&p, "tasks[1].post[0].consistent", "not a copy"), "{p:#?}");
    assert!(has(&p, "tasks[1].wait", "has none"), "{p:#?}");
    assert!(has(&p, "tasks[2].until", "at least one condition"), "{p:#?}");
}

#[test]
fn a_reader_of_what_another_task_writes_depends_on_it() {
    let spec = load(
        r#"
name: lineage
tasks:
  - {id: verify, kind: check, source: /landing/, target: s3://lake/raw/}
  - {id: ingest, kind: copy, source: /landing/, destination: s3://lake/raw/}
  - {id: publish, kind: copy, source: s3://lake/raw/2026/, destination: /out/}
  - {id: gate, kind: wait, until: [{exists: /out/_SUCCESS}]}
  - {id: alone, kind: copy, source: /elsewhere/, destination: /other/, depends_on: [], infer: false}
"#,
        SpecFormat::Yaml,
        &ctx(),
    )
    .expect("valid");
    let g = spec.graph();
    let inferred: Vec<(&str, &str)> = g.edges.iter().filter(|e| e.inferred).map(|e| (e.from.as_str(), e.to.as_str())).collect();
    assert_eq!(inferred, vec![("ingest", "verify"), ("ingest", "publish"), ("publish", "gate")]);
    assert_eq!(spec.dependencies()[0], vec!["ingest".to_string()]);
    assert!(spec.dependencies()[4].is_empty());
}

#[test]
fn a_cycle_made_by_inference_names_the_tasks_and_the_location() {
    let p = problems(
        r#"
name: loop
tasks:
  - {id: there, kind: copy, source: /a/, destination: /b/}
  - {id: back, kind: copy, source: /b/, destination: /a/}
"#,
    );
    let cycle = p.iter().find(|x| x.message.contains("dependency cycle")).expect("a cycle");
    assert!(cycle.message.contains("there") && cycle.message.contains("back"), "{cycle}");
    assert!(cycle.message.contains("inferred from locations") && cycle.message.contains("/a/"), "{cycle}");
    // Turning inference off on one side breaks it.
    load(
        "name: loop\ntasks:\n  - {id: there, kind: copy, source: /a/, destination: /b/}\n  - {id: back, kind: copy, source: /b/, destination: /a/, infer: false}\n",
        SpecFormat::Yaml,
        &ctx(),
    )
    .expect("no cycle without inference");
}

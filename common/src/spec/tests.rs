use super::*;

fn problems(yaml: &str) -> Vec<SpecProblem> {
    load(yaml, SpecFormat::Yaml, &ValidationContext::default()).expect_err("spec should be refused")
}

fn has(problems: &[SpecProblem], path: &str, needle: &str) -> bool {
    problems.iter().any(|p| p.path == path && p.message.contains(needle))
}

#[test]
fn a_valid_spec_parses_with_defaults() {
    let spec = load(
        r#"
name: mirror
tasks:
  - id: copy
    kind: copy
    source: file:///data/in/
    destination: file:///data/out/
    include: ["**/*.csv"]
  - id: verify
    kind: check
    depends_on: [copy]
    source: file:///data/in/
    target: {url: "file:///data/out/"}
"#,
        SpecFormat::Yaml,
        &ValidationContext::default(),
    )
    .expect("valid");
    assert_eq!(spec.tasks.len(), 2);
    let TaskBody::Copy(copy) = &spec.tasks[0].body else { panic!("copy") };
    assert_eq!(copy.destinations, vec![Location::url("file:///data/out/").into()]);
    assert_eq!(copy.overwrite, Overwrite::Skip);
    let TaskBody::Check(check) = &spec.tasks[1].body else { panic!("check") };
    assert_eq!(check.mode, CheckMode::Size);
    assert_eq!(spec.defaults.retries.max, 0);
}

#[test]
fn json_and_yaml_share_one_schema() {
    let json = r#"{"name":"n","tasks":[{"id":"a","kind":"noop"}]}"#;
    let a = load(json, SpecFormat::Json, &ValidationContext::default()).unwrap();
    let b = load(json, SpecFormat::Yaml, &ValidationContext::default()).unwrap();
    assert_eq!(a, b);
    // and a spec survives a round trip through JSON unchanged
    let again = parse_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(a, again);
}

#[test]
fn every_unknown_field_and_kind_is_listed() {
    let p = problems(
        r#"
name: x
colour: blue
tasks:
  - {id: a, kind: teleport}
  - {id: b, kind: noop, speed: 3, depends_on: [a], size: 2}
"#,
    );
    assert!(has(&p, "colour", "unknown field `colour`"), "{p:?}");
    assert!(has(&p, "tasks[0].kind", "unknown kind `teleport`"), "{p:?}");
    let known = format!("known kinds: {}", crate::kinds::KIND_NAMES.join(", "));
    assert!(has(&p, "tasks[0].kind", &known), "{p:?}");
    assert!(has(&p, "tasks[1].speed", "unknown field"), "{p:?}");
    assert!(has(&p, "tasks[1].size", "unknown field"), "{p:?}");
}

#[test]
fn wrong_types_name_their_path() {
    let p = problems("name: x\ntasks:\n  - {id: a, kind: copy, source: file:///a/, destinations: [file:///b/], overwrite: sometimes}\n");
    assert!(p.iter().any(|x| x.path.starts_with("tasks[0].overwrite") && x.message.contains("sometimes")), "{p:?}");
}

#[test]
fn duplicate_ids_and_dangling_dependencies() {
    let p = problems(
        "name: x\ntasks:\n  - {id: a, kind: noop}\n  - {id: a, kind: noop}\n  - {id: c, kind: noop, depends_on: [ghost]}\n",
    );
    assert!(has(&p, "tasks[1].id", "duplicate task id `a`"), "{p:?}");
    assert!(has(&p, "tasks[2].depends_on[0]", "unknown task `ghost`"), "{p:?}");
}

#[test]
fn a_cycle_is_named() {
    let p = problems(
        "name: x\ntasks:\n  - {id: a, kind: noop, depends_on: [c]}\n  - {id: b, kind: noop, depends_on: [a]}\n  - {id: c, kind: noop, depends_on: [b]}\n",
    );
    let cycle = p.iter().find(|x| x.message.contains("cycle")).expect("cycle problem");
    for id in ["a", "b", "c"] {
        assert!(cycle.message.contains(id), "{cycle:?}");
    }
}

#[test]
fn bad_urls_and_schemes() {
    let p = problems(
        "name: x\ntasks:\n  - {id: a, kind: copy, source: 'ftp://h/x', destinations: ['not a url', 'file:///a/../b']}\n",
    );
    assert!(has(&p, "tasks[0].source", "scheme `ftp`"), "{p:?}");
    assert!(has(&p, "tasks[0].destinations[0]", "relative path"), "{p:?}");
    assert!(has(&p, "tasks[0].destinations[1]", "escape"), "{p:?}");
}

#[test]
fn empty_tasks_and_missing_fields() {
    assert!(has(&problems("name: x\ntasks: []\n"), "tasks", "at least one task"));
    let p = problems("tasks:\n  - {kind: noop}\n");
    assert!(has(&p, "$", "missing required field `name`"), "{p:?}");
    assert!(has(&p, "tasks[0]", "missing required field `id`"), "{p:?}");
}

#[test]
fn missing_connection_is_refused() {
    let p = problems("name: x\ntasks:\n  - {id: a, kind: copy, source: {url: 's3://b/k/', connection: prod}, destinations: [file:///tmp/x/]}\n");
    assert!(has(&p, "tasks[0].source.connection", "no connection named `prod`"), "{p:?}");
}

#[test]
fn malformed_documents() {
    assert!(has(&problems("name: [unclosed"), "$", "not valid YAML"));
    assert!(has(&problems("- just\n- a list\n"), "$", "must be a mapping"));
    let p = load("{", SpecFormat::Json, &ValidationContext::default()).unwrap_err();
    assert!(has(&p, "$", "not valid JSON"));
}

#[test]
fn field_lists_match_the_types() {
    // Every field the typed structs write must be one the structural pass accepts.
    let spec = load(
        "name: x\ndefaults: {timeout: 1h, max_lost: 2}\nschedule: {cron: '0 0 2 * * *', timezone: Europe/Berlin, catchup: all, overlap: buffer_one, jitter: 30s, start_at: '2026-12-01T00:00:00Z'}\ntasks:\n  - {id: a, kind: copy, source: file:///a/, destinations: [file:///b/], include: ['*'], exclude: ['*'], retries: {max: 1}, timeout: 5s, depends_on: [c], pre: [{exists: file:///a/_SUCCESS}], wait: {poke: 1s, timeout: 1m, on_timeout: skip}, post: [{consistent: {mode: checksum}}], trigger_rule: all_done, allow_failure: true, max_lost: 1}\n  - {id: b, kind: check, source: file:///a/, target: file:///b/, include: ['*'], exclude: ['*'], on_inconsistent: report}\n  - {id: c, kind: noop, infer: false}\n  - {id: d, kind: wait, until: [{min_files: {url: file:///a/, count: 2}}]}\n",
        SpecFormat::Yaml,
        &ValidationContext::default(),
    )
    .unwrap();
    let value = serde_json::to_value(&spec).unwrap();
    parse_value(value).expect("serialized spec must re-parse without unknown fields");
}

#[test]
fn retry_delays_grow_and_cap() {
    let p = RetryPolicy { max: 5, initial: HumanDuration::from_secs(2), max_delay: HumanDuration::from_secs(10), ..Default::default() };
    let secs: Vec<u64> = (1..=5).map(|r| p.delay(r).as_secs()).collect();
    assert_eq!(secs, vec![2, 4, 8, 10, 10]);
}

#[test]
fn mirror_fields_parse_and_max_delete_needs_delete_extraneous() {
    let spec = parse_spec(
        "name: m\ntasks:\n  - {id: a, kind: copy, source: file:///a/, destination: file:///b/, delete_extraneous: true, max_delete: 5%}\n",
        SpecFormat::Yaml,
    )
    .expect("valid");
    let TaskBody::Copy(copy) = &spec.tasks[0].body else { panic!() };
    assert!(copy.delete_extraneous);
    assert_eq!(copy.max_delete, Some(MaxDelete::Percent(5.0)));

    let p = problems("name: m\ntasks:\n  - {id: a, kind: copy, source: file:///a/, destination: file:///b/, max_delete: 3}\n");
    assert!(p.iter().any(|x| x.path == "tasks[0].max_delete" && x.message.contains("delete_extraneous")), "{p:?}");
    let p = problems("name: m\ntasks:\n  - {id: a, kind: copy, source: file:///a/, destination: file:///b/, delete_extraneous: true, max_delete: lots}\n");
    assert!(p.iter().any(|x| x.path.starts_with("tasks[0].max_delete") && x.message.contains("lots")), "{p:?}");
}

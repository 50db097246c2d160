use super::*;
use crate::triggers::TriggerKind;
use chrono::TimeZone;
use serde_json::json;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[test]
fn logical_date_is_in_the_firing_schedules_zone() {
    let doc = json!({
        "name": "x",
        "schedules": [{"cron": "0 0 * * *"}, {"cron": "0 0 * * *", "timezone": "Asia/Tokyo"}],
        "tasks": [{"id": "a", "kind": "copy", "source": "s3://in/{{ logical_date }}/", "destinations": ["s3://out/{{logical_time}}"]}]
    });
    // 20:00 UTC on the 2nd is already the 3rd in Tokyo.
    let t = RunTrigger { kind: TriggerKind::Schedule, logical_time: at(2026, 12, 2, 20), detail: Some(json!({"schedule": 1})) };
    let run = render_for_run(&doc, &t).unwrap();
    assert_eq!(run["tasks"][0]["source"], "s3://in/2026-12-03/");
    assert_eq!(run["tasks"][0]["destinations"][0], "s3://out/2026-12-02T20:00:00Z");
    let utc = RunTrigger { detail: Some(json!({"schedule": 0})), ..t };
    assert_eq!(render_for_run(&doc, &utc).unwrap()["tasks"][0]["source"], "s3://in/2026-12-02/");
    assert_eq!(run["schedules"], doc["schedules"], "schedules are not expanded");
}

#[test]
fn trigger_values_come_from_the_detail_and_lists_stay_lists() {
    let doc = json!({"name": "x", "triggers": [{"webhook": {}}, {"file_arrival": {"url": "file:///in/"}}],
        "tasks": [{"id": "a", "kind": "noop", "x": "{{ trigger.payload.order.id }}-{{trigger.path}}", "all": "{{ trigger.paths }}"}]});
    assert!(check(&doc).is_empty(), "{:?}", check(&doc));
    let t = RunTrigger {
        kind: TriggerKind::Webhook,
        logical_time: at(2026, 1, 1, 0),
        detail: Some(json!({"payload": {"order": {"id": 42}}, "path": "in/a.csv", "paths": ["in/a.csv", "in/b.csv"]})),
    };
    let run = render_for_run(&doc, &t).unwrap();
    assert_eq!(run["tasks"][0]["x"], "42-in/a.csv");
    assert_eq!(run["tasks"][0]["all"], json!(["in/a.csv", "in/b.csv"]));
    let missing = RunTrigger { detail: Some(json!({"payload": {}, "path": "p", "paths": []})), ..t };
    let err = render_for_run(&doc, &missing).unwrap_err();
    assert_eq!(err.path, "tasks[0].x");
    assert!(err.message.contains("trigger.payload.order.id"), "{err}");
}

#[test]
fn unknown_and_unprovided_variables_are_named_at_their_field() {
    let doc = json!({"name": "{{ logical_date }}", "tasks": [
        {"id": "a", "kind": "noop", "x": "{{ logical_dat }}", "y": "{{ trigger.path }}", "z": "{{ oops", "w": "{{ a b }}"}
    ]});
    let problems: Vec<(String, String)> = check(&doc).into_iter().map(|p| (p.path, p.message)).collect();
    let at = |path: &str| problems.iter().find(|(p, _)| p == path).map(|(_, m)| m.clone()).unwrap_or_default();
    assert!(at("name").contains("not expanded"), "{problems:?}");
    assert!(at("tasks[0].x").contains("unknown variable"), "{problems:?}");
    assert!(at("tasks[0].y").contains("file_arrival"), "{problems:?}");
    assert!(at("tasks[0].z").contains("closing"), "{problems:?}");
    assert!(at("tasks[0].w").contains("not a variable name"), "{problems:?}");
}

#[test]
fn a_specs_run_variables_are_listed_once_in_order() {
    let doc = json!({"name": "{{ ignored }}", "tasks": [
        {"id": "a", "source": "s3://b/{{ logical_date }}/{{ trigger.payload.day }}"},
        {"id": "b", "destination": "/x/{{ trigger.payload.day }}/{{logical_time}}"}
    ]});
    assert_eq!(run_variables(&doc), vec!["logical_date", "trigger.payload.day", "logical_time"]);
}

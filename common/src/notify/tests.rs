use super::*;
use chrono::{TimeZone, Utc};

fn rule(on: &[&str], channels: &[&str]) -> NotifyRule {
    NotifyRule { on: on.iter().map(|s| s.to_string()).collect(), channels: channels.iter().map(|s| s.to_string()).collect() }
}

#[test]
fn a_rule_names_known_events_and_existing_channels() {
    let known: BTreeSet<String> = ["ops".to_string()].into();
    let mut problems = Vec::new();
    check_rules(&[rule(&["run.failed", "run.faild"], &["ops", "pager"])], Some(&known), &mut problems);
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].starts_with("notify[0].on[1]: unknown event `run.faild`"), "{shown:?}");
    assert!(shown[1].starts_with("notify[0].channels[1]: unknown channel `pager`"), "{shown:?}");
    problems.clear();
    check_rules(&[rule(&["channel.test"], &["x"])], None, &mut problems);
    assert_eq!(problems.len(), 1, "the test event is not a rule's to ask for");
}

#[test]
fn every_event_name_round_trips() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
    }
    assert_eq!(EventKind::parse_stored("channel.test"), Some(EventKind::ChannelTest));
}

#[test]
fn finish_by_is_the_first_such_local_time_after_the_slot() {
    let f = FinishBy { time: "06:00".into(), timezone: "Europe/Amsterdam".into() };
    // 02:30 Amsterdam (01:30 UTC in winter) must be done by 06:00 the same morning.
    let slot = Utc.with_ymd_and_hms(2026, 12, 3, 1, 30, 0).unwrap();
    assert_eq!(f.deadline_after(slot), Some(Utc.with_ymd_and_hms(2026, 12, 3, 5, 0, 0).unwrap()));
    // 23:00 Amsterdam: 06:00 the next day.
    let late = Utc.with_ymd_and_hms(2026, 12, 3, 22, 0, 0).unwrap();
    assert_eq!(f.deadline_after(late), Some(Utc.with_ymd_and_hms(2026, 12, 4, 5, 0, 0).unwrap()));
    // 02:30 on the spring-forward night does not exist: the moment after the jump.
    let g = FinishBy { time: "02:30".into(), timezone: "Europe/Amsterdam".into() };
    let night = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
    assert_eq!(g.deadline_after(night), Some(Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()));
}

#[test]
fn bad_alert_settings_are_named() {
    let spec: AlertSpec = serde_json::from_value(serde_json::json!({
        "stuck_after": "0s", "finish_by": {"time": "25:00", "timezone": "Mars/Olympus"}
    }))
    .unwrap();
    let mut problems = Vec::new();
    spec.check(&mut problems);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["alerts.stuck_after", "alerts.finish_by.time", "alerts.finish_by.timezone"]);
    assert_eq!(spec.repeat(), AlertSpec::DEFAULT_REPEAT);
}

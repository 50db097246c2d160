//! Schedule maths on an injected clock: crontab translation, windows, and daylight
//! saving both ways in two zones.

use super::*;
use chrono::TimeZone;

fn spec(cron: &str, tz: &str) -> CompiledSchedule {
    ScheduleSpec { cron: cron.into(), timezone: tz.into(), catchup: Catchup::Latest, overlap: Overlap::Skip, jitter: None, start_at: None, end_at: None }
        .compile()
        .unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn crontab_lines_are_translated_with_crontabs_day_numbers() {
    assert_eq!(to_cron_crate("30 2 * * 1-5").unwrap(), "0 30 2 * * 2-6");
    assert_eq!(to_cron_crate("0 0 * * 0").unwrap(), "0 0 0 * * 1");
    assert_eq!(to_cron_crate("0 0 * * 7").unwrap(), "0 0 0 * * 1");
    assert_eq!(to_cron_crate("0 0 * * 5-7").unwrap(), "0 0 0 * * 6-7,1");
    assert_eq!(to_cron_crate("*/5 * * * *").unwrap(), "0 */5 * * * *");
    assert_eq!(to_cron_crate("0 30 2 * * Mon-Fri").unwrap(), "0 30 2 * * Mon-Fri");
    assert!(to_cron_crate("* * *").unwrap_err().contains("3 fields"));
    // Monday to Friday fire on weekdays only: 2026-12-05 is a Saturday.
    let s = spec("30 2 * * 1-5", "UTC");
    assert_eq!(s.next_after(utc(2026, 12, 4, 3, 0)), Some(utc(2026, 12, 7, 2, 30)));
}

#[test]
fn a_slot_in_the_spring_gap_fires_once_when_the_clocks_jump() {
    // Europe/Amsterdam: 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC).
    let s = spec("0 30 2 * * *", "Europe/Amsterdam");
    let slots = s.slots_between(utc(2026, 3, 27, 12, 0), utc(2026, 3, 30, 12, 0));
    assert_eq!(slots, vec![utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]);
    // America/New_York: 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC); two slots in the gap fire once.
    let s = spec("0 0,30 2 * * *", "America/New_York");
    let slots = s.slots_between(utc(2026, 3, 8, 0, 0), utc(2026, 3, 8, 12, 0));
    assert_eq!(slots, vec![utc(2026, 3, 8, 7, 0)]);
}

#[test]
fn a_slot_that_exists_twice_in_the_autumn_fires_once_the_first_time() {
    // Europe/Amsterdam: 2026-10-25 03:00 CEST → 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    let s = spec("0 30 2 * * *", "Europe/Amsterdam");
    let slots = s.slots_between(utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0));
    assert_eq!(slots, vec![utc(2026, 10, 25, 0, 30)]);
    // America/New_York: 2026-11-01 02:00 EDT → 01:00 EST; 01:30 happens at 05:30 and 06:30 UTC.
    let s = spec("0 30 1 * * *", "America/New_York");
    let slots = s.slots_between(utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 12, 0));
    assert_eq!(slots, vec![utc(2026, 11, 1, 5, 30)]);
}

#[test]
fn the_window_bounds_the_slots_and_bad_schedules_name_their_field() {
    let mut s = ScheduleSpec {
        cron: "0 0 * * * *".into(),
        timezone: "UTC".into(),
        catchup: Catchup::Latest,
        overlap: Overlap::Skip,
        jitter: None,
        start_at: Some(utc(2026, 12, 1, 5, 0)),
        end_at: Some(utc(2026, 12, 1, 8, 0)),
    };
    let c = s.compile().unwrap();
    assert_eq!(c.upcoming(utc(2026, 11, 30, 0, 0), 10), vec![utc(2026, 12, 1, 5, 0), utc(2026, 12, 1, 6, 0), utc(2026, 12, 1, 7, 0)]);
    s.end_at = Some(utc(2026, 12, 1, 4, 0));
    s.timezone = "Mars/Olympus".into();
    s.cron = "61 * * * *".into();
    let problems = s.compile().unwrap_err();
    let fields: Vec<&str> = problems.iter().map(ScheduleProblem::field).collect();
    assert_eq!(fields, vec!["cron", "timezone", "end_at"], "every problem at once");
    assert!(problems[1].message().contains("Mars/Olympus"));
}

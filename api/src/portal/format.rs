//! How numbers, times and states read on a page.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

/// `1.5 GiB`, `12 KiB`, `512 B`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// `3 s`, `4 min 10 s`, `2 h 5 min`.
pub(crate) fn seconds(s: u64) -> String {
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A time as UTC, to the second, in a `<time>` element machines can read.
pub(crate) fn time(at: &DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

/// An optional time, or a dash.
pub(crate) fn maybe_time(at: Option<&DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { "–" },
    }
}

/// A state as a coloured word (the colour is the state's class in the stylesheet; the
/// word itself carries the meaning).
pub(crate) fn state(name: &str) -> Markup {
    html! { span class={ "state state-" (name) } { (name) } }
}

/// A short form of an id for tables (the full id is in the link and the title).
pub(crate) fn short_id(id: &uuid::Uuid) -> String {
    id.to_string()[..8].to_owned()
}

/// Average rate since `started` and the time left at that rate, for a progress row.
pub(crate) fn rate_and_eta(done: u64, total: u64, started: Option<&DateTime<Utc>>, now: DateTime<Utc>) -> (Option<u64>, Option<u64>) {
    let Some(started) = started else { return (None, None) };
    let elapsed = (now - *started).num_milliseconds();
    if elapsed <= 0 || done == 0 {
        return (None, None);
    }
    let rate = (done as f64 * 1000.0 / elapsed as f64) as u64;
    let eta = (rate > 0 && total >= done).then(|| (total - done).div_ceil(rate));
    (Some(rate), eta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(seconds(250), "4 min 10 s");
        assert_eq!(seconds(7500), "2 h 5 min");
    }

    #[test]
    fn the_rate_is_the_average_since_the_start() {
        let now = Utc::now();
        let started = now - chrono::Duration::seconds(10);
        assert_eq!(rate_and_eta(1000, 3000, Some(&started), now), (Some(100), Some(20)));
        assert_eq!(rate_and_eta(0, 3000, Some(&started), now), (None, None));
    }
}

//! One run as the run page shows it and as its live stream updates it: the same figures,
//! computed once here, so the first paint and every update agree.

use super::format::{bytes, seconds, rate_and_eta};
use crate::dto::{Run, Task};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Serialize;

/// A task's progress bars and figures, already in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TaskLine {
    pub(crate) key: String,
    pub(crate) state: &'static str,
    pub(crate) files: Bar,
    pub(crate) bytes: Bar,
    pub(crate) rate: String,
    pub(crate) eta: String,
    pub(crate) attempt: u32,
    pub(crate) error: Option<String>,
}

/// A `<progress>` element's value and maximum, and the text beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Bar {
    pub(crate) value: u64,
    pub(crate) max: u64,
    pub(crate) text: String,
}

/// What the live stream sends: the run's state and totals, and every task's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LiveView {
    pub(crate) state: &'static str,
    pub(crate) finished: bool,
    pub(crate) error: Option<String>,
    pub(crate) totals: Bar,
    pub(crate) totals_text: String,
    pub(crate) tasks: Vec<TaskLine>,
}

/// A bar of `done` of `total`; a task that counts nothing shows full once it succeeded.
fn bar(done: u64, total: u64, succeeded: bool, text: impl Fn(u64) -> String) -> Bar {
    if total == 0 {
        return Bar { value: u64::from(succeeded), max: 1, text: "–".into() };
    }
    Bar { value: done.min(total), max: total, text: format!("{} of {}", text(done), text(total)) }
}

/// A bar counting files (`3 of 10 files`).
fn files_bar(done: u64, total: u64, succeeded: bool) -> Bar {
    let mut b = bar(done, total, succeeded, |n| n.to_string());
    if total > 0 {
        b.text.push_str(" files");
    }
    b
}

/// A task's line at `now`.
pub(crate) fn task_line(t: &Task, now: DateTime<Utc>) -> TaskLine {
    let p = &t.progress;
    let done = t.state == ferry_common::state::TaskState::Succeeded;
    let running = t.state == ferry_common::state::TaskState::Running;
    let (rate, eta) = if running { rate_and_eta(p.bytes_done, p.bytes_total, t.started_at.as_ref(), now) } else { (None, None) };
    TaskLine {
        key: t.key.clone(),
        state: t.state.as_str(),
        files: files_bar(p.files_done, p.files_total, done),
        bytes: bar(p.bytes_done, p.bytes_total, done, bytes),
        rate: rate.map_or_else(|| "–".into(), |r| format!("{}/s", bytes(r))),
        eta: eta.map_or_else(|| "–".into(), seconds),
        attempt: t.attempt,
        error: t.error.clone(),
    }
}

/// The whole run at `now`.
pub(crate) fn live_view(run: &Run, tasks: &[Task], now: DateTime<Utc>) -> LiveView {
    let p = &run.progress;
    let succeeded = run.state == ferry_common::state::RunState::Succeeded;
    let mut totals_text = format!("{} of {} tasks succeeded", p.tasks_succeeded, p.tasks_total);
    if p.tasks_failed > 0 {
        totals_text.push_str(&format!(", {} failed", p.tasks_failed));
    }
    if p.bytes_total > 0 {
        totals_text.push_str(&format!("; {} of {} files, {} of {}", p.files_done, p.files_total, bytes(p.bytes_done), bytes(p.bytes_total)));
    }
    if let Some(r) = p.bytes_per_sec.filter(|_| !run.state.is_terminal()) {
        totals_text.push_str(&format!("; {}/s", bytes(r)));
    }
    if let Some(e) = p.eta_seconds.filter(|_| !run.state.is_terminal()) {
        totals_text.push_str(&format!(", about {} left", seconds(e)));
    }
    let totals = if p.bytes_total > 0 { bar(p.bytes_done, p.bytes_total, succeeded, bytes) } else { bar(p.tasks_succeeded, p.tasks_total, succeeded, |n| format!("{n} tasks")) };
    LiveView {
        state: run.state.as_str(),
        finished: run.state.is_terminal(),
        error: run.error.clone(),
        totals,
        totals_text,
        tasks: tasks.iter().map(|t| task_line(t, now)).collect(),
    }
}

/// The task table's rows (ids link to the task pages).
pub(crate) fn task_rows(tasks: &[Task], view: &LiveView) -> Markup {
    html! {
        @for (t, line) in tasks.iter().zip(&view.tasks) {
            tr data-task=(line.key) {
                th scope="row" { a href={ "/tasks/" (t.id) } { (line.key) } }
                td { (t.kind) }
                td.task-state { (super::format::state(line.state)) }
                td { (progress_cell("files", &line.files, &line.key)) }
                td { (progress_cell("bytes", &line.bytes, &line.key)) }
                td.rate { (line.rate) }
                td.eta { (line.eta) }
                td.attempt { (line.attempt) }
            }
        }
    }
}

fn progress_cell(class: &str, bar: &Bar, key: &str) -> Markup {
    html! {
        progress class=(class) value=(bar.value) max=(bar.max) aria-label={ (key) " " (class) } {}
        span class={ (class) "-text" } { (bar.text) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_of_nothing_is_full_only_when_done() {
        assert_eq!(bar(0, 0, true, |n| n.to_string()).value, 1);
        assert_eq!(bar(0, 0, false, |n| n.to_string()).value, 0);
        let b = files_bar(5, 10, false);
        assert_eq!((b.value, b.max, b.text.as_str()), (5, 10, "5 of 10 files"));
    }
}

//! Schedules: when a recurring pipeline fires. This module is the spec side and the
//! schedule maths (pure, on an injected clock): parsing cron in the cron crate's
//! 6-field syntax or a 5-field crontab line, time zones, daylight-saving rules and the
//! window. Firing — the ledger, catch-up and overlap — belongs to the orchestrator.
//!
//! Daylight saving, the rule users can rely on: slots are computed in the schedule's
//! local time. A slot that does not exist (clocks jump forward over it) fires once, at the
//! first valid local minute after it — the moment the clocks jump; two slots that fall
//! into the same gap fire once together. A slot that exists twice (clocks fall back)
//! fires once, at its first occurrence.

mod crontab;

pub use crontab::to_cron_crate;

use crate::values::HumanDuration;
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

/// `schedule:` on a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// The cron crate's syntax (seconds first, 6 or 7 fields), or a 5-field crontab line
    /// with crontab's meaning (day of week 0 or 7 = Sunday).
    pub cron: String,
    /// An IANA time zone name (default `UTC`).
    #[serde(default = "utc")]
    pub timezone: String,
    /// What happens to slots missed while Ferry was down or the pipeline paused.
    #[serde(default)]
    pub catchup: Catchup,
    /// What a slot does while an earlier run is still going.
    #[serde(default)]
    pub overlap: Overlap,
    /// A random delay of up to this much per firing, to spread load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub jitter: Option<HumanDuration>,
    /// No slot before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<DateTime<Utc>>,
    /// No slot at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_at: Option<DateTime<Utc>>,
}

fn utc() -> String {
    "UTC".to_string()
}

/// Missed slots: `none` fires none of them, `latest` the most recent, `all` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Catchup {
    None,
    #[default]
    Latest,
    All,
}

/// A slot while a run of the pipeline is still going (Temporal's overlap policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    #[default]
    Skip,
    BufferOne,
    BufferAll,
    Allow,
    CancelPrevious,
}

impl Overlap {
    /// Every policy.
    pub const ALL: [Overlap; 5] = [Overlap::Skip, Overlap::BufferOne, Overlap::BufferAll, Overlap::Allow, Overlap::CancelPrevious];

    /// The spec and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::BufferOne => "buffer_one",
            Overlap::BufferAll => "buffer_all",
            Overlap::Allow => "allow",
            Overlap::CancelPrevious => "cancel_previous",
        }
    }

    /// The policy named `name`, if any.
    pub fn parse(name: &str) -> Option<Overlap> {
        Overlap::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// A schedule checked and ready to compute slots.
#[derive(Debug, Clone)]
pub struct CompiledSchedule {
    cron: cron::Schedule,
    tz: Tz,
    start_at: Option<DateTime<Utc>>,
    end_at: Option<DateTime<Utc>>,
}

impl ScheduleSpec {
    /// Parses the expression and the time zone and checks the window; every problem is
    /// listed, each naming its field.
    pub fn compile(&self) -> Result<CompiledSchedule, Vec<ScheduleProblem>> {
        let mut problems = Vec::new();
        let cron = to_cron_crate(&self.cron)
            .and_then(|expr| cron::Schedule::from_str(&expr).map_err(|e| format!("`{}` is not a cron expression ({e})", self.cron)))
            .map_err(|e| problems.push(ScheduleProblem::Cron(e)))
            .ok();
        let tz = Tz::from_str(&self.timezone)
            .map_err(|_| {
                problems.push(ScheduleProblem::Timezone(format!(
                    "`{}` is not an IANA time zone (e.g. Europe/Amsterdam, UTC)",
                    self.timezone
                )))
            })
            .ok();
        if let (Some(s), Some(e)) = (self.start_at, self.end_at)
            && e <= s
        {
            problems.push(ScheduleProblem::Window(format!("end_at ({e}) is not after start_at ({s})")));
        }
        match (cron, tz) {
            (Some(cron), Some(tz)) if problems.is_empty() => Ok(CompiledSchedule { cron, tz, start_at: self.start_at, end_at: self.end_at }),
            _ => Err(problems),
        }
    }
}

/// What is wrong with a schedule, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleProblem {
    Cron(String),
    Timezone(String),
    Window(String),
}

impl ScheduleProblem {
    /// The field the problem is about.
    pub fn field(&self) -> &'static str {
        match self {
            ScheduleProblem::Cron(_) => "cron",
            ScheduleProblem::Timezone(_) => "timezone",
            ScheduleProblem::Window(_) => "end_at",
        }
    }

    /// The sentence.
    pub fn message(&self) -> &str {
        match self {
            ScheduleProblem::Cron(m) | ScheduleProblem::Timezone(m) | ScheduleProblem::Window(m) => m,
        }
    }
}

impl CompiledSchedule {
    /// The time zone slots are computed in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The same cron and zone with no window: where slots would fall outside it.
    pub fn without_window(&self) -> CompiledSchedule {
        CompiledSchedule { start_at: None, end_at: None, ..self.clone() }
    }

    /// The window's start, if any.
    pub fn start_at(&self) -> Option<DateTime<Utc>> {
        self.start_at
    }

    /// The window's end, if any.
    pub fn end_at(&self) -> Option<DateTime<Utc>> {
        self.end_at
    }

    /// The first slot strictly after `after`, within the window.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = match self.start_at {
            Some(s) if s > after => s - Duration::seconds(1),
            _ => after,
        };
        // Slots are local wall-clock times: walk them as naive times (through UTC, which
        // has no gaps), then place each on the time line by the DST rule.
        let local = from.with_timezone(&self.tz).naive_local();
        let mut last: Option<DateTime<Utc>> = None;
        for naive in self.cron.after(&local.and_utc()).take(10_000).map(|t| t.naive_utc()) {
            let instant = self.place(naive)?;
            if instant <= from || Some(instant) == last {
                last = Some(instant);
                continue;
            }
            if self.end_at.is_some_and(|e| instant >= e) {
                return None;
            }
            return Some(instant);
        }
        None
    }

    /// Every slot in `(after, until]`, in order.
    pub fn slots_between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut t = after;
        while let Some(next) = self.next_after(t) {
            if next > until {
                break;
            }
            out.push(next);
            t = next;
        }
        out
    }

    /// The next `n` slots after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            match self.next_after(t) {
                Some(next) => {
                    out.push(next);
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    /// A local wall-clock time on the time line: the first of two if it exists twice,
    /// the first valid minute after it if it does not exist.
    fn place(&self, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            // Clocks jump at a minute edge: the first valid local minute is the jump.
            LocalResult::None => (1..=24 * 60).find_map(|m| match self.tz.from_local_datetime(&(naive + Duration::minutes(m))) {
                LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
                LocalResult::None => None,
            }),
        }
    }
}

#[cfg(test)]
mod tests;

//! `alerts:` in a pipeline spec: when a run counts as stuck or late. The notifier reads
//! these from the stored spec and judges stored states against them, so the thresholds
//! hold even while no orchestrator runs.

use crate::problem::SpecProblem;
use crate::values::HumanDuration;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

/// Thresholds for the alerts a pipeline's runs raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    /// `run.stuck` when no task changed state and no byte moved for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "30m")]
    pub stuck_after: Option<HumanDuration>,
    /// `run.late` when a run has been going (queued or running) this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "2h")]
    pub max_duration: Option<HumanDuration>,
    /// `run.late` when a scheduled run is not done by this local time (the first such
    /// time after its logical time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_by: Option<FinishBy>,
    /// An ongoing condition (stuck, late) notifies again after this long while it lasts
    /// (default 1 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "1h")]
    pub repeat_after: Option<HumanDuration>,
}

impl AlertSpec {
    /// How often an ongoing condition repeats when `repeat_after` is not set.
    pub const DEFAULT_REPEAT: std::time::Duration = std::time::Duration::from_secs(3600);

    /// `repeat_after`, or the default.
    pub fn repeat(&self) -> std::time::Duration {
        self.repeat_after.map(|d| d.0).filter(|d| !d.is_zero()).unwrap_or(Self::DEFAULT_REPEAT)
    }

    /// Reports bad time zones, times and zero durations, at `alerts.*`.
    pub fn check(&self, problems: &mut Vec<SpecProblem>) {
        for (field, value) in [("stuck_after", self.stuck_after), ("max_duration", self.max_duration), ("repeat_after", self.repeat_after)] {
            if value.is_some_and(|d| d.0.is_zero()) {
                problems.push(SpecProblem::new(format!("alerts.{field}"), "must be longer than zero"));
            }
        }
        if let Some(f) = &self.finish_by {
            if let Err(e) = f.time() {
                problems.push(SpecProblem::new("alerts.finish_by.time", e));
            }
            if let Err(e) = f.tz() {
                problems.push(SpecProblem::new("alerts.finish_by.timezone", e));
            }
        }
    }
}

/// A local deadline: `{time: "06:00", timezone: Europe/Amsterdam}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBy {
    /// `HH:MM` (or `HH:MM:SS`), local time.
    #[schema(example = "06:00")]
    pub time: String,
    /// An IANA time zone; UTC when left out.
    #[serde(default = "FinishBy::utc")]
    #[schema(example = "Europe/Amsterdam")]
    pub timezone: String,
}

impl FinishBy {
    fn utc() -> String {
        "UTC".into()
    }

    fn time(&self) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(self.time.trim(), "%H:%M:%S"))
            .map_err(|_| format!("`{}` is not a time of day; write `HH:MM`, e.g. `06:00`", self.time))
    }

    fn tz(&self) -> Result<Tz, String> {
        Tz::from_str(self.timezone.trim()).map_err(|_| format!("`{}` is not an IANA time zone (e.g. `Europe/Amsterdam`)", self.timezone))
    }

    /// The first moment at or after `logical_time` whose local time is `time`: the run of
    /// the 02:30 slot must be done by 06:00 the same morning, the 23:00 slot's by 06:00
    /// the next. A local time a clock change skips is read an hour later (02:30 on the
    /// spring-forward night is 03:30).
    pub fn deadline_after(&self, logical_time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (time, tz) = (self.time().ok()?, self.tz().ok()?);
        let local = logical_time.with_timezone(&tz);
        (0..3).find_map(|days| {
            let date = local.date_naive() + Duration::days(days);
            let at = tz.from_local_datetime(&date.and_time(time)).earliest().or_else(|| {
                tz.from_local_datetime(&(date.and_time(time) + Duration::hours(1))).earliest()
            })?;
            let at = at.with_timezone(&Utc);
            (at >= logical_time).then_some(at)
        })
    }
}

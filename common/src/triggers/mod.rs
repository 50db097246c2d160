//! Triggers: what besides a schedule starts a pipeline's run — files arriving, another
//! pipeline's run ending, a dataset's freshness marker moving, a signed webhook — and
//! [`RunTrigger`], the record on every run of why it exists.

mod run_trigger;

pub use run_trigger::{RunTrigger, TriggerKind};

use crate::checks::KindCheck;
use crate::location::Location;
use crate::values::HumanDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One entry of a pipeline's `triggers:` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerSpec {
    /// New or changed objects under a prefix, once they have settled.
    FileArrival(FileArrival),
    /// A run of another pipeline of the tenant ending.
    Upstream(Upstream),
    /// A delivered dataset's freshness marker moving (deliveries).
    Fresh(Fresh),
    /// `POST /hooks/{pipeline_id}` with a signed body.
    Webhook(Webhook),
}

impl TriggerSpec {
    /// The kind of run this trigger starts.
    pub fn kind(&self) -> TriggerKind {
        match self {
            TriggerSpec::FileArrival(_) => TriggerKind::FileArrival,
            TriggerSpec::Upstream(_) => TriggerKind::Upstream,
            TriggerSpec::Fresh(_) => TriggerKind::Fresh,
            TriggerSpec::Webhook(_) => TriggerKind::Webhook,
        }
    }

    /// Checks the trigger's meaning; problems land under `check`'s path.
    pub fn validate(&self, check: &mut KindCheck<'_>) {
        match self {
            TriggerSpec::FileArrival(f) => {
                check.location(&f.location(), "file_arrival.url");
                check.globs(std::slice::from_ref(&f.pattern), "file_arrival.pattern");
                if f.poll.0.is_zero() {
                    check.problem("file_arrival.poll", "must be more than 0s");
                }
            }
            TriggerSpec::Upstream(u) if u.pipeline.trim().is_empty() => {
                check.problem("upstream.pipeline", "names no pipeline");
            }
            TriggerSpec::Fresh(f) if !crate::values::is_dataset_name(&f.dataset) => {
                check.problem("fresh.dataset", format!("`{}` is not a dataset name: 1 to 128 letters, digits, `-`, `_` or `.`", f.dataset));
            }
            TriggerSpec::Fresh(_) => {}
            TriggerSpec::Upstream(_) | TriggerSpec::Webhook(_) => {}
        }
    }
}

/// `file_arrival:` — objects under `url` matching `pattern`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileArrival {
    /// The prefix watched (any store Ferry copies from).
    pub url: String,
    /// A stored connection to reach it with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// A glob on the path below `url` (default `*`, every object; `**` crosses folders).
    #[serde(default = "any_object")]
    pub pattern: String,
    /// How often the prefix is listed (default 10s).
    #[serde(default = "ten_seconds")]
    #[schema(value_type = String)]
    pub poll: HumanDuration,
    /// How long an object must stay unchanged before it counts (default 30s).
    #[serde(default = "thirty_seconds")]
    #[schema(value_type = String)]
    pub settle: HumanDuration,
    /// One run per object, one per poll with the list, or one for the newest only.
    #[serde(default)]
    pub mode: ArrivalMode,
    /// Whether objects already there when the trigger is created or changed count.
    #[serde(default)]
    pub start: ArrivalStart,
}

impl FileArrival {
    /// The watched prefix as a location.
    pub fn location(&self) -> Location {
        Location { url: self.url.clone(), connection: self.connection.clone() }
    }
}

fn any_object() -> String {
    "**".to_string()
}
fn ten_seconds() -> HumanDuration {
    HumanDuration::from_secs(10)
}
fn thirty_seconds() -> HumanDuration {
    HumanDuration::from_secs(30)
}

/// How settled arrivals become runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalMode {
    /// One run per object.
    #[default]
    Each,
    /// One run per poll, with every settled object.
    Batch,
    /// One run per poll, with only the newest settled object.
    Latest,
}

/// Which objects count on the trigger's first poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalStart {
    /// Only objects that arrive (or change) after the trigger is created or changed.
    #[default]
    Now,
    /// Every object, the ones already there included.
    Beginning,
}

/// `upstream:` — a run of another pipeline ending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// The upstream pipeline's name (same tenant).
    pub pipeline: String,
    /// Which endings fire (default `succeeded`).
    #[serde(default)]
    pub on: UpstreamOn,
}

/// Which endings of an upstream run fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamOn {
    #[default]
    Succeeded,
    Failed,
    /// Either.
    Finished,
}

impl UpstreamOn {
    /// Whether a run that ended in `state` fires.
    pub fn fires_on(self, state: crate::state::RunState) -> bool {
        use crate::state::RunState;
        match self {
            UpstreamOn::Succeeded => state == RunState::Succeeded,
            UpstreamOn::Failed => state == RunState::Failed,
            UpstreamOn::Finished => state.is_terminal(),
        }
    }
}

/// `fresh:` — a delivered dataset's marker moving: each successful copy naming `dataset`
/// that delivered to `destination` starts one run (`trigger.run_id` is the delivering run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fresh {
    /// The dataset, as a copy's `dataset` names it.
    pub dataset: String,
    /// The destination URL, as that copy's `destinations` writes it.
    pub destination: String,
}

/// `webhook: {}` — started by a signed `POST /hooks/{pipeline_id}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {}

#[cfg(test)]
mod tests;

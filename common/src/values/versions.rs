//! `versions`: how many replaced versions of each file a destination keeps, so a bad
//! upstream write or a deletion can be undone (`ferry restore`), as Fusion's and
//! Data Factory's users get from blob versioning.

use super::HumanDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Before Ferry overwrites or deletes a file at a destination, the old content is moved
/// to `.ferry-versions/<path>/<time it was replaced>`; these bounds prune what is kept.
/// One of the two is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// Keep the most recent N replaced versions of each file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<u32>,
    /// Keep replaced versions for this long after they were replaced (`30d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub keep_for: Option<HumanDuration>,
}

impl Versions {
    /// What is wrong with the bounds, in a sentence, if anything.
    pub fn problem(&self) -> Option<&'static str> {
        match (self.keep, self.keep_for) {
            (None, None) => Some("give `keep: N` (versions per file) or `keep_for: 30d`"),
            (Some(0), _) => Some("`keep` must be at least 1 (leave `versions` out to keep none)"),
            (_, Some(d)) if d.0.is_zero() => Some("`keep_for` must be longer than 0s"),
            _ => None,
        }
    }
}

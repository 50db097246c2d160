//! The `restore` kind: a prefix rebuilt as it was at a point in time, from the current
//! files and the replaced versions Ferry kept under `.ferry-versions/` (`versions:` on a
//! copy, migrate or sync). `ferry restore` and `POST /api/v1/restores` run one.

use super::{KindCheck, TaskKind};
use crate::location::Location;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Write to `to` every file `location` held at `at`, with the content it had then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RestoreTask {
    /// The versioned folder (a destination that had `versions:`).
    pub location: Location,
    /// The moment to go back to (RFC 3339, UTC or with an offset).
    pub at: DateTime<Utc>,
    /// Where the rebuilt files are written (a folder; not inside `location`).
    pub to: Location,
}

impl TaskKind for RestoreTask {
    const NAME: &'static str = "restore";
    const FIELDS: &'static [&'static str] = &["location", "at", "to"];

    fn validate(&self, check: &mut KindCheck<'_>) {
        check.location(&self.location, "location");
        check.location(&self.to, "to");
        let (from, to) = (self.location.url.trim_end_matches('/'), self.to.url.trim_end_matches('/'));
        if from == to || to.starts_with(&format!("{from}/")) {
            check.problem("to", "restore into a folder outside `location` (restoring in place is not supported)");
        }
    }

    fn locations_mut(&mut self) -> Vec<&mut Location> {
        vec![&mut self.location, &mut self.to]
    }

    fn reads(&self) -> Vec<Location> {
        vec![self.location.clone()]
    }

    fn writes(&self) -> Vec<Location> {
        vec![self.to.clone()]
    }
}

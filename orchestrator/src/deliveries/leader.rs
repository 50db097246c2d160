//! The leader's share of deliveries: the attempts out with workers, their events, the
//! due ones claimed on each tick, and attempts lost with their workers.

use super::{dispatch, outcome};
use crate::active_run::Effects;
use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use ferry_common::file_roots::FileRoots;
use ferry_common::messages::TaskEvent;
use ferry_common::spec::ValidationContext;
use ferry_store::{DeliveryChange, DeliveryRow, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

/// Deliveries with an attempt out, as this leader knows them.
#[derive(Debug, Default)]
pub(crate) struct OutForDelivery {
    running: HashMap<Uuid, DeliveryRow>,
    /// Attempts a worker announced (or that a previous leader sent out): only those can
    /// be lost with a worker; the others still wait in the broker, which keeps them.
    announced: HashSet<Uuid>,
    /// When the reaper first saw an announced attempt that no live worker lists.
    unseen_since: HashMap<Uuid, DateTime<Utc>>,
}

impl OutForDelivery {
    /// Takes over the attempts stored as out. With `recover_running` (embedded: the
    /// workers died with the process) each gets a new attempt at once.
    pub(crate) async fn load(store: &Store, recover_running: bool, now: DateTime<Utc>, fx: &mut Effects) -> Result<Self, StoreError> {
        let mut out = Self::default();
        for d in store.running_deliveries().await? {
            if recover_running {
                fx.deliveries.push(outcome::lose_attempt(&d, "worker lost: orchestrator restarted", now));
            } else {
                out.announced.insert(d.id);
                out.running.insert(d.id, d);
            }
        }
        Ok(out)
    }

    /// Whether some attempt is out (the reaper then reads the live workers).
    pub(crate) fn has_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// Applies `event` if it is about a delivery's attempt; false when it is not.
    pub(crate) fn apply_event(&mut self, event: &TaskEvent, now: DateTime<Utc>, fx: &mut Effects) -> bool {
        let Some(d) = self.running.get_mut(&event.task_id) else { return false };
        if matches!(event.kind, ferry_common::messages::EventKind::Started) && event.attempt == d.attempts {
            self.announced.insert(d.id);
        }
        if let Some(change) = outcome::apply_event(d, event, now) {
            fx.deliveries.push(change);
        }
        true
    }

    /// Claims the due deliveries and queues their attempts for publishing.
    pub(crate) async fn claim(&mut self, store: &Store, server: (&ValidationContext, &FileRoots), now: DateTime<Utc>, fx: &mut Effects) -> Result<(), StoreError> {
        let dispatched = dispatch::claim_due(store, server, now).await?;
        fx.deliveries.extend(dispatched.failed);
        for (row, message) in dispatched.claimed {
            self.announced.remove(&row.id);
            self.running.insert(row.id, row);
            fx.publish.push(message);
        }
        Ok(())
    }

    /// Gives a new attempt to announced attempts no live worker has listed for `grace`.
    pub(crate) fn reap(&mut self, live: &HashSet<Uuid>, grace: Duration, now: DateTime<Utc>, fx: &mut Effects) {
        let grace = chrono::Duration::from_std(grace).unwrap_or_default();
        for d in self.running.values() {
            if !self.announced.contains(&d.id) || live.contains(&d.id) {
                self.unseen_since.remove(&d.id);
                continue;
            }
            let since = *self.unseen_since.entry(d.id).or_insert(now);
            if now - since >= grace {
                fx.deliveries.push(outcome::lose_attempt(d, "worker lost: no live worker runs the attempt", now));
            }
        }
    }

    /// Forgets the attempts a committed step ended.
    pub(crate) fn committed(&mut self, changes: &[DeliveryChange]) {
        for c in changes {
            if c.row.state != DeliveryState::Running {
                self.running.remove(&c.row.id);
                self.announced.remove(&c.row.id);
                self.unseen_since.remove(&c.row.id);
            }
        }
    }
}

/// Adds to each change what follows from it (a delivered dataset's marker, a
/// `delivery.failed` event), written only where the change itself lands.
pub(crate) fn with_follow_ups(changes: &mut [DeliveryChange]) {
    for c in changes {
        c.marker = outcome::marker_of(&c.row);
        c.event = outcome::event_of(&c.row);
    }
}

//! Where one destination's delivery of a copy stands. Sync destinations are written
//! `delivered` with their task; async ones move `pending → running → delivered`, through
//! `retrying` while the destination refuses, to `failed` once `deliver_within` has passed
//! (or on a permanent error). `cancelled` is only ever set by hand.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Created, not yet attempted (or queued behind an earlier delivery).
    Pending,
    /// An attempt is out with a worker.
    Running,
    /// The last attempt failed; the next one is due at `next_attempt_at`.
    Retrying,
    Delivered,
    Failed,
    Cancelled,
}

impl DeliveryState {
    /// Every state, for listings and parsing.
    pub const ALL: [DeliveryState; 6] = [
        DeliveryState::Pending,
        DeliveryState::Running,
        DeliveryState::Retrying,
        DeliveryState::Delivered,
        DeliveryState::Failed,
        DeliveryState::Cancelled,
    ];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Running => "running",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    /// Whether nothing happens to it any more without a hand (retry).
    pub fn is_final(self) -> bool {
        matches!(self, DeliveryState::Delivered | DeliveryState::Failed | DeliveryState::Cancelled)
    }

    /// Whether a later incremental delivery to the same destination must wait for it:
    /// everything but delivered and cancelled (a failed one blocks until retried or
    /// cancelled by hand, so loads never arrive out of order).
    pub fn blocks_later(self) -> bool {
        !matches!(self, DeliveryState::Delivered | DeliveryState::Cancelled)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryState {
    type Err = crate::state::UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeliveryState::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| crate::state::UnknownState(s.to_string()))
    }
}

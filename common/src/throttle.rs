//! Bandwidth budgets as an executor sees them: the budgets an attempt runs under (its
//! task's and its pipeline's) and the coordinator's buckets that keep each one shared,
//! so every worker moving bytes for the same budget slows down together.
//!
//! The budget itself is plain data in [`crate::budget`]; this module only draws.

use crate::CommonError;
use crate::budget::BandwidthBudget;
use crate::coordination::BandwidthBuckets;
use std::sync::Arc;

/// The budgets of one attempt, ready to draw from. `Throttle::none()` draws nothing.
///
/// Holds only the [`BandwidthBuckets`] part of a coordinator: drawing is all it does, and
/// an executor given a throttle cannot reach leases or cancel flags through it.
#[derive(Clone, Default)]
pub struct Throttle {
    budgets: Vec<BandwidthBudget>,
    coordinator: Option<Arc<dyn BandwidthBuckets>>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle").field("budgets", &self.budgets).finish()
    }
}

impl Throttle {
    /// No budget: transfers run as fast as they can.
    pub fn none() -> Self {
        Self::default()
    }

    /// `budgets`, drawn from `coordinator`'s shared buckets (an `Arc<dyn Coordinator>`
    /// upcasts to this).
    pub fn new(budgets: Vec<BandwidthBudget>, coordinator: Arc<dyn BandwidthBuckets>) -> Self {
        Self {
            budgets,
            coordinator: Some(coordinator),
        }
    }

    /// Whether any budget applies (transfers then take the metered path).
    pub fn is_active(&self) -> bool {
        self.coordinator.is_some() && !self.budgets.is_empty()
    }

    /// Bytes to gather before drawing: a twentieth of a second of the tightest budget
    /// (so draws stay well inside the bucket's burst), between 16 KiB and 1 MiB (so the
    /// coordinator is asked at most a few hundred times a second).
    pub fn quantum(&self) -> u64 {
        self.budgets
            .iter()
            .map(|b| (b.bytes_per_sec / 20).clamp(16 << 10, 1 << 20))
            .min()
            .unwrap_or(1 << 20)
    }

    /// Draws `bytes` from every budget and waits as long as the most constrained one says.
    pub async fn take(&self, bytes: u64) -> Result<(), CommonError> {
        let Some(coordinator) = &self.coordinator else { return Ok(()) };
        let mut wait = std::time::Duration::ZERO;
        for b in &self.budgets {
            wait = wait.max(coordinator.reserve_bandwidth(&b.key, bytes, b.bytes_per_sec).await?);
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// A meter that draws in [`Throttle::quantum`]-sized steps.
    pub fn meter(&self) -> Meter<'_> {
        Meter {
            throttle: self,
            quantum: self.quantum(),
            pending: 0,
        }
    }
}

/// Counts bytes as they pass and draws from the budgets once enough have gathered.
#[derive(Debug)]
pub struct Meter<'a> {
    throttle: &'a Throttle,
    quantum: u64,
    pending: u64,
}

impl Meter<'_> {
    /// Records `bytes` moved; may wait for the budget.
    pub async fn add(&mut self, bytes: u64) -> Result<(), CommonError> {
        if !self.throttle.is_active() {
            return Ok(());
        }
        self.pending += bytes;
        if self.pending >= self.quantum {
            let n = std::mem::take(&mut self.pending);
            self.throttle.take(n).await?;
        }
        Ok(())
    }

    /// Draws what is left over (at the end of a file).
    pub async fn flush(&mut self) -> Result<(), CommonError> {
        let n = std::mem::take(&mut self.pending);
        if n > 0 && self.throttle.is_active() {
            self.throttle.take(n).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantum_follows_the_tightest_budget() {
        let t = |rates: &[u64]| Throttle {
            budgets: rates.iter().map(|r| BandwidthBudget { key: "k".into(), bytes_per_sec: *r }).collect(),
            coordinator: None,
        };
        assert_eq!(t(&[50 << 20]).quantum(), 1 << 20);
        assert_eq!(t(&[50 << 20, 1 << 20]).quantum(), (1 << 20) / 20);
        assert_eq!(t(&[1000]).quantum(), 16 << 10);
        assert!(!t(&[1000]).is_active(), "no coordinator, no throttling");
    }
}

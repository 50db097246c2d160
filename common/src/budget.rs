//! Bandwidth budgets as plain data: what a task message carries ([`BandwidthBudget`]) and
//! the arithmetic every coordinator runs on a shared bucket ([`gcra_step`] with
//! [`BANDWIDTH_BURST`] of credit).
//!
//! Why a module of its own that imports nothing from the crate: messages carry budgets,
//! coordinators keep their buckets, and the throttle draws from a coordinator. With the
//! budget living beside the throttle, `coordination → messages → throttle → coordination`
//! was a cycle; as a leaf, every one of those modules can depend on it.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One budget a task message carries: the bucket's name and its rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthBudget {
    /// The shared bucket: `task:<task id>` or `run:<run id>`.
    pub key: String,
    /// Bytes per second for everything drawn from the bucket.
    pub bytes_per_sec: u64,
}

/// How far ahead of its budget a transfer may run: a tenth of a second's worth of bytes,
/// so a budget is smooth over any window longer than that.
pub const BANDWIDTH_BURST: Duration = Duration::from_millis(100);

/// The GCRA step shared by every coordinator: given the budget's theoretical arrival
/// time `tat` (ms on any clock) and `now` (same clock), the wait before the caller may
/// go on and the new `tat`.
///
/// Kept as a pure function so the in-process bucket and the Redis script (which ports it
/// to Lua, see `ferry-redis`) can be checked against one definition.
pub fn gcra_step(tat: f64, now: f64, bytes: u64, bytes_per_sec: u64) -> (Duration, f64) {
    let start = tat.max(now);
    let wait_ms = (start - now - BANDWIDTH_BURST.as_secs_f64() * 1000.0).max(0.0);
    let new_tat = start + bytes as f64 * 1000.0 / bytes_per_sec.max(1) as f64;
    (Duration::from_secs_f64(wait_ms / 1000.0), new_tat)
}

/// One GCRA admission for a request-rate limit of `per_sec` with `burst` requests of
/// credit: `(None, new_tat)` admits (and spends one request), `(Some(retry_after), tat)`
/// refuses and spends nothing, so a refused client is not pushed further back. Times in
/// ms, as in [`gcra_step`].
pub fn gcra_admit(tat: f64, now: f64, per_sec: u32, burst: u32) -> (Option<Duration>, f64) {
    let interval = 1000.0 / f64::from(per_sec.max(1));
    let tolerance = interval * f64::from(burst.max(1) - 1);
    let start = tat.max(now);
    let ahead = start - now;
    if ahead > tolerance {
        (Some(Duration::from_secs_f64((ahead - tolerance) / 1000.0)), tat)
    } else {
        (None, start + interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_lets_a_burst_through_then_spaces_draws_at_the_rate() {
        // 1 MB/s: 100 ms of burst is 100 kB.
        let (w, tat) = gcra_step(0.0, 0.0, 100_000, 1_000_000);
        assert_eq!((w, tat), (Duration::ZERO, 100.0));
        let (w, tat) = gcra_step(tat, 0.0, 100_000, 1_000_000);
        assert_eq!((w, tat), (Duration::ZERO, 200.0));
        let (w, tat) = gcra_step(tat, 0.0, 100_000, 1_000_000);
        assert_eq!((w, tat), (Duration::from_millis(100), 300.0));
        // Idle time is not banked beyond the burst.
        let (w, tat) = gcra_step(tat, 10_000.0, 1, 1_000_000);
        assert!(w.is_zero() && (tat - 10_000.001).abs() < 1e-9);
        assert_eq!(BANDWIDTH_BURST, Duration::from_millis(100));
    }

    #[test]
    fn gcra_admits_a_burst_then_refuses_without_spending() {
        // 10/s with a burst of 3: three at once, the fourth waits 100 ms.
        let mut tat = 0.0;
        for _ in 0..3 {
            let (refused, next) = gcra_admit(tat, 0.0, 10, 3);
            assert!(refused.is_none());
            tat = next;
        }
        let (refused, same) = gcra_admit(tat, 0.0, 10, 3);
        assert_eq!((refused, same), (Some(Duration::from_millis(100)), tat));
        assert!(gcra_admit(tat, 100.0, 10, 3).0.is_none(), "one more after 100 ms");
    }
}

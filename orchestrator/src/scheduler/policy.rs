//! The scheduler's decisions, pure and on an injected clock: which due slots run under
//! the catch-up policy, what a slot does while a run is going under the overlap policy,
//! and each slot's jitter.

use chrono::{DateTime, Duration, Utc};
use ferry_common::schedule::{Catchup, Overlap};
use uuid::Uuid;

/// How late a slot may be seen and still count as on time.
pub(crate) const MISSED_AFTER: Duration = Duration::seconds(60);

/// What to do with one due slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotPlan {
    /// Run it; the outcome to record.
    Fire(&'static str),
    /// Record it as missed.
    Miss,
}

/// Decides each due slot (oldest first) from the catch-up policy.
pub(crate) fn plan(due: &[DateTime<Utc>], now: DateTime<Utc>, catchup: Catchup) -> Vec<(DateTime<Utc>, SlotPlan)> {
    let missed: Vec<bool> = due.iter().map(|s| now - *s > MISSED_AFTER).collect();
    let newest_missed = missed.iter().rposition(|m| *m);
    due.iter()
        .enumerate()
        .map(|(i, slot)| {
            let plan = if !missed[i] {
                SlotPlan::Fire("started")
            } else {
                match catchup {
                    Catchup::None => SlotPlan::Miss,
                    Catchup::All => SlotPlan::Fire("caught_up"),
                    Catchup::Latest if Some(i) == newest_missed => SlotPlan::Fire("caught_up"),
                    Catchup::Latest => SlotPlan::Miss,
                }
            };
            (*slot, plan)
        })
        .collect()
}

/// What a firing does given what is in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OverlapAction {
    /// Start its run now.
    Start,
    /// Record it `skipped_overlap`: this run (or queued firing) was in the way.
    Skip,
    /// Record it `buffered`: it starts when nothing is in its way.
    Buffer,
    /// Ask the running run to cancel, and start when it has ended.
    CancelThenStart(Uuid),
}

/// Temporal's overlap policies. `active` is a queued or running run of the pipeline,
/// `waiting` how many firings are buffered ahead of this one (they keep their order: a
/// firing never overtakes one buffered before it).
pub(crate) fn decide(overlap: Overlap, active: Option<Uuid>, waiting: usize) -> OverlapAction {
    if active.is_none() && waiting == 0 {
        return OverlapAction::Start;
    }
    match overlap {
        Overlap::Allow => OverlapAction::Start,
        Overlap::Skip => OverlapAction::Skip,
        Overlap::BufferOne if waiting == 0 => OverlapAction::Buffer,
        Overlap::BufferOne => OverlapAction::Skip,
        Overlap::BufferAll => OverlapAction::Buffer,
        Overlap::CancelPrevious => match active {
            Some(run) => OverlapAction::CancelThenStart(run),
            None => OverlapAction::Buffer,
        },
    }
}

/// The policy a pending firing was recorded under (`buffer_all` for anything unknown:
/// it loses nothing).
pub(crate) fn overlap_named(name: Option<&str>) -> Overlap {
    name.and_then(Overlap::parse).unwrap_or(Overlap::BufferAll)
}

/// A slot's jitter: a delay in `[0, jitter)` that depends only on the pipeline and the
/// slot, so every orchestrator (and every restart) computes the same one.
pub(crate) fn delay(pipeline: Uuid, slot: DateTime<Utc>, jitter: std::time::Duration) -> Duration {
    if jitter.is_zero() {
        return Duration::zero();
    }
    // splitmix64 of the pair: cheap, and spread evenly enough for load spreading.
    let mut x = (pipeline.as_u128() as u64) ^ (slot.timestamp_millis() as u64).rotate_left(17);
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let fraction = (x >> 11) as f64 / (1u64 << 53) as f64;
    Duration::from_std(jitter.mul_f64(fraction)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn jitter_is_the_same_for_a_slot_everywhere_and_within_its_bound() {
        let p = Uuid::now_v7();
        let slot = Utc.with_ymd_and_hms(2026, 12, 3, 2, 30, 0).unwrap();
        let j = std::time::Duration::from_secs(30);
        let d = delay(p, slot, j);
        assert_eq!(d, delay(p, slot, j), "every orchestrator computes the same delay");
        assert!(d >= Duration::zero() && d < Duration::seconds(30), "{d}");
        let spread: std::collections::BTreeSet<i64> =
            (0..50).map(|i| delay(p, slot + Duration::minutes(i), j).num_seconds()).collect();
        assert!(spread.len() > 10, "slots get different delays: {spread:?}");
        assert_eq!(delay(p, slot, std::time::Duration::ZERO), Duration::zero());
    }

    #[test]
    fn catch_up_policies_decide_the_missed_slots() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let due = [now - Duration::hours(3), now - Duration::hours(2), now - Duration::hours(1), now - Duration::seconds(5)];
        let plans = |c| plan(&due, now, c).into_iter().map(|(_, p)| p).collect::<Vec<_>>();
        use SlotPlan::*;
        assert_eq!(plans(Catchup::None), vec![Miss, Miss, Miss, Fire("started")]);
        assert_eq!(plans(Catchup::Latest), vec![Miss, Miss, Fire("caught_up"), Fire("started")]);
        assert_eq!(plans(Catchup::All), vec![Fire("caught_up"); 3].into_iter().chain([Fire("started")]).collect::<Vec<_>>());
    }

    #[test]
    fn each_overlap_policy_decides_a_slot_that_meets_a_running_run() {
        use OverlapAction::*;
        let run = Uuid::now_v7();
        for o in [Overlap::Skip, Overlap::BufferOne, Overlap::BufferAll, Overlap::Allow, Overlap::CancelPrevious] {
            assert_eq!(decide(o, None, 0), Start, "{o:?}: nothing in the way");
            assert_eq!(overlap_named(Some(o.as_str())), o);
        }
        assert_eq!(decide(Overlap::Skip, Some(run), 0), Skip);
        assert_eq!(decide(Overlap::Allow, Some(run), 3), Start);
        assert_eq!(decide(Overlap::BufferOne, Some(run), 0), Buffer);
        assert_eq!(decide(Overlap::BufferOne, Some(run), 1), Skip, "only one waits");
        assert_eq!(decide(Overlap::BufferAll, Some(run), 7), Buffer);
        assert_eq!(decide(Overlap::BufferAll, None, 1), Buffer, "never overtakes a buffered firing");
        assert_eq!(decide(Overlap::CancelPrevious, Some(run), 0), CancelThenStart(run));
    }
}

//! The scheduler: the leading orchestrator turns due schedule slots into ledger rows and
//! runs, on every tick. Slots are computed from the stored ledger (the last slot recorded
//! per schedule), not from timers, and each slot is recorded under a unique key in the
//! same transaction as its run: a restart or a change of leader neither loses nor
//! doubles a slot.
//!
//! A slot is due at its time plus its `jitter` (a delay fixed per slot, so every
//! orchestrator agrees on it). A slot more than [`MISSED_AFTER`] old when it is first seen was missed (Ferry was
//! down); `catchup` decides: `none` records them `missed_down`, `latest` runs the newest
//! (`caught_up`) and records the others, `all` runs each. A slot while a run of the
//! pipeline is still going follows `overlap`: `allow` runs it anyway; `skip` — and, until
//! they are built, `buffer_one`, `buffer_all` and `cancel_previous` — record it
//! `skipped_overlap` with the run in the way.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use ferry_common::schedule::{Catchup, Overlap};
use ferry_store::{FiringRow, Store, StoreError};
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

/// Records and runs every slot due by `now` (its jitter included); how many runs it
/// started.
pub(crate) async fn fire_due(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut started = 0;
    for pipeline in store.all_pipelines().await? {
        // Most pipelines have no schedule: look before parsing the whole spec each tick.
        if pipeline.spec.get("schedule").is_none() && pipeline.spec.get("schedules").is_none() {
            continue;
        }
        let Ok(spec) = ferry_common::spec::parse_value(pipeline.spec.clone()) else { continue };
        for (index, (_, schedule)) in spec.all_schedules().into_iter().enumerate() {
            let Ok(compiled) = schedule.compile() else { continue };
            let index = index as u32;
            // A new (or newly scheduled) pipeline counts from when it was stored.
            let from = store.last_slot(pipeline.id, index).await?.unwrap_or(pipeline.updated_at);
            let jitter = schedule.jitter.map(|j| j.0).unwrap_or_default();
            let due: Vec<DateTime<Utc>> = compiled
                .slots_between(from, now)
                .into_iter()
                .take_while(|slot| *slot + delay(pipeline.id, *slot, jitter) <= now)
                .collect();
            // A slot waiting out its jitter is not late.
            let seen = now - Duration::from_std(jitter).unwrap_or_default();
            for (slot, decision) in plan(&due, seen, schedule.catchup) {
                let mut firing = FiringRow {
                    id: Uuid::now_v7(),
                    tenant_id: pipeline.tenant_id,
                    pipeline_id: pipeline.id,
                    schedule_index: index,
                    slot,
                    outcome: "missed_down".into(),
                    run_id: None,
                    detail: None,
                    created_at: Utc::now().trunc_subsecs(6),
                };
                let mut run_spec = None;
                if let SlotPlan::Fire(outcome) = decision {
                    match store.active_run_of(pipeline.id).await? {
                        Some(running) if schedule.overlap != Overlap::Allow => {
                            firing.outcome = "skipped_overlap".into();
                            firing.detail = Some(format!("run {running} was still going"));
                        }
                        _ => {
                            firing.outcome = outcome.into();
                            run_spec = Some(&pipeline.spec);
                        }
                    }
                }
                if let Some(recorded) = store.record_firing(&firing, run_spec).await?
                    && recorded.run_id.is_some()
                {
                    started += 1;
                }
            }
        }
    }
    Ok(started)
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
}

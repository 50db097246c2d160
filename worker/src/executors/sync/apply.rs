//! Applying one planned path: the file operation, then the baseline change that records
//! it. The record is written only after the operation succeeded, so a crash between the
//! two leaves a path whose sides agree and whose record is old — which the next run's
//! plan finds as "changed on both" (or "gone from both") and settles by comparing
//! content, without copying or deleting anything again. Nothing is ever recorded that
//! did not happen, so a deleted file cannot come back and a change cannot be lost.

use super::plan::{Base, Planned, Seen, Side, Step};
use crate::error::store_exec_error;
use crate::executors::copy::copy_one;
use crate::hash::{hash_at, hash_pair};
use crate::listing::{Entry, join};
use crate::stores::Resolved;
use chrono::Utc;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::spec::{Conflict, SyncTask, Verify};
use object_store::ObjectStoreExt;
use serde_json::{Value, json};

/// The two sides of a sync.
pub(super) struct Sides<'a> {
    pub(super) a: &'a Resolved,
    pub(super) b: &'a Resolved,
    pub(super) task: &'a SyncTask,
}

impl Sides<'_> {
    fn side(&self, s: Side) -> &Resolved {
        match s {
            Side::A => self.a,
            Side::B => self.b,
        }
    }
}

/// What applying one path did: the baseline changes (path → record, `None` to forget),
/// the decision for the report, and the tallies.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) records: Vec<(String, Option<Base>)>,
    pub(super) decision: Value,
    pub(super) copied: Option<(Side, u64)>,
    pub(super) deleted: Option<Side>,
    pub(super) conflict: bool,
}

/// Carries out `p`'s step (see the module docs).
pub(super) async fn apply(ctx: &ExecContext, sides: &Sides<'_>, p: Planned) -> Result<Applied, ExecError> {
    if ctx.cancel.is_cancelled() {
        return Err(ExecError::Cancelled);
    }
    let versions = |p: &Planned| json!({"a": describe(p.a.as_ref()), "b": describe(p.b.as_ref())});
    let (action, reason) = p.step.describe();
    match p.step.clone() {
        Step::Copy { from, .. } => {
            let base = copy(ctx, sides, &p, from).await?;
            let size = entry(&p, from).size;
            Ok(Applied {
                decision: json!({"path": p.path, "action": action, "reason": reason}),
                records: vec![(p.path, Some(base))],
                copied: Some((from, size)),
                ..Applied::default()
            })
        }
        Step::KeepChange { from } => {
            let base = copy(ctx, sides, &p, from).await?;
            let size = entry(&p, from).size;
            Ok(Applied {
                decision: json!({"path": p.path, "action": action, "reason": reason, "conflict": true, "versions": versions(&p)}),
                records: vec![(p.path, Some(base))],
                copied: Some((from, size)),
                conflict: true,
                ..Applied::default()
            })
        }
        Step::Delete { on } => {
            remove(sides, on, &p.path).await?;
            Ok(Applied {
                decision: json!({"path": p.path, "action": action, "reason": reason}),
                records: vec![(p.path, None)],
                deleted: Some(on),
                ..Applied::default()
            })
        }
        Step::Forget => Ok(Applied {
            decision: Value::Null,
            records: vec![(p.path, None)],
            ..Applied::default()
        }),
        Step::Compare { both_new } => compare(ctx, sides, p, both_new).await,
    }
}

/// Both sides hold a file: record it when they agree, else resolve the conflict.
async fn compare(ctx: &ExecContext, sides: &Sides<'_>, p: Planned, both_new: bool) -> Result<Applied, ExecError> {
    let (a, b) = (entry(&p, Side::A), entry(&p, Side::B));
    if a.size == b.size {
        let (ha, hb) = hash_pair((sides.a, &a.location), (sides.b, &b.location), &ctx.cancel).await?;
        if ha == hb {
            let h = Some(ha.to_hex().to_string());
            let base = Base { a: Seen { h: h.clone(), ..Seen::of(a) }, b: Seen { h, ..Seen::of(b) } };
            return Ok(Applied { decision: Value::Null, records: vec![(p.path, Some(base))], ..Applied::default() });
        }
    }
    let why = if both_new { "new on both sides with different content" } else { "changed on both sides" };
    let winner = winner(sides.task.conflict, a, b);
    let versions = json!({"a": describe(Some(a)), "b": describe(Some(b))});
    if sides.task.conflict == Conflict::KeepBoth {
        return keep_both(ctx, sides, p, winner, why, versions).await;
    }
    let base = copy(ctx, sides, &p, winner).await?;
    let size = entry(&p, winner).size;
    let policy = serde_json::to_value(sides.task.conflict).unwrap_or(Value::Null);
    Ok(Applied {
        decision: json!({
            "path": p.path,
            "action": format!("copy {} → {}", winner.name(), winner.other().name()),
            "reason": format!("conflict: {why}; {} wins ({})", winner.name(), policy.as_str().unwrap_or("")),
            "conflict": true,
            "versions": versions,
        }),
        records: vec![(p.path, Some(base))],
        copied: Some((winner, size)),
        conflict: true,
        ..Applied::default()
    })
}

/// Which side's version wins a conflict under `policy` (`keep_both` keeps the newer's
/// name).
fn winner(policy: Conflict, a: &Entry, b: &Entry) -> Side {
    let newer = (a.last_modified, a.size).cmp(&(b.last_modified, b.size));
    let larger = (a.size, a.last_modified).cmp(&(b.size, b.last_modified));
    let by = |o: std::cmp::Ordering| if o.is_lt() { Side::B } else { Side::A };
    match policy {
        Conflict::Newer | Conflict::KeepBoth => by(newer),
        Conflict::Larger => by(larger),
        Conflict::PreferA => Side::A,
        Conflict::PreferB => Side::B,
    }
}

/// `keep_both`: the loser is renamed `<name>.conflict-<utc time>` on its side and copied
/// to the other, then the winner is copied over the name on the loser's side.
async fn keep_both(ctx: &ExecContext, sides: &Sides<'_>, p: Planned, winner: Side, why: &str, versions: Value) -> Result<Applied, ExecError> {
    let loser = winner.other();
    let lose_loc = sides.side(loser);
    let lost = entry(&p, loser).clone();
    let renamed = format!("{}.conflict-{}", p.path, crate::versions::stamp(Utc::now()));
    let to = join(&lose_loc.prefix, &renamed).map_err(|e| ExecError::Fatal(format!("conflict name for {}: {e}", p.path)))?;
    lose_loc
        .store
        .rename(&lost.location, &to)
        .await
        .map_err(|e| store_exec_error(&format!("renaming {} on {}", p.path, loser.name()), e))?;
    let moved = look(lose_loc, &renamed).await?;
    copy_one(ctx, lose_loc, &moved, sides.side(winner), false).await?;
    let copied_back = look(sides.side(winner), &renamed).await?;
    let conflict_base = match loser {
        Side::A => Base { a: Seen::of(&moved), b: Seen::of(&copied_back) },
        Side::B => Base { a: Seen::of(&copied_back), b: Seen::of(&moved) },
    };
    // The loser's name is free now: the winner's copy is a plain write.
    let mut rest = p.clone();
    match loser {
        Side::A => rest.a = None,
        Side::B => rest.b = None,
    }
    let base = copy(ctx, sides, &rest, winner).await?;
    let moved_bytes = entry(&p, winner).size + lost.size;
    Ok(Applied {
        decision: json!({
            "path": p.path,
            "action": format!("copy {} → {}; keep {}'s as {renamed}", winner.name(), loser.name(), loser.name()),
            "reason": format!("conflict: {why}; both kept"),
            "conflict": true,
            "versions": versions,
        }),
        records: vec![(renamed, Some(conflict_base)), (p.path, Some(base))],
        copied: Some((winner, moved_bytes)),
        conflict: true,
        ..Applied::default()
    })
}

/// Writes `from`'s file over the other side (keeping the replaced version when asked),
/// reads back what landed, and returns the record of both sides.
async fn copy(ctx: &ExecContext, sides: &Sides<'_>, p: &Planned, from: Side) -> Result<Base, ExecError> {
    let to = from.other();
    let src = entry(p, from);
    let (src_loc, to_loc) = (sides.side(from), sides.side(to));
    if let (Some(policy), Some(_)) = (&sides.task.versions, side_entry(p, to)) {
        crate::versions::keep(to_loc, &p.path, policy)
            .await
            .map_err(|e| store_exec_error(&format!("keeping the replaced version of {} on {}", p.path, to.name()), e))?;
    }
    let verifying = sides.task.verify == Verify::Checksum;
    let streamed = copy_one(ctx, src_loc, src, to_loc, verifying).await?;
    let landed = look(to_loc, &p.path).await?;
    let mut hash = None;
    if verifying {
        let expected = match streamed {
            Some(h) => h,
            None => hash_at(src_loc, &src.location, &ctx.cancel).await?,
        };
        let got = hash_at(to_loc, &landed.location, &ctx.cancel).await?;
        if got != expected {
            return Err(ExecError::Retryable(format!("{} on {} reads back different from what was written", p.path, to.name())));
        }
        hash = Some(expected.to_hex().to_string());
    }
    let (src_seen, to_seen) = (Seen { h: hash.clone(), ..Seen::of(src) }, Seen { h: hash, ..Seen::of(&landed) });
    Ok(match from {
        Side::A => Base { a: src_seen, b: to_seen },
        Side::B => Base { a: to_seen, b: src_seen },
    })
}

/// Deletes `path` on `on` (into its versions when asked); already gone is fine.
async fn remove(sides: &Sides<'_>, on: Side, path: &str) -> Result<(), ExecError> {
    crate::versions::remove(sides.side(on), path, sides.task.versions.as_ref())
        .await
        .map_err(|e| store_exec_error(&format!("deleting {path} on {}", on.name()), e))
}

/// The file at `rel` of `loc` as a listing would show it.
async fn look(loc: &Resolved, rel: &str) -> Result<Entry, ExecError> {
    let location = join(&loc.prefix, rel).map_err(|e| ExecError::Fatal(format!("path {rel}: {e}")))?;
    let meta = loc.store.head(&location).await.map_err(|e| store_exec_error(&format!("looking up {rel} at {}", loc.url), e))?;
    Ok(Entry { rel_path: rel.to_string(), location: meta.location, size: meta.size, last_modified: meta.last_modified, e_tag: meta.e_tag })
}

fn side_entry(p: &Planned, s: Side) -> Option<&Entry> {
    match s {
        Side::A => p.a.as_ref(),
        Side::B => p.b.as_ref(),
    }
}

/// The entry a step's side must have (the plan only names sides that hold the file).
fn entry(p: &Planned, s: Side) -> &Entry {
    side_entry(p, s).expect("the plan names only sides that hold the file")
}

fn describe(e: Option<&Entry>) -> Value {
    match e {
        Some(e) => json!({"size": e.size, "modified": e.last_modified}),
        None => Value::Null,
    }
}

//! One source file through the stages: decide per destination ([`super::decide`]),
//! transfer it once to those that need it ([`super::transfer`]), then, with
//! `verify: checksum`, read back what was written ([`super::verify`]).

use super::decide::plan_file;
use super::list::Dest;
use super::outcome::{FileDone, FileOutcome};
use super::transfer::{Transfer, Transferred, transfer};
use super::verify;
use crate::decide::Decision;
use crate::error::store_exec_error;
use crate::hash::hash_at;
use crate::listing::Entry;
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::spec::{CopyTask, Verify};

/// Decides and, where needed, copies one source file to the destinations that need it.
pub(super) async fn copy_file(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Dest],
    entry: Entry,
) -> Result<FileDone, ExecError> {
    let plan = plan_file(ctx, task, src, dests, &entry).await?;
    let verifying = task.verify == Verify::Checksum;
    let mut hash = plan.src_hash;
    let mut targets = Vec::new();
    let mut outcomes = Vec::with_capacity(dests.len());
    for (i, (decision, _)) in plan.decisions.into_iter().enumerate() {
        if decision == Decision::Skip {
            ctx.progress.add_done(1, entry.size);
            outcomes.push((i, FileOutcome::Skipped(entry.size)));
        } else {
            targets.push(i);
        }
    }
    if !targets.is_empty() {
        if let Some(policy) = &task.versions {
            for &i in &targets {
                if dests[i].existing.contains_key(&entry.rel_path) {
                    crate::versions::keep(&dests[i].loc, &entry.rel_path, policy).await.map_err(|e| {
                        store_exec_error(&format!("keeping the replaced version of {} at {}", entry.rel_path, dests[i].loc.url), e)
                    })?;
                }
            }
        }
        let t = Transfer { src, entry: &entry, dests, targets: &targets, hashing: verifying };
        let Transferred { bytes: copied, hash: streamed_hash, failures } = transfer(ctx, t).await?;
        let mut written = Vec::with_capacity(targets.len());
        for (i, failure) in targets.into_iter().zip(failures) {
            match failure {
                Some(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                Some(e) => outcomes.push((i, FileOutcome::Failed(e))),
                None => written.push(i),
            }
        }
        if verifying && !written.is_empty() {
            let expected = match streamed_hash.or(hash) {
                Some(h) => h,
                // The kernel copied it without it passing through here: hash the source.
                None => hash_at(src, &entry.location, &ctx.cancel).await?,
            };
            for i in std::mem::take(&mut written) {
                match verify::confirm_written(ctx, &dests[i], &entry.rel_path, &expected).await {
                    Ok(()) => written.push(i),
                    Err(ExecError::Cancelled) => return Err(ExecError::Cancelled),
                    Err(e) => outcomes.push((i, FileOutcome::Failed(e))),
                }
            }
            hash = Some(expected);
        }
        outcomes.extend(written.into_iter().map(|i| (i, FileOutcome::Copied(copied))));
    }
    Ok(FileDone {
        rel_path: entry.rel_path,
        size: entry.size,
        per_dest: outcomes,
        hash: hash.filter(|_| verifying),
    })
}

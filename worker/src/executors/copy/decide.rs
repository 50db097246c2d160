//! Stage 2, deciding: per source file and destination, whether to write it there and
//! why ([`crate::decide`] applied to what the listing found), hashing both sides where
//! the rule or `verify: checksum` asks for content.

use super::list::Dest;
use crate::decide::{Decision, decide, decide_by_hash, reason};
use crate::hash::hash_at;
use crate::listing::Entry;
use crate::stores::Resolved;
use ferry_common::executor::{ExecContext, ExecError};
use ferry_common::spec::{CopyTask, Overwrite, Verify};

/// Per destination, whether one source file must be written there and why; plus the
/// source's hash when deciding needed it.
pub(super) struct FilePlan {
    pub(super) decisions: Vec<(Decision, &'static str)>,
    pub(super) src_hash: Option<blake3::Hash>,
}

/// Decides, per destination, whether one source file must be written there, and why.
/// With `verify: checksum` a file that would be kept is kept only if its content matches.
pub(super) async fn plan_file(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Dest],
    entry: &Entry,
) -> Result<FilePlan, ExecError> {
    if ctx.cancel.is_cancelled() {
        return Err(ExecError::Cancelled);
    }
    let mut src_hash = None;
    let mut plan = Vec::with_capacity(dests.len());
    for d in dests {
        let existing = d.existing.get(&entry.rel_path);
        let mut mode = task.overwrite;
        let mut decision = decide(mode, entry, existing);
        if task.verify == Verify::Checksum && decision == Decision::Skip {
            mode = Overwrite::Checksum;
            decision = Decision::NeedsChecksum;
        }
        if let (Decision::NeedsChecksum, Some(existing)) = (decision, existing) {
            let sh = match src_hash {
                Some(h) => h,
                None => {
                    let h = hash_at(src, &entry.location, &ctx.cancel).await?;
                    *src_hash.insert(h)
                }
            };
            let dh = hash_at(&d.loc, &existing.location, &ctx.cancel).await?;
            decision = decide_by_hash(&sh, &dh);
        }
        plan.push((decision, reason(mode, entry, existing, decision)));
    }
    Ok(FilePlan {
        decisions: plan,
        src_hash,
    })
}

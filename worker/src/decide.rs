//! Whether a file must be copied to a destination: a pure function of the two sides'
//! metadata and the task's `overwrite` mode, so it can be tested as a table.
//!
//! | mode | copies when |
//! |---|---|
//! | `skip` | the destination is missing or its size differs (LiveData Migrator's "Skip") |
//! | `overwrite` | always |
//! | `newer` | the destination is missing, or the source is strictly newer; on equal times, when the size differs (rclone's `--update`: a destination newer than the source is kept) |
//! | `checksum` | the destination is missing, the size differs, or (sizes equal) the blake3 hashes differ |
//!
//! The checksum mode needs to read both files, which is costly, so [`decide`] answers
//! [`Decision::NeedsChecksum`] and the caller hashes only then, finishing with
//! [`decide_by_hash`].

use crate::listing::Entry;
use ferry_common::spec::Overwrite;

/// What to do with one file for one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Write the file.
    Copy,
    /// Leave the destination as it is; the file counts as skipped.
    Skip,
    /// Sizes match in checksum mode: hash both sides and call [`decide_by_hash`].
    NeedsChecksum,
}

/// Decides from metadata alone (see the module docs for the rules).
pub fn decide(mode: Overwrite, source: &Entry, dest: Option<&Entry>) -> Decision {
    let Some(dest) = dest else {
        return Decision::Copy;
    };
    let same_size = source.size == dest.size;
    match mode {
        Overwrite::Overwrite => Decision::Copy,
        Overwrite::Skip if same_size => Decision::Skip,
        Overwrite::Skip => Decision::Copy,
        Overwrite::Newer => {
            if source.last_modified > dest.last_modified
                || (source.last_modified == dest.last_modified && !same_size)
            {
                Decision::Copy
            } else {
                Decision::Skip
            }
        }
        Overwrite::Checksum if same_size => Decision::NeedsChecksum,
        Overwrite::Checksum => Decision::Copy,
    }
}

/// Finishes a [`Decision::NeedsChecksum`]: skip when the contents hash the same.
pub fn decide_by_hash(source: &blake3::Hash, dest: &blake3::Hash) -> Decision {
    if source == dest {
        Decision::Skip
    } else {
        Decision::Copy
    }
}

/// Why [`decide`] (and [`decide_by_hash`] after it) chose `decision`, in words for a
/// dry run's decision list: `cp` users ask "why was this copied?".
pub fn reason(mode: Overwrite, source: &Entry, dest: Option<&Entry>, decision: Decision) -> &'static str {
    let Some(dest) = dest else {
        return "missing at the destination";
    };
    let same_size = source.size == dest.size;
    match (mode, decision) {
        (Overwrite::Overwrite, _) => "overwrite: every file is replaced",
        (_, Decision::Copy) if !same_size => "size differs",
        (Overwrite::Skip, _) => "same size",
        (Overwrite::Newer, Decision::Copy) => "source is newer",
        (Overwrite::Newer, _) => "destination is as new or newer",
        (Overwrite::Checksum, Decision::Copy) => "content differs (BLAKE3)",
        (Overwrite::Checksum, _) => "same content (BLAKE3)",
    }
}

#[cfg(test)]
mod tests;

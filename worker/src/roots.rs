//! The file-roots check a worker makes before an attempt starts: every `file://`
//! location the task names must still lie under its tenant's roots once symlinks are
//! resolved (the API checked when the pipeline was stored, but a symlink can appear
//! after that). A location outside fails the attempt as permanent.

use ferry_common::messages::TaskMessage;

/// `Err` naming the first location outside the task's roots.
pub(crate) fn check(msg: &TaskMessage) -> Result<(), String> {
    if msg.file_roots.is_anywhere() {
        return Ok(());
    }
    let kind = msg.body.as_kind();
    let conditions = msg.post.iter().filter_map(|c| c.location());
    for loc in kind.body_reads().into_iter().chain(kind.body_writes()).chain(conditions) {
        msg.file_roots.check_url(&loc.url).map_err(|why| format!("refused before starting: {why}"))?;
    }
    Ok(())
}

//! Local file to local file: `copy_file_range` (what [`std::io::copy`] does between two
//! files on Linux) into a staging file, then a `rename`, on a blocking thread. Large files
//! go in steps of [`STEP`], so progress moves and a cancellation stops the copy between
//! steps.
//!
//! Why: through `object_store` a small local copy costs a blocking-thread hop per open,
//! read, write and rename, and the bytes pass through user space. On the 50,000 × 4 KiB
//! benchmark (`bench/copy_vs_rclone.py`) that made Ferry spend 8 s of system time where
//! `cp` spends 3. This path keeps the same guarantees: the staging name is
//! `<dest>#<digits>`, the form `LocalFileSystem` uses and its listings skip, and the
//! rename publishes the whole file at once. Files with several destinations still take
//! the streaming path, which reads the source once for all of them.
//!
//! Unlike `std::fs::copy`, no permission bits are copied: new files get the umask's, as
//! with `object_store`.

use crate::stores::Resolved;
use ferry_common::executor::ProgressCounters;
use std::fs::File;
use std::io::{ErrorKind, Read};
use tokio_util::sync::CancellationToken;
use object_store::path::Path;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes per `copy_file_range` step of one file.
const STEP: u64 = 64 * 1024 * 1024;

/// The file on disk behind `path` of `loc`, when the location is local.
pub(super) fn filesystem_path(loc: &Resolved, path: &Path) -> Option<PathBuf> {
    crate::stores::local_path(loc, path)
}

/// Copies `from` to `to` atomically, counting bytes (as they land) and the file (once
/// published) in `progress`; returns the bytes copied. A cancellation ends it with
/// [`ErrorKind::Interrupted`] and no staging file left behind.
pub(super) async fn copy(from: PathBuf, to: PathBuf, progress: ProgressCounters, cancel: CancellationToken) -> std::io::Result<u64> {
    tokio::task::spawn_blocking(move || copy_blocking(&from, &to, &progress, &cancel))
        .await
        .map_err(std::io::Error::other)?
}

/// [`copy`] on the calling thread, for callers already on a blocking thread (a batch of
/// small files shares one hand-off to the blocking pool).
pub(super) fn copy_blocking(
    from: &std::path::Path,
    to: &std::path::Path,
    progress: &ProgressCounters,
    cancel: &CancellationToken,
) -> std::io::Result<u64> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut staging = OsString::from(to.as_os_str());
    staging.push(format!("#{}{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let staging = PathBuf::from(staging);
    let mut src = File::open(from)?;
    let mut out = File::create_new(&staging).or_else(|e| {
        // The folder may not exist yet; anything else is the real error.
        let parent = to.parent().filter(|_| e.kind() == ErrorKind::NotFound).ok_or(e)?;
        std::fs::create_dir_all(parent)?;
        File::create_new(&staging)
    })?;
    let copied = (|| {
        let mut total = 0u64;
        loop {
            if cancel.is_cancelled() {
                return Err(std::io::Error::new(ErrorKind::Interrupted, "cancelled"));
            }
            let n = std::io::copy(&mut (&mut src).take(STEP), &mut out)?;
            total += n;
            progress.add_done(0, n);
            if n < STEP {
                return Ok(total);
            }
        }
    })();
    drop(out);
    let published = copied.and_then(|n| std::fs::rename(&staging, to).map(|()| n));
    match published {
        Ok(n) => {
            progress.add_done(1, 0);
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
}

/// The executor error for a failed local copy of `rel_path` to `dest`.
pub(super) fn copy_error(e: std::io::Error, rel_path: &str, dest: &url::Url) -> ferry_common::executor::ExecError {
    use ferry_common::executor::ExecError;
    let msg = format!("copying {rel_path} to {dest}: {e}");
    match e.kind() {
        ErrorKind::Interrupted => ExecError::Cancelled,
        ErrorKind::NotFound | ErrorKind::PermissionDenied => ExecError::Fatal(msg),
        _ => ExecError::Retryable(msg),
    }
}

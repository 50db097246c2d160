//! Content hashes for `overwrite: checksum` and `check` in checksum mode.
//!
//! blake3 rather than the stores' ETags: ETags are not content hashes on multipart
//! uploads, differ between stores, and are absent on local files, so comparing across
//! stores needs a hash computed the same way on both sides. The object is streamed, never
//! held in memory whole.

use crate::error::store_exec_error;
use ferry_common::executor::ExecError;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio_util::sync::CancellationToken;

/// The blake3 hash of the file at `path` of `loc`: read directly (one blocking task per
/// file) when it is local, else streamed through the store.
pub async fn hash_at(
    loc: &crate::stores::Resolved,
    path: &Path,
    cancel: &CancellationToken,
) -> Result<blake3::Hash, ExecError> {
    let Some(file) = crate::stores::local_path(loc, path) else {
        return hash_object(loc.store.as_ref(), path, cancel).await;
    };
    let (cancel, shown) = (cancel.clone(), path.to_string());
    tokio::task::spawn_blocking(move || hash_file(&file, &shown, &cancel))
        .await
        .map_err(|e| ExecError::Retryable(format!("hashing {path}: {e}")))?
}

/// The hashes of two files, as `check` compares them. Two local files are hashed in one
/// blocking task: with many small files, handing work to the blocking pool costs more
/// than reading them.
pub async fn hash_pair(
    a: (&crate::stores::Resolved, &Path),
    b: (&crate::stores::Resolved, &Path),
    cancel: &CancellationToken,
) -> Result<(blake3::Hash, blake3::Hash), ExecError> {
    match (crate::stores::local_path(a.0, a.1), crate::stores::local_path(b.0, b.1)) {
        (Some(fa), Some(fb)) => {
            let (cancel, sa, sb) = (cancel.clone(), a.1.to_string(), b.1.to_string());
            tokio::task::spawn_blocking(move || Ok((hash_file(&fa, &sa, &cancel)?, hash_file(&fb, &sb, &cancel)?)))
                .await
                .map_err(|e| ExecError::Retryable(format!("hashing {}: {e}", a.1)))?
        }
        _ => futures::try_join!(hash_at(a.0, a.1, cancel), hash_at(b.0, b.1, cancel)),
    }
}

/// Hashes a local file on the calling (blocking) thread, stopping when `cancel` fires.
fn hash_file(file: &std::path::Path, shown: &str, cancel: &CancellationToken) -> Result<blake3::Hash, ExecError> {
    use std::io::Read;
    let io = |e: std::io::Error| {
        let msg = format!("{shown}: {e}");
        if e.kind() == std::io::ErrorKind::NotFound { ExecError::Fatal(msg) } else { ExecError::Retryable(msg) }
    };
    let mut f = std::fs::File::open(file).map_err(io)?;
    let mut hasher = blake3::Hasher::new();
    // On the blocking thread's stack: a heap buffer per file (or per thread) leaves each
    // of the many blocking threads' allocator heaps holding pages.
    let mut buf = [0u8; 64 << 10];
    loop {
        if cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

/// The blake3 hash of the object at `path`, read as a stream. Stops with
/// [`ExecError::Cancelled`] between chunks when `cancel` fires.
pub async fn hash_object(
    store: &dyn ObjectStore,
    path: &Path,
    cancel: &CancellationToken,
) -> Result<blake3::Hash, ExecError> {
    let what = || path.to_string();
    let mut stream = store
        .get(path)
        .await
        .map_err(|e| store_exec_error(&what(), e))?
        .into_stream();
    let mut hasher = blake3::Hasher::new();
    while let Some(chunk) = stream.next().await {
        if cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let chunk = chunk.map_err(|e| store_exec_error(&what(), e))?;
        hasher.update(&chunk);
    }
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn hashes_match_blake3_of_the_content() {
        let store = InMemory::new();
        let data = vec![7u8; 3 * 1024 * 1024 + 17];
        store
            .put(&Path::from("x"), data.clone().into())
            .await
            .unwrap();
        let h = hash_object(&store, &Path::from("x"), &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(h, blake3::hash(&data));
        let e = hash_object(&store, &Path::from("nope"), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(e, ExecError::Retryable(_)), "{e:?}");
    }
}

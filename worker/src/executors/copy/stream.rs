//! What the streaming transfers (`small`, `multipart`, and `unpack`'s writers) share: the
//! source file being read once, the destinations it is written to, what came of it, and
//! how their errors read.

use super::list::Dest;
use crate::error::store_exec_error;
use crate::listing::Entry;
use bytes::Bytes;
use ferry_common::executor::ExecError;
use futures::stream::BoxStream;
use object_store::path::Path;

/// One source file being read, once, for every target.
pub(super) struct Reading<'a> {
    pub(super) entry: &'a Entry,
    pub(super) stream: BoxStream<'static, object_store::Result<Bytes>>,
    /// Fed every byte read, when the copy verifies.
    pub(super) hasher: Option<&'a mut blake3::Hasher>,
}

/// Where the file is written: per target, the index of its destination in `dests` and the
/// file's path there.
#[derive(Clone, Copy)]
pub(super) struct Targets<'a> {
    pub(super) dests: &'a [Dest],
    pub(super) paths: &'a [(usize, Path)],
}

/// What a streaming transfer did: the bytes read, and per target the error that stopped
/// it there, if any.
#[derive(Debug)]
pub(super) struct Written {
    pub(super) bytes: u64,
    pub(super) failures: Vec<Option<ExecError>>,
}

/// The coordinator keeping the bandwidth budget failed: worth another attempt.
pub(super) fn budget_err(e: ferry_common::CommonError) -> ExecError {
    ExecError::Retryable(format!("drawing from the bandwidth budget: {e}"))
}

pub(super) fn write_err(path: &Path) -> impl Fn(object_store::Error) -> ExecError + '_ {
    move |e| store_exec_error(&format!("writing {path}"), e)
}

//! One pass over sorted listings: the source's and each destination's, matched by
//! relative path, so a copy decides file by file while holding one row at a time.

use super::entry::Entry;
use crate::error::store_exec_error;
use ferry_common::executor::ExecError;
use futures::stream::{BoxStream, Peekable};
use futures::StreamExt;
use std::pin::Pin;

/// A path present in at least one listing, with what each listing has there.
#[derive(Debug)]
pub struct Row {
    /// The source's file, if the source has it.
    pub source: Option<Entry>,
    /// Per destination, its file, if it has it.
    pub dests: Vec<Option<Entry>>,
}

/// The merge of a source listing with destination listings.
pub struct Merge {
    streams: Vec<Peekable<BoxStream<'static, Result<Entry, object_store::Error>>>>,
    names: Vec<String>,
    last: Option<String>,
}

impl Merge {
    /// Merges `source` with `dests`; `names` (source first) label errors.
    pub fn new(
        source: BoxStream<'static, Result<Entry, object_store::Error>>,
        dests: Vec<BoxStream<'static, Result<Entry, object_store::Error>>>,
        names: Vec<String>,
    ) -> Self {
        let streams = std::iter::once(source).chain(dests).map(|s| s.peekable()).collect();
        Self { streams, names, last: None }
    }

    /// The next row, in path order; `None` when every listing is done.
    pub async fn next(&mut self) -> Result<Option<Row>, ExecError> {
        let mut smallest: Option<String> = None;
        for (i, s) in self.streams.iter_mut().enumerate() {
            let head = match Pin::new(&mut *s).peek().await {
                None => continue,
                Some(Ok(e)) => e.rel_path.clone(),
                Some(Err(_)) => {
                    let Some(Err(e)) = s.next().await else { unreachable!("peeked an error") };
                    return Err(store_exec_error(&format!("listing {}", self.names[i]), e));
                }
            };
            if self.last.as_ref().is_some_and(|last| &head <= last) {
                return Err(ExecError::Fatal(format!(
                    "the listing of {} is not in path order (`{head}` after `{}`); cannot plan this copy in one pass",
                    self.names[i],
                    self.last.as_deref().unwrap_or_default()
                )));
            }
            if smallest.as_ref().is_none_or(|m| &head < m) {
                smallest = Some(head);
            }
        }
        let Some(path) = smallest else { return Ok(None) };
        let mut taken = Vec::with_capacity(self.streams.len());
        for s in &mut self.streams {
            let here = matches!(Pin::new(&mut *s).peek().await, Some(Ok(e)) if e.rel_path == path);
            taken.push(if here { s.next().await.and_then(Result::ok) } else { None });
        }
        self.last = Some(path);
        let mut it = taken.into_iter();
        let source = it.next().flatten();
        Ok(Some(Row { source, dests: it.collect() }))
    }
}

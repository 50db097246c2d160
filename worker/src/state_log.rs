//! Per-path records kept beside the data, in Ferry's own `.ferry/<kind>/<key>/` folder of
//! a location: a migration's record of what it copied, a sync's baseline. Workers never
//! see the database, and these records must outlive any worker, any orchestrator and a
//! restore of the database, and grow to millions of paths; so they live in the store
//! they describe, where they are as durable as the data.
//!
//! Layout: `meta.json` (what the task keeps beside its records, such as a migration's
//! pass), `snapshot-<generation>.jsonl` (a header line `{"generation","covers"}`, then one
//! `{"p": path, "r": record}` per path) and `journal-<seq>.jsonl` files of changes since
//! (`{"p","r"}` to set, `{"p"}` to drop). Opening reads the newest snapshot and the
//! journals after the one it covers, in order. Changes are journaled as they are applied
//! and written in groups ([`StateLog::note`] flushes every [`FLUSH_EVERY`] changes or
//! [`FLUSH_AFTER`]); [`StateLog::compact`] folds the journals into a new snapshot, then
//! deletes them. Every object is written whole (a local file by staging and rename, an
//! object by one `PUT`), so a crash leaves either the old or the new object, never half
//! of one: at worst the last unwritten group of changes is missing, and callers are
//! written so that a missing change is found again (the file is in place on both sides)
//! rather than lost.
//!
//! Cost: one record is about 100–150 bytes of JSON (path, size, time, tag, hash), so
//! 1,000,000 paths are a snapshot of roughly 120 MB, read once per attempt and held in
//! memory (about 250 MB); see the README's figures.

use crate::listing::join;
use crate::stores::Resolved;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Changes written in one journal object at most.
pub const FLUSH_EVERY: usize = 64;
/// The longest a change waits to be written.
pub const FLUSH_AFTER: Duration = Duration::from_millis(500);

/// What reading or writing the records met.
#[derive(Debug, thiserror::Error)]
pub enum StateLogError {
    #[error("records at {at}: {source}")]
    Store { at: String, source: object_store::Error },
    #[error("records at {at} are damaged (line {line}): {message}")]
    Damaged { at: String, line: usize, message: String },
}

#[derive(Serialize, Deserialize)]
struct Header {
    generation: u64,
    covers: u64,
}

#[derive(Clone, Serialize, Deserialize)]
struct Line<R> {
    p: String,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    r: Option<R>,
}

/// The records of one task, loaded, with changes not yet written.
pub struct StateLog<R> {
    store: Arc<dyn ObjectStore>,
    folder: Path,
    records: BTreeMap<String, R>,
    meta: serde_json::Value,
    generation: u64,
    /// The last journal written.
    seq: u64,
    /// The last journal the newest snapshot covers.
    covers: u64,
    pending: Vec<Line<R>>,
    first_pending: Option<Instant>,
}

impl<R: Serialize + DeserializeOwned + Clone> StateLog<R> {
    /// Loads the records in `.ferry/<kind>/<key>/` under `loc` (none yet: empty).
    pub async fn open(loc: &Resolved, kind: &str, key: &str) -> Result<Self, StateLogError> {
        let folder = join(&loc.prefix, &format!(".ferry/{kind}/{key}"))
            .map_err(|e| StateLogError::Damaged { at: loc.url.to_string(), line: 0, message: e.to_string() })?;
        let store = loc.store.clone();
        let root = format!("{}://{}", loc.url.scheme(), loc.url.host_str().unwrap_or_default());
        let at = |p: &Path| format!("{root}/{p}");
        let names: Vec<Path> = store
            .list(Some(&folder))
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(|source| StateLogError::Store { at: at(&folder), source })?;
        let numbered = |prefix: &str| {
            let mut v: Vec<(u64, Path)> = names
                .iter()
                .filter_map(|p| {
                    let name = p.filename()?;
                    let n = name.strip_prefix(prefix)?.strip_suffix(".jsonl")?.parse().ok()?;
                    Some((n, p.clone()))
                })
                .collect();
            v.sort_by_key(|(n, _)| *n);
            v
        };
        let (snapshots, journals) = (numbered("snapshot-"), numbered("journal-"));
        let mut log = Self {
            store,
            folder,
            records: BTreeMap::new(),
            meta: serde_json::Value::Null,
            generation: 0,
            seq: journals.last().map_or(0, |(n, _)| *n),
            covers: 0,
            pending: Vec::new(),
            first_pending: None,
        };
        if let Some((_, newest)) = snapshots.last() {
            let text = log.read(newest, &at(newest)).await?;
            let mut lines = text.lines();
            let header: Header = parse(lines.next().unwrap_or_default(), &at(newest), 1)?;
            (log.generation, log.covers) = (header.generation, header.covers);
            for (i, line) in lines.enumerate() {
                let l: Line<R> = parse(line, &at(newest), i + 2)?;
                if let Some(r) = l.r {
                    log.records.insert(l.p, r);
                }
            }
            log.seq = log.seq.max(log.covers);
        }
        if let Some(meta) = names.iter().find(|p| p.filename() == Some("meta.json")) {
            let text = log.read(meta, &at(meta)).await?;
            log.meta = parse(&text, &at(meta), 1)?;
        }
        let covers = log.covers;
        for (n, p) in journals.into_iter().filter(|(n, _)| *n > covers) {
            let text = log.read(&p, &at(&p)).await?;
            for (i, line) in text.lines().enumerate() {
                let l: Line<R> = parse(line, &at(&p), i + 1)?;
                log.apply(l);
            }
            log.seq = log.seq.max(n);
        }
        Ok(log)
    }

    async fn read(&self, p: &Path, at: &str) -> Result<String, StateLogError> {
        let bytes = async { self.store.get(p).await?.bytes().await }
            .await
            .map_err(|source| StateLogError::Store { at: at.to_string(), source })?;
        String::from_utf8(bytes.to_vec()).map_err(|e| StateLogError::Damaged { at: at.to_string(), line: 0, message: e.to_string() })
    }

    fn apply(&mut self, l: Line<R>) {
        match l.r {
            Some(r) => self.records.insert(l.p, r),
            None => self.records.remove(&l.p),
        };
    }

    /// The record of `path`.
    pub fn get(&self, path: &str) -> Option<&R> {
        self.records.get(path)
    }

    /// Every record, by path.
    pub fn records(&self) -> &BTreeMap<String, R> {
        &self.records
    }

    /// Whatever the task keeps beside its records (a migration's pass number).
    pub fn meta(&self) -> &serde_json::Value {
        &self.meta
    }

    /// Sets `path`'s record (`None` drops it), to be written with the next group.
    pub fn set(&mut self, path: &str, record: Option<R>) {
        let line = Line { p: path.to_string(), r: record };
        self.pending.push(line.clone());
        self.first_pending.get_or_insert_with(Instant::now);
        self.apply(line);
    }

    /// [`Self::set`], then writes the group if it is full or old enough.
    pub async fn note(&mut self, path: &str, record: Option<R>) -> Result<(), StateLogError> {
        self.set(path, record);
        if self.pending.len() >= FLUSH_EVERY || self.first_pending.is_some_and(|t| t.elapsed() >= FLUSH_AFTER) {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the changes not written yet as the next journal.
    pub async fn flush(&mut self) -> Result<(), StateLogError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut body = String::new();
        for l in &self.pending {
            body.push_str(&serde_json::to_string(l).expect("records serialize"));
            body.push('\n');
        }
        let p = self.child(&format!("journal-{:010}.jsonl", self.seq + 1))?;
        self.put(&p, body).await?;
        self.seq += 1;
        self.pending.clear();
        self.first_pending = None;
        Ok(())
    }

    /// Writes the changes not written yet and `meta` (read back by [`Self::meta`]).
    pub async fn save_meta(&mut self, meta: serde_json::Value) -> Result<(), StateLogError> {
        self.flush().await?;
        let p = self.child("meta.json")?;
        self.put(&p, meta.to_string()).await?;
        self.meta = meta;
        Ok(())
    }

    /// Journals written since the newest snapshot.
    pub fn journals_since_snapshot(&self) -> u64 {
        self.seq - self.covers
    }

    /// Folds everything into a new snapshot, then removes what it replaces.
    pub async fn compact(&mut self) -> Result<(), StateLogError> {
        self.flush().await?;
        if self.seq == self.covers && self.generation > 0 {
            return Ok(());
        }
        let header = Header { generation: self.generation + 1, covers: self.seq };
        let mut body = serde_json::to_string(&header).expect("header serializes");
        body.push('\n');
        for (p, r) in &self.records {
            body.push_str(&serde_json::to_string(&Line { p: p.clone(), r: Some(r.clone()) }).expect("records serialize"));
            body.push('\n');
        }
        let snap = self.child(&format!("snapshot-{:010}.jsonl", header.generation))?;
        self.put(&snap, body).await?;
        let old_gen = self.generation;
        (self.generation, self.covers) = (header.generation, header.covers);
        // What the new snapshot replaced; a crash before this only leaves garbage that the
        // next compaction removes.
        let stale: Vec<Path> = self
            .store
            .list(Some(&self.folder))
            .try_filter_map(|m| {
                let name = m.location.filename().unwrap_or_default().to_string();
                let number = |prefix: &str| name.strip_prefix(prefix).and_then(|n| n.strip_suffix(".jsonl")).and_then(|n| n.parse::<u64>().ok());
                let stale = number("journal-").is_some_and(|n| n <= header.covers)
                    || number("snapshot-").is_some_and(|n| n <= old_gen);
                async move { Ok(stale.then_some(m.location)) }
            })
            .try_collect()
            .await
            .map_err(|source| StateLogError::Store { at: self.folder.to_string(), source })?;
        for p in stale {
            let _ = self.store.delete(&p).await;
        }
        Ok(())
    }

    fn child(&self, name: &str) -> Result<Path, StateLogError> {
        join(&self.folder, name).map_err(|e| StateLogError::Damaged { at: self.folder.to_string(), line: 0, message: e.to_string() })
    }

    async fn put(&self, p: &Path, body: String) -> Result<(), StateLogError> {
        self.store
            .put(p, PutPayload::from(body.into_bytes()))
            .await
            .map(|_| ())
            .map_err(|source| StateLogError::Store { at: p.to_string(), source })
    }
}

/// The key of a pair of locations' records: both URLs, so two pipelines working on the
/// same pair share one set of records and a pair never reads another's.
pub fn pair_key(a: &str, b: &str) -> String {
    let h = blake3::hash(format!("{}\n{}", a.trim_end_matches('/'), b.trim_end_matches('/')).as_bytes());
    h.to_hex()[..16].to_string()
}

impl From<StateLogError> for ferry_common::executor::ExecError {
    /// An unreachable store may answer next time; damaged records will not mend.
    fn from(e: StateLogError) -> Self {
        match e {
            StateLogError::Store { at, source } => crate::error::store_exec_error(&format!("records at {at}"), source),
            damaged => ferry_common::executor::ExecError::Fatal(damaged.to_string()),
        }
    }
}

fn parse<T: DeserializeOwned>(line: &str, at: &str, n: usize) -> Result<T, StateLogError> {
    serde_json::from_str(line).map_err(|e| StateLogError::Damaged { at: at.to_string(), line: n, message: e.to_string() })
}

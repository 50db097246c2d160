//! `unpack: true`: a `.zip`, `.tar`, `.tar.gz`/`.tgz` or `.gz` source is expanded into
//! every destination while it streams, without landing the archive anywhere first.
//!
//! The archive is read as one stream from its store. A blocking thread decodes it (the
//! `tar`, `zip` and `flate2` crates read `std::io::Read`; `SyncIoBridge` feeds them the
//! async stream) and hands the files over a small channel, piece by piece, to the async
//! side, which writes each file to every destination. Only a few MiB are in flight at any
//! time, whatever the archive's size. Zip files are read entry by entry from their local
//! headers (`read_zipfile_from_stream`), so they need no seeking either.
//!
//! Entry paths are checked like locations: an absolute path or a `..` segment ("zip
//! slip") fails the task before anything of that entry is written. Directories, links and
//! other special entries are skipped and counted. Every file is written (the archive's
//! files have no sizes or times to compare before they are read); a re-run rewrites them
//! with the same bytes.

use super::outcome::{Tally, result_json};
use super::small::SMALL_FILE_LIMIT;
use super::stream::write_err;
use crate::error::store_exec_error;
use crate::listing::join;
use crate::stores::Resolved;
use bytes::Bytes;
use ferry_common::executor::{ExecContext, ExecError, TaskOutput};
use ferry_common::spec::CopyTask;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use serde_json::json;
use std::io::Read;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// Bytes handed over per piece.
const PIECE: usize = 1 << 20;
/// Pieces waiting between the decoding thread and the writers.
const PIECES_IN_FLIGHT: usize = 4;
/// Multipart parts in flight per destination.
const PARTS_IN_FLIGHT: usize = 4;

/// The archive formats `unpack` reads, recognised by the source's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArchiveKind {
    Zip,
    Tar,
    TarGz,
    Gz,
}

impl ArchiveKind {
    /// The kind a file name says, if any.
    pub(super) fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".zip") {
            Some(Self::Zip)
        } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            Some(Self::TarGz)
        } else if lower.ends_with(".tar") {
            Some(Self::Tar)
        } else if lower.ends_with(".gz") {
            Some(Self::Gz)
        } else {
            None
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::TarGz => "tar.gz",
            Self::Gz => "gz",
        }
    }
}

/// What the decoding thread hands to the writers.
enum Piece {
    /// A new file starts, at this path relative to the destination.
    File(String),
    /// The next bytes of the current file.
    Data(Bytes),
    /// The current file is complete.
    End,
}

/// Why decoding stopped.
enum DecodeError {
    /// The archive is damaged or refuses to be read: the same next time.
    Corrupt(String),
    /// Reading the source failed: may work next time.
    Io(String),
    /// The writers stopped listening (their own error is the one to report).
    Closed,
}

/// Expands the archive at `src` into every destination.
pub(super) async fn run(
    ctx: &ExecContext,
    task: &CopyTask,
    src: &Resolved,
    dests: &[Resolved],
) -> Result<TaskOutput, ExecError> {
    let name = src.prefix.filename().unwrap_or_default().to_string();
    let kind = match (src.explicit_prefix, ArchiveKind::of(&name)) {
        (false, Some(kind)) => kind,
        _ => {
            return Err(ExecError::Fatal(format!(
                "unpack needs a single archive file as its source (.zip, .tar, .tar.gz, .tgz or .gz); {} is not one",
                task.source.url
            )));
        }
    };
    let stream = src
        .store
        .get(&src.prefix)
        .await
        .map_err(|e| match e {
            object_store::Error::NotFound { .. } => {
                ExecError::Fatal(format!("source {} not found", task.source.url))
            }
            e => store_exec_error(&format!("reading {}", src.url), e),
        })?
        .into_stream()
        .map_err(std::io::Error::other);
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let (tx, mut rx) = mpsc::channel(PIECES_IN_FLIGHT);
    let gz_name = name[..name.len() - 3].to_string();
    let decoder = tokio::task::spawn_blocking(move || decode(kind, reader, &gz_name, &tx));

    let mut tallies = vec![Tally::default(); dests.len()];
    let written = write_all(ctx, dests, &mut rx, &mut tallies).await;
    drop(rx);
    let decoded = decoder
        .await
        .map_err(|e| ExecError::Retryable(format!("the archive reader stopped: {e}")))?;
    written?;
    let skipped = match decoded {
        Ok(skipped) => skipped,
        Err(DecodeError::Corrupt(m)) => {
            return Err(ExecError::Fatal(format!("unpacking {}: {m}", task.source.url)));
        }
        Err(DecodeError::Io(m)) => {
            return Err(ExecError::Retryable(format!("reading {}: {m}", task.source.url)));
        }
        Err(DecodeError::Closed) => {
            return Err(ExecError::Retryable("the writers stopped early".into()));
        }
    };
    let files: u64 = tallies.iter().map(|t| t.files_copied).sum();
    let bytes: u64 = tallies.iter().map(|t| t.bytes_copied).sum();
    let mut result = result_json(files, bytes, task, &tallies);
    result["archive"] = json!(kind.as_str());
    result["entries_skipped"] = json!(skipped);
    Ok(TaskOutput { result, report: None })
}

/// Receives pieces and writes each file to every destination.
async fn write_all(
    ctx: &ExecContext,
    dests: &[Resolved],
    rx: &mut mpsc::Receiver<Piece>,
    tallies: &mut [Tally],
) -> Result<(), ExecError> {
    let fan_out = dests.len() as u64;
    let mut current: Option<OpenFile> = None;
    while let Some(piece) = rx.recv().await {
        if ctx.cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        match piece {
            Piece::File(rel) => {
                let mut paths = Vec::with_capacity(dests.len());
                for d in dests {
                    paths.push(join(&d.prefix, &rel).map_err(|e| {
                        ExecError::Fatal(format!("archive entry `{rel}` is not a valid path: {e}"))
                    })?);
                }
                ctx.progress.add_total(fan_out, 0);
                current = Some(OpenFile { paths, buffered: Vec::new(), size: 0, writers: None });
            }
            Piece::Data(bytes) => {
                let Some(file) = current.as_mut() else { continue };
                ctx.progress.add_total(0, bytes.len() as u64 * fan_out);
                ctx.progress.add_bytes_done(bytes.len() as u64 * fan_out);
                file.push(dests, bytes).await?;
            }
            Piece::End => {
                let Some(file) = current.take() else { continue };
                let size = file.finish(dests).await?;
                ctx.progress.add_done(fan_out, 0);
                for t in tallies.iter_mut() {
                    t.files_copied += 1;
                    t.bytes_copied += size;
                }
            }
        }
    }
    Ok(())
}

/// One archive file being written to every destination: buffered while small, then
/// switched to multipart uploads.
struct OpenFile {
    paths: Vec<Path>,
    buffered: Vec<Bytes>,
    size: u64,
    writers: Option<Vec<WriteMultipart>>,
}

impl OpenFile {
    async fn push(&mut self, dests: &[Resolved], bytes: Bytes) -> Result<(), ExecError> {
        self.size += bytes.len() as u64;
        if self.writers.is_none() && self.size < SMALL_FILE_LIMIT {
            self.buffered.push(bytes);
            return Ok(());
        }
        if self.writers.is_none() {
            let mut writers = Vec::with_capacity(dests.len());
            for (d, path) in dests.iter().zip(&self.paths) {
                let upload = d.store.put_multipart(path).await.map_err(write_err(path))?;
                writers.push(WriteMultipart::new(upload));
            }
            self.writers = Some(writers);
        }
        let pending: Vec<Bytes> = std::mem::take(&mut self.buffered).into_iter().chain([bytes]).collect();
        let writers = self.writers.as_mut().expect("writers were just opened");
        for (w, path) in writers.iter_mut().zip(&self.paths) {
            for chunk in &pending {
                w.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(write_err(path))?;
                w.put(chunk.clone());
            }
        }
        Ok(())
    }

    async fn finish(self, dests: &[Resolved]) -> Result<u64, ExecError> {
        match self.writers {
            None => {
                let payload: PutPayload = self.buffered.into_iter().collect();
                for (d, path) in dests.iter().zip(&self.paths) {
                    d.store.put(path, payload.clone()).await.map_err(write_err(path))?;
                }
            }
            Some(writers) => {
                for (w, path) in writers.into_iter().zip(&self.paths) {
                    w.finish().await.map_err(write_err(path))?;
                }
            }
        }
        Ok(self.size)
    }
}

/// Decodes the archive on a blocking thread; the number of entries skipped.
fn decode(kind: ArchiveKind, reader: impl Read, gz_name: &str, tx: &mpsc::Sender<Piece>) -> Result<u64, DecodeError> {
    match kind {
        ArchiveKind::Gz => {
            send_file(gz_name.to_string(), flate2::read::MultiGzDecoder::new(reader), tx)?;
            Ok(0)
        }
        ArchiveKind::Tar => decode_tar(reader, tx),
        ArchiveKind::TarGz => decode_tar(flate2::read::MultiGzDecoder::new(reader), tx),
        ArchiveKind::Zip => decode_zip(reader, tx),
    }
}

fn decode_tar(reader: impl Read, tx: &mpsc::Sender<Piece>) -> Result<u64, DecodeError> {
    let mut archive = tar::Archive::new(reader);
    let mut skipped = 0;
    for entry in archive.entries().map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        if !entry.header().entry_type().is_file() {
            skipped += 1;
            continue;
        }
        let path = entry.path().map_err(io_error)?;
        let rel = safe_relative(&path)?;
        send_file(rel, entry, tx)?;
    }
    Ok(skipped)
}

fn decode_zip(mut reader: impl Read, tx: &mpsc::Sender<Piece>) -> Result<u64, DecodeError> {
    let mut skipped = 0;
    loop {
        let file = match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(skipped),
            Err(zip::result::ZipError::Io(e)) => return Err(io_error(e)),
            Err(e) => return Err(DecodeError::Corrupt(e.to_string())),
        };
        if !file.is_file() {
            skipped += 1;
            continue;
        }
        let name = file.name().map_err(|e| DecodeError::Corrupt(e.to_string()))?.into_owned();
        let rel = safe_relative(std::path::Path::new(&name))?;
        send_file(rel, file, tx)?;
    }
}

/// An entry's path as a destination-relative path, refusing escapes.
fn safe_relative(path: &std::path::Path) -> Result<String, DecodeError> {
    use std::path::Component;
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(DecodeError::Corrupt(format!(
                    "archive entry `{}` escapes the destination (absolute or `..`); nothing of it was written",
                    path.display()
                )));
            }
        }
    }
    if parts.is_empty() {
        return Err(DecodeError::Corrupt(format!("archive entry `{}` has no file name", path.display())));
    }
    Ok(parts.join("/"))
}

/// Streams one file's bytes to the writers.
fn send_file(rel: String, mut body: impl Read, tx: &mpsc::Sender<Piece>) -> Result<(), DecodeError> {
    let send = |p: Piece| tx.blocking_send(p).map_err(|_| DecodeError::Closed);
    send(Piece::File(rel))?;
    let mut buf = vec![0u8; PIECE];
    loop {
        let n = body.read(&mut buf).map_err(io_error)?;
        if n == 0 {
            break;
        }
        send(Piece::Data(Bytes::copy_from_slice(&buf[..n])))?;
    }
    send(Piece::End)
}

/// Damaged data is the archive's fault; anything else may be the network's.
fn io_error(e: std::io::Error) -> DecodeError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidData | ErrorKind::InvalidInput | ErrorKind::UnexpectedEof => {
            DecodeError::Corrupt(e.to_string())
        }
        _ => DecodeError::Io(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_name() {
        assert_eq!(ArchiveKind::of("a.ZIP"), Some(ArchiveKind::Zip));
        assert_eq!(ArchiveKind::of("a.tar.gz"), Some(ArchiveKind::TarGz));
        assert_eq!(ArchiveKind::of("a.tgz"), Some(ArchiveKind::TarGz));
        assert_eq!(ArchiveKind::of("a.tar"), Some(ArchiveKind::Tar));
        assert_eq!(ArchiveKind::of("a.csv.gz"), Some(ArchiveKind::Gz));
        assert_eq!(ArchiveKind::of("a.csv"), None);
    }

    #[test]
    fn escaping_entries_are_refused() {
        let ok = |p: &str| safe_relative(std::path::Path::new(p)).ok();
        assert_eq!(ok("./a/b.csv").as_deref(), Some("a/b.csv"));
        assert_eq!(ok("../etc/passwd"), None);
        assert_eq!(ok("/etc/passwd"), None);
        assert_eq!(ok("a/../../b"), None);
    }
}

//! Replaced versions (`versions:` on a copy, migrate or sync): before Ferry overwrites or
//! deletes a file at a destination, the old content is moved to
//! `.ferry-versions/<path>/<stamp>`, where the stamp is the moment it was replaced in
//! RFC 3339 basic format with milliseconds (`20261201T120000.000Z`), and older versions
//! beyond the policy are pruned. `ferry restore` reads them back ([`versions_under`]).
//!
//! Ferry keeps its own versions on every store rather than the store's native versioning
//! (S3 and Azure have one, local folders do not), so one restore works the same
//! everywhere and needs no bucket setting. The move is a `rename`: atomic and keeping the
//! file's modification time on a local folder; a server-side copy and a delete on object
//! stores, where the version's time is then the copy's: there an empty marker
//! `<stamp>.written-<stamp>` beside the version keeps when its content was written (see
//! [`content_since`]).

use crate::listing::{Entry, join};
use crate::stores::Resolved;
use chrono::{DateTime, NaiveDateTime, Utc};
use ferry_common::values::Versions;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::collections::BTreeMap;

/// The folder, at the top of a destination, that holds replaced versions.
pub const VERSIONS_DIR: &str = ".ferry-versions";

/// The stamp naming a version replaced at `at`.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// The moment a stamp names, if it is one.
pub fn parse_stamp(text: &str) -> Option<DateTime<Utc>> {
    let body = text.strip_suffix('Z')?;
    NaiveDateTime::parse_from_str(body, "%Y%m%dT%H%M%S%.f").ok().map(|t| t.and_utc())
}

/// Moves the file at `rel_path` of `loc` (which exists) into its versions, then prunes
/// them by `policy`. A file already gone is not an error: there is nothing to keep.
pub async fn keep(loc: &Resolved, rel_path: &str, policy: &Versions) -> Result<(), object_store::Error> {
    let store = loc.store.as_ref();
    let current = path(&loc.prefix, rel_path)?;
    let now = Utc::now();
    let folder = path(&loc.prefix, &format!("{VERSIONS_DIR}/{rel_path}"))?;
    let target = path(&folder, &stamp(now))?;
    // Where the move does not keep the file's time (object stores copy it), the time
    // the content was written goes into an empty marker beside the version.
    let written = if loc.url.scheme() == "file" {
        None
    } else {
        match store.head(&current).await {
            Ok(meta) => Some(meta.last_modified),
            Err(object_store::Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
    };
    match store.rename(&current, &target).await {
        Ok(()) => {}
        Err(object_store::Error::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(written) = written {
        let marker = path(&folder, &marker_name(now, written))?;
        store.put(&marker, object_store::PutPayload::default()).await?;
    }
    prune(store, &folder, policy, now).await
}

/// Removes the file at `rel_path` of `loc` as a copy's mirror, a migration and a sync
/// all do: into its versions when `policy` asks, else deleted; a file already gone is
/// removed.
pub async fn remove(loc: &Resolved, rel_path: &str, policy: Option<&Versions>) -> Result<(), object_store::Error> {
    match policy {
        Some(policy) => keep(loc, rel_path, policy).await,
        None => gone(loc.store.delete(&path(&loc.prefix, rel_path)?).await),
    }
}

/// The marker of a version replaced at `replaced` whose content was written at `written`.
fn marker_name(replaced: DateTime<Utc>, written: DateTime<Utc>) -> String {
    format!("{}{WRITTEN_MARK}{}", stamp(replaced), stamp(written))
}

/// What separates a version's stamp from its content's write time in a marker's name.
const WRITTEN_MARK: &str = ".written-";

/// A marker's version stamp and write time, if `name` is a marker.
fn parse_marker(name: &str) -> Option<(&str, DateTime<Utc>)> {
    let (version, written) = name.split_once(WRITTEN_MARK)?;
    parse_stamp(version)?;
    Some((version, parse_stamp(written)?))
}

/// Deletes the versions in `folder` beyond `keep` (newest first) or older than `keep_for`.
async fn prune(store: &dyn ObjectStore, folder: &Path, policy: &Versions, now: DateTime<Utc>) -> Result<(), object_store::Error> {
    let mut versions: Vec<(DateTime<Utc>, Path)> = store
        .list(Some(folder))
        .try_filter_map(|m| async move {
            let at = m.location.filename().and_then(parse_stamp);
            Ok(at.map(|at| (at, m.location)))
        })
        .try_collect()
        .await?;
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    let cutoff = policy.keep_for.and_then(|d| chrono::Duration::from_std(d.0).ok()).map(|d| now - d);
    let mut doomed = std::collections::HashSet::new();
    for (i, (at, p)) in versions.into_iter().enumerate() {
        let too_many = policy.keep.is_some_and(|k| i >= k as usize);
        let too_old = cutoff.is_some_and(|c| at < c);
        if too_many || too_old {
            doomed.insert(stamp(at));
            gone(store.delete(&p).await)?;
        }
    }
    if !doomed.is_empty() {
        let markers: Vec<Path> = store
            .list(Some(folder))
            .try_filter_map(|m| {
                let hit = m.location.filename().and_then(parse_marker).is_some_and(|(v, _)| doomed.contains(v));
                async move { Ok(hit.then_some(m.location)) }
            })
            .try_collect()
            .await?;
        for p in markers {
            gone(store.delete(&p).await)?;
        }
    }
    Ok(())
}

/// A delete whose object is already gone succeeded.
fn gone(r: Result<(), object_store::Error>) -> Result<(), object_store::Error> {
    match r {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One kept version of a file.
#[derive(Debug, Clone)]
pub struct Version {
    /// When it was replaced (from its stamp).
    pub replaced_at: DateTime<Utc>,
    /// Its object, with the store's time for it.
    pub entry: Entry,
    /// When its content was written, where a marker says (object stores).
    pub written_at: Option<DateTime<Utc>>,
}

/// Every kept version under `loc`, by the relative path of the file it belonged to,
/// oldest first.
pub async fn versions_under(loc: &Resolved) -> Result<BTreeMap<String, Vec<Version>>, object_store::Error> {
    let root = path(&loc.prefix, VERSIONS_DIR)?;
    let root_text = format!("{root}/");
    let mut out: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    let mut written: std::collections::HashMap<(String, String), DateTime<Utc>> = std::collections::HashMap::new();
    let mut listing = loc.store.list(Some(&root));
    while let Some(meta) = listing.try_next().await? {
        let full = meta.location.to_string();
        let Some(inside) = full.strip_prefix(&root_text) else { continue };
        let Some((rel, name)) = inside.rsplit_once('/') else { continue };
        if let Some((version, at)) = parse_marker(name) {
            written.insert((rel.to_string(), version.to_string()), at);
            continue;
        }
        let Some(replaced_at) = parse_stamp(name) else { continue };
        let entry = Entry {
            rel_path: rel.to_string(),
            location: meta.location,
            size: meta.size,
            last_modified: meta.last_modified,
            e_tag: meta.e_tag,
        };
        out.entry(rel.to_string()).or_default().push(Version { replaced_at, entry, written_at: None });
    }
    for (rel, versions) in out.iter_mut() {
        versions.sort_by_key(|v| v.replaced_at);
        for v in versions.iter_mut() {
            v.written_at = written.get(&(rel.clone(), stamp(v.replaced_at))).copied();
        }
    }
    Ok(out)
}

/// Since when a version's content was there: its marker's time (object stores), else the
/// object's own time where the move kept it (a local rename: it is older than the
/// stamp), else the moment the version before it was replaced (that write put this
/// content there), else unknown (`None`: it was the first content Ferry saw).
pub fn content_since(versions: &[Version], index: usize) -> Option<DateTime<Utc>> {
    let v = &versions[index];
    if v.written_at.is_some() {
        return v.written_at;
    }
    if v.entry.last_modified + chrono::Duration::seconds(1) < v.replaced_at {
        return Some(v.entry.last_modified);
    }
    index.checked_sub(1).map(|i| versions[i].replaced_at)
}

/// What a path held at `at`, given its kept versions (oldest first) and its current file:
/// the first version replaced after `at` if its content was there by then, else the
/// current file if it was written by then, else nothing (it did not exist at `at`).
pub fn state_at<'a>(versions: &'a [Version], current: Option<&'a Entry>, at: DateTime<Utc>) -> Option<&'a Entry> {
    if let Some(i) = versions.iter().position(|v| v.replaced_at > at) {
        let there = content_since(versions, i).is_none_or(|since| since <= at);
        return there.then_some(&versions[i].entry);
    }
    current.filter(|c| c.last_modified <= at)
}

fn path(prefix: &Path, rel: &str) -> Result<Path, object_store::Error> {
    join(prefix, rel).map_err(|e| object_store::Error::Generic { store: "versions", source: Box::new(e) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: DateTime<Utc>) -> Entry {
        Entry { rel_path: "f".into(), location: Path::from("f"), size: 1, last_modified: at, e_tag: None }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// On an object store (the in-memory one moves by copying, as S3 and Azure do), a
    /// file written after the moment and deleted later is not brought back, and one
    /// written before and replaced later is.
    #[tokio::test]
    async fn markers_keep_when_an_object_stores_version_was_written() {
        let loc = Resolved {
            store: std::sync::Arc::new(object_store::memory::InMemory::new()),
            prefix: Path::from("lake"),
            url: url::Url::parse("memory:///lake/").unwrap(),
            explicit_prefix: true,
        };
        let policy = Versions { keep: Some(3), keep_for: None };
        let put = |name: &'static str, body: &'static [u8]| {
            let store = loc.store.clone();
            async move { store.put(&Path::from(format!("lake/{name}")), object_store::PutPayload::from_static(body)).await.unwrap() }
        };
        put("old", b"before").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let at = Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        put("late", b"after").await;
        keep(&loc, "old", &policy).await.unwrap();
        keep(&loc, "late", &policy).await.unwrap();
        let kept = versions_under(&loc).await.unwrap();
        assert!(kept["late"][0].written_at.is_some_and(|w| w > at));
        assert!(state_at(&kept["old"], None, at).is_some(), "written before, replaced after: it was there");
        assert!(state_at(&kept["late"], None, at).is_none(), "written after: it was not there yet");
        for _ in 0..4 {
            put("old", b"again").await;
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            keep(&loc, "old", &policy).await.unwrap();
        }
        let names: Vec<String> = loc.store.list(Some(&Path::from("lake/.ferry-versions/old"))).map_ok(|m| m.location.to_string()).try_collect().await.unwrap();
        assert_eq!(names.len(), 6, "3 versions and their 3 markers are kept: {names:?}");
    }

    #[test]
    fn stamps_round_trip_and_sort_as_time() {
        let at = t("2026-12-01T12:00:00.250Z");
        assert_eq!(stamp(at), "20261201T120000.250Z");
        assert_eq!(parse_stamp(&stamp(at)), Some(at));
        assert!(stamp(at) < stamp(t("2026-12-01T12:00:01Z")));
        assert_eq!(parse_stamp("notes.txt"), None);
    }

    #[test]
    fn the_state_at_a_time_is_the_first_version_replaced_after_it() {
        // Written 10:00 (local rename keeps that time), replaced 11:00; current since 11:00.
        let v = vec![Version { replaced_at: t("2026-12-01T11:00:00Z"), entry: entry(t("2026-12-01T10:00:00Z")), written_at: None }];
        let cur = entry(t("2026-12-01T11:00:00Z"));
        assert_eq!(state_at(&v, Some(&cur), t("2026-12-01T10:30:00Z")).unwrap().last_modified, t("2026-12-01T10:00:00Z"));
        assert_eq!(state_at(&v, Some(&cur), t("2026-12-01T11:30:00Z")).unwrap().last_modified, t("2026-12-01T11:00:00Z"));
        assert!(state_at(&v, Some(&cur), t("2026-12-01T09:00:00Z")).is_none(), "not written yet");
        assert!(state_at(&[], Some(&cur), t("2026-12-01T10:59:00Z")).is_none(), "created later");
        // Deleted at 11:00: nothing current, the version answers before, nothing after.
        assert!(state_at(&v, None, t("2026-12-01T10:30:00Z")).is_some());
        assert!(state_at(&v, None, t("2026-12-01T11:30:00Z")).is_none());
    }
}

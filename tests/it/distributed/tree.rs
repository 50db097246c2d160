//! Source trees of many files with random contents, tree comparison, and snapshots of
//! which destination files are complete (with their inode and mtime).

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// xorshift64*: fast, deterministic file contents without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Writes `per_folder` files into each of `folders` under `root`, each of a size in
/// `min..=max` bytes with random contents; returns (files, bytes).
pub(crate) fn write_random_tree(root: &Path, folders: &[String], per_folder: usize, min: usize, max: usize) -> (usize, u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let mut buf = vec![0u8; max.next_multiple_of(8)];
    let (mut files, mut bytes) = (0, 0u64);
    for folder in folders {
        let dir = root.join(folder);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for i in 0..per_folder {
            let size = min + (rng.next() as usize) % (max - min + 1);
            for chunk in buf[..size.next_multiple_of(8)].chunks_exact_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            std::fs::write(dir.join(format!("f{i:04}.bin")), &buf[..size]).expect("write");
            files += 1;
            bytes += size as u64;
        }
    }
    (files, bytes)
}

/// A staging file `<name>#<n>` that object_store's local backend writes before the
/// rename; one is left behind when a worker is killed mid-file. Ferry's listings skip
/// them, and so does the comparison.
pub(crate) fn is_staging(rel: &str) -> bool {
    rel.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Every file under `root`: relative path → metadata.
pub(crate) fn list(root: &Path) -> BTreeMap<String, std::fs::Metadata> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            if meta.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, meta);
            }
        }
    }
    out
}

/// Panics unless `dst` holds exactly the files of `src` with the same contents
/// (leftover staging files aside, which are counted and printed).
pub(crate) fn assert_same_tree(src: &Path, dst: &Path) {
    let src_files = list(src);
    let mut dst_files = list(dst);
    let staging: Vec<String> = dst_files.keys().filter(|k| is_staging(k)).cloned().collect();
    for k in &staging {
        dst_files.remove(k);
    }
    if !staging.is_empty() {
        eprintln!("note: {} staging file(s) left in the destination, e.g. {:?}", staging.len(), &staging[..staging.len().min(3)]);
    }
    let missing: Vec<&String> = src_files.keys().filter(|k| !dst_files.contains_key(*k)).collect();
    let extra: Vec<&String> = dst_files.keys().filter(|k| !src_files.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "destination differs from the source: {} missing (e.g. {:?}), {} extra (e.g. {:?})",
        missing.len(),
        &missing[..missing.len().min(5)],
        extra.len(),
        &extra[..extra.len().min(5)]
    );
    let mut differ = Vec::new();
    for rel in src_files.keys() {
        let a = std::fs::read(src.join(rel)).expect("read source");
        let b = std::fs::read(dst.join(rel)).expect("read destination");
        if a != b {
            differ.push(format!("{rel} ({} vs {} bytes)", a.len(), b.len()));
        }
    }
    assert!(differ.is_empty(), "{} files differ, e.g. {:?}", differ.len(), &differ[..differ.len().min(5)]);
}

/// Identity of a file version: (inode, mtime s, mtime ns).
pub(crate) type Stamp = (u64, i64, i64);

/// Destination files that are complete (same size as in the source) → their stamp.
pub(crate) fn complete_files(src: &Path, dst: &Path) -> HashMap<String, Stamp> {
    let src_files = list(src);
    list(dst)
        .into_iter()
        .filter(|(rel, meta)| src_files.get(rel).is_some_and(|s| s.len() == meta.len()))
        .map(|(rel, meta)| (rel, (meta.ino(), meta.mtime(), meta.mtime_nsec())))
        .collect()
}

/// How many files `dst` holds at their final names.
pub(crate) fn count_files(dst: &Path) -> usize {
    list(dst).keys().filter(|k| !is_staging(k)).count()
}

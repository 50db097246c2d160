//! Test data: small trees of files in fresh temporary folders.

use std::path::Path;

/// Writes `files` (relative path, contents) under `root`.
pub(crate) fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, contents) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

/// Every file under `root` as (relative path, bytes), sorted.
pub(crate) fn read_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A small tree with nested folders and a file the specs exclude.
pub(crate) const SAMPLE: &[(&str, &str)] = &[
    ("a.csv", "id,v\n1,2\n"),
    ("nested/b.csv", "id,v\n3,4\n5,6\n"),
    ("nested/deeper/c.json", "{\"k\": 1}"),
    ("_tmp/skip.csv", "partial"),
];

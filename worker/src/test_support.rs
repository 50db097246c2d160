//! Helpers shared by the unit tests: real temp directories, real stores.

use ferry_common::executor::{ExecContext, ProgressCounters};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A fresh attempt context.
pub(crate) fn ctx() -> ExecContext {
    ExecContext {
        task_id: Uuid::new_v4(),
        run_id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        attempt: 1,
        progress: ProgressCounters::default(),
        cancel: CancellationToken::new(),
        throttle: ferry_common::throttle::Throttle::none(),
        shards: None,
        connections: None,
        coordinator: None,
    }
}

/// Writes `files` (relative path → content) under `root`.
pub(crate) fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (p, body) in files {
        let full = root.join(p);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, body).unwrap();
    }
}

/// Every file under `root` (relative path → content); empty when `root` is missing.
pub(crate) fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// `file://` URL of a directory, with the trailing slash of a prefix.
pub(crate) fn dir_url(p: &Path) -> String {
    format!("file://{}/", p.display())
}

/// [`read_tree`] without Ferry's own `.ferry*` entries: the data a user sees.
pub(crate) fn data_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = read_tree(root);
    t.retain(|p, _| !crate::listing::is_ferry_own(p));
    t
}

//! Shared by the live-data tests (`sync_crash`, `migrate_live`): the S3 side read back
//! as a tree, and `ferry run` started in the background to be killed.

use crate::app::ferry;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::Path;
use std::process::{Child, Stdio};

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// Every object under `prefix/` as (path relative to it, bytes), sorted, without
/// Ferry's own `.ferry*` entries.
pub(crate) fn s3_tree(store: &impl ObjectStore, prefix: &str) -> Vec<(String, Vec<u8>)> {
    use futures::TryStreamExt;
    let metas = block_on(store.list(Some(&ObjectPath::from(prefix))).try_collect::<Vec<_>>()).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = metas
        .into_iter()
        .filter_map(|m| {
            let rel = m.location.to_string().strip_prefix(&format!("{prefix}/"))?.to_string();
            if rel.split('/').any(|s| s.starts_with(".ferry")) {
                return None;
            }
            let bytes = block_on(async { store.get(&m.location).await.unwrap().bytes().await.unwrap() });
            Some((rel, bytes.to_vec()))
        })
        .collect();
    out.sort();
    out
}

/// A local tree without Ferry's own entries.
pub(crate) fn local_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut t = crate::fixtures::read_tree(root);
    t.retain(|(p, _)| !p.split('/').any(|s| s.starts_with(".ferry")));
    t
}

/// `ferry run` of `spec` in the background (to be killed), sharing `run_spec`'s files.
pub(crate) fn spawn_spec(dir: &Path, name: &str, spec: &str, connections: &Path) -> Child {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, spec).unwrap();
    ferry()
        .arg("run")
        .arg(&file)
        .arg("--no-progress")
        .arg("--data-dir")
        .arg(dir.join(format!("data-{name}")))
        .env("FERRY_CONNECTIONS", connections)
        .env("FERRY_IT_S3_SECRET", "ferrysecret")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// `kill -9`: no chance to write anything on the way out.
pub(crate) fn kill_9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

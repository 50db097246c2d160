//! Bi-directional sync between a local folder and S3: edits, creations and deletions on
//! both sides, a conflict, and a `kill -9` in the middle of a run followed by a second
//! run: both sides end equal, nothing deleted comes back, no change is lost, and no
//! resync is ever needed (a third run finds nothing to do).

use super::live::{kill_9, local_tree, s3_tree, spawn_spec};
use super::{connections_file, patterned, prefix, require_stores, run_spec, s3, text};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use std::time::Duration;

fn spec(local: &std::path::Path, p: &str, bandwidth: &str) -> String {
    format!(
        "name: sync-crash\ntasks:\n  - id: sync\n    kind: sync\n    a: file://{}/\n    b: {{url: s3://lake/{p}/, connection: lake}}\n    conflict: newer\n    max_delete: 50%\n{bandwidth}",
        local.display()
    )
}

#[test]
fn a_sync_killed_mid_run_finishes_on_the_next_run_without_a_resync() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    let conns = connections_file(tmp.path(), "");
    let p = prefix("sync-crash");
    let store = s3();
    // Before the first sync: files on each side, one on both with the same bytes.
    for i in 0..10 {
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join(format!("l{i}.bin")), patterned(40_000, i)).unwrap();
    }
    std::fs::write(local.join("both.txt"), "same").unwrap();
    super::live::block_on(async {
        for i in 0..5u8 {
            store.put(&ObjectPath::from(format!("{p}/r{i}.bin")), PutPayload::from(patterned(30_000, 100 + i))).await.unwrap();
        }
        store.put(&ObjectPath::from(format!("{p}/both.txt")), PutPayload::from_static(b"same")).await.unwrap();
    });
    let first = run_spec(tmp.path(), "first", &spec(&local, &p, ""), &conns);
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(local_tree(&local), s3_tree(&store, &p), "the first run merges both sides");
    assert_eq!(local_tree(&local).len(), 16);

    // Changes on both sides, then a slow run (a bandwidth budget) killed part-way.
    for i in 0..20u8 {
        std::fs::write(local.join(format!("new-l{i}.bin")), patterned(60_000, 200 + i)).unwrap();
    }
    std::fs::write(local.join("l0.bin"), b"edited locally").unwrap();
    std::fs::remove_file(local.join("l1.bin")).unwrap();
    super::live::block_on(async {
        store.put(&ObjectPath::from(format!("{p}/r0.bin")), PutPayload::from_static(b"edited in s3")).await.unwrap();
        store.delete(&ObjectPath::from(format!("{p}/r1.bin"))).await.unwrap();
        store.put(&ObjectPath::from(format!("{p}/new-r.txt")), PutPayload::from_static(b"created in s3")).await.unwrap();
        // A conflict: both sides edit both.txt; S3's edit is the later one.
        std::fs::write(local.join("both.txt"), "local edit").unwrap();
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        store.put(&ObjectPath::from(format!("{p}/both.txt")), PutPayload::from_static(b"s3 edit, later")).await.unwrap();
    });
    let mut slow = spawn_spec(tmp.path(), "slow", &spec(&local, &p, "    bandwidth: 300KiB/s\n"), &conns);
    std::thread::sleep(Duration::from_millis(2_500));
    kill_9(&mut slow);
    let landed = s3_tree(&store, &p).iter().filter(|(k, _)| k.starts_with("new-l")).count();
    assert!(landed < 20, "the kill came before the end ({landed} of 20 new files had landed)");

    let second = run_spec(tmp.path(), "second", &spec(&local, &p, ""), &conns);
    assert!(second.status.success(), "{}", text(&second));
    let (l, r) = (local_tree(&local), s3_tree(&store, &p));
    assert_eq!(l, r, "both sides equal after the second run");
    let get = |k: &str| l.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
    assert_eq!(get("l0.bin").as_deref(), Some(&b"edited locally"[..]), "no change lost");
    assert_eq!(get("r0.bin").as_deref(), Some(&b"edited in s3"[..]));
    assert_eq!(get("new-r.txt").as_deref(), Some(&b"created in s3"[..]));
    assert_eq!(get("both.txt").as_deref(), Some(&b"s3 edit, later"[..]), "the newer side wins the conflict");
    assert!(get("l1.bin").is_none() && get("r1.bin").is_none(), "nothing deleted comes back");
    assert_eq!(l.iter().filter(|(k, _)| k.starts_with("new-l")).count(), 20);

    let third = run_spec(tmp.path(), "third", &spec(&local, &p, ""), &conns);
    assert!(third.status.success(), "{}", text(&third));
    let out = text(&third);
    assert!(out.contains("0 a→b, 0 b→a, 0 deleted on a, 0 on b, 0 conflicts"), "settled, no resync: {out}");
}

//! A conflict between a local folder and S3 under each `conflict` policy: the file was
//! changed on both sides since the last sync; the policy's winner is on both sides after,
//! and `keep_both` keeps the loser beside it on both sides.

use super::live::{block_on, local_tree, s3_tree};
use super::{connections_file, prefix, require_stores, run_spec, s3, text};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use std::time::Duration;

#[test]
fn each_conflict_policy_resolves_a_local_and_an_s3_edit() {
    require_stores();
    let store = s3();
    // (policy, content on both sides after the sync)
    let cases = [
        ("newer", "s3: later"),
        ("larger", "local: the larger edit"),
        ("prefer_a", "local: the larger edit"),
        ("prefer_b", "s3: later"),
        ("keep_both", "s3: later"),
    ];
    for (policy, winner) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let local = tmp.path().join("local");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join("f.txt"), "base").unwrap();
        let conns = connections_file(tmp.path(), "");
        let p = prefix(&format!("sync-{policy}").replace('_', "-"));
        let spec = format!(
            "name: sync-{policy}\ntasks:\n  - {{id: s, kind: sync, a: 'file://{}/', b: {{url: 's3://lake/{p}/', connection: lake}}, conflict: {policy}}}\n",
            local.display()
        );
        let first = run_spec(tmp.path(), "first", &spec, &conns);
        assert!(first.status.success(), "{}", text(&first));
        std::fs::write(local.join("f.txt"), "local: the larger edit").unwrap();
        std::thread::sleep(Duration::from_millis(1_100));
        block_on(store.put(&ObjectPath::from(format!("{p}/f.txt")), PutPayload::from_static(b"s3: later"))).unwrap();
        let second = run_spec(tmp.path(), "second", &spec, &conns);
        let out = text(&second);
        assert!(second.status.success(), "{policy}: {out}");
        assert!(out.contains("1 conflicts"), "{policy}: {out}");
        let (l, r) = (local_tree(&local), s3_tree(&store, &p));
        assert_eq!(l, r, "{policy}: both sides equal");
        let f = l.iter().find(|(k, _)| k == "f.txt").unwrap();
        assert_eq!(f.1, winner.as_bytes(), "{policy}");
        let kept: Vec<_> = l.iter().filter(|(k, _)| k.starts_with("f.txt.conflict-")).collect();
        if policy == "keep_both" {
            assert_eq!(kept.len(), 1, "{l:?}");
            assert_eq!(kept[0].1, b"local: the larger edit");
        } else {
            assert!(kept.is_empty(), "{policy}: {l:?}");
        }
    }
}

//! A destination object corrupted behind Ferry's back: a size check misses it, a checksum
//! check finds it, and `overwrite: checksum` repairs only that object. Then a mirror that
//! would delete more than `max_delete` allows fails without deleting anything.

use super::{connections_file, prefix, require_stores, run_spec, s3, text};
use crate::fixtures::{SAMPLE, write_tree};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn keys(store: &impl ObjectStore, prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    let mut keys: Vec<String> = block_on(store.list(Some(&ObjectPath::from(prefix))).try_collect::<Vec<_>>())
        .unwrap()
        .into_iter()
        .map(|m| m.location.to_string())
        .collect();
    keys.sort();
    keys
}

#[test]
fn a_checksum_check_finds_a_corrupted_object_and_overwrite_checksum_repairs_it() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_tree(&src, SAMPLE);
    let conns = connections_file(tmp.path(), "");
    let p = prefix("repair");
    let s3_loc = format!("{{url: 's3://lake/{p}/', connection: lake}}");
    let src_url = format!("{}/", src.display());
    let copy = |overwrite: &str| {
        format!(
            "name: repair\ntasks:\n  - {{id: copy, kind: copy, source: '{src_url}', destination: {s3_loc}, overwrite: {overwrite}}}\n"
        )
    };
    let check = |mode: &str| {
        format!(
            "name: verify\ntasks:\n  - {{id: check, kind: check, source: '{src_url}', target: {s3_loc}, mode: {mode}, on_inconsistent: report}}\n"
        )
    };
    let run = run_spec(tmp.path(), "first", &copy("skip"), &conns);
    assert!(run.status.success(), "{}", text(&run));

    // Same size, different bytes: what bit rot or a bad writer leaves.
    let store = s3();
    let victim = ObjectPath::from(format!("{p}/nested/b.csv"));
    let original = block_on(async { store.get(&victim).await.unwrap().bytes().await.unwrap() });
    let mut bad = original.to_vec();
    bad[0] ^= 0xff;
    block_on(store.put(&victim, bad.into())).unwrap();

    let by_size = run_spec(tmp.path(), "size", &check("size"), &conns);
    assert!(text(&by_size).contains("consistent") && !text(&by_size).contains("INCONSISTENT"), "{}", text(&by_size));
    let by_hash = run_spec(tmp.path(), "hash", &check("checksum"), &conns);
    assert!(text(&by_hash).contains("INCONSISTENT"), "{}", text(&by_hash));

    let skip = run_spec(tmp.path(), "skip", &copy("skip"), &conns);
    assert!(text(&skip).contains("copied 0 files"), "skip mode trusts the size: {}", text(&skip));
    let repair = run_spec(tmp.path(), "repair", &copy("checksum"), &conns);
    assert!(repair.status.success() && text(&repair).contains("copied 1 files"), "{}", text(&repair));
    let after = block_on(async { store.get(&victim).await.unwrap().bytes().await.unwrap() });
    assert_eq!(after, original);
    let by_hash = run_spec(tmp.path(), "hash-after", &check("checksum"), &conns);
    assert!(!text(&by_hash).contains("INCONSISTENT"), "{}", text(&by_hash));
}

#[test]
fn max_delete_stops_a_mirror_into_s3_before_it_deletes_anything() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_tree(&src, &[("keep.csv", "1\n")]);
    let conns = connections_file(tmp.path(), "");
    let p = prefix("maxdel");
    let store = s3();
    for name in ["old1.csv", "old2.csv", "old3.csv"] {
        block_on(store.put(&ObjectPath::from(format!("{p}/{name}")), b"stale".to_vec().into())).unwrap();
    }
    let spec = format!(
        "name: mirror\ntasks:\n  - {{id: mirror, kind: copy, source: '{}/', destination: {{url: 's3://lake/{p}/', connection: lake}}, delete_extraneous: true, max_delete: 2}}\n",
        src.display()
    );
    let run = run_spec(tmp.path(), "mirror", &spec, &conns);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("max_delete"), "{}", text(&run));
    assert_eq!(keys(&store, &p), [format!("{p}/old1.csv"), format!("{p}/old2.csv"), format!("{p}/old3.csv")]);
}

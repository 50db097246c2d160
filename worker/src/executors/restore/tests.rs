use super::*;
use crate::executors::copy::CopyExecutor;
use crate::test_support::{ctx, data_tree, dir_url, write_tree};
use ferry_common::spec::{CopyTask, Location, RestoreTask, Versions};

#[tokio::test]
async fn a_restore_rebuilds_the_folder_as_it_was_then() {
    let (src, dst, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("f", b"v1"), ("g", b"g1"), ("same", b"s")]);
    let mut copy = CopyTask::between(Location::url(dir_url(src.path())), vec![Location::url(dir_url(dst.path())).into()]);
    copy.versions = Some(Versions { keep: Some(5), keep_for: None });
    copy.delete_extraneous = true;
    let copier = CopyExecutor::new(StoreResolver::new());
    copier.execute(&ctx(), &TaskBody::Copy(copy.clone())).await.unwrap();
    let snapshot = data_tree(dst.path());
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let at = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    write_tree(src.path(), &[("f", b"v2, longer"), ("h", b"new")]);
    std::fs::remove_file(src.path().join("g")).unwrap();
    copier.execute(&ctx(), &TaskBody::Copy(copy)).await.unwrap();
    assert_ne!(data_tree(dst.path()), snapshot);

    let task = RestoreTask { location: Location::url(dir_url(dst.path())), at, to: Location::url(dir_url(out.path())) };
    let done = RestoreExecutor { resolver: StoreResolver::new() }.execute(&ctx(), &TaskBody::Restore(task)).await.unwrap();
    assert_eq!(data_tree(out.path()), snapshot, "{}", done.result);
    assert_eq!(done.result["from_versions"], 2);
}

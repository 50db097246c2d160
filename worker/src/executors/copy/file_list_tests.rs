//! Copies of an explicit file list (`files:`, as an async delivery runs) and copies that
//! record their files for their deliveries.

use super::*;
use crate::test_support::{ctx, dir_url, read_tree, write_tree};
use ferry_common::spec::{DeliveryMode, Destination, ListedFile, Location};

fn listed(path: &str, size: Option<u64>) -> ListedFile {
    ListedFile { path: path.into(), size, blake3: None }
}

async fn run_copy(t: &CopyTask) -> Result<TaskOutput, ExecError> {
    CopyExecutor::new(StoreResolver::new()).execute(&ctx(), &TaskBody::Copy(t.clone())).await
}

#[tokio::test]
async fn a_file_list_copies_only_its_files_notes_rewritten_ones_and_fails_on_missing_ones() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a.csv", b"aaa"), ("b.csv", b"bbbb"), ("sub/c.csv", b"c"), ("other.csv", b"o")]);
    let mut t = CopyTask::between(Location::url(dir_url(src.path())), vec![Location::url(dir_url(dst.path())).into()]);
    t.files = Some(vec![listed("a.csv", Some(3)), listed("b.csv", Some(2)), listed("sub/c.csv", None)]);
    let out = run_copy(&t).await.unwrap();
    assert_eq!(out.result["files_copied"], 3, "{}", out.result);
    assert_eq!(out.result["changed"], serde_json::json!(["b.csv"]), "{}", out.result);
    let got: Vec<String> = read_tree(dst.path()).into_keys().collect();
    assert_eq!(got, vec!["a.csv", "b.csv", "sub/c.csv"]);

    t.files.as_mut().unwrap().push(listed("gone.csv", Some(1)));
    let err = run_copy(&t).await.unwrap_err().to_string();
    assert!(err.contains("1 listed file(s)") && err.contains("gone.csv"), "{err}");

    // An empty list is a run that delivered nothing new: nothing is copied.
    let empty = tempfile::tempdir().unwrap();
    t.destinations = vec![Location::url(dir_url(empty.path())).into()];
    t.files = Some(Vec::new());
    let out = run_copy(&t).await.unwrap();
    assert_eq!(out.result["files_copied"], 0, "{}", out.result);
    assert!(read_tree(empty.path()).is_empty());
}

#[tokio::test]
async fn a_copy_with_async_destinations_writes_the_sync_ones_and_records_its_files() {
    let (src, lake, later) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a.csv", b"aaa"), ("sub/c.csv", b"c")]);
    let deferred = Destination { location: Location::url(dir_url(later.path())), delivery: DeliveryMode::Async, deliver_within: None };
    let t = CopyTask::between(Location::url(dir_url(src.path())), vec![Location::url(dir_url(lake.path())).into(), deferred]);
    let out = run_copy(&t).await.unwrap();
    assert_eq!(out.result["destinations"].as_array().unwrap().len(), 1, "only the sync destination: {}", out.result);
    assert!(read_tree(later.path()).is_empty(), "the async destination is written by its delivery");
    assert_eq!(read_tree(lake.path()).len(), 2);
    let files = &out.report.expect("a report with the files")["files"];
    assert_eq!(files, &serde_json::json!([{"path": "a.csv", "size": 3}, {"path": "sub/c.csv", "size": 1}]));
}

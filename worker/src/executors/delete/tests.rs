use super::*;
use crate::test_support::{ctx, dir_url, read_tree, write_tree};
use ferry_common::spec::Location;

fn task(target: &str) -> DeleteTask {
    DeleteTask {
        target: Location::url(target),
        include: Vec::new(),
        exclude: Vec::new(),
        max_delete: None,
        dry_run: false,
    }
}

async fn delete(t: &DeleteTask) -> Result<TaskOutput, ExecError> {
    DeleteExecutor::new(StoreResolver::new())
        .execute(&ctx(), &TaskBody::Delete(t.clone()))
        .await
}

fn names(root: &std::path::Path) -> Vec<String> {
    read_tree(root).into_keys().collect()
}

#[tokio::test]
async fn deletes_only_what_the_patterns_select() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("a.csv", b"1"), ("b.csv", b"22"), ("keep.txt", b"3"), ("sub/c.csv", b"4")]);
    let mut t = task(&dir_url(dir.path()));
    t.include = vec!["**/*.csv".into()];
    t.exclude = vec!["b.csv".into()];
    let out = delete(&t).await.unwrap();
    assert_eq!(out.result["deleted"], 2);
    assert_eq!(out.result["kept"], 2);
    assert_eq!(names(dir.path()), vec!["b.csv", "keep.txt"]);
    assert_eq!(out.report.unwrap()["deleted"], json!(["a.csv", "sub/c.csv"]));
}

#[tokio::test]
async fn a_dry_run_reports_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("a", b"1"), ("b", b"2")]);
    let mut t = task(&dir_url(dir.path()));
    t.dry_run = true;
    let out = delete(&t).await.unwrap();
    assert_eq!(out.result["would_delete"], 2);
    assert_eq!(names(dir.path()), vec!["a", "b"]);
}

#[tokio::test]
async fn max_delete_refuses_before_deleting_anything() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")]);
    let mut t = task(&dir_url(dir.path()));
    t.max_delete = Some(ferry_common::spec::MaxDelete::Percent(50.0));
    let err = delete(&t).await.unwrap_err();
    assert!(matches!(&err, ExecError::Fatal(m) if m.contains("4 of the 4 files") && m.contains("nothing was deleted")), "{err:?}");
    assert_eq!(names(dir.path()).len(), 4);
    t.include = vec!["a".into(), "b".into()];
    delete(&t).await.unwrap();
    assert_eq!(names(dir.path()), vec!["c", "d"]);
}

#[tokio::test]
async fn a_missing_target_and_a_second_run_delete_nothing_and_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let t = task(&format!("{}gone/", dir_url(dir.path())));
    assert_eq!(delete(&t).await.unwrap().result["deleted"], 0);
    write_tree(dir.path(), &[("one", b"1")]);
    let single = task(&format!("{}one", dir_url(dir.path())));
    assert_eq!(delete(&single).await.unwrap().result["deleted"], 1);
    assert_eq!(delete(&single).await.unwrap().result["deleted"], 0);
}

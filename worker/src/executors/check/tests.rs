use super::*;
use ferry_common::spec::{CheckMode, CheckTask};
use serde_json::json;
use crate::test_support::{ctx, dir_url, write_tree};
use ferry_common::spec::Location;

fn task(source: &str, target: &str, mode: CheckMode) -> CheckTask {
    CheckTask {
        source: Location::url(source),
        target: Location::url(target),
        mode,
        include: Vec::new(),
        exclude: Vec::new(),
        on_inconsistent: OnInconsistent::Report,
    }
}

#[tokio::test]
async fn an_inconsistent_check_fails_permanently_with_its_evidence_by_default() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a", b"1"), ("b", b"2"), ("c", b"333")]);
    write_tree(dst.path(), &[("a", b"1"), ("c", b"33")]);
    let t = CheckTask { on_inconsistent: OnInconsistent::Fail, ..task(&dir_url(src.path()), &dir_url(dst.path()), CheckMode::Size) };
    let err = CheckExecutor::new(StoreResolver::new())
        .execute(&ctx(), &TaskBody::Check(t))
        .await
        .unwrap_err();
    let ExecError::Fatal(msg) = err else { panic!("a difference is permanent: {err:?}") };
    assert!(msg.contains("1 missing, 1 differ, 0 extra (of 3 source files)"), "{msg}");
    assert!(msg.contains("first missing: b") && msg.contains("first differ: c"), "{msg}");
}

async fn check(t: &CheckTask) -> TaskOutput {
    CheckExecutor::new(StoreResolver::new())
        .execute(&ctx(), &TaskBody::Check(t.clone()))
        .await
        .unwrap()
}

#[tokio::test]
async fn finds_missing_extra_and_differing_files_exactly() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(
        src.path(),
        &[
            ("same", b"1"),
            ("only-src", b"2"),
            ("sub/resized", b"333"),
            ("sub/also-src", b"4"),
        ],
    );
    write_tree(
        dst.path(),
        &[("same", b"1"), ("only-dst", b"x"), ("sub/resized", b"33")],
    );
    let out = check(&task(
        &dir_url(src.path()),
        &dir_url(dst.path()),
        CheckMode::Size,
    ))
    .await;
    assert_eq!(
        out.result,
        json!({"consistent": false, "mode": "size", "source_files": 4, "target_files": 3,
               "matched": 1, "missing": 2, "extra": 1, "differ": 1})
    );
    let report = out.report.unwrap();
    assert_eq!(report["missing"], json!(["only-src", "sub/also-src"]));
    assert_eq!(report["extra"], json!(["only-dst"]));
    assert_eq!(
        report["differ"],
        json!([{"path": "sub/resized", "source_size": 3, "target_size": 2, "reason": "size"}])
    );
    assert_eq!(report["missing_count"], 2);
    assert_eq!(report["extra_count"], 1);
    assert_eq!(report["differ_count"], 1);
    assert_eq!(report["consistent"], false);
    assert_eq!(report["matched"], 1);
    assert_eq!(report["truncated"], false);
}

#[tokio::test]
async fn checksum_mode_detects_same_size_different_content() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a", b"abcd"), ("b", b"same")]);
    write_tree(dst.path(), &[("a", b"abce"), ("b", b"same")]);
    let (s, d) = (dir_url(src.path()), dir_url(dst.path()));
    let size = check(&task(&s, &d, CheckMode::Size)).await;
    assert_eq!(size.result["consistent"], true);
    let sum = check(&task(&s, &d, CheckMode::Checksum)).await;
    assert_eq!(sum.result["consistent"], false);
    assert_eq!(sum.result["mode"], "checksum");
    assert_eq!(sum.result["matched"], 1);
    assert_eq!(
        sum.report.unwrap()["differ"],
        json!([{"path": "a", "source_size": 4, "target_size": 4, "reason": "checksum"}])
    );
}

#[tokio::test]
async fn identical_trees_are_consistent_with_filters() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files: &[(&str, &[u8])] = &[("x.csv", b"1,2"), ("d/y.csv", b"3,4")];
    write_tree(src.path(), files);
    write_tree(src.path(), &[("_tmp/junk", b"j")]);
    write_tree(dst.path(), files);
    let mut t = task(
        &dir_url(src.path()),
        &dir_url(dst.path()),
        CheckMode::Checksum,
    );
    t.exclude = vec!["_tmp/**".into()];
    let c = ctx();
    let out = CheckExecutor::new(StoreResolver::new())
        .execute(&c, &TaskBody::Check(t))
        .await
        .unwrap();
    assert_eq!(out.result["consistent"], true);
    assert_eq!(out.result["matched"], 2);
    let report = out.report.unwrap();
    assert_eq!(report["missing"], json!([]));
    assert_eq!(report["differ"], json!([]));
    let p = c.progress.snapshot();
    assert_eq!(
        (p.files_total, p.files_done, p.bytes_total, p.bytes_done),
        (2, 2, 12, 12)
    );
}

#[tokio::test]
async fn a_missing_side_is_an_empty_listing() {
    let src = tempfile::tempdir().unwrap();
    write_tree(src.path(), &[("a", b"1")]);
    let out = check(&task(
        &dir_url(src.path()),
        "file:///no/such/target/",
        CheckMode::Size,
    ))
    .await;
    assert_eq!(out.result["missing"], 1);
    assert_eq!(out.result["target_files"], 0);
    let out = check(&task(
        "memory://check-none/x/",
        &dir_url(src.path()),
        CheckMode::Size,
    ))
    .await;
    assert_eq!(out.result["extra"], 1);
    assert_eq!(out.result["consistent"], false);
}

#[tokio::test]
async fn a_single_file_source_is_looked_for_in_the_target_folder() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a.csv", b"1"), ("b.csv", b"2")]);
    write_tree(dst.path(), &[("a.csv", b"1"), ("other", b"x")]);
    let one = format!("file://{}/a.csv", src.path().display());
    let out = check(&task(&one, &dir_url(dst.path()), CheckMode::Checksum)).await;
    assert_eq!(out.result["consistent"], true, "{}", out.result);
    assert_eq!(out.result["matched"], 1);
    let other = format!("file://{}/b.csv", src.path().display());
    let out = check(&task(&other, &dir_url(dst.path()), CheckMode::Size)).await;
    assert_eq!(out.report.unwrap()["missing"], json!(["b.csv"]));
}

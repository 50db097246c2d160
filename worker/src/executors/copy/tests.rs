use super::*;
use super::{list::Dest, multipart::put_large, stream::{Reading, Targets}};
use crate::listing::join;
use crate::stores::memory_store;
use crate::test_support::{ctx, dir_url, read_tree, write_tree};
use ferry_common::spec::{Location, Overwrite};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn task(source: &str, dests: &[&str]) -> CopyTask {
    CopyTask::between(Location::url(source), dests.iter().map(|d| Location::url(*d).into()).collect())
}

async fn copy(t: &CopyTask) -> Result<Value, ExecError> {
    copy_with(&ctx(), t).await
}

async fn copy_with(c: &ExecContext, t: &CopyTask) -> Result<Value, ExecError> {
    let out = CopyExecutor::new(StoreResolver::new())
        .execute(c, &TaskBody::Copy(t.clone()))
        .await?;
    assert_eq!(out.report, None);
    Ok(out.result)
}

const TREE: &[(&str, &[u8])] = &[
    ("a.csv", b"aaa"),
    ("b.txt", b"bb"),
    ("sub/c.csv", b"c"),
    ("sub/_tmp/d.csv", b"dddd"),
];

#[tokio::test]
async fn first_copy_copies_everything_and_the_second_skips_everything() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), TREE);
    let t = task(&dir_url(src.path()), &[&dir_url(dst.path())]);

    let c = ctx();
    let r = copy_with(&c, &t).await.unwrap();
    assert_eq!(
        r,
        json!({
            "files_total": 4, "bytes_total": 10,
            "files_copied": 4, "bytes_copied": 10,
            "files_skipped": 0, "bytes_skipped": 0,
            "destinations": [{"url": dir_url(dst.path()), "files_copied": 4, "bytes_copied": 10,
                              "files_skipped": 0, "bytes_skipped": 0}],
        })
    );
    assert_eq!(read_tree(dst.path()), read_tree(src.path()));
    let p = c.progress.snapshot();
    assert_eq!(
        (p.files_total, p.files_done, p.bytes_total, p.bytes_done),
        (4, 4, 10, 10)
    );

    let c = ctx();
    let r = copy_with(&c, &t).await.unwrap();
    assert_eq!(r["files_copied"], 0);
    assert_eq!(r["files_skipped"], 4);
    assert_eq!(r["bytes_skipped"], 10);
    let p = c.progress.snapshot();
    assert_eq!(
        (p.files_done, p.bytes_done),
        (4, 10),
        "skipped files count as done"
    );
}

#[tokio::test]
async fn skip_keeps_a_same_size_file_and_overwrite_replaces_it() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("f.txt", b"new!"), ("g.txt", b"longer")]);
    write_tree(dst.path(), &[("f.txt", b"old!"), ("g.txt", b"short")]);
    let mut t = task(&dir_url(src.path()), &[&dir_url(dst.path())]);

    let r = copy(&t).await.unwrap();
    assert_eq!(
        (r["files_copied"].as_u64(), r["files_skipped"].as_u64()),
        (Some(1), Some(1))
    );
    let tree = read_tree(dst.path());
    assert_eq!(tree["f.txt"], b"old!", "skip keeps a same-size file");
    assert_eq!(
        tree["g.txt"], b"longer",
        "skip replaces a file of another size"
    );

    t.overwrite = Overwrite::Overwrite;
    let r = copy(&t).await.unwrap();
    assert_eq!(r["files_copied"], 2);
    assert_eq!(read_tree(dst.path())["f.txt"], b"new!");
}

#[tokio::test]
async fn checksum_mode_replaces_same_size_different_content_only() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("same", b"1234"), ("diff", b"abcd")]);
    write_tree(dst.path(), &[("same", b"1234"), ("diff", b"wxyz")]);
    let mut t = task(&dir_url(src.path()), &[&dir_url(dst.path())]);
    t.overwrite = Overwrite::Checksum;
    let r = copy(&t).await.unwrap();
    assert_eq!(
        (r["files_copied"].as_u64(), r["files_skipped"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(read_tree(dst.path())["diff"], b"abcd");
}

#[tokio::test]
async fn newer_mode_keeps_a_destination_newer_than_the_source() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("f", b"source")]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_tree(dst.path(), &[("f", b"dest, written later")]);
    let mut t = task(&dir_url(src.path()), &[&dir_url(dst.path())]);
    t.overwrite = Overwrite::Newer;
    let r = copy(&t).await.unwrap();
    assert_eq!(r["files_skipped"], 1);
    assert_eq!(read_tree(dst.path())["f"], b"dest, written later");
}

#[tokio::test]
async fn include_and_exclude_select_files() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), TREE);
    let mut t = task(&dir_url(src.path()), &[&dir_url(dst.path())]);
    t.include = vec!["**/*.csv".into()];
    t.exclude = vec!["**/_tmp/**".into()];
    let r = copy(&t).await.unwrap();
    assert_eq!(r["files_total"], 2);
    assert_eq!(
        read_tree(dst.path()).keys().collect::<Vec<_>>(),
        ["a.csv", "sub/c.csv"]
    );
}

#[tokio::test]
async fn a_single_file_source_lands_under_the_destination_folder() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), TREE);
    let source = format!("file://{}/sub/c.csv", src.path().display());
    let out = dst.path().join("out");
    let r = copy(&task(&source, &[&dir_url(&out)])).await.unwrap();
    assert_eq!(r["files_copied"], 1);
    assert_eq!(
        read_tree(&out).into_iter().collect::<Vec<_>>(),
        [("c.csv".to_string(), b"c".to_vec())]
    );
    // A plain absolute path works too.
    let r = copy(&task(
        src.path().join("a.csv").to_str().unwrap(),
        &[&dir_url(&out)],
    ))
    .await
    .unwrap();
    assert_eq!(r["files_copied"], 1);
    assert!(out.join("a.csv").exists());
}

#[tokio::test]
async fn multiple_destinations_are_fed_from_one_listing() {
    let src = tempfile::tempdir().unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), TREE);
    write_tree(d2.path(), &[("a.csv", b"aaa")]);
    let t = task(
        &dir_url(src.path()),
        &[&dir_url(d1.path()), &dir_url(d2.path())],
    );
    let c = ctx();
    let r = copy_with(&c, &t).await.unwrap();
    assert_eq!(r["files_total"], 8);
    assert_eq!(r["bytes_total"], 20);
    assert_eq!(r["files_copied"], 7);
    assert_eq!(r["files_skipped"], 1);
    assert_eq!(r["bytes_copied"], 17);
    assert_eq!(r["destinations"][0]["files_copied"], 4);
    assert_eq!(r["destinations"][1]["files_copied"], 3);
    assert_eq!(r["destinations"][1]["files_skipped"], 1);
    assert_eq!(r["destinations"][1]["url"], dir_url(d2.path()));
    assert_eq!(read_tree(d1.path()), read_tree(src.path()));
    assert_eq!(read_tree(d2.path()), read_tree(src.path()));
    let p = c.progress.snapshot();
    assert_eq!(
        (p.files_total, p.files_done, p.bytes_total, p.bytes_done),
        (8, 8, 20, 20)
    );
}

#[tokio::test]
async fn a_missing_source_is_fatal_and_not_found() {
    let dst = tempfile::tempdir().unwrap();
    for source in [
        "file:///definitely/not/here/",
        "file:///definitely/not/here.csv",
        "memory://copy-missing/x/",
    ] {
        let e = copy(&task(source, &[&dir_url(dst.path())]))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ExecError::Fatal(m) if m.contains("not found")),
            "{source}: {e:?}"
        );
    }
    // An existing but empty folder is not missing: nothing to copy.
    let empty = tempfile::tempdir().unwrap();
    let r = copy(&task(&dir_url(empty.path()), &[&dir_url(dst.path())]))
        .await
        .unwrap();
    assert_eq!(r["files_total"], 0);
}

#[tokio::test]
async fn bad_locations_are_fatal() {
    let dst = tempfile::tempdir().unwrap();
    let e = copy(&task("ftp://host/x/", &[&dir_url(dst.path())]))
        .await
        .unwrap_err();
    assert!(matches!(e, ExecError::Fatal(_)), "{e:?}");
    let mut t = task("/tmp/", &[&dir_url(dst.path())]);
    t.destinations[0].location.connection = Some("adls2".into());
    let e = copy(&t).await.unwrap_err();
    assert!(
        matches!(&e, ExecError::Fatal(m) if m.contains("file:// locations take no connection")),
        "{e:?}"
    );
    let e = copy(&task("/tmp/", &[])).await.unwrap_err();
    assert!(matches!(e, ExecError::Fatal(_)));
}

#[tokio::test]
async fn memory_stores_copy_both_ways() {
    let src = tempfile::tempdir().unwrap();
    write_tree(src.path(), TREE);
    let r = copy(&task(&dir_url(src.path()), &["memory://copy-mem/landing/"]))
        .await
        .unwrap();
    assert_eq!(r["files_copied"], 4);
    let store = memory_store("copy-mem");
    let got = store
        .get(&Path::from("landing/sub/c.csv"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], b"c");

    let back = tempfile::tempdir().unwrap();
    let r = copy(&task(
        "memory://copy-mem/landing/",
        &[&dir_url(back.path())],
    ))
    .await
    .unwrap();
    assert_eq!(r["files_copied"], 4);
    assert_eq!(read_tree(back.path()), read_tree(src.path()));
    let r = copy(&task(
        "memory://copy-mem/landing",
        &["memory://copy-mem/mirror/"],
    ))
    .await
    .unwrap();
    assert_eq!(r["files_copied"], 4);
    let r = copy(&task(
        "memory://copy-mem/landing",
        &["memory://copy-mem/mirror/"],
    ))
    .await
    .unwrap();
    assert_eq!(r["files_skipped"], 4);
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Names under `root` that are not in `expected` (e.g. staging files left behind).
fn stray_files(root: &std::path::Path, expected: &[&str]) -> Vec<String> {
    read_tree(root)
        .into_keys()
        .filter(|k| !expected.contains(&k.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_files_appear_whole_or_not_at_all() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let big = pattern(20 * 1024 * 1024 + 123);
    write_tree(src.path(), &[("big.bin", &big), ("small.bin", b"tiny")]);
    let final_path = dst.path().join("big.bin");
    let expected_len = big.len() as u64;

    // A reader polling the final name while the copy runs must never see a partial file.
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let done = done.clone();
        let final_path = final_path.clone();
        let dir = dst.path().to_path_buf();
        std::thread::spawn(move || {
            let (mut saw_staging, mut bad) = (false, Vec::new());
            while !done.load(Ordering::Relaxed) {
                if let Ok(m) = std::fs::metadata(&final_path)
                    && m.len() != expected_len
                {
                    bad.push(m.len());
                }
                saw_staging |= std::fs::read_dir(&dir)
                    .map(|rd| {
                        rd.flatten()
                            .any(|e| e.file_name().to_string_lossy().contains('#'))
                    })
                    .unwrap_or(false);
            }
            (saw_staging, bad)
        })
    };
    let c = ctx();
    let r = copy_with(&c, &task(&dir_url(src.path()), &[&dir_url(dst.path())]))
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    let (saw_staging, bad) = poller.join().unwrap();
    assert!(
        saw_staging,
        "the poller should have seen the copy in flight (a staging file)"
    );
    assert!(bad.is_empty(), "a partial file was visible: sizes {bad:?}");
    assert_eq!(r["bytes_copied"], expected_len + 4);
    assert_eq!(std::fs::read(&final_path).unwrap(), big);
    assert!(stray_files(dst.path(), &["big.bin", "small.bin"]).is_empty());
    assert_eq!(c.progress.snapshot().bytes_done, expected_len + 4);
}

#[tokio::test]
async fn a_cancelled_copy_stops_and_leaves_no_partial_file() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(
        src.path(),
        &[("big.bin", &pattern(SMALL_FILE_LIMIT as usize + 1))],
    );
    let c = ctx();
    c.cancel.cancel();
    let e = copy_with(&c, &task(&dir_url(src.path()), &[&dir_url(dst.path())]))
        .await
        .unwrap_err();
    assert_eq!(e, ExecError::Cancelled);
    assert!(read_tree(dst.path()).is_empty());

    // Cancelled mid-stream: the multipart upload is aborted, its staging file removed.
    let c = ctx();
    let entry = crate::listing::list(
        &StoreResolver::new()
            .resolve_full(&Location::url(src.path().join("big.bin").to_str().unwrap()))
            .unwrap(),
        &Filter::all(),
    )
    .await
    .unwrap()
    .entries
    .remove(0);
    let src_loc = StoreResolver::new()
        .resolve_full(&Location::url(dir_url(src.path())))
        .unwrap();
    let dest = Dest {
        loc: StoreResolver::new()
            .resolve_full(&Location::url(dir_url(dst.path())))
            .unwrap(),
        existing: HashMap::new(),
    };
    let stream = src_loc
        .store
        .get(&entry.location)
        .await
        .unwrap()
        .into_stream();
    let cancel = c.cancel.clone();
    let stream = stream
        .enumerate()
        .map(move |(i, chunk)| {
            if i == 3 {
                cancel.cancel();
            }
            chunk
        })
        .boxed();
    let paths = vec![(0, join(&dest.loc.prefix, "big.bin").unwrap())];
    let from = Reading { entry: &entry, stream, hasher: None };
    let to = Targets { dests: std::slice::from_ref(&dest), paths: &paths };
    let e = put_large(&c, from, to).await.unwrap_err();
    assert_eq!(e, ExecError::Cancelled);
    assert!(
        read_tree(dst.path()).is_empty(),
        "{:?}",
        read_tree(dst.path()).keys()
    );
}

fn mirror_task(src: &std::path::Path, dst: &std::path::Path, max_delete: Option<ferry_common::spec::MaxDelete>) -> CopyTask {
    CopyTask {
        delete_extraneous: true,
        max_delete,
        ..task(&dir_url(src), &[&dir_url(dst)])
    }
}

#[tokio::test]
async fn a_mirror_deletes_what_the_source_lacks_but_never_excluded_files() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a.csv", b"aaa"), ("sub/c.csv", b"c")]);
    write_tree(
        dst.path(),
        &[("a.csv", b"aaa"), ("old.csv", b"gone"), ("sub/x.csv", b"xx"), ("keep.log", b"log")],
    );
    let t = CopyTask {
        exclude: vec!["*.log".into()],
        ..mirror_task(src.path(), dst.path(), None)
    };
    let r = copy(&t).await.unwrap();
    assert_eq!((r["files_copied"].clone(), r["files_skipped"].clone()), (json!(1), json!(1)), "{r}");
    assert_eq!((r["files_deleted"].clone(), r["bytes_deleted"].clone()), (json!(2), json!(6)), "{r}");
    assert_eq!(r["destinations"][0]["files_deleted"], 2, "{r}");
    let left: Vec<String> = read_tree(dst.path()).into_keys().collect();
    assert_eq!(left, ["a.csv", "keep.log", "sub/c.csv"]);
    // A second mirror has nothing left to do.
    let r = copy(&t).await.unwrap();
    assert_eq!((r["files_copied"].clone(), r["files_deleted"].clone()), (json!(0), json!(0)), "{r}");
}

#[tokio::test]
async fn max_delete_fails_a_mirror_before_it_touches_the_destination() {
    use ferry_common::spec::MaxDelete;
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("new.csv", b"new")]);
    let held: Vec<(String, Vec<u8>)> = (0..10).map(|i| (format!("f{i}.csv"), vec![b'x'; i + 1])).collect();
    let held_refs: Vec<(&str, &[u8])> = held.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_tree(dst.path(), &held_refs);
    let before = read_tree(dst.path());

    for limit in [MaxDelete::Count(3), MaxDelete::Percent(50.0)] {
        let e = copy(&mirror_task(src.path(), dst.path(), Some(limit))).await.unwrap_err();
        assert!(
            matches!(&e, ExecError::Fatal(m) if m.contains("would delete 10 of the 10 files") && m.contains("max_delete")),
            "{limit}: {e:?}"
        );
        assert_eq!(read_tree(dst.path()), before, "nothing copied or deleted under {limit}");
    }
    // Within the limit the mirror goes ahead.
    let r = copy(&mirror_task(src.path(), dst.path(), Some(MaxDelete::Count(10)))).await.unwrap();
    assert_eq!(r["files_deleted"], 10, "{r}");
    assert_eq!(read_tree(dst.path()).into_keys().collect::<Vec<_>>(), ["new.csv"]);
}

#[tokio::test]
async fn a_mirror_of_a_single_file_is_refused() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("one.csv", b"1")]);
    write_tree(dst.path(), &[("other.csv", b"2")]);
    let t = CopyTask {
        delete_extraneous: true,
        ..task(&format!("file://{}/one.csv", src.path().display()), &[&dir_url(dst.path())])
    };
    let e = copy(&t).await.unwrap_err();
    assert!(matches!(&e, ExecError::Fatal(m) if m.contains("single file")), "{e:?}");
    assert!(dst.path().join("other.csv").exists());
}

#[tokio::test]
async fn a_dry_run_reports_every_decision_and_writes_nothing() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a.csv", b"aaa"), ("b.txt", b"bb"), ("sub/c.csv", b"c")]);
    write_tree(dst.path(), &[("a.csv", b"xyz"), ("b.txt", b"bbbb"), ("old.csv", b"o")]);
    let before = read_tree(dst.path());
    let t = CopyTask {
        dry_run: true,
        verify: Default::default(),
        unpack: false,
        bandwidth: None,
        shard_files: None,
        shard_bytes: None,
        ..mirror_task(src.path(), dst.path(), None)
    };
    let out = CopyExecutor::new(StoreResolver::new())
        .execute(&ctx(), &TaskBody::Copy(t))
        .await
        .unwrap();
    assert_eq!(read_tree(dst.path()), before, "a dry run writes and deletes nothing");
    let r = out.result;
    assert_eq!(r["dry_run"], true);
    assert_eq!((r["files_to_copy"].clone(), r["files_to_skip"].clone(), r["files_to_delete"].clone()), (json!(2), json!(1), json!(1)), "{r}");
    assert!(r.get("files_copied").is_none(), "{r}");
    assert_eq!(r["destinations"][0]["files_to_copy"], 2, "{r}");
    let report = out.report.expect("decisions");
    assert_eq!(report["decisions_count"], 4);
    let find = |p: &str| report["decisions"].as_array().unwrap().iter().find(|d| d["path"] == p).cloned().unwrap();
    assert_eq!((find("a.csv")["action"].clone(), find("a.csv")["reason"].clone()), (json!("skip"), json!("same size")));
    assert_eq!((find("b.txt")["action"].clone(), find("b.txt")["reason"].clone()), (json!("copy"), json!("size differs")));
    assert_eq!(find("sub/c.csv")["reason"], "missing at the destination");
    assert_eq!((find("old.csv")["action"].clone(), find("old.csv")["reason"].clone()), (json!("delete"), json!("not in the source")));
}

#[tokio::test]
async fn verify_checksum_keeps_a_manifest_and_rewrites_a_same_size_corruption() {
    let src = tempfile::tempdir().unwrap();
    write_tree(src.path(), TREE);
    let mem = format!("memory://copy-verify-{}/out/", uuid::Uuid::new_v4().simple());
    let dst = tempfile::tempdir().unwrap();
    let t = CopyTask {
        verify: ferry_common::spec::Verify::Checksum,
        ..task(&dir_url(src.path()), &[&mem, &dir_url(dst.path())])
    };
    let run = || async {
        CopyExecutor::new(StoreResolver::new())
            .execute(&ctx(), &TaskBody::Copy(t.clone()))
            .await
            .unwrap()
    };
    let out = run().await;
    assert_eq!(out.result["files_verified"], 4, "{}", out.result);
    let report = out.report.expect("a verifying copy reports its manifest");
    assert_eq!(report["manifest_count"], 4);
    let first = &report["manifest"][0];
    assert_eq!(first["path"], "a.csv");
    assert_eq!(first["size"], 3);
    assert_eq!(first["blake3"], blake3::hash(b"aaa").to_hex().as_str());
    assert_eq!(first["destinations"], json!(["copied", "copied"]));

    // Same size, other bytes, behind Ferry's back: a size-trusting skip would keep it.
    let url = url::Url::parse(&mem).unwrap();
    let store = memory_store(url.host_str().unwrap());
    store.put(&Path::from("out/b.txt"), PutPayload::from_static(b"XX")).await.unwrap();
    let out = run().await;
    assert_eq!(out.result["files_copied"], 1, "{}", out.result);
    assert_eq!(out.result["files_skipped"], 7, "{}", out.result);
    let b = &out.report.unwrap()["manifest"][1];
    assert_eq!((b["path"].clone(), b["destinations"].clone()), (json!("b.txt"), json!(["copied", "kept"])));
    let fixed = store.get(&Path::from("out/b.txt")).await.unwrap().bytes().await.unwrap();
    assert_eq!(&fixed[..], b"bb");
}

#[tokio::test]
async fn a_copy_larger_than_a_shard_runs_shard_by_shard_with_the_same_outcome() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let names: Vec<String> = (0..7).map(|i| format!("d{}/f{i}.csv", i % 3)).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"12345"[..])).collect();
    write_tree(src.path(), &files);
    write_tree(dst.path(), &[("d0/f0.csv", b"12345"), ("stale.csv", b"x")]);
    let t = CopyTask {
        shard_files: Some(2),
        delete_extraneous: true,
        ..task(&dir_url(src.path()), &[&dir_url(dst.path())])
    };
    let c = ctx();
    let r = copy_with(&c, &t).await.unwrap();
    assert_eq!((r["files_copied"].clone(), r["files_skipped"].clone(), r["files_deleted"].clone()), (json!(6), json!(1), json!(1)), "{r}");
    assert_eq!(read_tree(dst.path()), read_tree(src.path()));
    let p = c.progress.snapshot();
    assert_eq!((p.files_total, p.files_done, p.bytes_total, p.bytes_done), (7, 7, 35, 35));
}

#[tokio::test]
async fn a_failing_destination_does_not_stop_the_others_and_is_named() {
    let (src, good, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), TREE);
    // A destination under a regular file: every write there fails (not a directory).
    std::fs::write(tmp.path().join("blocker"), "x").unwrap();
    let bad = format!("file://{}/blocker/out/", tmp.path().display());
    let t = task(&dir_url(src.path()), &[&dir_url(good.path()), &bad]);
    let e = copy(&t).await.unwrap_err();
    let (ExecError::Fatal(msg) | ExecError::Retryable(msg)) = &e else { panic!("{e:?}") };
    assert!(msg.starts_with("1 of 2 destinations failed"), "{msg}");
    assert!(msg.contains(&format!("{}: ok (4 copied, 0 kept)", dir_url(good.path()))), "{msg}");
    assert!(msg.contains("blocker/out/: 4 files failed"), "{msg}");
    assert_eq!(read_tree(good.path()), read_tree(src.path()), "the healthy destination got everything");
}

use super::*;
use crate::test_support::{ctx, data_tree, dir_url, write_tree};
use ferry_common::spec::{Conflict, Location, MaxDelete};
use std::path::Path;

fn task(a: &Path, b: &Path) -> SyncTask {
    SyncTask::between(Location::url(dir_url(a)), Location::url(dir_url(b)))
}

async fn sync(t: &SyncTask) -> Result<TaskOutput, ExecError> {
    SyncExecutor { resolver: StoreResolver::new() }.execute(&ctx(), &TaskBody::Sync(t.clone())).await
}

fn set_mtime(p: &Path, secs_ago: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago);
    std::fs::File::options().write(true).open(p).unwrap().set_modified(t).unwrap();
}

#[tokio::test]
async fn the_first_run_merges_both_sides_and_deletes_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("only-a.txt", b"a"), ("both.txt", b"same"), ("sub/x", b"x")]);
    write_tree(b.path(), &[("only-b.txt", b"b"), ("both.txt", b"same")]);
    let out = sync(&task(a.path(), b.path())).await.unwrap();
    assert_eq!(data_tree(a.path()), data_tree(b.path()));
    assert_eq!(data_tree(a.path()).len(), 4);
    assert_eq!((out.result["files_copied_a_to_b"].as_u64(), out.result["files_copied_b_to_a"].as_u64()), (Some(2), Some(1)));
    assert_eq!(out.result["settled"], 1, "the equal file is recorded, not copied");
    // A second run finds nothing to do.
    let again = sync(&task(a.path(), b.path())).await.unwrap();
    assert_eq!(again.result["decided"], 0, "{}", again.result);
}

#[tokio::test]
async fn edits_creations_and_deletions_on_both_sides_meet() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("edit-a", b"1"), ("edit-b", b"1"), ("del-a", b"1"), ("del-b", b"1"), ("keep", b"1")]);
    let t = task(a.path(), b.path());
    sync(&t).await.unwrap();
    write_tree(a.path(), &[("edit-a", b"changed on a"), ("new-a", b"n")]);
    write_tree(b.path(), &[("edit-b", b"changed on b"), ("new-b", b"n")]);
    std::fs::remove_file(a.path().join("del-a")).unwrap();
    std::fs::remove_file(b.path().join("del-b")).unwrap();
    let out = sync(&t).await.unwrap();
    let (ta, tb) = (data_tree(a.path()), data_tree(b.path()));
    assert_eq!(ta, tb);
    assert_eq!(ta.keys().cloned().collect::<Vec<_>>(), ["edit-a", "edit-b", "keep", "new-a", "new-b"]);
    assert_eq!(ta["edit-a"], b"changed on a");
    assert_eq!(ta["edit-b"], b"changed on b");
    assert_eq!((out.result["files_deleted_a"].as_u64(), out.result["files_deleted_b"].as_u64()), (Some(1), Some(1)));
    assert_eq!(out.result["conflicts"], 0);
    let decisions = out.report.unwrap()["decisions"].as_array().unwrap().len();
    assert_eq!(decisions, 6, "every path acted on is a decision");
}

#[tokio::test]
async fn each_conflict_policy_picks_its_winner() {
    for (policy, want_a, want_b) in [
        (Conflict::Newer, "newer on b!!", "newer on b!!"),
        (Conflict::Larger, "older but larger on a", "older but larger on a"),
        (Conflict::PreferA, "older but larger on a", "older but larger on a"),
        (Conflict::PreferB, "newer on b!!", "newer on b!!"),
    ] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_tree(a.path(), &[("f", b"base")]);
        let mut t = task(a.path(), b.path());
        t.conflict = policy;
        sync(&t).await.unwrap();
        write_tree(a.path(), &[("f", b"older but larger on a")]);
        set_mtime(&a.path().join("f"), 60);
        write_tree(b.path(), &[("f", b"newer on b!!")]);
        let out = sync(&t).await.unwrap();
        assert_eq!(data_tree(a.path())["f"], want_a.as_bytes(), "{policy:?}");
        assert_eq!(data_tree(b.path())["f"], want_b.as_bytes(), "{policy:?}");
        assert_eq!(out.result["conflicts"], 1);
        let c = &out.report.unwrap()["conflicts"][0];
        assert_eq!(c["path"], "f");
        assert!(c["versions"]["a"]["size"].is_u64() && c["versions"]["b"]["size"].is_u64(), "{c}");
    }
}

#[tokio::test]
async fn keep_both_renames_the_loser_on_both_sides() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("f.txt", b"base")]);
    let mut t = task(a.path(), b.path());
    t.conflict = Conflict::KeepBoth;
    sync(&t).await.unwrap();
    write_tree(a.path(), &[("f.txt", b"a's edit")]);
    set_mtime(&a.path().join("f.txt"), 60);
    write_tree(b.path(), &[("f.txt", b"b's later edit")]);
    sync(&t).await.unwrap();
    let (ta, tb) = (data_tree(a.path()), data_tree(b.path()));
    assert_eq!(ta, tb);
    assert_eq!(ta["f.txt"], b"b's later edit");
    let kept: Vec<_> = ta.iter().filter(|(p, _)| p.starts_with("f.txt.conflict-")).collect();
    assert_eq!(kept.len(), 1, "{ta:?}");
    assert_eq!(kept[0].1, b"a's edit");
    assert_eq!(sync(&t).await.unwrap().result["decided"], 0, "settled");
}

#[tokio::test]
async fn too_many_deletions_change_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("1", b"1"), ("2", b"2"), ("3", b"3"), ("4", b"4")]);
    let mut t = task(a.path(), b.path());
    t.max_delete = MaxDelete::Percent(25.0);
    sync(&t).await.unwrap();
    for f in ["1", "2"] {
        std::fs::remove_file(a.path().join(f)).unwrap();
    }
    write_tree(a.path(), &[("new", b"n")]);
    let e = sync(&t).await.unwrap_err().to_string();
    assert!(e.contains("would delete 2 of the 4 files on b") && e.contains("nothing was changed"), "{e}");
    assert_eq!(data_tree(b.path()).len(), 4, "nothing deleted");
    assert!(!data_tree(b.path()).contains_key("new"), "nothing copied either");
}

#[tokio::test]
async fn work_applied_but_not_recorded_is_settled_without_copying_or_resurrecting() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("changed", b"old"), ("deleted", b"d"), ("kept", b"k")]);
    let t = task(a.path(), b.path());
    sync(&t).await.unwrap();
    // What a worker killed after the file operations and before their records leaves:
    // the change already on both sides, the deletion already done on both.
    write_tree(a.path(), &[("changed", b"new!")]);
    write_tree(b.path(), &[("changed", b"new!")]);
    std::fs::remove_file(a.path().join("deleted")).unwrap();
    std::fs::remove_file(b.path().join("deleted")).unwrap();
    let out = sync(&t).await.unwrap();
    assert_eq!(out.result["decided"], 0, "nothing copied or deleted: {}", out.result);
    assert_eq!(out.result["conflicts"], 0);
    assert_eq!(data_tree(a.path()), data_tree(b.path()));
    assert!(!data_tree(a.path()).contains_key("deleted"), "not resurrected");
    assert_eq!(sync(&t).await.unwrap().result["decided"], 0);
}

#[tokio::test]
async fn versions_keep_what_a_sync_replaces_and_deletes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("f", b"v1"), ("g", b"g")]);
    let mut t = task(a.path(), b.path());
    t.versions = Some(ferry_common::values::Versions { keep: Some(5), keep_for: None });
    sync(&t).await.unwrap();
    write_tree(a.path(), &[("f", b"v2, longer")]);
    std::fs::remove_file(a.path().join("g")).unwrap();
    sync(&t).await.unwrap();
    let all = crate::test_support::read_tree(b.path());
    let kept: Vec<&String> = all.keys().filter(|p| p.starts_with(".ferry-versions/")).collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(all.iter().any(|(p, v)| p.starts_with(".ferry-versions/f/") && v == b"v1"));
    assert!(all.iter().any(|(p, v)| p.starts_with(".ferry-versions/g/") && v == b"g"));
    assert_eq!(data_tree(a.path()), data_tree(b.path()), "versions are not data");
}

#[tokio::test]
async fn a_second_sync_of_the_same_pair_waits_for_the_first() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("f", b"1")]);
    let coord: std::sync::Arc<dyn ferry_common::coordination::Coordinator> = std::sync::Arc::new(ferry_common::inproc::InProcCoordinator::new());
    let key = pair_key(&dir_url(a.path()), &dir_url(b.path()));
    let held = lease::PairLease::take(coord.clone(), &key, "someone else".into()).await.unwrap();
    let mut c = ctx();
    c.coordinator = Some(coord.clone());
    let exec = SyncExecutor { resolver: StoreResolver::new() };
    let e = exec.execute(&c, &TaskBody::Sync(task(a.path(), b.path()))).await.unwrap_err();
    assert!(matches!(e, ExecError::Retryable(_)) && e.to_string().contains("another sync"), "{e}");
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    exec.execute(&c, &TaskBody::Sync(task(a.path(), b.path()))).await.unwrap();
    assert_eq!(data_tree(a.path()), data_tree(b.path()));
}

#[tokio::test]
async fn a_dry_run_reports_each_step_in_words_and_changes_nothing() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(a.path(), &[("only-a", b"a")]);
    write_tree(b.path(), &[("only-b", b"b")]);
    let mut t = task(a.path(), b.path());
    t.dry_run = true;
    let out = sync(&t).await.unwrap();
    let decisions = out.report.unwrap()["decisions"].clone();
    assert_eq!(decisions[0]["action"], "copy a → b", "{decisions}");
    assert_eq!(decisions[0]["reason"], "new on a");
    assert_eq!(decisions[1]["action"], "copy b → a");
    assert!(!b.path().join("only-a").exists() && !a.path().join("only-b").exists(), "nothing copied");
    assert!(!a.path().join(".ferry").exists(), "no baseline written");
}

use super::*;
use crate::test_support::{ctx, data_tree, dir_url, write_tree};
use ferry_common::spec::{Converge, HumanDuration, Location};
use std::path::Path;

fn task(src: &Path, dst: &Path) -> MigrateTask {
    MigrateTask {
        source: Location::url(dir_url(src)),
        destination: Location::url(dir_url(dst)),
        include: Vec::new(),
        exclude: Vec::new(),
        overwrite: Overwrite::Checksum,
        verify: Verify::None,
        bandwidth: None,
        converge: Converge { max_changed: 0, max_passes: 5, pass_interval: HumanDuration::from_secs(0) },
        cutover: Cutover::Auto,
        delete_extraneous: false,
        max_delete: None,
        versions: None,
    }
}

async fn migrate(c: &ExecContext, t: &MigrateTask) -> Result<TaskOutput, ExecError> {
    MigrateExecutor { resolver: StoreResolver::new() }.execute(c, &TaskBody::Migrate(t.clone())).await
}

#[tokio::test]
async fn a_quiet_source_converges_on_the_second_pass_and_cuts_over() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a", b"1"), ("sub/b", b"22")]);
    let out = migrate(&ctx(), &task(src.path(), dst.path())).await.unwrap();
    assert_eq!(data_tree(src.path()), data_tree(dst.path()));
    let passes = out.result["passes"].as_array().unwrap();
    assert_eq!(passes.len(), 3, "copy, converge, final: {passes:?}");
    assert_eq!(passes[0]["found_changed"], 2);
    assert_eq!(passes[0]["copied"], 2);
    assert_eq!(passes[1]["found_changed"], 0);
    assert_eq!(passes[1]["converged"], true);
    assert_eq!(passes[2]["final"], true);
    assert_eq!(out.result["check"]["source_files"], 2);
}

#[tokio::test]
async fn later_runs_copy_only_what_changed_and_propagate_deletions() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("same", b"s"), ("edited", b"v1"), ("gone", b"g")]);
    let mut t = task(src.path(), dst.path());
    t.delete_extraneous = true;
    migrate(&ctx(), &t).await.unwrap();
    // Same size, new content: the records' time tells it changed.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_tree(src.path(), &[("edited", b"v2"), ("added", b"a")]);
    std::fs::remove_file(src.path().join("gone")).unwrap();
    let out = migrate(&ctx(), &t).await.unwrap();
    let first = &out.result["passes"][0];
    assert_eq!((first["found_changed"].as_u64(), first["copied"].as_u64(), first["deleted"].as_u64()), (Some(3), Some(2), Some(1)), "{first}");
    assert_eq!(data_tree(src.path()), data_tree(dst.path()));
}

#[tokio::test]
async fn a_source_that_never_settles_fails_after_max_passes() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a", b"1")]);
    let mut t = task(src.path(), dst.path());
    t.converge.max_passes = 3;
    t.converge.pass_interval = HumanDuration(std::time::Duration::from_millis(300));
    let writer_dir = src.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let writer = std::thread::spawn(move || {
        let mut i = 0u64;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            i += 1;
            std::fs::write(writer_dir.join(format!("w{i}")), i.to_string()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    let e = migrate(&ctx(), &t).await.unwrap_err().to_string();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(e.contains("did not converge within 3 passes"), "{e}");
}

#[tokio::test]
async fn a_manual_cutover_waits_for_the_request() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_tree(src.path(), &[("a", b"1")]);
    let mut t = task(src.path(), dst.path());
    t.cutover = Cutover::Manual;
    t.converge.pass_interval = HumanDuration(std::time::Duration::from_millis(100));
    let coord: std::sync::Arc<dyn ferry_common::coordination::Coordinator> = std::sync::Arc::new(ferry_common::inproc::InProcCoordinator::new());
    let mut c = ctx();
    c.coordinator = Some(coord.clone());
    let running = tokio::spawn({
        let (c, t) = (c.clone(), t.clone());
        async move { migrate(&c, &t).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(!running.is_finished(), "a manual migration keeps passing");
    let passes_so_far = c.progress.snapshot().passes.unwrap().pass;
    assert!(passes_so_far >= 3, "passes after convergence go on: {passes_so_far}");
    coord.request_cutover(c.task_id).await.unwrap();
    let out = running.await.unwrap().unwrap();
    assert_eq!(out.result["passes"].as_array().unwrap().last().unwrap()["final"], true);
    assert_eq!(data_tree(src.path()), data_tree(dst.path()));
}

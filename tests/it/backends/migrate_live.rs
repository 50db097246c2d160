//! A live migration from a local tree to S3 while a writer process adds, changes and
//! deletes files at a steady rate: the first `ferry run` is killed with `kill -9`
//! mid-pass, the second resumes from the records kept beside the data, converges once
//! the writer stops, cuts over, and leaves the destination equal to the source byte for
//! byte.

use super::live::{kill_9, local_tree, s3_tree, spawn_spec};
use super::{connections_file, patterned, prefix, require_stores, run_spec, s3, text};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn a_migration_keeps_up_with_a_writer_survives_a_kill_and_cuts_over_equal() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    for i in 0..60u8 {
        std::fs::write(src.join(format!("sub/f{i}.bin")), patterned(50_000, i)).unwrap();
    }
    let conns = connections_file(tmp.path(), "");
    let p = prefix("migrate-live");
    let spec = |bandwidth: &str| {
        format!(
            "name: migrate-live\ntasks:\n  - id: move\n    kind: migrate\n    source: file://{}/\n    destination: {{url: s3://lake/{p}/, connection: lake}}\n    delete_extraneous: true\n    converge: {{max_changed: 0, max_passes: 200, pass_interval: 1s}}\n    cutover: auto\n{bandwidth}",
            src.display()
        )
    };
    // The writer: a file added, one changed and one deleted every 100 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, src) = (stop.clone(), src.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                std::fs::write(src.join(format!("w{i}.txt")), format!("written {i}")).unwrap();
                std::fs::write(src.join(format!("sub/f{}.bin", i % 60)), format!("changed at {i}")).unwrap();
                if i > 3 {
                    let _ = std::fs::remove_file(src.join(format!("w{}.txt", i - 3)));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let mut first = spawn_spec(tmp.path(), "first", &spec("    bandwidth: 500KiB/s\n"), &conns);
    std::thread::sleep(Duration::from_millis(2_500));
    kill_9(&mut first);
    let second = std::thread::spawn({
        let (dir, spec, conns) = (tmp.path().to_path_buf(), spec(""), conns.clone());
        move || run_spec(&dir, "second", &spec, &conns)
    });
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let out = second.join().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let store = s3();
    assert_eq!(local_tree(&src), s3_tree(&store, &p), "the destination equals the source byte for byte");
}

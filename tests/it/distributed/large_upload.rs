//! A 1 GiB file uploaded to S3 in parts, and the worker uploading it killed half way:
//! another worker uploads the file again from the start (the unfinished multipart upload
//! never became an object; there is no part-level resume), and the object that lands is
//! whole and hashes the same as the source.

use super::stack::{Opts, Stack, serial};
use crate::backends::{connections_file, prefix, require_stores};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_worker_killed_mid_upload_of_1_gib_loses_nothing() {
    let _serial = serial();
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(src.join("big.bin")).unwrap());
    let block: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 11) as u8).collect();
    for i in 0..1024u32 {
        f.write_all(&i.to_le_bytes()).unwrap();
        f.write_all(&block[4..]).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let conns = connections_file(tmp.path(), "");
    let mut stack = Stack::start(Opts {
        workers: 2,
        concurrency: 2,
        env: vec![
            ("FERRY_CONNECTIONS".into(), conns.display().to_string()),
            ("FERRY_IT_S3_SECRET".into(), "ferrysecret".into()),
        ],
        ..Opts::default()
    });
    let p = prefix("big");
    let s3 = json!({"url": format!("s3://lake/{p}/"), "connection": "lake"});
    let spec = json!({"name": "big-upload", "defaults": {"retries": {"max": 3, "initial": "1s"}}, "tasks": [
        // Slowed to about 8 s so the kill lands in the middle.
        {"id": "upload", "kind": "copy", "source": format!("{}/", src.display()), "destination": s3, "bandwidth": "128MiB/s"},
        {"id": "verify", "kind": "check", "depends_on": ["upload"], "mode": "checksum",
         "source": format!("{}/", src.display()), "target": s3},
    ]});
    let run_id = stack.start_run(&spec).await;

    // Wait until a quarter is uploaded (live progress), then kill whoever is uploading.
    let deadline = Instant::now() + Duration::from_secs(60);
    let victim = loop {
        assert!(Instant::now() < deadline, "the upload never reached 256 MiB");
        let tasks = stack.tasks(&run_id).await;
        let upload = tasks.iter().find(|t| t["key"] == "upload");
        let done = upload.and_then(|t| t["progress"]["bytes_done"].as_u64()).unwrap_or(0);
        if done >= 256 << 20 {
            let busy = stack
                .workers()
                .await
                .into_iter()
                .find(|w| w["running"].as_array().is_some_and(|r| !r.is_empty()))
                .and_then(|w| w["id"].as_str().and_then(|id| stack.live_worker_by_id(id)));
            if let Some(i) = busy {
                assert!(done < 1 << 30, "the upload finished before the kill: {done}");
                break i;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stack.kill_9_worker(victim);
    eprintln!("killed worker {} mid-upload", stack.workers[victim].id);
    stack.start_worker();

    let run = stack.wait_run(&run_id, Duration::from_secs(120)).await;
    assert_eq!(run["state"], "succeeded", "{run}\n{}", stack.log_tails(30));
    let tasks = stack.tasks(&run_id).await;
    let upload = tasks.iter().find(|t| t["key"] == "upload").unwrap();
    // Redone either as the same attempt (its message came back once the dead worker's
    // claim lapsed) or as a new one (the reaper saw the worker gone first).
    eprintln!("upload finished at attempt {}", upload["attempt"]);
    assert_eq!(upload["result"]["files_copied"], 1, "{upload}");
    assert_eq!(upload["result"]["bytes_total"], 1u64 << 30, "{upload}");
    let verify = tasks.iter().find(|t| t["key"] == "verify").unwrap();
    assert_eq!(verify["result"]["consistent"], true, "BLAKE3 of S3's object equals the source's: {verify}");

    // A gibibyte per run would fill the shared S3 server's disk over many runs.
    use object_store::ObjectStoreExt;
    crate::backends::s3().delete(&object_store::path::Path::from(format!("{p}/big.bin"))).await.unwrap();
    // SeaweedFS keeps a deleted object's space until its volume is vacuumed.
    let _ = std::process::Command::new("curl")
        .args(["-sf", "-o", "/dev/null", "http://127.0.0.1:9333/vol/vacuum?garbageThreshold=0.0001"])
        .status();
}

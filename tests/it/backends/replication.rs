//! Continuous replication (`migrate` with `cutover: never`) to an Azure Blob emulator
//! that is down when it starts and while the source changes: the passes fail and the lag
//! grows; once the server is up, the next passes catch up everything that changed
//! meanwhile, the backlog and lag fall to 0, and the destination equals the source.

use super::outage::start_azurite;
use super::{AZURITE_KEY, azurite_connection, connections_file, prefix, require_stores};
use crate::app::spawn_app_with;
use crate::distributed::servers::free_port;
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use object_store::path::Path as ObjectPath;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_rides_out_a_destination_outage_and_catches_up() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..10 {
        std::fs::write(src.join(format!("f{i}.txt")), format!("file {i}")).unwrap();
    }
    let port = free_port();
    let conns = connections_file(tmp.path(), &azurite_connection("late", port));
    let p = prefix("replication");
    let app = spawn_app_with(&tmp.path().join("data"), &[("FERRY_CONNECTIONS", conns.to_str().unwrap()), ("FERRY_IT_S3_SECRET", "ferrysecret")]);
    let spec = json!({
        "name": "replication",
        "tasks": [{
            "id": "dr", "kind": "migrate", "source": format!("file://{}/", src.display()),
            "destination": {"url": format!("az://ferry/{p}/"), "connection": "late"},
            "cutover": "never", "delete_extraneous": true, "converge": {"pass_interval": "1s"}
        }]
    });
    let pipeline = app.create_pipeline(&spec).await;
    let run_id = app.start_run(&json!({"id": pipeline})).await;
    let passes = |tasks: &Value| tasks["items"][0]["progress"]["passes"].clone();

    // Down: passes fail, the lag grows; the source keeps changing.
    let mut outage_lag = 0;
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        let tasks: Value = app.get(&format!("/api/v1/runs/{run_id}/tasks")).await.json().await.unwrap();
        outage_lag = outage_lag.max(passes(&tasks)["lag_secs"].as_u64().unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    std::fs::write(src.join("added-during-outage.txt"), "new").unwrap();
    std::fs::remove_file(src.join("f0.txt")).unwrap();
    assert!(outage_lag >= 2, "the lag grows while the destination is down ({outage_lag} s)");

    let _azurite = start_azurite(port);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let tasks: Value = app.get(&format!("/api/v1/runs/{run_id}/tasks")).await.json().await.unwrap();
        let now = passes(&tasks);
        if now["backlog"] == 0 && now["lag_secs"] == 0 && now["converged"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "never caught up: {now}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let az = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(AZURITE_KEY)
        .with_endpoint(format!("http://127.0.0.1:{port}/devstoreaccount1"))
        .with_allow_http(true)
        .with_container_name("ferry")
        .build()
        .unwrap();
    let metas: Vec<_> = az.list(Some(&ObjectPath::from(p.as_str()))).try_collect().await.unwrap();
    let mut got: Vec<(String, Vec<u8>)> = Vec::new();
    for m in metas {
        let rel = m.location.to_string().strip_prefix(&format!("{p}/")).unwrap().to_string();
        if rel.starts_with(".ferry") {
            continue;
        }
        got.push((rel, az.get(&m.location).await.unwrap().bytes().await.unwrap().to_vec()));
    }
    got.sort();
    assert_eq!(got, super::live::local_tree(&src), "caught up: every change made during the outage is there");
    let _ = app.post_json(&format!("/api/v1/runs/{run_id}/cancel"), &json!({})).await;
    app.stop();
}

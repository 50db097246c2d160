//! Conditions about files: an S3 marker gating a copy, 200 sensors and one worker slot,
//! a `consistent` post-condition repairing what it found, and failure classes.

use super::{row, run_in_background};
use crate::backends::{connections_file, prefix, require_stores, run_spec, s3, text};
use crate::distributed::servers::free_port;
use crate::fixtures::{SAMPLE, read_tree, write_tree};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn wait_output(child: std::process::Child) -> std::process::Output {
    child.wait_with_output().unwrap()
}

#[test]
fn a_copy_waits_for_its_s3_marker_then_copies_everything() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let conns = connections_file(tmp.path(), "");
    let p = prefix("marker");
    let spec = format!(
        "name: gated\ntasks:
  - id: load
    kind: copy
    source: {{url: 's3://lake/{p}/data/', connection: lake}}
    destination: '{}/'
    pre:
      - exists: {{url: 's3://lake/{p}/_SUCCESS', connection: lake}}
      - min_files: {{url: 's3://lake/{p}/data/', connection: lake, count: 3}}
    wait: {{poke: 500ms, timeout: 2m}}
",
        out.display()
    );
    let env = [("FERRY_CONNECTIONS", conns.display().to_string()), ("FERRY_IT_S3_SECRET", "ferrysecret".to_string())];
    let child = run_in_background(tmp.path(), "gated", &spec, &env);
    // The export lands while the task waits: data first, the marker last.
    std::thread::sleep(Duration::from_secs(2));
    let store = s3();
    for (name, body) in [("a.csv", "1\n"), ("b.csv", "2\n"), ("c.csv", "3\n")] {
        block_on(store.put(&ObjectPath::from(format!("{p}/data/{name}")), body.as_bytes().to_vec().into())).unwrap();
    }
    assert!(!out.exists(), "nothing may be copied before the marker is there");
    block_on(store.put(&ObjectPath::from(format!("{p}/_SUCCESS")), Vec::new().into())).unwrap();
    let done = wait_output(child);
    let stdout = text(&done);
    assert!(done.status.success(), "{stdout}");
    assert_eq!(read_tree(&out).len(), 3, "{stdout}");
    assert_eq!(row(&stdout, "load").0, "succeeded");
}

#[test]
fn a_failed_consistent_post_condition_is_repaired_by_the_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, out) = (tmp.path().join("src"), tmp.path().join("out"));
    write_tree(&src, SAMPLE);
    // Same size, other bytes: `overwrite: skip` keeps it, the post-condition finds it.
    let (rel, good) = SAMPLE[0];
    let bad: String = good.chars().map(|c| if c == '\n' { c } else { 'x' }).collect();
    write_tree(&out, &[(rel, bad.as_str())]);
    let spec = format!(
        "name: post\ntasks:
  - id: copy
    kind: copy
    source: '{}/'
    destination: '{}/'
    overwrite: skip
    retries: {{max: 1, initial: 100ms}}
    post: [{{consistent: {{mode: checksum}}}}]
",
        src.display(),
        out.display()
    );
    let done = run_spec(tmp.path(), "post", &spec, &super::no_connections(tmp.path()));
    let stdout = text(&done);
    assert!(done.status.success(), "{stdout}");
    let (state, attempt, _) = row(&stdout, "copy");
    assert_eq!((state.as_str(), attempt), ("succeeded", 2), "{stdout}");
    assert_eq!(read_tree(&out), read_tree(&src));
}

#[test]
fn bad_credentials_fail_at_attempt_1_and_an_unreachable_store_succeeds_at_attempt_2() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_tree(&src, SAMPLE);
    let port = free_port();
    let extra = format!(
        "wrongkey:\n  endpoint: http://127.0.0.1:8333\n  region: us-east-1\n  access_key_id: ferry\n  secret_access_key: not-the-secret\n  allow_http: true\n\
         flaky:\n  endpoint: http://127.0.0.1:{port}\n  region: us-east-1\n  access_key_id: ferry\n  secret_access_key: ferrysecret\n  allow_http: true\n"
    );
    let conns = connections_file(tmp.path(), &extra);
    let p = prefix("classes");
    let spec = format!(
        "name: classes\ntasks:
  - {{id: refused, kind: copy, source: '{src}/', destination: {{url: 's3://lake/{p}/refused/', connection: wrongkey}}, retries: {{max: 3, initial: 100ms}}, allow_failure: true}}
  - {{id: unreachable, kind: copy, source: '{src}/', destination: {{url: 's3://lake/{p}/flaky/', connection: flaky}}, timeout: 4s, retries: {{max: 10, initial: 1s, backoff: fixed}}}}
",
        src = src.display()
    );
    // The S3 server is unreachable for the first attempt (nothing listens on its
    // address), then reachable: a proxy to SeaweedFS starts on that address.
    let proxy = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(6));
        forward(port, 8333);
    });
    let done = run_spec(tmp.path(), "classes", &spec, &conns);
    let stdout = text(&done);
    assert!(done.status.success(), "the refused copy is allowed to fail: {stdout}");
    let (state, attempt, detail) = row(&stdout, "refused");
    assert_eq!((state.as_str(), attempt), ("failed", 1), "permanent: not retried: {stdout}");
    assert!(detail.contains("permanent"), "{stdout}");
    let (state, attempt, _) = row(&stdout, "unreachable");
    assert_eq!(state, "succeeded", "{stdout}");
    assert!(attempt >= 2, "the first attempt met the outage: {stdout}");
    proxy.join().expect("the proxy to S3 started");
}

/// Accepts on `from` for the rest of the test and pipes each connection to `to`.
fn forward(from: u16, to: u16) {
    let listener = TcpListener::bind(("127.0.0.1", from)).unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else { continue };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || std::io::copy(&mut c1, &mut s1));
            std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
        }
    });
}

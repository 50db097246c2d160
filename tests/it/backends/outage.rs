//! One of three destinations is down when the copy starts and comes up a few seconds
//! later: the task retries, the destinations that already hold the files skip them, and
//! the run completes with all three consistent.

use super::{azurite_connection, connections_file, prefix, require_stores, run_spec, text};
use crate::distributed::servers::{free_port, listening};
use crate::fixtures::{SAMPLE, read_tree, write_tree};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private Azurite (in memory) on its own port, killed on drop.
pub(super) struct PrivateAzurite(Child);

impl Drop for PrivateAzurite {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn svc_dir() -> String {
    std::env::var("SVC").unwrap_or_else(|_| "/tmp/ferry-svc".to_string())
}

/// Starts Azurite on `port` and creates the container `ferry` in it.
pub(super) fn start_azurite(port: u16) -> PrivateAzurite {
    let bin = format!("{}/azurite/node_modules/.bin/azurite-blob", svc_dir());
    let child = Command::new(&bin)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin} (scripts/services.sh installs it): {e}"));
    let azurite = PrivateAzurite(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !listening(port) {
        assert!(Instant::now() < deadline, "the private Azurite did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let services = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/services.sh");
    let made = Command::new("bash")
        .arg("-c")
        .arg(format!("source '{services}' && azurite_container ferry"))
        .env("AZURITE_PORT", port.to_string())
        .output()
        .unwrap();
    assert!(made.status.success(), "creating the container: {}", String::from_utf8_lossy(&made.stderr));
    azurite
}

#[test]
fn a_destination_that_is_down_for_a_while_is_retried_until_the_copy_completes() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let (src, out) = (tmp.path().join("src"), tmp.path().join("out"));
    write_tree(&src, SAMPLE);
    let port = free_port();
    let conns = connections_file(tmp.path(), &azurite_connection("late", port));
    let p = prefix("outage");
    let s3 = format!("{{url: 's3://lake/{p}/', connection: lake}}");
    let late = format!("{{url: 'az://ferry/{p}/', connection: late}}");
    let (src_url, out_url) = (format!("{}/", src.display()), format!("{}/", out.display()));
    let spec = format!(
        "name: outage\ntasks:
  - id: fan_out
    kind: copy
    source: '{src_url}'
    destinations: ['{out_url}', {s3}, {late}]
    retries: {{max: 20, backoff: fixed, initial: 1s}}
  - {{id: check_local, kind: check, depends_on: [fan_out], source: '{src_url}', target: '{out_url}', mode: checksum}}
  - {{id: check_s3, kind: check, depends_on: [fan_out], source: '{src_url}', target: {s3}, mode: checksum}}
  - {{id: check_late, kind: check, depends_on: [fan_out], source: '{src_url}', target: {late}, mode: checksum}}
"
    );
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        start_azurite(port)
    });
    let run = run_spec(tmp.path(), "outage", &spec, &conns);
    let _azurite = starter.join().unwrap();
    let stdout = text(&run);
    assert!(run.status.success(), "{stdout}");
    assert_eq!(stdout.matches("consistent").count(), 3, "{stdout}");
    assert!(!stdout.contains("INCONSISTENT"), "{stdout}");
    assert_eq!(read_tree(&out), read_tree(&src));
}

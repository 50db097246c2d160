//! Copies and checks across the real object stores: SeaweedFS for S3 (127.0.0.1:8333,
//! bucket `lake`) and Azurite for Azure Blob (127.0.0.1:10000, container `ferry`), both
//! started by `scripts/test.sh`. Each test writes under its own key prefix. A store that
//! is not there fails the test with the command that starts it.

mod hops;
pub(crate) mod live;
mod migrate_live;
mod outage;
mod repair;
mod replication;
mod sync_crash;
mod sync_policies;
mod unpack;

use crate::app::ferry;
use crate::distributed::servers::listening;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Azurite's well-known development account key (public, documented by Microsoft).
pub(crate) const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Fails loudly unless the S3 server and the Azure emulator answer.
pub(crate) fn require_stores() {
    for (port, what) in [(8333, "SeaweedFS (S3)"), (10000, "Azurite (Azure Blob)")] {
        assert!(
            listening(port),
            "{what} is not listening on 127.0.0.1:{port}; start it with `bash scripts/services.sh` (scripts/test.sh does)"
        );
    }
}

/// A fresh key prefix for one test, so tests never see each other's objects.
pub(crate) fn prefix(test: &str) -> String {
    format!("it-{test}-{}", uuid::Uuid::new_v4().simple())
}

/// The `azure` connection's options for an Azurite listening on `port`.
pub(crate) fn azurite_connection(name: &str, port: u16) -> String {
    format!(
        "{name}:\n  account_name: devstoreaccount1\n  access_key: \"{AZURITE_KEY}\"\n  endpoint: http://127.0.0.1:{port}/devstoreaccount1\n  allow_http: true\n"
    )
}

/// Writes a connections file with `lake` (S3) and `blob` (Azure) plus `extra`, and
/// returns its path. The S3 secret comes from the environment, as in production.
pub(crate) fn connections_file(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("connections.yaml");
    let text = format!(
        "lake:\n  endpoint: http://127.0.0.1:8333\n  region: us-east-1\n  access_key_id: ferry\n  secret_access_key: ${{FERRY_IT_S3_SECRET}}\n  allow_http: true\n{}{extra}",
        azurite_connection("blob", 10000)
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `ferry run <spec>` (embedded) with the connections file; returns its output.
pub(crate) fn run_spec(dir: &Path, name: &str, spec: &str, connections: &Path) -> Output {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, spec).unwrap();
    ferry()
        .arg("run")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.join(format!("data-{name}")))
        .env("FERRY_CONNECTIONS", connections)
        .env("FERRY_IT_S3_SECRET", "ferrysecret")
        .output()
        .unwrap()
}

/// stdout, with stderr appended for failure messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An S3 client on the test bucket, for reading and tampering with what Ferry wrote.
pub(crate) fn s3() -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint("http://127.0.0.1:8333")
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name("lake")
        .with_access_key_id("ferry")
        .with_secret_access_key("ferrysecret")
        .build()
        .unwrap()
}

/// A file of `len` bytes whose content depends on `seed` (not compressible to nothing).
pub(crate) fn patterned(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i as u32).wrapping_mul(2654435761) >> 13) as u8 ^ seed).collect()
}

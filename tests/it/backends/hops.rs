//! local → S3 → Azure → local, each hop checked by content.

use super::{connections_file, patterned, prefix, require_stores, run_spec, text};
use crate::fixtures::{SAMPLE, read_tree, write_tree};

#[test]
fn local_to_s3_to_azure_to_local_is_consistent_at_every_hop() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let (src, out) = (tmp.path().join("src"), tmp.path().join("out"));
    write_tree(&src, SAMPLE);
    // Above the 8 MiB single-put limit: goes through multipart uploads on both stores.
    std::fs::write(src.join("nested/big.bin"), patterned(12 << 20, 7)).unwrap();
    let conns = connections_file(tmp.path(), "");
    let p = prefix("hops");
    let s3 = format!("{{url: 's3://lake/{p}/', connection: lake}}");
    let az = format!("{{url: 'az://ferry/{p}/', connection: blob}}");
    let (src, out_url) = (format!("{}/", src.display()), format!("{}/", out.display()));
    let spec = format!(
        "name: hops\ntasks:
  - {{id: to_s3, kind: copy, source: '{src}', destination: {s3}}}
  - {{id: check_s3, kind: check, depends_on: [to_s3], source: '{src}', target: {s3}, mode: checksum}}
  - {{id: to_az, kind: copy, depends_on: [check_s3], source: {s3}, destination: {az}}}
  - {{id: check_az, kind: check, depends_on: [to_az], source: {s3}, target: {az}, mode: checksum}}
  - {{id: to_local, kind: copy, depends_on: [check_az], source: {az}, destination: '{out_url}'}}
  - {{id: check_local, kind: check, depends_on: [to_local], source: '{src}', target: '{out_url}', mode: checksum}}
"
    );
    let run = run_spec(tmp.path(), "hops", &spec, &conns);
    let stdout = text(&run);
    assert!(run.status.success(), "{stdout}");
    assert_eq!(stdout.matches("consistent").count(), 3, "{stdout}");
    assert!(!stdout.contains("INCONSISTENT"), "{stdout}");
    assert_eq!(read_tree(&out), read_tree(tmp.path().join("src").as_path()));

    // A second run finds everything in place at every hop and writes nothing.
    let again = run_spec(tmp.path(), "hops-again", &spec, &conns);
    let stdout = text(&again);
    assert!(again.status.success(), "{stdout}");
    assert_eq!(stdout.matches("copied 0 files").count(), 3, "{stdout}");
}

#[test]
fn a_spec_naming_an_undefined_connection_is_refused_before_it_runs() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let conns = connections_file(tmp.path(), "");
    let spec = format!(
        "name: bad-conn\ntasks:\n  - {{id: c, kind: copy, source: '{}/', destination: {{url: 's3://lake/x/', connection: nope}}}}\n",
        tmp.path().display()
    );
    let run = run_spec(tmp.path(), "bad-conn", &spec, &conns);
    let stdout = text(&run);
    assert_eq!(run.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("no connection named `nope`") && stdout.contains("defined: blob, lake"), "{stdout}");
}

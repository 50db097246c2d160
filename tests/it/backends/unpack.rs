//! `unpack: true` for each archive kind, made by Python's own tarfile, zipfile and gzip
//! (an independent implementation), expanded into a local folder and S3 at once; and an
//! archive whose entry tries to escape the destination, refused.

use super::{connections_file, prefix, require_stores, run_spec, s3, text};
use crate::fixtures::read_tree;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use std::path::Path;
use std::process::Command;

/// Builds `dir/archive.{zip,tar,tar.gz}` and `dir/big.csv.gz` with Python: two small
/// files in folders, one of 9 MiB (above the single-put limit), and an empty folder.
fn make_archives(dir: &Path) {
    let script = r#"
import gzip, io, os, sys, tarfile, zipfile
d = sys.argv[1]
files = {"a.csv": b"id,v\n1,2\n", "nested/deep/b.json": b'{"k": 1}', "big.bin": bytes(range(256)) * (9 * 4096)}
with zipfile.ZipFile(os.path.join(d, "archive.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("empty/", b"")
    for name, data in files.items():
        z.writestr(name, data)
for mode, ext in (("w", "tar"), ("w:gz", "tar.gz")):
    with tarfile.open(os.path.join(d, "archive." + ext), mode) as t:
        info = tarfile.TarInfo("empty"); info.type = tarfile.DIRTYPE; t.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
with gzip.open(os.path.join(d, "big.csv.gz"), "wb") as g:
    g.write(b"x,y\n" * 300000)
with tarfile.open(os.path.join(d, "evil.tar"), "w") as t:
    info = tarfile.TarInfo("../outside.txt"); info.size = 4; t.addfile(info, io.BytesIO(b"evil"))
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(dir).output().unwrap();
    assert!(out.status.success(), "making archives: {}", String::from_utf8_lossy(&out.stderr));
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn each_archive_kind_unpacks_into_a_folder_and_s3_and_an_escaping_entry_is_refused() {
    require_stores();
    let tmp = tempfile::tempdir().unwrap();
    let archives = tmp.path().join("archives");
    std::fs::create_dir_all(&archives).unwrap();
    make_archives(&archives);
    let conns = connections_file(tmp.path(), "");
    let p = prefix("unpack");
    let mut tasks = String::new();
    for (id, file) in [("zip", "archive.zip"), ("tar", "archive.tar"), ("targz", "archive.tar.gz"), ("gz", "big.csv.gz")] {
        tasks.push_str(&format!(
            "  - {{id: {id}, kind: copy, unpack: true, source: '{}', destinations: ['{}/', {{url: 's3://lake/{p}/{id}/', connection: lake}}]}}\n",
            archives.join(file).display(),
            tmp.path().join("out").join(id).display()
        ));
    }
    let run = run_spec(tmp.path(), "unpack", &format!("name: unpack\ntasks:\n{tasks}"), &conns);
    assert!(run.status.success(), "{}", text(&run));

    let expected: Vec<(String, Vec<u8>)> = vec![
        ("a.csv".into(), b"id,v\n1,2\n".to_vec()),
        ("big.bin".into(), (0..=255u8).collect::<Vec<_>>().repeat(9 * 4096)),
        ("nested/deep/b.json".into(), br#"{"k": 1}"#.to_vec()),
    ];
    let store = s3();
    for id in ["zip", "tar", "targz"] {
        assert_eq!(read_tree(&tmp.path().join("out").join(id)), expected, "{id}");
        for (rel, bytes) in &expected {
            let got = block_on(async {
                store.get(&ObjectPath::from(format!("{p}/{id}/{rel}"))).await.unwrap().bytes().await.unwrap()
            });
            assert_eq!(&got[..], &bytes[..], "{id}: {rel} in S3");
        }
    }
    let gz = read_tree(&tmp.path().join("out").join("gz"));
    assert_eq!(gz.len(), 1);
    assert_eq!((gz[0].0.as_str(), gz[0].1.len()), ("big.csv", 4 * 300_000));

    let evil = format!(
        "name: evil\ntasks:\n  - {{id: evil, kind: copy, unpack: true, source: '{}', destination: '{}/'}}\n",
        archives.join("evil.tar").display(),
        tmp.path().join("jail").display()
    );
    let run = run_spec(tmp.path(), "evil", &evil, &conns);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("escapes the destination"), "{}", text(&run));
    assert!(!tmp.path().join("outside.txt").exists());
}

//! `ferry restore`: a versioned destination rebuilt as it was at a moment, equal to a
//! snapshot the test took then, after later runs changed, added and deleted files.

use crate::app::ferry;
use crate::fixtures::{read_tree, write_tree};
use std::path::Path;

fn run(dir: &Path, name: &str, spec: &str) {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, spec).unwrap();
    let out = ferry().arg("run").arg(&file).arg("--no-progress").arg("--data-dir").arg(dir.join("data")).output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// The data a user sees: Ferry's own `.ferry*` entries aside.
fn data(root: &Path) -> Vec<(String, Vec<u8>)> {
    read_tree(root).into_iter().filter(|(p, _)| !p.split('/').any(|s| s.starts_with(".ferry"))).collect()
}

#[test]
fn a_restore_rebuilds_a_versioned_folder_as_it_was_at_a_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst, back) = (tmp.path().join("src"), tmp.path().join("dst"), tmp.path().join("back"));
    write_tree(&src, &[("a.csv", "1,2"), ("keep/b.csv", "b"), ("gone.csv", "soon deleted")]);
    let spec = format!(
        "name: versioned\ntasks:\n  - {{id: c, kind: copy, source: '{}/', destination: '{}/', delete_extraneous: true, versions: {{keep: 10}}}}\n",
        src.display(),
        dst.display()
    );
    run(tmp.path(), "first", &spec);
    let snapshot = data(&dst);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let at = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    write_tree(&src, &[("a.csv", "1,2,3 — changed"), ("new.csv", "added later")]);
    std::fs::remove_file(src.join("gone.csv")).unwrap();
    run(tmp.path(), "second", &spec);
    write_tree(&src, &[("a.csv", "changed again, longer still")]);
    run(tmp.path(), "third", &spec);
    assert_ne!(data(&dst), snapshot);

    let out = ferry()
        .args(["restore", &dst.display().to_string(), "--at", &at.to_rfc3339(), "--to", &back.display().to_string(), "--no-progress"])
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(data(&back), snapshot, "the folder as it was at {at}");

    let bad = ferry().args(["restore", &dst.display().to_string(), "--at", &at.to_rfc3339(), "--to"]).arg(dst.join("inside")).arg("--data-dir").arg(tmp.path().join("data")).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("outside `location`"), "{}", String::from_utf8_lossy(&bad.stderr));
}

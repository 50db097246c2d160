//! The CLI end to end: `ferry validate` and `ferry run`.

use crate::app::ferry;
use crate::fixtures::{SAMPLE, read_tree, write_tree};
use std::path::Path;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn validate_accepts_the_examples() {
    let out = ferry()
        .arg("validate")
        .arg(examples().join("quickstart.yaml"))
        .arg(examples().join("fan-in.yaml"))
        .arg(examples().join("conditions.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn validate_graph_prints_the_dag_with_inferred_edges() {
    let out = ferry().arg("validate").arg("--graph").arg(examples().join("conditions.yaml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let edges = graph["edges"].as_array().unwrap();
    let has = |from: &str, to: &str, inferred: bool| {
        edges.iter().any(|e| e["from"] == from && e["to"] == to && e["inferred"] == inferred)
    };
    assert!(has("wait-for-export", "load", false), "{graph}");
    assert!(has("load", "publish", true), "{graph}");
    assert_eq!(graph["nodes"].as_array().unwrap().len(), 4, "{graph}");
}

#[test]
fn validate_lists_every_problem_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("bad.yaml");
    std::fs::write(
        &spec,
        "name: bad\ntasks:\n  - {id: a, kind: noop, depends_on: [b]}\n  - {id: b, kind: noop, depends_on: [a]}\n  - {id: c, kind: teleport}\n",
    )
    .unwrap();
    let out = ferry().arg("validate").arg(&spec).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("tasks[2].kind"), "{err}");
}

fn write_spec(dir: &Path, src: &Path, dst: &Path) -> std::path::PathBuf {
    let spec = dir.join("mirror.yaml");
    std::fs::write(
        &spec,
        format!(
            "name: cli-mirror\ntasks:\n  - id: mirror\n    kind: copy\n    source: {}/\n    destination: {}/\n    exclude: ['_tmp/**']\n  - id: verify\n    kind: check\n    depends_on: [mirror]\n    source: {}/\n    target: {}/\n    exclude: ['_tmp/**']\n",
            src.display(),
            dst.display(),
            src.display(),
            dst.display()
        ),
    )
    .unwrap();
    spec
}

#[test]
fn run_copies_then_a_second_run_copies_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst, data) = (tmp.path().join("src"), tmp.path().join("dst"), tmp.path().join("data"));
    write_tree(&src, SAMPLE);
    let spec = write_spec(tmp.path(), &src, &dst);

    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("succeeded"), "{stdout}");
    assert!(stdout.contains("copied 3 files"), "{stdout}");
    let mut expected = read_tree(&src);
    expected.retain(|(p, _)| !p.starts_with("_tmp/"));
    assert_eq!(read_tree(&dst), expected);

    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("copied 0 files"), "{stdout}");
    assert!(stdout.contains("skipped 3"), "{stdout}");
}

#[test]
fn run_waits_for_its_async_deliveries_and_says_where_each_stands() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, lake, mirror) = (tmp.path().join("src"), tmp.path().join("lake"), tmp.path().join("mirror"));
    write_tree(&src, SAMPLE);
    let spec = tmp.path().join("deliver.yaml");
    let text = format!(
        "name: deliver\ntasks:\n  - id: orders\n    kind: copy\n    timeout: 1h\n    source: {}/\n    dataset: orders\n    destinations: ['{}/', {{url: '{}/', delivery: async}}]\n",
        src.display(),
        lake.display(),
        mirror.display()
    );
    std::fs::write(&spec, text).unwrap();
    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(tmp.path().join("data")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = format!("delivery to {}/: delivered ({} files, {} copied)", mirror.display(), SAMPLE.len(), SAMPLE.len());
    assert!(stdout.contains(&line), "{stdout}");
    assert_eq!(read_tree(&mirror), read_tree(&lake), "the mirror got the lake's files");
}

#[test]
fn run_exits_1_when_the_run_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("fail.yaml");
    std::fs::write(
        &spec,
        format!(
            "name: fails\ntasks:\n  - {{id: copy, kind: copy, source: {}/missing.csv, destination: {}/out/}}\n",
            tmp.path().display(),
            tmp.path().display()
        ),
    )
    .unwrap();
    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(tmp.path().join("data")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("failed"));
}

#[test]
fn run_refuses_an_invalid_spec_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("bad.yaml");
    std::fs::write(&spec, "name: x\ntasks: []\n").unwrap();
    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(tmp.path().join("data")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one task"));
}

#[test]
fn the_quickstart_example_runs_as_shipped() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ferry()
        .arg("run")
        .arg(examples().join("quickstart.yaml"))
        .arg("--data-dir")
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("consistent"), "{stdout}");
    assert!(Path::new("/tmp/ferry-quickstart/mirror/sales/2026/november.csv").exists());
}

#[test]
fn a_dry_run_prints_the_decisions_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, dst, data) = (tmp.path().join("src"), tmp.path().join("dst"), tmp.path().join("data"));
    write_tree(&src, SAMPLE);
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::write(dst.join("stale.csv"), "old").unwrap();
    let spec = tmp.path().join("mirror.yaml");
    std::fs::write(
        &spec,
        format!(
            "name: dry\ntasks:\n  - {{id: mirror, kind: copy, source: {}/, destination: {}/, exclude: ['_tmp/**'], delete_extraneous: true}}\n",
            src.display(),
            dst.display()
        ),
    )
    .unwrap();
    let out = ferry().arg("run").arg(&spec).arg("--dry-run").arg("--data-dir").arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dry run: would copy 3 files"), "{stdout}");
    assert!(stdout.contains("delete 1"), "{stdout}");
    assert!(stdout.contains("missing at the destination"), "{stdout}");
    assert!(stdout.contains("stale.csv") && stdout.contains("not in the source"), "{stdout}");
    let left: Vec<String> = read_tree(&dst).into_iter().map(|(p, _)| p).collect();
    assert_eq!(left, ["stale.csv"], "a dry run changes nothing");
}

#[test]
fn a_delete_task_removes_what_its_patterns_select_and_its_dry_run_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, data) = (tmp.path().join("landing"), tmp.path().join("data"));
    write_tree(&dir, SAMPLE);
    let spec = tmp.path().join("clean.yaml");
    std::fs::write(
        &spec,
        format!("name: clean\ntasks:\n  - {{id: tmp, kind: delete, target: {}/, include: ['_tmp/**']}}\n", dir.display()),
    )
    .unwrap();
    let before = read_tree(&dir).len();
    let out = ferry().arg("run").arg(&spec).arg("--dry-run").arg("--data-dir").arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dry run: would delete"), "{stdout}");
    assert_eq!(read_tree(&dir).len(), before, "a dry run deletes nothing");
    let out = ferry().arg("run").arg(&spec).arg("--data-dir").arg(&data).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let left = read_tree(&dir);
    assert!(left.len() < before && left.iter().all(|(p, _)| !p.starts_with("_tmp/")), "{left:?}");
}

#[test]
fn validate_prints_a_schedules_next_fire_times_and_names_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("nightly.yaml");
    std::fs::write(&good, "name: nightly\nschedule: {cron: \"30 2 * * 1-5\", timezone: Europe/Amsterdam}\ntasks:\n  - {id: a, kind: noop}\n").unwrap();
    let out = ferry().arg("validate").arg(&good).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("next fire times"), "{text}");
    assert_eq!(text.matches(" 02:30:00 CE").count(), 5, "five slots at 02:30 Amsterdam time: {text}");
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: bad\nschedule: {cron: \"61 * * * *\", timezone: Mars/Olympus, start_at: 2027-01-01T00:00:00Z, end_at: 2026-01-01T00:00:00Z}\ntasks:\n  - {id: a, kind: noop}\n",
    )
    .unwrap();
    let out = ferry().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for field in ["schedule.cron", "schedule.timezone", "schedule.end_at"] {
        assert!(err.contains(field), "{field} missing: {err}");
    }
}

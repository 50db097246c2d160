//! Conditions end to end, as a user drives them: `pre` gates on S3 objects and on
//! Postgres and MariaDB tables, `wait` sensors that hold no worker slot, `post`
//! conditions that repair, failure classes, trigger rules and inferred dependencies.

mod databases;
mod files;
mod freshness;
mod graph;
mod ordering;
mod rules;
mod sensors;

use crate::app::ferry;
use std::path::Path;
use std::process::{Child, Stdio};

/// Starts `ferry run <spec>` in the background (embedded), with `env`.
pub(crate) fn run_in_background(dir: &Path, name: &str, spec: &str, env: &[(&str, String)]) -> Child {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, spec).unwrap();
    let mut cmd = ferry();
    cmd.arg("run").arg(&file).arg("--data-dir").arg(dir.join(format!("data-{name}")));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// The summary row `ferry run` printed for `task`: (state, attempt, detail).
pub(crate) fn row(stdout: &str, task: &str) -> (String, u32, String) {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(task))
        .unwrap_or_else(|| panic!("no summary row for {task} in:\n{stdout}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    let detail = cols.get(4..).map(|c| c.join(" ")).unwrap_or_default();
    (cols[2].to_string(), cols[3].parse().unwrap(), detail)
}

/// An empty connections file, for runs that name none.
pub(crate) fn no_connections(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("no-connections.yaml");
    std::fs::write(&path, "").unwrap();
    path
}

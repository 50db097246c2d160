//! The files a copy was told to take (`files:`) and the files it leaves at its sync
//! destinations, kept only when something needs them: an explicit list (an async
//! delivery's attempt, a `--files-from` style copy) and a copy with async destinations,
//! whose deliveries carry the run's files.
//!
//! A plain copy keeps neither, so the copy path costs one branch per file.

use ferry_common::executor::ExecError;
use ferry_common::spec::{CopyTask, ListedFile};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Paths named in `changed` at most (the count is exact).
const CHANGED_SHOWN: usize = 100;

/// What one attempt was asked for and what it saw.
#[derive(Debug, Default)]
pub(super) struct FileBook {
    /// The explicit list, by path, with whether the source had each.
    wanted: Option<HashMap<String, (ListedFile, bool)>>,
    changed: Vec<String>,
    changed_count: u64,
    /// `(path, size)` of every file the attempt wrote or confirmed, when recording.
    recorded: Option<Vec<(String, u64)>>,
}

impl FileBook {
    /// The book for `task`; `record` when its async deliveries need the run's files.
    pub(super) fn new(task: &CopyTask, record: bool) -> Self {
        let wanted = task.files.as_ref().map(|files| files.iter().map(|f| (f.path.clone(), (f.clone(), false))).collect());
        Self { wanted, recorded: record.then(Vec::new), ..Self::default() }
    }

    /// Whether the copy takes this source file: always, unless a list names others.
    /// A listed file whose size is not the expected one is taken as it is now and noted.
    pub(super) fn admit(&mut self, rel_path: &str, size: u64) -> bool {
        if let Some(wanted) = &mut self.wanted {
            let Some((listed, seen)) = wanted.get_mut(rel_path) else { return false };
            *seen = true;
            if listed.size.is_some_and(|s| s != size) {
                self.note_changed(rel_path);
            }
        }
        if let Some(recorded) = &mut self.recorded {
            recorded.push((rel_path.to_owned(), size));
        }
        true
    }

    fn note_changed(&mut self, rel_path: &str) {
        self.changed_count += 1;
        if self.changed.len() < CHANGED_SHOWN {
            self.changed.push(rel_path.to_owned());
        }
    }

    /// Fails when listed files are not at the source (nothing can bring them back: the
    /// attempt that follows would find them missing too).
    pub(super) fn check_complete(&self, source_url: &str) -> Result<(), ExecError> {
        let Some(wanted) = &self.wanted else { return Ok(()) };
        let mut missing: Vec<&str> = wanted.iter().filter(|(_, (_, seen))| !seen).map(|(p, _)| p.as_str()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        let n = missing.len();
        missing.truncate(5);
        Err(ExecError::Fatal(format!(
            "{n} listed file(s) are not at {source_url}: {}{}",
            missing.join(", "),
            if n > 5 { ", …" } else { "" }
        )))
    }

    /// Adds what the book learned to the attempt's result and report: `changed` (listed
    /// files found rewritten) and, when recording, the report's `files` (with each one's
    /// BLAKE3 when the manifest has it).
    pub(super) fn finish(mut self, result: &mut Value, report: &mut Option<Value>) {
        let hashes: HashMap<String, String> = report
            .as_ref()
            .and_then(|r| r["manifest"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| Some((m["path"].as_str()?.to_owned(), m["blake3"].as_str()?.to_owned())))
            .collect();
        if let Some(wanted) = self.wanted.take() {
            for (path, (listed, _)) in &wanted {
                let rewritten = listed.blake3.as_ref().is_some_and(|h| hashes.get(path).is_some_and(|now| now != h));
                let size_changed = listed.size.is_some() && self.changed.iter().any(|c| c == path);
                if rewritten && !size_changed {
                    self.note_changed(path);
                }
            }
        }
        if self.changed_count > 0 {
            self.changed.sort_unstable();
            result["files_changed"] = json!(self.changed_count);
            result["changed"] = json!(self.changed);
        }
        if let Some(mut recorded) = self.recorded {
            recorded.sort_unstable();
            let files: Vec<Value> = recorded
                .into_iter()
                .map(|(path, size)| match hashes.get(&path) {
                    Some(h) => json!({"path": path, "size": size, "blake3": h}),
                    None => json!({"path": path, "size": size}),
                })
                .collect();
            let doc = report.get_or_insert_with(|| json!({}));
            doc["files"] = Value::Array(files);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_common::spec::Location;

    #[test]
    fn a_list_admits_only_its_files_and_notes_rewritten_ones() {
        let mut task = CopyTask::between(Location::url("/a/"), vec![Location::url("/b/").into()]);
        task.files = Some(vec![
            ListedFile { path: "x.csv".into(), size: Some(3), blake3: None },
            ListedFile { path: "y.csv".into(), size: Some(4), blake3: None },
            ListedFile { path: "gone.csv".into(), size: None, blake3: None },
        ]);
        let mut book = FileBook::new(&task, true);
        assert!(book.admit("x.csv", 3));
        assert!(book.admit("y.csv", 9));
        assert!(!book.admit("other.csv", 1));
        let err = book.check_complete("/a/").unwrap_err().to_string();
        assert!(err.contains("1 listed file(s)") && err.contains("gone.csv"), "{err}");
        let (mut result, mut report) = (json!({}), None);
        book.finish(&mut result, &mut report);
        assert_eq!(result["changed"], json!(["y.csv"]));
        assert_eq!(report.unwrap()["files"], json!([{"path": "x.csv", "size": 3}, {"path": "y.csv", "size": 9}]));
    }
}

//! Live progress bars for `ferry run`: tasks, files and bytes of one run. indicatif hides
//! them by itself when stderr is not a terminal.

use ferry_store::RunProgress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The three bars of a run.
pub(crate) struct RunBars {
    tasks: ProgressBar,
    files: ProgressBar,
    bytes: ProgressBar,
}

impl RunBars {
    pub(crate) fn new(tasks_total: usize, visible: bool) -> Self {
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let multi = MultiProgress::with_draw_target(target);
        let style = |template: &str| {
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
        };
        let tasks = multi.add(ProgressBar::new(tasks_total as u64));
        tasks.set_style(style("tasks  [{bar:30}] {pos}/{len} {msg}"));
        let files = multi.add(ProgressBar::new(0));
        files.set_style(style("files  [{bar:30}] {pos}/{len} ({per_sec}) {msg}"));
        let bytes = multi.add(ProgressBar::new(0));
        bytes.set_style(style("bytes  [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})"));
        Self { tasks, files, bytes }
    }

    pub(crate) fn update(&self, p: &RunProgress) {
        self.tasks.set_length(p.tasks_total.max(self.tasks.length().unwrap_or(0)));
        self.tasks.set_position(p.tasks_succeeded + p.tasks_failed);
        if p.tasks_failed > 0 {
            self.tasks.set_message(format!("({} failed)", p.tasks_failed));
        }
        self.files.set_length(p.files_total);
        self.files.set_position(p.files_done);
        self.bytes.set_length(p.bytes_total);
        self.bytes.set_position(p.bytes_done);
    }

    /// Shows where a `migrate` or `sync` stands (pass, backlog, lag, conflicts) beside
    /// the files bar; `None` clears it.
    pub(crate) fn passes(&self, line: Option<String>) {
        self.files.set_message(line.unwrap_or_default());
    }

    pub(crate) fn finish(&self, p: &RunProgress) {
        self.update(p);
        self.tasks.finish();
        self.files.finish();
        self.bytes.finish();
    }
}

/// The pass figures of the run's running `migrate` and `sync` tasks, from their live
/// progress, in one line: `pass 3 · backlog 12 · lag 4s · conflicts 1 · converged`.
pub(crate) async fn pass_line(stack: &ferry::embedded::Embedded, run_id: uuid::Uuid) -> Option<String> {
    use ferry_common::coordination::AttemptControl;
    let tasks = stack.store.all_run_tasks(ferry_store::DEFAULT_TENANT, run_id).await.ok()?;
    let ids: Vec<uuid::Uuid> = tasks.iter().filter(|t| matches!(t.kind.as_str(), "migrate" | "sync")).map(|t| t.id).collect();
    if ids.is_empty() {
        return None;
    }
    let live = stack.coordinator.live_progress(&ids).await.ok()?;
    let lines: Vec<String> = live
        .values()
        .filter_map(|p| p.passes)
        .map(|p| {
            let mut line = format!("pass {} · backlog {} · lag {}s", p.pass, p.backlog, p.lag_secs);
            if p.conflicts > 0 {
                line.push_str(&format!(" · conflicts {}", p.conflicts));
            }
            if p.converged {
                line.push_str(" · converged");
            }
            line
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join(" | "))
}

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
        files.set_style(style("files  [{bar:30}] {pos}/{len} ({per_sec})"));
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

    pub(crate) fn finish(&self, p: &RunProgress) {
        self.update(p);
        self.tasks.finish();
        self.files.finish();
        self.bytes.finish();
    }
}

//! One run the orchestrator holds in memory: its task rows, the DAG between them, and the
//! rules that move it forward. Pure (no I/O): every method records what it changed, and
//! what must be published, into [`Effects`]; the engine persists and publishes.
//!
//! The rules live beside this file by topic: [`readiness`] (trigger rules: when a task
//! whose dependencies finished runs or is skipped), [`failures`] (retries, failure
//! classes, lost attempts), [`sensors`] (tasks waiting for conditions) and [`reap`].

use crate::planner;
use crate::transitions::{created, move_run, move_task};
use chrono::{DateTime, Utc};
use ferry_common::messages::{EventKind, Outcome, Progress, TaskEvent, TaskMessage};
use ferry_common::budget::BandwidthBudget;
use ferry_common::spec::PipelineSpec;
use ferry_common::failure::FailureClass;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{RunRow, TaskRow, TransitionRow};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// What one step changed beyond the rows themselves.
#[derive(Debug, Default)]
pub struct Effects {
    pub transitions: Vec<TransitionRow>,
    /// Task attempts to publish once the step is committed.
    pub publish: Vec<TaskMessage>,
    /// Tasks a worker may be running that must stop.
    pub cancel: Vec<Uuid>,
    /// Changes to stored deliveries (attempts started, ended, lost; waits given up).
    pub deliveries: Vec<ferry_store::DeliveryChange>,
}

/// A run in `queued` or `running`, with everything needed to decide its next step.
#[derive(Debug)]
pub struct ActiveRun {
    row: RunRow,
    run_dirty: bool,
    spec: PipelineSpec,
    tasks: Vec<TaskRow>,
    /// Index into `spec.tasks` for each task row.
    spec_index: Vec<usize>,
    by_id: HashMap<Uuid, usize>,
    dependants: Vec<Vec<usize>>,
    /// Each task's dependencies (explicit and inferred), as indexes.
    deps: Vec<Vec<usize>>,
    /// Dependencies of each task not yet in a final state.
    undone: Vec<usize>,
    /// Tasks that reached a final state and whose dependants are not yet looked at.
    settled: Vec<usize>,
    /// Whether `settled` is being drained (a skip settles more tasks on the way).
    propagating: bool,
    /// When each `waiting` task is checked next.
    sensors: BTreeSet<(DateTime<Utc>, usize)>,
    /// `waiting` tasks whose check is under way.
    probing: std::collections::HashSet<usize>,
    dirty: Vec<bool>,
    dirty_list: Vec<usize>,
    terminal: usize,
    failed: Vec<usize>,
    retries: BTreeSet<(DateTime<Utc>, usize)>,
    /// When each `running` task's current attempt started (or was found running by this
    /// leader), for the reaper's timeout check.
    running_since: HashMap<usize, DateTime<Utc>>,
    /// When the reaper first saw a `running` task that no live worker lists.
    unseen_since: HashMap<usize, DateTime<Utc>>,
}

impl ActiveRun {
    /// Plans a queued run: creates its tasks, starts it, queues the tasks with no
    /// dependencies.
    pub fn start(mut row: RunRow, spec: PipelineSpec, now: DateTime<Utc>, fx: &mut Effects) -> Self {
        let tasks = planner::plan(&row, &spec, now);
        for t in &tasks {
            created(t, "planned", &mut fx.transitions);
        }
        let _ = move_run(&mut row, RunState::Running, "planned", now, &mut fx.transitions);
        let mut run = Self::assemble(row, spec, tasks);
        run.run_dirty = true;
        for i in 0..run.tasks.len() {
            run.mark(i);
        }
        for i in 0..run.tasks.len() {
            if run.deps[i].is_empty() {
                run.ready(i, "no dependencies", now, fx);
            }
        }
        run
    }

    /// Rebuilds a run from stored rows after a restart or a change of leader, and
    /// re-issues what may have been lost: `queued` tasks are published again (a
    /// duplicate is harmless: the attempt number fences it), and with `recover_running`
    /// (embedded mode, where workers died with the process) `running` tasks get a new
    /// attempt.
    pub fn restore(
        mut row: RunRow,
        spec: PipelineSpec,
        tasks: Vec<TaskRow>,
        recover_running: bool,
        now: DateTime<Utc>,
        fx: &mut Effects,
    ) -> Result<Self, String> {
        if tasks.is_empty() {
            return Ok(Self::start(row, spec, now, fx));
        }
        if row.state == RunState::Queued {
            let _ = move_run(&mut row, RunState::Running, "restored", now, &mut fx.transitions);
        }
        let mut run = Self::assemble(row, spec, tasks);
        if run.spec_index.len() != run.tasks.len() {
            return Err("stored tasks do not match the run's spec".into());
        }
        run.run_dirty = true;
        for i in 0..run.tasks.len() {
            match run.tasks[i].state {
                TaskState::Queued => {
                    let msg = run.message(i);
                    fx.publish.push(msg);
                }
                TaskState::Running if recover_running => {
                    run.lose_attempt(i, "worker lost: orchestrator restarted", now, fx);
                }
                TaskState::Running => {
                    run.running_since.insert(i, now);
                }
                TaskState::Retrying => {
                    let at = run.tasks[i].retry_at.unwrap_or(now);
                    run.retries.insert((at, i));
                }
                TaskState::Waiting => {
                    run.sensors.insert((now, i));
                }
                TaskState::Pending => run.reconsider(i, now, fx),
                _ => {}
            }
        }
        if run.row.cancel_requested {
            run.cancel(now, fx);
        }
        run.check_finished(now, fx);
        Ok(run)
    }

    fn assemble(row: RunRow, spec: PipelineSpec, tasks: Vec<TaskRow>) -> Self {
        let n = tasks.len();
        let key_index: HashMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.key.as_str(), i)).collect();
        let spec_pos: HashMap<&str, usize> = spec.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i)).collect();
        let spec_index: Vec<usize> = tasks.iter().filter_map(|t| spec_pos.get(t.key.as_str()).copied()).collect();
        let mut dependants = vec![Vec::new(); n];
        let mut deps = vec![Vec::new(); n];
        let mut undone = vec![0usize; n];
        for (i, t) in tasks.iter().enumerate() {
            for dep in &t.depends_on {
                if let Some(&d) = key_index.get(dep.as_str()) {
                    dependants[d].push(i);
                    deps[i].push(d);
                    if !tasks[d].state.is_terminal() {
                        undone[i] += 1;
                    }
                }
            }
        }
        let terminal = tasks.iter().filter(|t| t.state.is_terminal()).count();
        let failed = (0..n).filter(|&i| tasks[i].state == TaskState::Failed).collect();
        Self {
            row,
            run_dirty: false,
            spec,
            by_id: tasks.iter().enumerate().map(|(i, t)| (t.id, i)).collect(),
            tasks,
            spec_index,
            dependants,
            deps,
            undone,
            settled: Vec::new(),
            propagating: false,
            sensors: BTreeSet::new(),
            probing: std::collections::HashSet::new(),
            dirty: vec![false; n],
            dirty_list: Vec::new(),
            terminal,
            failed,
            retries: BTreeSet::new(),
            running_since: HashMap::new(),
            unseen_since: HashMap::new(),
        }
    }

    /// The run's id.
    pub fn id(&self) -> Uuid {
        self.row.id
    }

    /// The pipeline the run belongs to (its events name it).
    pub fn pipeline_id(&self) -> Uuid {
        self.row.pipeline_id
    }

    /// The run's logical time (its schedule slot, or when it was asked for).
    pub fn logical_time(&self) -> chrono::DateTime<chrono::Utc> {
        self.row.trigger.logical_time
    }

    /// Whether any task is `running` (the reaper has nothing to do otherwise).
    pub fn has_running(&self) -> bool {
        !self.running_since.is_empty()
    }

    /// The run's current state.
    pub fn state(&self) -> RunState {
        self.row.state
    }

    /// The task rows, for inspection.
    pub fn tasks(&self) -> &[TaskRow] {
        &self.tasks
    }

    /// Whether the run reached a terminal state.
    pub fn is_finished(&self) -> bool {
        self.row.state.is_terminal()
    }

    /// Applies one worker event. Events for another attempt, or for a task already
    /// finished, change nothing: that is how a zombie worker is fenced off.
    pub fn apply_event(&mut self, ev: &TaskEvent, now: DateTime<Utc>, fx: &mut Effects) {
        let Some(&i) = self.by_id.get(&ev.task_id) else { return };
        let state = self.tasks[i].state;
        if ev.attempt != self.tasks[i].attempt || state.is_terminal() {
            return;
        }
        match &ev.kind {
            EventKind::Started => {
                if state == TaskState::Queued {
                    self.set(i, TaskState::Running, &format!("started on {}", ev.worker_id), now, fx);
                }
            }
            EventKind::Progress { progress } => {
                if matches!(state, TaskState::Queued | TaskState::Running) {
                    self.set_progress(i, progress);
                }
            }
            EventKind::Finished { outcome, progress } => {
                if state == TaskState::Queued {
                    self.set(i, TaskState::Running, &format!("started on {}", ev.worker_id), now, fx);
                }
                if self.tasks[i].state != TaskState::Running {
                    return;
                }
                self.set_progress(i, progress);
                match outcome {
                    Outcome::Succeeded { result, report } => {
                        let t = &mut self.tasks[i];
                        t.result = Some(result.clone());
                        t.report = report.clone();
                        t.error = None;
                        self.set(i, TaskState::Succeeded, "finished", now, fx);
                    }
                    Outcome::Failed { error, retryable } => {
                        self.fail_attempt(i, error, FailureClass::of(*retryable), false, now, fx)
                    }
                    Outcome::PostConditionFailed { error } => {
                        self.fail_attempt(i, error, FailureClass::Retryable, true, now, fx)
                    }
                }
            }
        }
        self.check_finished(now, fx);
    }

    /// Cancels every unfinished task (asking workers to stop running ones), then the run.
    pub fn cancel(&mut self, now: DateTime<Utc>, fx: &mut Effects) {
        self.row.cancel_requested = true;
        self.run_dirty = true;
        for i in 0..self.tasks.len() {
            let state = self.tasks[i].state;
            if !state.is_terminal()
                && self.set(i, TaskState::Cancelled, "run cancelled", now, fx)
                && matches!(state, TaskState::Queued | TaskState::Running)
            {
                fx.cancel.push(self.tasks[i].id);
            }
        }
        self.check_finished(now, fx);
    }

    /// Rows changed since the last call, for the next database write.
    pub fn take_dirty(&mut self) -> (Option<RunRow>, Vec<TaskRow>) {
        let run = std::mem::take(&mut self.run_dirty).then(|| self.row.clone());
        let mut tasks = Vec::with_capacity(self.dirty_list.len());
        for i in self.dirty_list.drain(..) {
            self.dirty[i] = false;
            tasks.push(self.tasks[i].clone());
        }
        (run, tasks)
    }

    /// Whether `take_dirty` would return anything.
    pub fn has_dirty(&self) -> bool {
        self.run_dirty || !self.dirty_list.is_empty()
    }

    fn dispatch(&mut self, i: usize, cause: &str, now: DateTime<Utc>, fx: &mut Effects) {
        self.tasks[i].waiting_for = None;
        if self.set(i, TaskState::Queued, cause, now, fx) {
            self.tasks[i].attempt += 1;
            let msg = self.message(i);
            fx.publish.push(msg);
        }
    }

    fn message(&self, i: usize) -> TaskMessage {
        let t = &self.tasks[i];
        let spec = &self.spec.tasks[self.spec_index[i]];
        let mut body = spec.body.clone();
        if t.failure.as_ref().is_some_and(|f| f.post_condition) {
            body.as_kind_mut().body_set_repair();
        }
        TaskMessage {
            task_id: t.id,
            run_id: t.run_id,
            tenant_id: t.tenant_id,
            attempt: t.attempt,
            key: t.key.clone(),
            body,
            post: spec.post.clone(),
            file_roots: Default::default(),
            connections: Vec::new(),
            timeout_secs: spec.effective_timeout(&self.spec.defaults).map(|d| d.0.as_secs().max(1)),
            queue: t.queue.clone(),
            bandwidth: self.budgets(i),
            shard: None,
        }
    }

    /// The bandwidth budgets task `i` draws from: its own (`task:<id>`), and the
    /// pipeline's, shared by every task of this run (`run:<id>`).
    fn budgets(&self, i: usize) -> Vec<BandwidthBudget> {
        let t = &self.tasks[i];
        let own = self.spec.tasks[self.spec_index[i]].body.as_kind().body_bandwidth();
        let mut budgets = Vec::new();
        if let Some(b) = own {
            budgets.push(BandwidthBudget { key: format!("task:{}", t.id), bytes_per_sec: b.bytes_per_sec() });
        }
        if let Some(b) = self.spec.bandwidth {
            budgets.push(BandwidthBudget { key: format!("run:{}", t.run_id), bytes_per_sec: b.bytes_per_sec() });
        }
        budgets
    }

    fn set(&mut self, i: usize, to: TaskState, cause: &str, now: DateTime<Utc>, fx: &mut Effects) -> bool {
        match move_task(&mut self.tasks[i], to, cause, now, &mut fx.transitions) {
            Ok(_) => {
                self.mark(i);
                if to == TaskState::Running {
                    self.running_since.insert(i, now);
                } else {
                    self.running_since.remove(&i);
                    self.unseen_since.remove(&i);
                }
                if to != TaskState::Waiting {
                    self.probing.remove(&i);
                }
                if to.is_terminal() {
                    self.terminal += 1;
                    if to == TaskState::Failed {
                        self.failed.push(i);
                    }
                    self.settle(i, now, fx);
                }
                true
            }
            Err(e) => {
                tracing::debug!(task_id = %self.tasks[i].id, error = %e, "transition refused");
                false
            }
        }
    }

    fn set_progress(&mut self, i: usize, p: &Progress) {
        let t = &mut self.tasks[i];
        t.files_total = p.files_total;
        t.files_done = p.files_done;
        t.bytes_total = p.bytes_total;
        t.bytes_done = p.bytes_done;
        self.mark(i);
    }

    fn mark(&mut self, i: usize) {
        if !self.dirty[i] {
            self.dirty[i] = true;
            self.dirty_list.push(i);
        }
    }

    fn check_finished(&mut self, now: DateTime<Utc>, fx: &mut Effects) {
        if self.terminal < self.tasks.len() || self.row.state.is_terminal() {
            return;
        }
        let failing: Vec<usize> = self
            .failed
            .iter()
            .copied()
            .filter(|&i| !self.spec.tasks[self.spec_index[i]].allow_failure)
            .collect();
        let (to, cause) = if !failing.is_empty() {
            let names: Vec<&str> = failing.iter().take(5).map(|&i| self.tasks[i].key.as_str()).collect();
            let more = if failing.len() > 5 { format!(" and {} more", failing.len() - 5) } else { String::new() };
            (RunState::Failed, format!("task(s) failed: {}{more}", names.join(", ")))
        } else if self.row.cancel_requested {
            (RunState::Cancelled, "cancelled on request".to_string())
        } else {
            (RunState::Succeeded, "all tasks succeeded".to_string())
        };
        if move_run(&mut self.row, to, &cause, now, &mut fx.transitions).is_ok() {
            if to != RunState::Succeeded {
                self.row.error = Some(cause);
            }
            self.run_dirty = true;
        }
    }
}

/// Fails a queued run whose spec no longer validates, recording why.
pub fn fail_unplannable(row: &mut RunRow, why: &str, now: DateTime<Utc>, fx: &mut Effects) -> bool {
    row.error = Some(why.to_string());
    move_run(row, RunState::Failed, why, now, &mut fx.transitions).is_ok()
}

mod failures;
mod readiness;
mod reap;
mod sensors;

pub use failures::lost_attempt_of;
pub use sensors::{GateVerdict, OrderingProbe, ProbeRequest};
#[cfg(test)]
mod tests;

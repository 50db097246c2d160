//! The orchestrator's loop: lead (one at a time, by lease), load the working set, then
//! step forever — take a batch of events or a wake-up, apply it in memory, commit the
//! batch in one transaction, and only then ack events and publish ready tasks.

use crate::OrchestratorError;
use crate::active_run::{ActiveRun, Effects, ProbeRequest, fail_unplannable};
use crate::deliveries::leader::{self as delivery_leader, OutForDelivery};
use crate::planner;
use crate::tenancy::{RunExtras, TenantContext};
use crate::sensing::{self, NoProbe, ProbeBatch};
use ferry_common::conditions::ConditionProbe;
use ferry_common::file_roots::FileRoots;
use chrono::Utc;
use ferry_common::broker::{Acker, Broker};
use ferry_common::coordination::Coordinator;
use ferry_common::messages::TaskMessage;
use ferry_common::spec::ValidationContext;
use ferry_common::state::RunState;
use ferry_store::{RunRow, Store, TaskRow, WriteBatch};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use uuid::Uuid;

/// The name of the lease that makes one orchestrator the leader.
pub const LEADER_LEASE: &str = ferry_store::ORCHESTRATOR_ROLE;

/// Task publishes awaiting their confirm at once. RabbitMQ confirms persistent messages
/// only after its periodic fsync (tens of ms), so a fan-out needs many in flight to keep
/// the broker, not the round trips, the limit.
const PUBLISH_IN_FLIGHT: usize = 1024;

/// How the orchestrator paces itself.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Identifies this orchestrator as lease holder and in logs.
    pub id: String,
    /// How often to look for new runs and cancel requests without a wake-up, and to
    /// renew the lease.
    pub poll_every: Duration,
    /// Most events applied (and committed) in one step.
    pub event_batch: usize,
    /// Unacked events the broker may hand over at once.
    pub event_prefetch: u16,
    /// Whether `running` tasks found at start-up lost their worker (true when embedded:
    /// the workers lived in the same process).
    pub recover_running: bool,
    /// Validity of the leader lease; another orchestrator takes over after it lapses.
    pub lease_ttl: Duration,
    /// What spec validation may refer to (stored connections).
    pub validation: ValidationContext,
    /// How long a `running` task may be missing from every live worker's heartbeat (or
    /// run past its timeout) before the reaper gives it a new attempt. Several worker
    /// heartbeat periods, so a just-started task or a coordinator restart costs nothing.
    pub reap_grace: Duration,
    /// The server's `FERRY_FILE_ROOTS`; each run's tasks carry its tenant's roots within
    /// them, for the worker to enforce.
    pub file_roots: FileRoots,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            id: format!("orchestrator-{}", &Uuid::new_v4().simple().to_string()[..8]),
            poll_every: Duration::from_secs(1),
            event_batch: 4096,
            event_prefetch: 8192,
            recover_running: true,
            lease_ttl: Duration::from_secs(10),
            validation: ValidationContext::default(),
            reap_grace: Duration::from_secs(20),
            file_roots: FileRoots::anywhere(),
        }
    }
}

/// A run reaching a terminal state, for whoever waits on it (the CLI, benchmarks).
#[derive(Debug, Clone, PartialEq)]
pub struct RunUpdate {
    pub run_id: Uuid,
    pub state: RunState,
}

/// The orchestrator role. Cheap to clone; `run` drives it until shutdown.
#[derive(Clone)]
pub struct Orchestrator {
    store: Store,
    broker: Arc<dyn Broker>,
    coordinator: Arc<dyn Coordinator>,
    probe: Arc<dyn ConditionProbe>,
    cfg: EngineConfig,
    wake: Arc<Notify>,
    updates: broadcast::Sender<RunUpdate>,
}

/// Why leading stopped.
enum LeadEnd {
    Shutdown,
    LostLease,
    Failed(OrchestratorError),
}

impl From<OrchestratorError> for LeadEnd {
    fn from(e: OrchestratorError) -> Self {
        LeadEnd::Failed(e)
    }
}

impl From<ferry_store::StoreError> for LeadEnd {
    fn from(e: ferry_store::StoreError) -> Self {
        LeadEnd::Failed(e.into())
    }
}

impl From<ferry_common::CommonError> for LeadEnd {
    fn from(e: ferry_common::CommonError) -> Self {
        LeadEnd::Failed(e.into())
    }
}

/// What the leader holds in memory.
#[derive(Default)]
struct Working {
    runs: HashMap<Uuid, ActiveRun>,
    /// Runs changed outside an `ActiveRun` (failed before planning).
    loose_runs: Vec<RunRow>,
    /// Messages a publish failed for; tried again every tick.
    unpublished: Vec<TaskMessage>,
    /// The file roots and sealed connections of each run held, stamped on its task
    /// messages.
    extras: HashMap<Uuid, RunExtras>,
    /// Publishes still waiting for their confirms; each returns the messages it could
    /// not publish.
    publishing: Vec<JoinHandle<Vec<TaskMessage>>>,
    last_renewed: Option<Instant>,
    /// Async deliveries with an attempt out.
    out: OutForDelivery,
}

impl Working {
    /// Moves the failures of finished publishes to `unpublished`.
    async fn collect_publishes(&mut self) {
        let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut self.publishing)
            .into_iter()
            .partition(JoinHandle::is_finished);
        self.publishing = running;
        for handle in done {
            match handle.await {
                Ok(failed) => self.unpublished.extend(failed),
                Err(e) => warn!(error = %e, "a publishing task failed; its tasks are published again at the next start-up"),
            }
        }
    }
}

impl Orchestrator {
    /// Assembles the role; nothing runs until [`Orchestrator::run`].
    pub fn new(store: Store, broker: Arc<dyn Broker>, coordinator: Arc<dyn Coordinator>, cfg: EngineConfig) -> Self {
        let (updates, _) = broadcast::channel(1024);
        Self {
            store,
            broker,
            coordinator,
            probe: Arc::new(NoProbe),
            cfg,
            wake: Arc::new(Notify::new()),
            updates,
        }
    }

    /// Sets what checks conditions (`pre`, `wait` sensors). Without one, a task with
    /// conditions fails with an error saying so.
    pub fn with_probe(mut self, probe: Arc<dyn ConditionProbe>) -> Self {
        self.probe = probe;
        self
    }

    /// Call after creating a run or asking to cancel one, to act now instead of at the
    /// next poll (the API does, when it shares the process).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Terminal states of runs, as they are committed.
    pub fn subscribe(&self) -> broadcast::Receiver<RunUpdate> {
        self.updates.subscribe()
    }

    /// Leads when it holds the lease, stands by otherwise, until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), OrchestratorError> {
        let standby = self.cfg.lease_ttl / 3;
        loop {
            loop {
                if shutdown.is_cancelled() {
                    return Ok(());
                }
                match self.coordinator.acquire_lease(LEADER_LEASE, &self.cfg.id, self.cfg.lease_ttl).await {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => warn!(error = %e, "cannot reach the coordinator for the leader lease"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(standby) => {}
                }
            }
            info!(id = %self.cfg.id, "leading");
            match self.lead(&shutdown).await {
                LeadEnd::Shutdown => {
                    let _ = self.coordinator.release_lease(LEADER_LEASE, &self.cfg.id).await;
                    return Ok(());
                }
                LeadEnd::LostLease => warn!("lost the leader lease; standing by"),
                LeadEnd::Failed(e) => {
                    warn!(error = %e, "orchestrator step failed; reloading from the database");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    async fn lead(&self, shutdown: &CancellationToken) -> LeadEnd {
        match self.lead_inner(shutdown).await {
            Ok(()) => LeadEnd::Shutdown,
            Err(end) => end,
        }
    }

    async fn lead_inner(&self, shutdown: &CancellationToken) -> Result<(), LeadEnd> {
        let mut w = Working {
            last_renewed: Some(Instant::now()),
            ..Working::default()
        };
        let mut fx = Effects::default();
        self.load(&mut w, &mut fx).await?;
        self.flush(&mut w, fx, Vec::new()).await?;
        let mut events = self
            .broker
            .consume_events(self.cfg.event_prefetch)
            .await?
            .ready_chunks(self.cfg.event_batch);
        let mut tick = tokio::time::interval(self.cfg.poll_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (probe_done, mut probe_verdicts) = tokio::sync::mpsc::unbounded_channel::<ProbeBatch>();
        // Schedules fire on their own clock while this orchestrator leads; the guard
        // stops them when leading ends, however it ends.
        let scheduling = shutdown.child_token();
        let _stop_scheduling = scheduling.clone().drop_guard();
        tokio::spawn(crate::scheduler::run_while_leading(self.store.clone(), self.wake.clone(), scheduling.clone()));
        tokio::spawn(crate::scheduler::arrivals::run_while_leading(self.store.clone(), self.probe.clone(), self.wake.clone(), scheduling));
        loop {
            let mut fx = Effects::default();
            let mut ackers: Vec<Box<dyn Acker>> = Vec::new();
            let next_retry = w.runs.values().filter_map(ActiveRun::next_retry_at).min();
            let next_probe = w.runs.values().filter_map(ActiveRun::next_probe_at).min();
            let retry_sleep = next_retry
                .into_iter()
                .chain(next_probe)
                .min()
                .map(|at| (at - Utc::now()).to_std().unwrap_or_default())
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                chunk = events.next() => {
                    let Some(chunk) = chunk else {
                        return Err(LeadEnd::Failed(ferry_common::CommonError::BrokerClosed.into()));
                    };
                    let now = Utc::now();
                    for delivery in chunk {
                        let (event, acker) = delivery?.into_parts();
                        if let Some(run) = w.runs.get_mut(&event.run_id) {
                            run.apply_event(&event, now, &mut fx);
                        } else {
                            w.out.apply_event(&event, now, &mut fx);
                        }
                        ackers.push(acker);
                    }
                }
                Some(batch) = probe_verdicts.recv() => {
                    let now = Utc::now();
                    for (run_id, task_id, verdict) in batch.verdicts {
                        if let Some(run) = w.runs.get_mut(&run_id) {
                            run.apply_probe(task_id, batch.checked_at, verdict, now, &mut fx);
                        }
                    }
                }
                _ = self.wake.notified() => self.poll_runs(&mut w, &mut fx).await?,
                _ = tick.tick() => {
                    self.renew_lease(&mut w).await?;
                    self.poll_runs(&mut w, &mut fx).await?;
                    w.out.claim(&self.store, (&self.cfg.validation, &self.cfg.file_roots), Utc::now(), &mut fx).await?;
                    self.reap(&mut w, &mut fx).await;
                    w.collect_publishes().await;
                    fx.publish.append(&mut w.unpublished);
                }
                _ = tokio::time::sleep(retry_sleep) => {}
            }
            let now = Utc::now();
            let mut due = Vec::new();
            for run in w.runs.values_mut() {
                if run.next_retry_at().is_some_and(|at| at <= now) {
                    run.due_retries(now, &mut fx);
                }
                if run.next_probe_at().is_some_and(|at| at <= now) {
                    let stored = w.extras.get(&run.id()).map(|e| e.connections.clone()).unwrap_or_default();
                    due.extend(run.due_probes(now).into_iter().map(|r| ProbeRequest { stored: stored.clone(), ..r }));
                }
            }
            if !due.is_empty() {
                sensing::spawn_round(self.probe.clone(), self.store.clone(), due, probe_done.clone());
            }
            self.flush(&mut w, fx, ackers).await?;
        }
    }

    async fn renew_lease(&self, w: &mut Working) -> Result<(), LeadEnd> {
        match self.coordinator.acquire_lease(LEADER_LEASE, &self.cfg.id, self.cfg.lease_ttl).await {
            Ok(true) => {
                w.last_renewed = Some(Instant::now());
                // The notifier tells "no orchestrator leads" from this row alone.
                if let Err(e) = self.store.beat_role(LEADER_LEASE, &self.cfg.id, Utc::now()).await {
                    warn!(error = %e, "cannot record the leader's heartbeat");
                }
                Ok(())
            }
            Ok(false) => Err(LeadEnd::LostLease),
            Err(e) => {
                warn!(error = %e, "cannot renew the leader lease");
                // Still the leader until the lease would have lapsed.
                match w.last_renewed {
                    Some(t) if t.elapsed() < self.cfg.lease_ttl => Ok(()),
                    _ => Err(LeadEnd::LostLease),
                }
            }
        }
    }

    /// Gives lost or overdue attempts a new one. Skipped while the coordinator cannot be
    /// read: not seeing the workers is not evidence that they are gone.
    async fn reap(&self, w: &mut Working, fx: &mut Effects) {
        if !w.runs.values().any(ActiveRun::has_running) && !w.out.has_running() {
            return;
        }
        let workers = match self.coordinator.live_workers().await {
            Ok(workers) => workers,
            Err(e) => {
                warn!(error = %e, "cannot list live workers; reaper paused");
                return;
            }
        };
        let live: HashSet<Uuid> = workers.iter().flat_map(|wk| wk.running.iter().copied()).collect();
        let now = Utc::now();
        w.out.reap(&live, self.cfg.reap_grace, now, fx);
        for run in w.runs.values_mut() {
            let n = run.reap(&live, self.cfg.reap_grace, now, fx);
            if n > 0 {
                warn!(run_id = %run.id(), attempts = n, "reaped lost or overdue attempts");
            }
        }
    }

    /// Loads every active run with its tasks and restores it.
    async fn load(&self, w: &mut Working, fx: &mut Effects) -> Result<(), LeadEnd> {
        let (runs, tasks) = self.store.load_active().await?;
        let mut by_run: HashMap<Uuid, Vec<TaskRow>> = HashMap::new();
        for t in tasks {
            by_run.entry(t.run_id).or_default().push(t);
        }
        let now = Utc::now();
        w.out = OutForDelivery::load(&self.store, self.cfg.recover_running, now, fx).await?;
        for row in runs {
            let tasks = by_run.remove(&row.id).unwrap_or_default();
            let mut row = row;
            let tenant = TenantContext::load(&self.store, (&self.cfg.validation, &self.cfg.file_roots), row.tenant_id).await?;
            match planner::spec_of(&row, &tenant.validation) {
                Ok(spec) => {
                    w.extras.insert(row.id, tenant.extras_for(&spec));
                    match ActiveRun::restore(row.clone(), spec, tasks, self.cfg.recover_running, now, fx) {
                        Ok(run) => {
                            w.runs.insert(run.id(), run);
                        }
                        Err(why) => {
                            if fail_unplannable(&mut row, &why, now, fx) {
                                w.loose_runs.push(row);
                            }
                        }
                    }
                }
                Err(problems) => {
                    let why = unplannable(&problems);
                    if fail_unplannable(&mut row, &why, now, fx) {
                        w.loose_runs.push(row);
                    }
                }
            }
        }
        info!(runs = w.runs.len(), "working set loaded");
        Ok(())
    }

    /// Finds runs created since the last look, and cancel requests for runs held.
    async fn poll_runs(&self, w: &mut Working, fx: &mut Effects) -> Result<(), LeadEnd> {
        let flags = self.store.active_run_flags().await?;
        let now = Utc::now();
        let mut new_ids = Vec::new();
        for f in &flags {
            match w.runs.get_mut(&f.id) {
                Some(run) if f.cancel_requested && !run.is_finished() => run.cancel(now, fx),
                Some(_) => {}
                None if f.state == RunState::Queued => new_ids.push(f.id),
                None => {}
            }
        }
        if new_ids.is_empty() {
            return Ok(());
        }
        for mut row in self.store.get_runs(&new_ids).await? {
            let tenant = TenantContext::load(&self.store, (&self.cfg.validation, &self.cfg.file_roots), row.tenant_id).await?;
            match planner::spec_of(&row, &tenant.validation) {
                Ok(spec) => {
                    w.extras.insert(row.id, tenant.extras_for(&spec));
                    let cancel = row.cancel_requested;
                    let mut run = ActiveRun::start(row, spec, now, fx);
                    if cancel {
                        run.cancel(now, fx);
                    }
                    w.runs.insert(run.id(), run);
                }
                Err(problems) => {
                    let why = unplannable(&problems);
                    if fail_unplannable(&mut row, &why, now, fx) {
                        w.loose_runs.push(row);
                    }
                }
            }
        }
        Ok(())
    }

    /// Commits one step, then acks its events, publishes its tasks and sends its
    /// cancellations. On a failed commit the events go back to the broker and the
    /// caller reloads from the database, so memory never runs ahead of storage.
    async fn flush(&self, w: &mut Working, mut fx: Effects, ackers: Vec<Box<dyn Acker>>) -> Result<(), LeadEnd> {
        for m in &mut fx.publish {
            if let Some(extras) = w.extras.get(&m.run_id) {
                m.file_roots = extras.roots.clone();
                m.connections = extras.connections.clone();
            }
        }
        let mut batch = WriteBatch {
            runs: std::mem::take(&mut w.loose_runs),
            tasks: Vec::new(),
            transitions: fx.transitions,
            events: Vec::new(),
            markers: Vec::new(),
            deliveries: Vec::new(),
            delivery_changes: std::mem::take(&mut fx.deliveries),
        };
        let mut finished = Vec::new();
        for run in w.runs.values_mut() {
            if run.has_dirty() {
                let (row, tasks) = run.take_dirty();
                batch.runs.extend(row);
                batch.tasks.extend(tasks);
            }
            if run.is_finished() {
                finished.push(RunUpdate {
                    run_id: run.id(),
                    state: run.state(),
                });
            }
        }
        let events = crate::outbox::events_of(&batch, |run| {
            w.runs.get(&run).map(ActiveRun::pipeline_id).or_else(|| batch.runs.iter().find(|r| r.id == run).map(|r| r.pipeline_id))
        });
        batch.events = events;
        let run_of = |run| w.runs.get(&run).map(|r: &ActiveRun| (r.pipeline_id(), r.logical_time()));
        batch.deliveries = crate::deliveries::created_by(&batch, run_of);
        // A sync destination's delivery is made with the copy's success: its marker moves now.
        batch.markers = batch.deliveries.iter().filter_map(crate::deliveries::outcome::marker_of).collect();
        delivery_leader::with_follow_ups(&mut batch.delivery_changes);
        let loose: Vec<RunUpdate> = batch
            .runs
            .iter()
            .filter(|r| r.state.is_terminal() && !w.runs.contains_key(&r.id))
            .map(|r| RunUpdate { run_id: r.id, state: r.state })
            .collect();
        if !batch.is_empty()
            && let Err(e) = self.store.apply(&batch).await
        {
            for a in ackers {
                let _ = a.nack(true).await;
            }
            return Err(e.into());
        }
        w.out.committed(&batch.delivery_changes);
        for a in ackers {
            if let Err(e) = a.ack().await {
                warn!(error = %e, "event ack failed; it will be redelivered and ignored");
            }
        }
        self.publish(w, fx.publish).await;
        for task_id in fx.cancel {
            if let Err(e) = self.coordinator.request_cancel(task_id).await {
                warn!(%task_id, error = %e, "cannot ask workers to stop a cancelled task");
            }
        }
        for update in finished.into_iter().chain(loose) {
            w.runs.remove(&update.run_id);
            w.extras.remove(&update.run_id);
            info!(run_id = %update.run_id, state = %update.state, "run finished");
            let _ = self.updates.send(update);
        }
        Ok(())
    }

    /// Publishes in the background, so the next events are applied while RabbitMQ
    /// confirms these (a fan-out of 20,000 tasks takes seconds to confirm). Failures come
    /// back through [`Working::collect_publishes`] and are retried on the next tick.
    async fn publish(&self, w: &mut Working, messages: Vec<TaskMessage>) {
        if messages.is_empty() {
            return;
        }
        let broker = self.broker.clone();
        w.publishing.push(tokio::spawn(async move {
            let broker = &broker;
            futures::stream::iter(messages)
                .map(|m| async move {
                    match broker.publish_task(&m).await {
                        Ok(()) => None,
                        Err(e) => {
                            warn!(task_id = %m.task_id, error = %e, "publish failed; will retry");
                            Some(m)
                        }
                    }
                })
                .buffer_unordered(PUBLISH_IN_FLIGHT)
                .filter_map(|x| async move { x })
                .collect()
                .await
        }));
    }
}

fn unplannable(problems: &[ferry_common::spec::SpecProblem]) -> String {
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!("the run's spec is no longer valid: {}", list.join("; "))
}

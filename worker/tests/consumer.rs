//! The consumer loop against the real in-process broker and coordinator.

use async_trait::async_trait;
use ferry_common::broker::{Broker, DeliveryStream};
use ferry_common::coordination::{AttemptControl, Coordinator, Membership};
use ferry_common::executor::{ExecContext, ExecError, Executor, TaskOutput};
use ferry_common::inproc::{InProcBroker, InProcCoordinator};
use ferry_common::messages::{EventKind, Outcome, TaskEvent, TaskMessage};
use ferry_common::spec::{CheckMode, CheckTask, CopyTask, Location, NoopTask, TaskBody};
use ferry_worker::{Registry, StoreResolver, WorkerConfig, WorkerError};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

struct Harness {
    broker: InProcBroker,
    coord: InProcCoordinator,
    shutdown: CancellationToken,
    worker: JoinHandle<Result<(), WorkerError>>,
    events: DeliveryStream<TaskEvent>,
    worker_id: String,
}

fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 2,
        heartbeat_every: Duration::from_millis(50),
        progress_every: Duration::from_millis(20),
        cancel_poll_every: Duration::from_millis(20),
        shutdown_grace: Duration::from_secs(5),
        announce_after: Duration::ZERO,
        ..WorkerConfig::default()
    }
}

async fn start(registry: Registry, cfg: WorkerConfig) -> Harness {
    start_on(InProcBroker::new(), InProcCoordinator::new(), registry, cfg).await
}

/// A worker on a broker and coordinator the test may have prepared.
async fn start_on(broker: InProcBroker, coord: InProcCoordinator, registry: Registry, cfg: WorkerConfig) -> Harness {
    let shutdown = CancellationToken::new();
    let events = broker.consume_events(1000).await.unwrap();
    let worker_id = cfg.id.clone();
    let worker = tokio::spawn(ferry_worker::run_worker(
        cfg,
        Arc::new(broker.clone()) as Arc<dyn Broker>,
        Arc::new(coord.clone()) as Arc<dyn Coordinator>,
        Arc::new(registry),
        shutdown.clone(),
    ));
    Harness {
        broker,
        coord,
        shutdown,
        worker,
        events,
        worker_id,
    }
}

fn message(body: TaskBody) -> TaskMessage {
    TaskMessage {
        task_id: Uuid::new_v4(),
        run_id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        attempt: 1,
        key: "t".into(),
        body,
        timeout_secs: None,
        queue: "default".into(),
        bandwidth: Vec::new(),
        shard: None,
        post: Vec::new(),
        file_roots: Default::default(),
        connections: Vec::new(),
    }
}

fn noop() -> TaskBody {
    TaskBody::Noop(NoopTask {})
}

impl Harness {
    async fn publish(&self, msg: &TaskMessage) {
        self.broker.publish_task(msg).await.unwrap();
    }

    /// The next event (acked), or `None` after `wait`.
    async fn next_event(&mut self, wait: Duration) -> Option<TaskEvent> {
        let d = tokio::time::timeout(wait, self.events.next())
            .await
            .ok()??
            .unwrap();
        let ev = d.message.clone();
        d.ack().await.unwrap();
        Some(ev)
    }

    /// Events per task until every one of `tasks` has finished.
    async fn until_finished(&mut self, tasks: &[Uuid]) -> HashMap<Uuid, Vec<TaskEvent>> {
        let mut seen: HashMap<Uuid, Vec<TaskEvent>> = HashMap::new();
        let finished = |seen: &HashMap<Uuid, Vec<TaskEvent>>| {
            tasks.iter().all(|t| {
                seen.get(t).is_some_and(|evs| {
                    evs.iter()
                        .any(|e| matches!(e.kind, EventKind::Finished { .. }))
                })
            })
        };
        while !finished(&seen) {
            let ev = self
                .next_event(Duration::from_secs(30))
                .await
                .expect("timed out waiting for events");
            seen.entry(ev.task_id).or_default().push(ev);
        }
        seen
    }

    async fn wait_started(&mut self, task: Uuid) {
        loop {
            let ev = self
                .next_event(Duration::from_secs(30))
                .await
                .expect("no started event");
            if ev.task_id == task && ev.kind == EventKind::Started {
                return;
            }
        }
    }

    async fn stop(self) -> (InProcBroker, Result<(), WorkerError>) {
        self.shutdown.cancel();
        let r = tokio::time::timeout(Duration::from_secs(30), self.worker)
            .await
            .expect("worker did not stop");
        (self.broker, r.unwrap())
    }
}

/// The finished outcome, after checking the event sequence: started first, finished last.
fn outcome(events: &[TaskEvent]) -> Outcome {
    assert_eq!(
        events.first().map(|e| &e.kind),
        Some(&EventKind::Started),
        "{events:?}"
    );
    match &events.last().unwrap().kind {
        EventKind::Finished { outcome, .. } => outcome.clone(),
        other => panic!("last event is {other:?}"),
    }
}

fn failed(o: Outcome) -> (String, bool) {
    match o {
        Outcome::Failed { error, retryable } => (error, retryable),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Test executors standing in for slow or broken kinds (registered under `noop`).
#[derive(Clone)]
enum Behaviour {
    /// Counts progress until cancelled.
    UntilCancelled,
    /// Panics.
    Panic,
    /// Sleeps, then succeeds, tracking how many run at once.
    Sleep(Duration, Arc<AtomicUsize>, Arc<AtomicUsize>),
}

struct Scripted(Behaviour);

#[async_trait]
impl Executor for Scripted {
    fn kind(&self) -> &'static str {
        "noop"
    }

    async fn execute(&self, ctx: &ExecContext, _body: &TaskBody) -> Result<TaskOutput, ExecError> {
        match &self.0 {
            Behaviour::UntilCancelled => {
                ctx.progress.add_total(1000, 0);
                loop {
                    tokio::select! {
                        _ = ctx.cancel.cancelled() => return Err(ExecError::Cancelled),
                        _ = tokio::time::sleep(Duration::from_millis(5)) => ctx.progress.add_done(1, 0),
                    }
                }
            }
            Behaviour::Panic => panic!("boom"),
            Behaviour::Sleep(d, now, max) => {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(*d).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok(TaskOutput {
                    result: serde_json::json!({"slept": true}),
                    report: None,
                })
            }
        }
    }
}

fn scripted(b: Behaviour) -> Registry {
    let mut r = Registry::new();
    r.register(Arc::new(Scripted(b)));
    r
}

fn copy_body(source: String, dest: String) -> TaskBody {
    TaskBody::Copy(CopyTask::between(Location::url(source), vec![Location::url(dest).into()]))
}

#[tokio::test]
async fn noop_and_copy_tasks_start_and_succeed() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(src.path().join("a.txt"), "hello").unwrap();
    std::fs::create_dir(src.path().join("d")).unwrap();
    std::fs::write(src.path().join("d/b.txt"), "world!").unwrap();
    let mut h = start(Registry::with_defaults(StoreResolver::new()), config()).await;
    let n = message(noop());
    let c = message(copy_body(
        format!("file://{}/", src.path().display()),
        format!("file://{}/", dst.path().display()),
    ));
    h.publish(&n).await;
    h.publish(&c).await;
    let events = h.until_finished(&[n.task_id, c.task_id]).await;

    assert_eq!(
        outcome(&events[&n.task_id]),
        Outcome::Succeeded {
            result: serde_json::json!({}),
            report: None
        }
    );
    let Outcome::Succeeded { result, report } = outcome(&events[&c.task_id]) else {
        panic!("copy failed: {:?}", events[&c.task_id]);
    };
    assert_eq!(result["files_copied"], 2);
    assert_eq!(result["bytes_copied"], 11);
    assert_eq!(report, None);
    assert_eq!(
        std::fs::read_to_string(dst.path().join("d/b.txt")).unwrap(),
        "world!"
    );
    let last = events[&c.task_id].last().unwrap();
    assert_eq!(
        (last.worker_id.as_str(), last.attempt, last.run_id),
        (h.worker_id.as_str(), 1, c.run_id)
    );
    let EventKind::Finished { progress, .. } = last.kind else {
        unreachable!()
    };
    assert_eq!((progress.files_total, progress.files_done), (2, 2));

    let (broker, r) = h.stop().await;
    r.unwrap();
    assert_eq!(
        broker.queued_tasks("default"),
        0,
        "finished deliveries are acked, not requeued"
    );
}

#[tokio::test]
async fn a_check_task_reports_through_the_finished_event() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a"), "1").unwrap();
    let mut h = start(Registry::with_defaults(StoreResolver::new()), config()).await;
    let m = message(TaskBody::Check(CheckTask {
        source: Location::url(format!("file://{}/", src.path().display())),
        target: Location::url("memory://consumer-check-empty/"),
        mode: CheckMode::Size,
        include: Vec::new(),
        exclude: Vec::new(),
        on_inconsistent: ferry_common::spec::OnInconsistent::Report,
    }));
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let Outcome::Succeeded { result, report } = outcome(&events[&m.task_id]) else {
        panic!()
    };
    assert_eq!(result["consistent"], false);
    assert_eq!(report.unwrap()["missing"], serde_json::json!(["a"]));
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn a_copy_from_a_missing_source_fails_for_good() {
    let dst = tempfile::tempdir().unwrap();
    let mut h = start(Registry::with_defaults(StoreResolver::new()), config()).await;
    let m = message(copy_body(
        "file:///no/such/ferry/source/".into(),
        format!("file://{}/", dst.path().display()),
    ));
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let (error, retryable) = failed(outcome(&events[&m.task_id]));
    assert!(error.contains("not found"), "{error}");
    assert!(!retryable);
    let (broker, r) = h.stop().await;
    r.unwrap();
    assert_eq!(broker.queued_tasks("default"), 0);
}

#[tokio::test]
async fn a_kind_without_executor_fails_for_good() {
    let mut reg = Registry::new();
    reg.register(Arc::new(ferry_worker::executors::noop::NoopExecutor));
    let mut h = start(reg, config()).await;
    let m = message(copy_body("file:///a/".into(), "file:///b/".into()));
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let (error, retryable) = failed(outcome(&events[&m.task_id]));
    assert!(error.contains("no executor for kind `copy`"), "{error}");
    assert!(!retryable);
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn a_cancel_request_stops_a_running_attempt_after_progress() {
    let mut h = start(scripted(Behaviour::UntilCancelled), config()).await;
    let m = message(noop());
    h.publish(&m).await;
    h.wait_started(m.task_id).await;
    // Progress events flow while it runs.
    loop {
        let ev = h
            .next_event(Duration::from_secs(10))
            .await
            .expect("no progress event");
        if let EventKind::Progress { progress } = ev.kind {
            assert_eq!(progress.files_total, 1000);
            break;
        }
    }
    h.coord.request_cancel(m.task_id).await.unwrap();
    let ev = loop {
        let ev = h
            .next_event(Duration::from_secs(10))
            .await
            .expect("no finished event");
        if matches!(ev.kind, EventKind::Finished { .. }) {
            break ev;
        }
    };
    let EventKind::Finished { outcome, progress } = ev.kind else {
        unreachable!()
    };
    assert_eq!(failed(outcome), ("cancelled".to_string(), false));
    assert!(progress.files_done > 0);
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn a_timeout_fails_the_attempt_as_retryable() {
    let mut h = start(scripted(Behaviour::UntilCancelled), config()).await;
    let mut m = message(noop());
    m.timeout_secs = Some(1);
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let (error, retryable) = failed(outcome(&events[&m.task_id]));
    assert_eq!(error, "timed out after 1s");
    assert!(retryable);
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn a_panicking_executor_fails_the_attempt_not_the_worker() {
    let mut h = start(scripted(Behaviour::Panic), config()).await;
    let (a, b) = (message(noop()), message(noop()));
    h.publish(&a).await;
    h.publish(&b).await;
    let events = h.until_finished(&[a.task_id, b.task_id]).await;
    for t in [a.task_id, b.task_id] {
        let (error, retryable) = failed(outcome(&events[&t]));
        assert_eq!(error, "worker panicked: boom");
        assert!(retryable);
    }
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn heartbeats_announce_the_worker_and_its_running_tasks() {
    let mut h = start(scripted(Behaviour::UntilCancelled), config()).await;
    let m = message(noop());
    h.publish(&m).await;
    h.wait_started(m.task_id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let live = h.coord.live_workers().await.unwrap();
        if let Some(w) = live.iter().find(|w| w.id == h.worker_id)
            && w.running == [m.task_id]
        {
            assert_eq!(w.queues, ["default"]);
            assert_eq!(w.concurrency, 2);
            assert!(!w.hostname.is_empty());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no heartbeat with the running task: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.coord.request_cancel(m.task_id).await.unwrap();
    h.until_finished(&[m.task_id]).await;
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn at_most_concurrency_attempts_run_at_once() {
    let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let reg = scripted(Behaviour::Sleep(
        Duration::from_millis(100),
        now.clone(),
        max.clone(),
    ));
    let mut h = start(reg, config()).await;
    let msgs: Vec<_> = (0..5).map(|_| message(noop())).collect();
    for m in &msgs {
        h.publish(m).await;
    }
    let ids: Vec<_> = msgs.iter().map(|m| m.task_id).collect();
    let events = h.until_finished(&ids).await;
    for id in &ids {
        assert!(matches!(outcome(&events[id]), Outcome::Succeeded { .. }));
    }
    assert_eq!(max.load(Ordering::SeqCst), 2);
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn shutdown_lets_running_attempts_finish_within_the_grace() {
    let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let reg = scripted(Behaviour::Sleep(Duration::from_millis(300), now, max));
    let mut h = start(reg, config()).await;
    let m = message(noop());
    h.publish(&m).await;
    h.wait_started(m.task_id).await;
    h.shutdown.cancel();
    let ev = loop {
        let ev = h
            .next_event(Duration::from_secs(10))
            .await
            .expect("no finished event");
        if matches!(ev.kind, EventKind::Finished { .. }) {
            break ev;
        }
    };
    assert!(matches!(
        ev.kind,
        EventKind::Finished {
            outcome: Outcome::Succeeded { .. },
            ..
        }
    ));
    let (broker, r) = h.stop().await;
    r.unwrap();
    assert_eq!(broker.queued_tasks("default"), 0);
}

#[tokio::test]
async fn shutdown_requeues_attempts_still_running_after_the_grace() {
    let cfg = WorkerConfig {
        shutdown_grace: Duration::from_millis(200),
        ..config()
    };
    let mut h = start(scripted(Behaviour::UntilCancelled), cfg).await;
    let m = message(noop());
    h.publish(&m).await;
    h.wait_started(m.task_id).await;
    h.shutdown.cancel();
    let worker = tokio::time::timeout(Duration::from_secs(10), &mut h.worker)
        .await
        .expect("worker did not stop");
    worker.unwrap().unwrap();
    assert_eq!(
        h.broker.queued_tasks("default"),
        1,
        "the unfinished task is back in its queue"
    );
    while let Some(ev) = h.next_event(Duration::from_millis(200)).await {
        assert!(
            !matches!(ev.kind, EventKind::Finished { .. }),
            "no result for a requeued attempt: {ev:?}"
        );
    }
}

#[tokio::test]
async fn a_duplicate_delivery_of_a_claimed_attempt_is_dropped() {
    let mut h = start(Registry::with_defaults(StoreResolver::new()), config()).await;
    let dup = message(noop());
    // Another worker holds this attempt (it got the first copy of the message).
    assert!(h.coord.claim_attempt(dup.task_id, 1, "worker-elsewhere", Duration::from_secs(60)).await.unwrap());
    h.publish(&dup).await;
    let fresh = message(noop());
    h.publish(&fresh).await;
    let events = h.until_finished(&[fresh.task_id]).await;
    assert!(!events.contains_key(&dup.task_id), "the duplicate ran: {:?}", events.get(&dup.task_id));
    assert!(h.next_event(Duration::from_millis(300)).await.is_none(), "nothing more is reported");
    // The next attempt of the same task is not held by anyone and runs.
    let retry = TaskMessage { attempt: 2, ..dup.clone() };
    h.publish(&retry).await;
    let events = h.until_finished(&[dup.task_id]).await;
    assert!(events[&dup.task_id].iter().all(|e| e.attempt == 2));
    let (broker, r) = h.stop().await;
    r.unwrap();
    drop(broker);
}

#[tokio::test]
async fn a_redelivered_attempt_of_a_dead_claimer_runs_once_the_claim_lapses() {
    let (broker, coord) = (InProcBroker::new(), InProcCoordinator::new());
    let m = message(noop());
    // A worker took the message, claimed the attempt and died before announcing it: the
    // message comes back redelivered while the claim still stands for a while.
    broker.publish_task(&m).await.unwrap();
    let mut taken = broker.consume_tasks("default", 1).await.unwrap();
    let first = taken.next().await.unwrap().unwrap();
    assert!(coord.claim_attempt(m.task_id, 1, "worker-dead", Duration::from_millis(1500)).await.unwrap());
    drop(first);
    drop(taken);

    let mut h = start_on(broker, coord, Registry::with_defaults(StoreResolver::new()), config()).await;
    let events = h.until_finished(&[m.task_id]).await;
    assert!(matches!(outcome(&events[&m.task_id]), Outcome::Succeeded { .. }));
    assert!(events[&m.task_id].iter().all(|e| e.attempt == 1 && e.worker_id == h.worker_id));
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn only_attempts_outlasting_announce_after_publish_started() {
    let counters = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let slow = Behaviour::Sleep(Duration::from_millis(400), counters.0.clone(), counters.1.clone());
    let cfg = WorkerConfig {
        announce_after: Duration::from_millis(150),
        ..config()
    };
    let mut h = start(scripted(slow), cfg).await;
    let m = message(noop());
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    assert!(matches!(outcome(&events[&m.task_id]), Outcome::Succeeded { .. }));
    h.stop().await.1.unwrap();

    let cfg = WorkerConfig {
        announce_after: Duration::from_secs(5),
        ..config()
    };
    let mut h = start(Registry::with_defaults(StoreResolver::new()), cfg).await;
    let m = message(noop());
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let kinds: Vec<_> = events[&m.task_id].iter().map(|e| &e.kind).collect();
    assert!(
        matches!(kinds.as_slice(), [EventKind::Finished { outcome: Outcome::Succeeded { .. }, .. }]),
        "a quick attempt sends only its finished event: {kinds:?}"
    );
    h.stop().await.1.unwrap();
}

#[tokio::test]
async fn a_location_outside_the_tasks_file_roots_fails_before_the_attempt_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
    [&root, &outside].iter().for_each(|d| std::fs::create_dir_all(d).unwrap());
    std::os::unix::fs::symlink(&outside, root.join("in")).unwrap();
    let mut h = start(Registry::with_defaults(StoreResolver::new()), config()).await;
    let mut m = message(copy_body(format!("{}/in/", root.display()), format!("{}/out/", root.display())));
    m.file_roots = ferry_common::file_roots::FileRoots::only(vec![root.clone()]);
    h.publish(&m).await;
    let events = h.until_finished(&[m.task_id]).await;
    let Outcome::Failed { error, retryable } = outcome(&events[&m.task_id]) else { panic!("must fail") };
    assert!(!retryable && error.contains("symlink") && !root.join("out").exists(), "{error}");
}

//! What every suite's cases share: the runtime a case runs on, its deadline, polling
//! for something that happens eventually, and the messages the broker cases send.

use chrono::Utc;
use ferry_common::messages::{DEFAULT_QUEUE, EventKind, TaskEvent, TaskMessage};
use ferry_common::spec::{NoopTask, TaskBody};
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

/// The longest one case may run before it fails. Generous (a loaded machine running
/// every suite at once is slow), but finite, so a case that waits on a stream that
/// never yields fails loudly instead of hanging the test run.
pub const CASE_DEADLINE: Duration = Duration::from_secs(120);

/// Runs one case on its own multi-threaded runtime (two workers) with
/// [`CASE_DEADLINE`]. Multi-threaded because harnesses may block briefly (an HTTP call
/// to RabbitMQ's management API, dropping a database) and a single-threaded runtime
/// would stall the case's own I/O meanwhile. Used by the `*_tests!` macros, so callers
/// need no `#[tokio::test]` of their own.
pub fn run_case<F: Future<Output = ()>>(case: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the case");
    rt.block_on(async {
        if tokio::time::timeout(CASE_DEADLINE, case).await.is_err() {
            panic!("the case did not finish within {CASE_DEADLINE:?}");
        }
    });
}

/// Polls `check` every 50 ms until it returns true (then true) or `within` passes
/// (then false). Cases use it for anything with a ttl, so they assert *that* something
/// lapses, never *when* to the millisecond.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A task message for `queue` whose key names it in failure messages.
pub(crate) fn task(key: &str, queue: &str) -> TaskMessage {
    TaskMessage {
        task_id: Uuid::new_v4(),
        run_id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        attempt: 1,
        key: key.to_string(),
        body: TaskBody::Noop(NoopTask {}),
        timeout_secs: None,
        queue: queue.to_string(),
        bandwidth: Vec::new(),
        shard: None,
        post: Vec::new(),
        file_roots: Default::default(),
        connections: Vec::new(),
    }
}

/// A task message for the default queue.
pub(crate) fn default_task(key: &str) -> TaskMessage {
    task(key, DEFAULT_QUEUE)
}

/// A `started` event of a new task, from worker `worker`.
pub(crate) fn event(worker: &str) -> TaskEvent {
    TaskEvent {
        task_id: Uuid::new_v4(),
        run_id: Uuid::new_v4(),
        attempt: 1,
        worker_id: worker.to_string(),
        at: Utc::now(),
        kind: EventKind::Started,
    }
}

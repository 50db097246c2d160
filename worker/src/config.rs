//! How a worker process is tuned: identity, queues, parallelism and the cadence of what
//! it reports.

use std::time::Duration;

/// Largest prefetch the automatic setting picks.
pub const MAX_AUTO_PREFETCH: u16 = 1000;

/// Settings of one worker process. `Default` gives a worker of 4 slots on the `default`
/// queue; override fields with struct update syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Unique id in heartbeats and events (`worker-<hostname>-<8 hex>` by default), so two
    /// workers on one host stay apart and a restarted worker is a new one.
    pub id: String,
    /// Task queues (resource classes) this worker consumes.
    pub queues: Vec<String>,
    /// Attempts run at once.
    pub concurrency: u32,
    /// Unacked deliveries the broker may hand this worker per queue. `0` (the default)
    /// means twice the concurrency (capped at [`MAX_AUTO_PREFETCH`]): enough that a slot
    /// freed finds the next task already here, few enough that other workers still get
    /// work. It is resolved when the worker starts, so `..Default::default()` with
    /// another concurrency still gets a matching prefetch.
    pub prefetch: u16,
    /// On shutdown, how long running attempts may finish before they are cancelled and
    /// their messages handed back to the queue.
    pub shutdown_grace: Duration,
    /// Heartbeat period; a worker counts as gone after three missed beats.
    pub heartbeat_every: Duration,
    /// Progress event period per attempt (only when the counters moved).
    pub progress_every: Duration,
    /// How often each attempt asks the coordinator whether a cancel was requested.
    pub cancel_poll_every: Duration,
    /// How long an attempt runs before its `started` event is published. An attempt
    /// that finishes sooner sends only `finished` (the orchestrator records both steps
    /// from it), which saves a third of the broker traffic for short tasks; a longer one
    /// is announced so the API shows it running and the reaper watches it. `0` announces
    /// every attempt before it runs.
    pub announce_after: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let short = uuid::Uuid::new_v4().simple().to_string();
        Self {
            id: format!("worker-{}-{}", hostname(), &short[..8]),
            queues: vec![ferry_common::messages::DEFAULT_QUEUE.to_string()],
            concurrency: 4,
            prefetch: 0,
            shutdown_grace: Duration::from_secs(30),
            heartbeat_every: Duration::from_secs(5),
            progress_every: Duration::from_millis(250),
            cancel_poll_every: Duration::from_millis(500),
            announce_after: Duration::from_millis(200),
        }
    }
}

impl WorkerConfig {
    /// The prefetch in force: the configured one, or the automatic one when it is 0; never
    /// below the concurrency (a slot without a delivery to run is wasted).
    pub fn effective_prefetch(&self) -> u16 {
        let concurrency = u16::try_from(self.concurrency.max(1)).unwrap_or(u16::MAX);
        if self.prefetch == 0 {
            concurrency
                .saturating_mul(2)
                .min(MAX_AUTO_PREFETCH)
                .max(concurrency)
        } else {
            self.prefetch.max(concurrency)
        }
    }
}

/// This host's name, for worker ids and heartbeats: the kernel's, else `/etc/hostname`,
/// else `$HOSTNAME`, else `localhost` (no extra crate needed on Linux).
pub fn hostname() -> String {
    let from_file = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
    };
    from_file("/proc/sys/kernel/hostname")
        .filter(|s| !s.is_empty())
        .or_else(|| from_file("/etc/hostname").filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_prefetch() {
        let c = WorkerConfig::default();
        assert!(c.id.starts_with("worker-"), "{}", c.id);
        assert_ne!(c.id, WorkerConfig::default().id);
        assert_eq!(c.queues, ["default"]);
        assert_eq!(c.effective_prefetch(), 8);
        let c = WorkerConfig {
            concurrency: 16,
            ..WorkerConfig::default()
        };
        assert_eq!(c.effective_prefetch(), 32);
        let c = WorkerConfig {
            concurrency: 5000,
            ..WorkerConfig::default()
        };
        assert_eq!(c.effective_prefetch(), 5000);
        let c = WorkerConfig {
            prefetch: 3,
            concurrency: 2,
            ..WorkerConfig::default()
        };
        assert_eq!(c.effective_prefetch(), 3);
        let c = WorkerConfig {
            prefetch: 1,
            concurrency: 2,
            ..WorkerConfig::default()
        };
        assert_eq!(c.effective_prefetch(), 2);
    }
}

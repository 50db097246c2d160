//! The distributed stack of one test: a fresh Postgres database, RabbitMQ vhost and Redis
//! key prefix on real servers, and `ferry migrate`, `ferry api`, orchestrators and
//! workers as child processes, each with its stdout and stderr in a log file.
//!
//! Everything is torn down on drop: the processes are killed, the database and the vhost
//! dropped, the Redis keys deleted. When the test is failing (panicking), the tails of
//! every log are printed first and the log folder is kept (also kept, and its path
//! printed, when `FERRY_TEST_KEEP_LOGS` is set).
//!
//! The distributed tests run one at a time (see [`serial`]): each starts several
//! processes on a 2-core machine and some assert on timings (leases, reaping).
//!
//! The stack's pieces: its processes ([`proc`]), the servers under it, reached directly
//! ([`backends`]), and its API, reached as a client would ([`client`]).

pub(crate) mod backends;
mod client;
mod proc;

pub(crate) use backends::Endpoints;

use backends::psql;
use proc::Proc;
use std::fs::File;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Bearer key of the stack's API.
pub(crate) const KEY: &str = "distributed-test-admin-key";

/// Short timings so failures are detected (and recovered from) within seconds.
const TIMINGS: &[(&str, &str)] = &[
    ("FERRY_HEARTBEAT_EVERY", "500ms"),
    ("FERRY_REAP_GRACE", "3s"),
    ("FERRY_LEASE_TTL", "3s"),
    ("FERRY_POLL_EVERY", "200ms"),
    ("FERRY_SHUTDOWN_GRACE", "2s"),
];

/// Holds the machine-wide lock that runs the distributed tests one at a time (also
/// across test processes, e.g. under nextest). Take it first in every test.
pub(crate) fn serial() -> File {
    let path = std::env::temp_dir().join("ferry-distributed-tests.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("open the lock file");
    file.lock().expect("lock the distributed tests' lock file");
    file
}

/// How big a stack to start.
#[derive(Debug, Clone)]
pub(crate) struct Opts {
    pub(crate) endpoints: Endpoints,
    pub(crate) orchestrators: usize,
    pub(crate) workers: usize,
    /// `FERRY_WORKER_CONCURRENCY`.
    pub(crate) concurrency: u32,
    /// More environment for every process (e.g. `FERRY_CONNECTIONS`).
    pub(crate) env: Vec<(String, String)>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            endpoints: Endpoints::shared(),
            orchestrators: 1,
            workers: 1,
            concurrency: 4,
            env: Vec::new(),
        }
    }
}

/// A running distributed stack; torn down on drop.
pub(crate) struct Stack {
    logs: Option<tempfile::TempDir>,
    pub(crate) endpoints: Endpoints,
    /// The test's database (`t_<uuid>`).
    pub(crate) db: String,
    /// The test's vhost (`/` on a private broker).
    pub(crate) vhost: String,
    vhost_created: bool,
    /// The test's Redis key prefix (`ferry-test-<uuid>:`).
    pub(crate) prefix: String,
    env: Vec<(String, String)>,
    pub(crate) base: String,
    client: reqwest::Client,
    pub(crate) api: Vec<Proc>,
    pub(crate) orchestrators: Vec<Proc>,
    pub(crate) workers: Vec<Proc>,
    pub(crate) notifiers: Vec<Proc>,
}

impl Stack {
    /// Creates the database, vhost and prefix, migrates, and starts the API, the
    /// orchestrators and the workers; returns once every worker heartbeats.
    pub(crate) fn start(opts: Opts) -> Stack {
        let ep = opts.endpoints.clone();
        ep.check_reachable();
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let logs = tempfile::Builder::new().prefix("ferry-dist-logs-").tempdir().expect("tempdir");
        let db = format!("t_{uuid}");
        let (vhost, vhost_created) = match &ep.mgmt {
            Some(_) => (format!("ferry-test-{uuid}"), true),
            None => ("/".to_string(), false),
        };
        let vhost_in_url = if vhost == "/" { "%2f".to_string() } else { vhost.clone() };
        let prefix = format!("ferry-test-{uuid}:");
        let mut env: Vec<(String, String)> = vec![
            ("FERRY_AMQP_URL".into(), format!("amqp://guest:guest@127.0.0.1:{}/{vhost_in_url}", ep.amqp_port)),
            ("FERRY_REDIS_URL".into(), format!("redis://127.0.0.1:{}", ep.redis_port)),
            ("FERRY_REDIS_PREFIX".into(), prefix.clone()),
            ("FERRY_QUEUES".into(), "default,large".into()),
            ("FERRY_LOG".into(), "info".into()),
            // Plain log files, without colour codes.
            ("NO_COLOR".into(), "1".into()),
            ("FERRY_WORKER_CONCURRENCY".into(), opts.concurrency.to_string()),
        ];
        env.extend(TIMINGS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.extend(opts.env.iter().cloned());
        let mut stack = Stack {
            logs: Some(logs),
            endpoints: ep.clone(),
            db,
            vhost,
            vhost_created: false,
            prefix,
            env,
            base: String::new(),
            client: reqwest::Client::new(),
            api: Vec::new(),
            orchestrators: Vec::new(),
            workers: Vec::new(),
            notifiers: Vec::new(),
        };

        stack.admin_psql(&format!("CREATE DATABASE \"{}\"", stack.db));
        if vhost_created {
            stack.create_vhost();
        }
        stack.migrate();

        let mut api = stack.spawn("api", &["api", "--bind", "127.0.0.1:0"], true);
        let line = stack.wait_line(&mut api, "listening on ", Duration::from_secs(60));
        stack.base = line["listening on ".len()..].split_whitespace().next().expect("address").to_string();
        stack.api.push(api);
        for _ in 0..opts.orchestrators {
            stack.start_orchestrator();
        }
        for _ in 0..opts.workers {
            stack.start_worker();
        }
        stack.wait_workers_live(opts.workers);
        stack
    }

    pub(crate) fn logs_dir(&self) -> &Path {
        self.logs.as_ref().expect("logs dir").path()
    }

    /// The database URL of the test's database.
    pub(crate) fn database_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{}", self.endpoints.pg_port, self.db)
    }

    fn spawn(&self, name: &str, args: &[&str], with_db: bool) -> Proc {
        let out = self.logs_dir().join(format!("{name}.out"));
        let err = self.logs_dir().join(format!("{name}.err"));
        let mut cmd = crate::app::ferry();
        for (k, _) in std::env::vars() {
            if k.starts_with("FERRY_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("log file"))
            .stderr(File::create(&err).expect("log file"));
        if with_db {
            cmd.env("FERRY_DATABASE_URL", self.database_url());
        }
        if name.starts_with("api") {
            cmd.env("FERRY_ADMIN_KEY", KEY);
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn ferry {args:?}: {e}"));
        Proc {
            name: name.to_string(),
            id: String::new(),
            child,
            out,
            err,
            killed: false,
        }
    }

    /// Waits for a stdout line starting with `prefix`; panics (with the logs) when the
    /// process exits first or the time runs out.
    fn wait_line(&self, proc: &mut Proc, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = std::fs::read_to_string(&proc.out).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.starts_with(prefix)) {
                return line.to_string();
            }
            if let Ok(Some(status)) = proc.child.try_wait() {
                panic!("{} exited ({status}) before printing {prefix:?}\n{}", proc.name, proc.tails(40));
            }
            if Instant::now() > deadline {
                panic!("{} did not print {prefix:?} within {timeout:?}\n{}", proc.name, proc.tails(40));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn migrate(&self) {
        let mut proc = self.spawn("migrate", &["migrate"], true);
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = proc.child.try_wait().expect("wait ferry migrate") {
                break status;
            }
            if Instant::now() > deadline {
                proc.kill_9();
                panic!("ferry migrate still running after 60 s\n{}", proc.tails(40));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = std::fs::read_to_string(&proc.out).unwrap_or_default();
        assert!(
            status.success() && out.contains("database migrated (postgres)"),
            "ferry migrate failed ({status})\n{}",
            proc.tails(40)
        );
    }

    /// Starts one more orchestrator; returns its index.
    /// Starts one more API process on the same database; its base URL.
    pub(crate) fn start_api(&mut self) -> String {
        let i = self.api.len();
        let mut api = self.spawn(&format!("api-{i}"), &["api", "--bind", "127.0.0.1:0"], true);
        let line = self.wait_line(&mut api, "listening on ", Duration::from_secs(60));
        self.api.push(api);
        line["listening on ".len()..].split_whitespace().next().expect("address").to_string()
    }

    pub(crate) fn start_orchestrator(&mut self) -> usize {
        let i = self.orchestrators.len();
        let mut proc = self.spawn(&format!("orchestrator-{i}"), &["orchestrator"], true);
        let line = self.wait_line(&mut proc, "orchestrator ", Duration::from_secs(60));
        proc.id = started_id(&line, "orchestrator ");
        self.orchestrators.push(proc);
        i
    }

    /// Starts one more worker (it gets no database URL); returns its index.
    pub(crate) fn start_worker(&mut self) -> usize {
        let i = self.workers.len();
        let mut proc = self.spawn(&format!("worker-{i}"), &["worker"], false);
        let line = self.wait_line(&mut proc, "worker ", Duration::from_secs(60));
        proc.id = started_id(&line, "worker ");
        self.workers.push(proc);
        i
    }

    /// Starts one more notifier; returns its index.
    pub(crate) fn start_notifier(&mut self) -> usize {
        let i = self.notifiers.len();
        let mut proc = self.spawn(&format!("notifier-{i}"), &["notifier"], true);
        let line = self.wait_line(&mut proc, "notifier ", Duration::from_secs(60));
        proc.id = started_id(&line, "notifier ");
        self.notifiers.push(proc);
        i
    }

    /// `kill -9` notifier `i` and waits for it to be gone.
    pub(crate) fn kill_9_notifier(&mut self, i: usize) {
        self.notifiers[i].kill_9();
    }

    /// `kill -9` worker `i` and waits for it to be gone.
    pub(crate) fn kill_9_worker(&mut self, i: usize) {
        self.workers[i].kill_9();
    }

    /// `kill -9` orchestrator `i` and waits for it to be gone.
    pub(crate) fn kill_9_orchestrator(&mut self, i: usize) {
        self.orchestrators[i].kill_9();
    }

    /// The index of the (not killed) worker process with ferry id `id`.
    pub(crate) fn live_worker_by_id(&self, id: &str) -> Option<usize> {
        self.workers.iter().position(|w| w.id == id && !w.killed)
    }

    /// Panics (with the logs) when a process of the stack has exited on its own.
    pub(crate) fn assert_all_alive(&mut self) {
        let mut dead = Vec::new();
        for p in self.api.iter_mut().chain(&mut self.orchestrators).chain(&mut self.workers).chain(&mut self.notifiers) {
            if !p.killed
                && let Ok(Some(status)) = p.child.try_wait()
            {
                dead.push(format!("{} exited on its own ({status})\n{}", p.name, p.tails(40)));
            }
        }
        assert!(dead.is_empty(), "{}", dead.join("\n"));
    }

    /// Waits until `/api/v1/workers` lists at least `n` live workers.
    fn wait_workers_live(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let keys = self.redis(&["ZCARD", &format!("{}workers", self.prefix)]);
            if keys.trim().parse::<usize>().unwrap_or(0) >= n {
                return;
            }
            if Instant::now() > deadline {
                let logs: String = self.workers.iter().map(|w| w.tails(30)).collect();
                panic!("{n} workers did not heartbeat within 30 s (zset {}workers: {keys})\n{logs}", self.prefix);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // -----------------------------------------------------------------------------------
    // Logs

    /// The tails of every process's logs.
    pub(crate) fn log_tails(&self, n: usize) -> String {
        self.api
            .iter()
            .chain(&self.orchestrators)
            .chain(&self.workers)
            .chain(&self.notifiers)
            .map(|p| p.tails(n))
            .collect()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let failing = std::thread::panicking();
        if failing {
            eprintln!("===== logs of the distributed stack (last 60 lines each) =====\n{}", self.log_tails(60));
        }
        for p in self.api.iter_mut().chain(&mut self.orchestrators).chain(&mut self.workers).chain(&mut self.notifiers) {
            p.kill_9();
        }
        if let Err(e) = psql(
            self.endpoints.pg_port,
            "postgres",
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.db),
        ) {
            eprintln!("cleanup: {e}");
        }
        if self.vhost_created {
            let _ = self.mgmt("DELETE", &format!("/api/vhosts/{}", self.vhost), None);
        }
        let keys = self.redis(&["--scan", "--pattern", &format!("{}*", self.prefix)]);
        let keys: Vec<&str> = keys.lines().map(str::trim).filter(|k| !k.is_empty()).collect();
        for chunk in keys.chunks(500) {
            let mut args = vec!["DEL"];
            args.extend(chunk);
            self.redis(&args);
        }
        if let Some(logs) = self.logs.take()
            && (failing || std::env::var_os("FERRY_TEST_KEEP_LOGS").is_some())
        {
            eprintln!("logs kept in {}", logs.keep().display());
        }
    }
}

/// `<role> <id> started` → `<id>`.
fn started_id(line: &str, role: &str) -> String {
    line[role.len()..].split_whitespace().next().expect("id").to_string()
}

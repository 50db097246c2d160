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

use super::servers::{listening, tail};
use serde_json::{Value, json};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// Where the stack's servers are.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub(crate) pg_port: u16,
    pub(crate) amqp_port: u16,
    /// The RabbitMQ management API; with it each stack gets a vhost of its own, without
    /// it (a private broker) the stack uses the default vhost `/`.
    pub(crate) mgmt: Option<String>,
    pub(crate) redis_port: u16,
}

impl Endpoints {
    /// The shared servers of `scripts/services.sh`.
    pub(crate) fn shared() -> Self {
        Endpoints {
            pg_port: 5432,
            amqp_port: 5672,
            mgmt: Some("http://127.0.0.1:15672".into()),
            redis_port: 6379,
        }
    }

    fn check_reachable(&self) {
        let shared = Endpoints::shared();
        let hint = |port: u16, default: u16, name: &str| {
            if port == default {
                format!(
                    "{name} is not reachable at 127.0.0.1:{port}. These tests need the shared servers: \
                     start them with `scripts/services.sh` (it starts Postgres, Redis and RabbitMQ; \
                     `scripts/test.sh` does it too)"
                )
            } else {
                format!("the private {name} of this test is not reachable at 127.0.0.1:{port}")
            }
        };
        assert!(listening(self.pg_port), "{}", hint(self.pg_port, shared.pg_port, "Postgres"));
        assert!(listening(self.redis_port), "{}", hint(self.redis_port, shared.redis_port, "Redis"));
        assert!(listening(self.amqp_port), "{}", hint(self.amqp_port, shared.amqp_port, "RabbitMQ"));
        if let Some(mgmt) = &self.mgmt {
            let (status, body) = http(mgmt, "GET", "/api/overview", None);
            assert_eq!(
                status, 200,
                "the RabbitMQ management API at {mgmt} does not answer ({body}). Start RabbitMQ with \
                 `scripts/services.sh` and enable the plugin: `rabbitmq-plugins enable rabbitmq_management`"
            );
        }
    }
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

/// One `ferry` child process.
pub(crate) struct Proc {
    /// `api`, `orchestrator-0`, `worker-2`, …
    pub(crate) name: String,
    /// The id the role printed (`orchestrator <id> started`, `worker <id> started`).
    pub(crate) id: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
    pub(crate) killed: bool,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote to stderr (its log) so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read(&self.err).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    fn kill_9(&mut self) {
        if self.killed {
            return;
        }
        let _ = Command::new("kill").arg("-9").arg(self.child.id().to_string()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.killed = true;
    }

    /// Sends SIGTERM, as an orchestrator of containers does, and waits up to `within`
    /// for the process to exit; its exit status, or `None` if it is still running.
    pub(crate) fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.killed = true;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn tails(&self, n: usize) -> String {
        format!(
            "----- {} (pid {}, id {}{}) stdout -----\n{}\n----- {} stderr -----\n{}\n",
            self.name,
            self.child.id(),
            self.id,
            if self.killed { ", killed" } else { "" },
            tail(&self.out, n),
            self.name,
            tail(&self.err, n)
        )
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

    fn logs_dir(&self) -> &Path {
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
        if name == "api" {
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
        for p in self.api.iter_mut().chain(&mut self.orchestrators).chain(&mut self.workers) {
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
    // Servers, directly

    /// Runs SQL on the test's database; returns psql's unaligned, tuples-only output.
    pub(crate) fn psql(&self, sql: &str) -> String {
        psql(self.endpoints.pg_port, &self.db, sql).unwrap_or_else(|e| panic!("{e}"))
    }

    fn admin_psql(&self, sql: &str) {
        psql(self.endpoints.pg_port, "postgres", sql).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Runs a redis-cli command on the stack's Redis; returns its output.
    pub(crate) fn redis(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.endpoints.redis_port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The ferry id of the orchestrator holding the leader lease, if any.
    pub(crate) fn leader_id(&self) -> Option<String> {
        let v = self.redis(&["GET", &format!("{}lease:orchestrator-leader", self.prefix)]);
        let v = v.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// A request to the RabbitMQ management API (`path` from `/api/…`).
    pub(crate) fn mgmt(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let base = self.endpoints.mgmt.as_deref().expect("this stack's broker has no management API");
        http(base, method, path, body.map(|b| b.to_string()).as_deref())
    }

    fn create_vhost(&mut self) {
        let (s, b) = self.mgmt("PUT", &format!("/api/vhosts/{}", self.vhost), None);
        assert!(s == 201 || s == 204, "create vhost {}: {s} {b}", self.vhost);
        self.vhost_created = true;
        let perms = json!({"configure": ".*", "write": ".*", "read": ".*"});
        let (s, b) = self.mgmt("PUT", &format!("/api/permissions/{}/guest", self.vhost), Some(&perms));
        assert!(s == 201 || s == 204, "grant guest on vhost {}: {s} {b}", self.vhost);
    }

    // -----------------------------------------------------------------------------------
    // The API

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET → (status, JSON body or Null).
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        match self.client.get(self.url(path)).bearer_auth(KEY).timeout(Duration::from_secs(10)).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                (status, res.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (0, json!({"transport_error": e.to_string()})),
        }
    }

    /// GET that must answer 200 within `timeout` (retrying while servers recover).
    pub(crate) async fn get_ok(&self, path: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, body) = self.get(path).await;
            if status == 200 {
                return body;
            }
            assert!(Instant::now() < deadline, "GET {path}: {status} {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(KEY)
            .json(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates the pipeline and starts a run of it; returns the run id.
    pub(crate) async fn start_run(&self, spec: &Value) -> String {
        let (s, pipeline) = self.post_json("/api/v1/pipelines", spec).await;
        assert_eq!(s, 201, "create pipeline: {pipeline}");
        let pid = pipeline["id"].as_str().expect("pipeline id");
        let (s, run) = self.post_json(&format!("/api/v1/pipelines/{pid}/runs"), &json!({})).await;
        assert_eq!(s, 202, "start run: {run}");
        run["id"].as_str().expect("run id").to_string()
    }

    /// The run (None while the API cannot answer).
    pub(crate) async fn run(&self, run_id: &str) -> Option<Value> {
        let (s, run) = self.get(&format!("/api/v1/runs/{run_id}")).await;
        (s == 200).then_some(run)
    }

    /// Polls the run until it is terminal; panics with the task states and the logs
    /// when `timeout` passes first.
    pub(crate) async fn wait_run(&self, run_id: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        loop {
            if let Some(run) = self.run(run_id).await {
                if ["succeeded", "failed", "cancelled"].contains(&run["state"].as_str().unwrap_or_default()) {
                    return run;
                }
                last = run;
            }
            if Instant::now() > deadline {
                let tasks = self.tasks(run_id).await;
                let mut by_state = std::collections::BTreeMap::<String, usize>::new();
                for t in &tasks {
                    *by_state.entry(format!("{}", t["state"])).or_default() += 1;
                }
                let unfinished: Vec<String> = tasks
                    .iter()
                    .filter(|t| t["state"] != "succeeded")
                    .take(10)
                    .map(|t| format!("{} {} attempt {}", t["key"], t["state"], t["attempt"]))
                    .collect();
                let (_, workers) = self.get("/api/v1/workers").await;
                panic!(
                    "run {run_id} not finished after {timeout:?}: {last}\ntasks by state: {by_state:?}\n\
                     unfinished (first 10): {unfinished:#?}\nworkers: {workers}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every task of the run (all pages).
    pub(crate) async fn tasks(&self, run_id: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/runs/{run_id}/tasks?limit=500&cursor={c}"),
                None => format!("/api/v1/runs/{run_id}/tasks?limit=500"),
            };
            let page = self.get_ok(&path, Duration::from_secs(30)).await;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => return items,
            }
        }
    }

    /// `/api/v1/workers` items (empty while the API cannot answer).
    pub(crate) async fn workers(&self) -> Vec<Value> {
        let (s, body) = self.get("/api/v1/workers").await;
        if s != 200 {
            return Vec::new();
        }
        body["items"].as_array().cloned().unwrap_or_default()
    }

    // -----------------------------------------------------------------------------------
    // Logs

    /// The tails of every process's logs.
    pub(crate) fn log_tails(&self, n: usize) -> String {
        self.api
            .iter()
            .chain(&self.orchestrators)
            .chain(&self.workers)
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
        for p in self.api.iter_mut().chain(&mut self.orchestrators).chain(&mut self.workers) {
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

/// Runs `sql` on database `db` of the Postgres on 127.0.0.1:`port` as user postgres.
pub(crate) fn psql(port: u16, db: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-w", "-d", db])
        .args(["-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "psql on 127.0.0.1:{port}/{db} failed: {sql}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A plain HTTP request with the guest credentials (for the RabbitMQ management API),
/// made with curl so it also works from `Drop`; returns (status, body).
fn http(base: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-u", "guest:guest", "--max-time", "10", "-X", method])
        .args(["-H", "content-type: application/json", "-w", "\n%{http_code}"]);
    if let Some(body) = body {
        cmd.args(["--data-binary", body]);
    }
    let out = match cmd.arg(format!("{base}{path}")).stdin(Stdio::null()).output() {
        Ok(out) => out,
        Err(e) => return (0, format!("cannot run curl: {e}")),
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

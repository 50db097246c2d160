//! Private server instances for the fault tests, so restarting a server never disturbs
//! the shared ones (or another test): each runs on its own free port with its data in a
//! temporary folder, can be restarted on the same port, and is stopped on drop.
//!
//! - Redis: a child `redis-server` without persistence; a restart is `kill -9` and a new
//!   process (so every key is lost, as after a crash).
//! - Postgres: `initdb` into a folder owned by the `postgres` OS user (Postgres refuses
//!   to run as root) and `pg_ctl`; a restart is `pg_ctl stop -m fast` + `start`, so data
//!   survives and every client connection is cut.
//! - RabbitMQ: a second node (`ferrytest<P>@localhost`) with its own mnesia folder and no
//!   plugins; a restart is `rabbitmqctl stop` + `rabbitmq-server -detached`, so durable
//!   queues and persistent messages survive and every connection is closed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on now (the OS picks it).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `cmd`, panicking with its output unless it succeeds.
fn run_ok(what: &str, cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn chown_r(user: &str, dir: &Path) {
    run_ok("chown", Command::new("chown").arg("-R").arg(format!("{user}:{user}")).arg(dir));
}

/// The last `n` lines of a log file (for failure messages).
pub(crate) fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ---------------------------------------------------------------------------------------
// Redis

/// A private `redis-server` on its own port.
pub(crate) struct PrivateRedis {
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    starts: u32,
}

impl PrivateRedis {
    pub(crate) fn start() -> Self {
        let mut redis = PrivateRedis {
            port: free_port(),
            dir: tempfile::tempdir().expect("tempdir"),
            child: None,
            starts: 0,
        };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.dir.path().join(format!("redis-{}.log", self.starts))).expect("log");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn redis-server (apt-get install redis-server, or scripts/services.sh)");
        self.child = Some(child);
        let port = self.port;
        wait_until(&format!("private Redis on port {port}"), Duration::from_secs(20), || {
            Command::new("redis-cli")
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "ping"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("PONG"))
        });
    }

    /// Kills the server (`kill -9`, every key is lost).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-9").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
        let port = self.port;
        wait_until(&format!("private Redis on port {port} to go away"), Duration::from_secs(10), || !listening(port));
    }

    /// Starts it again on the same port (empty).
    pub(crate) fn start_again(&mut self) {
        assert!(self.child.is_none(), "private Redis still running");
        self.spawn();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for i in 1..=self.starts {
                eprintln!("----- private Redis log ({i}) -----\n{}", tail(&self.dir.path().join(format!("redis-{i}.log")), 30));
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Postgres

/// The folder of the newest installed Postgres's binaries (`initdb`, `pg_ctl`).
fn postgres_bin() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("/usr/lib/postgresql: install postgresql (scripts/services.sh does)")
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().expect("no /usr/lib/postgresql/*/bin/initdb").1
}

/// A private Postgres cluster on its own port, trust auth for user `postgres`.
pub(crate) struct PrivatePostgres {
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    running: bool,
}

impl PrivatePostgres {
    pub(crate) fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("ferry-pg-").tempdir().expect("tempdir");
        chown_r("postgres", dir.path());
        let bin = postgres_bin();
        run_ok(
            "initdb",
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(bin.join("initdb"))
                .arg("-D")
                .arg(dir.path().join("data"))
                .args(["-A", "trust", "-U", "postgres", "--no-sync"]),
        );
        let mut pg = PrivatePostgres {
            port: free_port(),
            dir,
            bin,
            running: false,
        };
        pg.start_again();
        pg
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(args);
        cmd
    }

    /// Starts the server (again) on its port.
    pub(crate) fn start_again(&mut self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        run_ok(
            "pg_ctl start",
            &mut self.pg_ctl(&["-w", "-t", "60", "-o", &opts, "-l", log.to_str().expect("utf-8 path"), "start"]),
        );
        self.running = true;
    }

    /// Stops the server (`-m fast`: every session is cut, data is kept).
    pub(crate) fn stop(&mut self) {
        run_ok("pg_ctl stop", &mut self.pg_ctl(&["-w", "-t", "60", "-m", "fast", "stop"]));
        self.running = false;
    }

    /// The server's log (for failure messages).
    pub(crate) fn log_tail(&self, n: usize) -> String {
        tail(&self.dir.path().join("postgres.log"), n)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("----- private Postgres log -----\n{}", self.log_tail(40));
        }
        if self.running {
            let _ = self.pg_ctl(&["-w", "-t", "30", "-m", "immediate", "stop"]).output();
        }
    }
}

// ---------------------------------------------------------------------------------------
// RabbitMQ

/// A second RabbitMQ node, `ferrytest<P>@localhost`, on AMQP port P (distribution port
/// P + 10000), without plugins, guest allowed on its default vhost `/`.
pub(crate) struct PrivateRabbit {
    pub(crate) port: u16,
    pub(crate) node: String,
    dir: tempfile::TempDir,
    running: bool,
}

impl PrivateRabbit {
    pub(crate) fn start() -> Self {
        // P and P + 10000 must both be free and below 65535.
        let port = (0..200)
            .map(|i| 20000 + ((std::process::id() as u16).wrapping_mul(7).wrapping_add(i * 37) % 20000))
            .find(|&p| port_is_free(p) && port_is_free(p + 10000))
            .expect("no free port pair for a private RabbitMQ");
        let dir = tempfile::Builder::new().prefix("ferry-rmq-").tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("mnesia")).unwrap();
        std::fs::create_dir_all(d.join("log")).unwrap();
        std::fs::write(d.join("enabled_plugins"), "[].\n").unwrap();
        std::fs::write(
            d.join("rabbitmq.conf"),
            format!("listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"),
        )
        .unwrap();
        // An env file of our own, so the shared node's /etc/rabbitmq/rabbitmq-env.conf
        // (NODENAME=rabbit@localhost) does not apply.
        std::fs::write(d.join("rabbitmq-env.conf"), "").unwrap();
        chown_r("rabbitmq", d);
        run_ok("chmod", Command::new("chmod").arg("755").arg(d));
        let mut rabbit = PrivateRabbit {
            port,
            node: format!("ferrytest{port}@localhost"),
            dir,
            running: false,
        };
        rabbit.start_again();
        rabbit
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.path().join("rabbit.pid")
    }

    fn command(&self, program: &str) -> Command {
        let d = self.dir.path();
        let mut cmd = Command::new(program);
        cmd.env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", (self.port + 10000).to_string())
            .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", d.join("log"))
            .env("RABBITMQ_PID_FILE", self.pid_file())
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq.conf"))
            .env("RABBITMQ_CONF_ENV_FILE", d.join("rabbitmq-env.conf"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .env("RABBITMQ_CTL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
        cmd
    }

    /// Starts the node (again) and waits until it serves AMQP.
    pub(crate) fn start_again(&mut self) {
        run_ok("rabbitmq-server -detached", self.command("rabbitmq-server").arg("-detached"));
        self.running = true;
        let pid_file = self.pid_file();
        run_ok(
            "rabbitmqctl wait",
            self.command("rabbitmqctl")
                .args(["-n", &self.node, "wait", "--timeout", "60"])
                .arg(&pid_file),
        );
        let port = self.port;
        wait_until(&format!("private RabbitMQ AMQP port {port}"), Duration::from_secs(30), || listening(port));
    }

    /// Stops the node (orderly: connections are closed, durable data is kept).
    pub(crate) fn stop(&mut self) {
        run_ok(
            "rabbitmqctl stop",
            self.command("rabbitmqctl").args(["-n", &self.node, "stop"]).arg(self.pid_file()),
        );
        self.running = false;
        let port = self.port;
        wait_until(&format!("private RabbitMQ on port {port} to go away"), Duration::from_secs(30), || {
            !listening(port)
        });
    }

    /// The node's log (for failure messages).
    pub(crate) fn log_tail(&self, n: usize) -> String {
        tail(&self.dir.path().join("log").join(format!("{}.log", self.node)), n)
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("----- private RabbitMQ log -----\n{}", self.log_tail(40));
        }
        if !self.running {
            return;
        }
        let stopped = self
            .command("rabbitmqctl")
            .args(["-n", &self.node, "stop"])
            .arg(self.pid_file())
            .output()
            .is_ok_and(|o| o.status.success());
        if !stopped && let Ok(pid) = std::fs::read_to_string(self.pid_file()) {
            let _ = Command::new("kill").arg("-9").arg(pid.trim()).status();
        }
    }
}

//! A throwaway vhost per test on the local RabbitMQ, administered through its management
//! HTTP API (or `rabbitmqctl` when the API does not answer).
//!
//! RabbitMQ must be running: these tests never skip. Start it with `scripts/services.sh`
//! (or `rabbitmq-server -detached`, see ../shared/SERVICES.md).

#![allow(dead_code, unreachable_pub)]

use chrono::Utc;
use ferry_common::messages::{EventKind, TaskEvent, TaskMessage};
use ferry_common::spec::{NoopTask, TaskBody};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;
use uuid::Uuid;

pub const AMQP_HOST: &str = "127.0.0.1:5672";

/// Logs of the crate under test (`RUST_LOG` overrides), shown for failing tests.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("ferry_amqp=debug"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Panics with instructions when nothing listens on the AMQP port.
pub fn require_rabbitmq() {
    init_logs();
    let addr: SocketAddr = AMQP_HOST.parse().unwrap();
    if let Err(e) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        panic!(
            "RabbitMQ is not reachable at {AMQP_HOST} ({e}). These tests need a real RabbitMQ: \
             run `scripts/services.sh` from the repository root (or `rabbitmq-server -detached`, \
             see shared/SERVICES.md) and run the tests again."
        );
    }
}

const MANAGEMENT: &str = "http://127.0.0.1:15672/api";

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl")
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot administer RabbitMQ: its management API at {MANAGEMENT} does not answer and \
                 rabbitmqctl cannot run ({e}); run `scripts/services.sh` (it enables the management plugin)"
            )
        });
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Percent-encodes one path segment of the management API (connection names hold spaces,
/// `>` and `:`).
fn segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One management API call, from any context (a test's runtime, or `Drop`): it runs on
/// its own thread and runtime. Returns the status and the body.
fn management(method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> Result<(u16, String), String> {
    let url = format!("{MANAGEMENT}{path}");
    let call = move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .map_err(|e| e.to_string())?;
            let mut req = client.request(method, &url).basic_auth("guest", Some("guest"));
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| e.to_string())?;
            Ok((status, text))
        })
    };
    let run = || std::thread::spawn(call).join().map_err(|_| "the HTTP thread panicked".to_string())?;
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    }
}

fn management_ok(method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> String {
    let (status, text) = management(method.clone(), path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert!((200..300).contains(&status), "{method} {path}: HTTP {status}: {text}");
    text
}

/// Whether the management API answers; probed once. Preferred over rabbitmqctl, which
/// needs to run on the RabbitMQ host (not so when RabbitMQ runs in a container).
fn use_management_api() -> bool {
    static PROBE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PROBE.get_or_init(|| matches!(management(reqwest::Method::GET, "/overview", None), Ok((200, _))))
}

/// A vhost `ferry-test-<uuid>` with full permissions for guest, deleted on drop.
pub struct TestVhost {
    pub name: String,
    /// Connections already closed: the statistics may still list them for a moment.
    closed: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl TestVhost {
    pub fn new() -> Self {
        require_rabbitmq();
        let name = format!("ferry-test-{}", Uuid::new_v4());
        let vhost = Self {
            name,
            closed: Default::default(),
        };
        if use_management_api() {
            management_ok(reqwest::Method::PUT, &format!("/vhosts/{}", segment(&vhost.name)), None);
            management_ok(
                reqwest::Method::PUT,
                &format!("/permissions/{}/guest", segment(&vhost.name)),
                Some(serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"})),
            );
        } else {
            rabbitmqctl(&["add_vhost", &vhost.name]);
            rabbitmqctl(&["set_permissions", "-p", &vhost.name, "guest", ".*", ".*", ".*"]);
        }
        vhost
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@{AMQP_HOST}/{}", self.name)
    }

    /// Closes every client connection of this vhost from the server side, as a RabbitMQ
    /// restart does, without disturbing other users of the shared server. Waits until the
    /// server lists at least one connection not closed before (its statistics lag a little
    /// behind), so a connection opened just before is closed too.
    pub fn close_connections(&self) {
        if !use_management_api() {
            rabbitmqctl(&["close_all_connections", "--vhost", &self.name, "ferry test: simulated restart"]);
            return;
        }
        let list = format!("/vhosts/{}/connections", segment(&self.name));
        for _ in 0..100 {
            let text = management_ok(reqwest::Method::GET, &list, None);
            let conns: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON list of connections");
            let mut closed = self.closed.lock().unwrap();
            let names: Vec<String> = conns
                .iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .filter(|n| !closed.contains(n))
                .collect();
            if names.is_empty() {
                drop(closed);
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            for name in names {
                let (status, text) = management(reqwest::Method::DELETE, &format!("/connections/{}", segment(&name)), None)
                    .unwrap_or_else(|e| panic!("closing connection {name}: {e}"));
                // 404: it went away on its own meanwhile.
                assert!((200..300).contains(&status) || status == 404, "closing {name}: HTTP {status}: {text}");
                closed.insert(name);
            }
            return;
        }
        panic!("RabbitMQ lists no connection in vhost {} to close", self.name);
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        if use_management_api() {
            let _ = management(reqwest::Method::DELETE, &format!("/vhosts/{}", segment(&self.name)), None);
        } else {
            let _ = Command::new("rabbitmqctl")
                .args(["--quiet", "delete_vhost", &self.name])
                .output();
        }
    }
}

pub fn task(key: &str) -> TaskMessage {
    TaskMessage {
        task_id: Uuid::new_v4(),
        run_id: Uuid::new_v4(),
        tenant_id: Uuid::new_v4(),
        attempt: 1,
        key: key.to_string(),
        body: TaskBody::Noop(NoopTask {}),
        timeout_secs: None,
        queue: "default".to_string(),
        bandwidth: Vec::new(),
        shard: None,
        post: Vec::new(),
        file_roots: Default::default(),
        connections: Vec::new(),
    }
}

pub fn event(task_id: Uuid) -> TaskEvent {
    TaskEvent {
        task_id,
        run_id: Uuid::new_v4(),
        attempt: 1,
        worker_id: "w1".to_string(),
        at: Utc::now(),
        kind: EventKind::Started,
    }
}

/// A TCP proxy in front of RabbitMQ that can be cut, to simulate a server that goes away
/// (connections dropped, then connection refused) and comes back on the same address,
/// as a restart does, without touching the shared server.
pub struct OutageProxy {
    pub port: u16,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl OutageProxy {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self {
            port,
            tasks: Default::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(AMQP_HOST).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(conn.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// The AMQP URL of `vhost` through this proxy.
    pub fn url(&self, vhost: &TestVhost) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/{}", self.port, vhost.name)
    }

    /// Drops every proxied connection and stops listening: new connects are refused.
    pub fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

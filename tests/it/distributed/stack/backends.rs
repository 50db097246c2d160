//! The servers under a stack, reached directly: where they are ([`Endpoints`]), SQL on
//! Postgres, redis-cli, and the RabbitMQ management API.

use super::Stack;
use crate::distributed::servers::listening;
use serde_json::{Value, json};
use std::process::{Command, Stdio};

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

    pub(super) fn check_reachable(&self) {
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

impl Stack {

    /// Runs SQL on the test's database; returns psql's unaligned, tuples-only output.
    pub(crate) fn psql(&self, sql: &str) -> String {
        psql(self.endpoints.pg_port, &self.db, sql).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) fn admin_psql(&self, sql: &str) {
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

    pub(super) fn create_vhost(&mut self) {
        let (s, b) = self.mgmt("PUT", &format!("/api/vhosts/{}", self.vhost), None);
        assert!(s == 201 || s == 204, "create vhost {}: {s} {b}", self.vhost);
        self.vhost_created = true;
        let perms = json!({"configure": ".*", "write": ".*", "read": ".*"});
        let (s, b) = self.mgmt("PUT", &format!("/api/permissions/{}/guest", self.vhost), Some(&perms));
        assert!(s == 201 || s == 204, "grant guest on vhost {}: {s} {b}", self.vhost);
    }
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

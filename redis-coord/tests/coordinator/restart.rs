//! A Redis restart mid-run, on a private server so the shared one is left alone.

use crate::common::eventually;
use ferry_common::coordination::Membership;
use ferry_redis::{CALL_DEADLINE, RedisCoordinator};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child on its own port, killed on drop.
struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "this test starts its own `redis-server` and could not run it: {err}\n\
                     Install it with `scripts/services.sh` (it installs and starts Redis)."
                )
            });
        Self {
            port,
            child: Some(child),
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect_when_up(url: &str) -> RedisCoordinator {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match RedisCoordinator::connect(url, "ferry-test-restart:").await {
            Ok(c) => return c,
            Err(err) if Instant::now() > deadline => {
                panic!("private redis-server never came up: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn survives_a_redis_restart() {
    let port = free_port();
    let mut server = PrivateRedis::start(port);
    let c = connect_when_up(&server.url()).await;
    let ttl = Duration::from_secs(30);
    assert!(c.acquire_lease("leader", "a", ttl).await.unwrap());

    // Down: calls fail, and fail fast.
    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let err = c
            .acquire_lease("leader", "a", ttl)
            .await
            .expect_err("Redis is down");
        assert!(
            started.elapsed() <= CALL_DEADLINE + Duration::from_millis(300),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }

    // Up again (empty: no persistence): calls succeed again within a few seconds.
    let _server = PrivateRedis::start(port);
    let recovered = eventually(Duration::from_secs(5), || async {
        c.acquire_lease("leader", "a", ttl)
            .await
            .is_ok_and(|held| held)
    })
    .await;
    assert!(recovered, "no recovery within 5 s of the restart");
    assert!(!c.acquire_lease("leader", "b", ttl).await.unwrap());
}

use crate::common::{TestRedis, redis_url};
use ferry_common::coordination::{AttemptControl, Membership};
use ferry_redis::{CALL_DEADLINE, RedisCoordError, RedisCoordinator};
use std::time::{Duration, Instant};

#[tokio::test]
async fn recovers_after_its_connection_is_killed() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let ttl = Duration::from_secs(30);
    assert!(c.acquire_lease("leader", "a", ttl).await.unwrap());
    let id = c.client_id().await.unwrap();

    // Kill exactly this coordinator's connection; other tests share the server.
    let mut raw = t.raw().await;
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(killed, 1, "CLIENT KILL ID {id} should kill one client");

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut failures = Vec::new();
    loop {
        match c.acquire_lease("leader", "a", ttl).await {
            Ok(held) => {
                assert!(held, "the lease survives a reconnect");
                break;
            }
            Err(err) => failures.push(err.to_string()),
        }
        assert!(
            Instant::now() < deadline,
            "no recovery within 5 s after the kill: {failures:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("calls failed after the kill: {failures:?}");
    let new_id = c.client_id().await.unwrap();
    assert_ne!(new_id, id, "a new connection is in use");
    assert!(!c.acquire_lease("leader", "b", ttl).await.unwrap());
    assert!(c.is_cancel_requested(uuid::Uuid::new_v4()).await.is_ok());
}

#[tokio::test]
async fn unreachable_redis_fails_fast_and_hides_the_password() {
    // Port 1 on loopback: nothing listens, connections are refused.
    let started = Instant::now();
    let err = RedisCoordinator::connect("redis://:s3cret@127.0.0.1:1", "ferry-test-unused:")
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        started.elapsed() < CALL_DEADLINE + Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    let msg = err.to_string();
    assert!(matches!(err, RedisCoordError::Unreachable { .. }), "{msg}");
    assert!(
        msg.contains("Redis") && msg.contains("127.0.0.1:1"),
        "{msg}"
    );
    assert!(!msg.contains("s3cret"), "password leaked: {msg}");
    let common: ferry_common::CommonError = err.into();
    assert!(common.to_string().contains("127.0.0.1:1"));
}

#[tokio::test]
async fn invalid_url_is_reported() {
    let err = RedisCoordinator::connect("http://127.0.0.1:6379", "x:")
        .await
        .expect_err("not a redis url");
    assert!(matches!(err, RedisCoordError::InvalidUrl { .. }), "{err}");
    let _ = redis_url();
}

#[tokio::test]
async fn silent_server_fails_within_the_deadline() {
    // Accepts connections and never answers: a hung or black-holed Redis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let err = RedisCoordinator::connect(&format!("redis://{addr}"), "ferry-test-unused:")
        .await
        .expect_err("a silent server is not a Redis");
    let elapsed = started.elapsed();
    holder.abort();
    assert!(
        elapsed < CALL_DEADLINE + Duration::from_millis(500),
        "took {elapsed:?}"
    );
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

type Reader = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
type Writer = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// A TCP proxy to the test Redis that can freeze the connections it has so far: they
/// stay open but nothing passes any more, as when a host vanishes without a reset.
struct FreezingProxy {
    addr: std::net::SocketAddr,
    opened: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    frozen_below: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FreezingProxy {
    async fn start(upstream: String) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let opened = Arc::new(AtomicUsize::new(0));
        let frozen_below = Arc::new(AtomicUsize::new(0));
        let (opened2, frozen2) = (opened.clone(), frozen_below.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let index = opened2.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let pipes: [(Reader, Writer); 2] =
                    [(Box::new(cr), Box::new(sw)), (Box::new(sr), Box::new(cw))];
                for (mut from, mut to) in pipes {
                    let frozen = frozen2.clone();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match from.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            if index < frozen.load(Ordering::SeqCst) {
                                // Hold both sockets open and pass nothing on.
                                std::future::pending::<()>().await;
                            }
                            if to.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            }
        });
        Self {
            addr,
            opened,
            frozen_below,
            task,
        }
    }

    fn freeze_existing(&self) {
        use std::sync::atomic::Ordering;
        self.frozen_below
            .store(self.opened.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn replaces_a_connection_that_went_silent() {
    let upstream = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let proxy = FreezingProxy::start(upstream).await;
    let prefix = format!("ferry-test-{}:", uuid::Uuid::new_v4());
    let c = RedisCoordinator::connect(&format!("redis://{}", proxy.addr), &prefix)
        .await
        .unwrap();
    let ttl = Duration::from_secs(30);
    assert!(c.acquire_lease("leader", "a", ttl).await.unwrap());

    let id = c.client_id().await.unwrap();

    proxy.freeze_existing();
    // The first call either fails within the deadline or, having replaced the frozen
    // connection after its response timeout, succeeds on the new one; it never hangs.
    let started = Instant::now();
    let first = c.acquire_lease("leader", "a", ttl).await;
    assert!(
        started.elapsed() < CALL_DEADLINE + Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    assert!(!matches!(first, Ok(false)), "{first:?}");

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(held) = c.acquire_lease("leader", "a", ttl).await {
            assert!(held);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery within 5 s of the silence"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(
        c.client_id().await.unwrap(),
        id,
        "the frozen connection was replaced"
    );
    c.release_lease("leader", "a").await.unwrap();
}

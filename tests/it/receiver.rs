//! A webhook receiver for the notifier's tests: a real HTTP server on a free port that
//! records every call it answered, and can be told to fail or to answer slowly first.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One call, as received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) event_id: String,
    pub(crate) event: String,
    pub(crate) timestamp: String,
    pub(crate) signature: Option<String>,
    pub(crate) raw: Vec<u8>,
    pub(crate) body: Value,
    /// Whether it was answered 2xx.
    pub(crate) ok: bool,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    /// Calls still to answer 500.
    fail_next: usize,
    /// Calls still to answer only after `delay`.
    slow_next: usize,
    delay: Duration,
    /// Calls that arrived, answered or not.
    arrived: usize,
}

/// A running receiver; stops when dropped (with the test's runtime).
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Starts a receiver on `127.0.0.1:<free port>/hook`.
    pub(crate) async fn start() -> Receiver {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new().route("/hook", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url: format!("http://{addr}/hook"), inner }
    }

    /// The next `n` calls are answered `500`.
    pub(crate) fn fail_next(&self, n: usize) {
        self.inner.lock().unwrap().fail_next = n;
    }

    /// The next `n` calls are answered only after `delay` (a call whose sender goes away
    /// meanwhile is not recorded).
    pub(crate) fn slow_next(&self, n: usize, delay: Duration) {
        let mut inner = self.inner.lock().unwrap();
        inner.slow_next = n;
        inner.delay = delay;
    }

    /// Every call answered so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls that arrived, answered or not yet.
    pub(crate) fn arrived(&self) -> usize {
        self.inner.lock().unwrap().arrived
    }

    /// Waits until `done(calls)` holds; panics with the calls after `timeout`.
    pub(crate) async fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        let deadline = Instant::now() + timeout;
        loop {
            let calls = self.calls();
            if done(&calls) {
                return calls;
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = calls.iter().map(|c| format!("{} {} ok={}", c.event, c.event_id, c.ok)).collect();
                panic!("the receiver did not get {what} within {timeout:?}; it got: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let (fail, delay) = {
        let mut i = inner.lock().unwrap();
        i.arrived += 1;
        let fail = i.fail_next > 0;
        if fail {
            i.fail_next -= 1;
        }
        let delay = if i.slow_next > 0 {
            i.slow_next -= 1;
            Some(i.delay)
        } else {
            None
        };
        (fail, delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let call = Call {
        event_id: header("x-ferry-event-id").unwrap_or_default(),
        event: header("x-ferry-event").unwrap_or_default(),
        timestamp: header("x-ferry-timestamp").unwrap_or_default(),
        signature: header("x-ferry-signature"),
        raw: body.to_vec(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        ok: !fail,
    };
    inner.lock().unwrap().calls.push(call);
    if fail { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

/// Verifies a call's signature under `secret`, as a receiver would.
pub(crate) fn signed_by(call: &Call, secret: &str) -> bool {
    call.signature.as_deref().is_some_and(|sig| ferry_common::signature::verify(secret.as_bytes(), &call.timestamp, &call.raw, sig))
}

/// The Maildir of the SMTP sink `scripts/services.sh` starts (`$SVC/mail/new`).
pub(crate) fn maildir() -> std::path::PathBuf {
    let svc = std::env::var("SVC").unwrap_or_else(|_| "/tmp/ferry-svc".into());
    std::path::PathBuf::from(svc).join("mail/new")
}

/// Fails loudly when the SMTP sink is not listening.
pub(crate) fn require_smtp_sink() {
    assert!(
        std::net::TcpStream::connect_timeout(&"127.0.0.1:1025".parse().unwrap(), Duration::from_secs(2)).is_ok(),
        "the SMTP sink is not listening on 127.0.0.1:1025; start it with `source scripts/services.sh; ensure_smtp_sink`"
    );
}

/// Waits for a mail in the sink's Maildir that contains every one of `needles`; its
/// text, quoted-printable soft line breaks joined.
pub(crate) async fn wait_for_mail(needles: &[&str], timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(entries) = std::fs::read_dir(maildir()) {
            for e in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    let text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
                    if needles.iter().all(|n| text.contains(n)) {
                        return text;
                    }
                }
            }
        }
        assert!(Instant::now() < deadline, "no mail containing {needles:?} reached {} within {timeout:?}", maildir().display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

//! Sending one document through one channel, and what the receiver answered.
//!
//! Webhook calls carry `X-Ferry-Event-Id` (the same for every attempt of an event, so a
//! receiver de-duplicates on it), `X-Ferry-Event` (the kind), `X-Ferry-Timestamp` and,
//! when the channel has a secret, `X-Ferry-Signature: sha256=<hex>` over
//! `<timestamp>.<body>` — the signature webhook triggers take. Emails carry the event id
//! as their `Message-ID`.

use crate::channel::{ChannelConfig, WebhookFormat};
use crate::config::{SmtpSettings, SmtpTls};
use crate::error::NotifierError;
use crate::message;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What a receiver answered (or why it did not).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// A 2xx from a webhook, a 2xx reply from the SMTP server.
    pub delivered: bool,
    /// The HTTP status or SMTP reply code, when one came.
    pub status: Option<u16>,
    /// The start of the receiver's body or reply, or the transport error.
    pub detail: String,
    pub elapsed_ms: u64,
}

impl Answer {
    /// One line for the notification's `last_answer`.
    pub fn line(&self) -> String {
        match self.status {
            Some(code) => format!("{code} {}", self.detail),
            None => self.detail.clone(),
        }
    }
}

/// Sends through any channel; one per process, cheap to clone.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    timeout: Duration,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("smtp", &self.smtp.is_some()).field("timeout", &self.timeout).finish()
    }
}

/// Bytes of a receiver's answer kept.
const ANSWER_BYTES: usize = 300;

impl Sender {
    /// A sender whose calls give up after `timeout`; email needs `smtp`.
    pub fn new(smtp: Option<&SmtpSettings>, timeout: Duration) -> Result<Sender, NotifierError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("ferry-notifier/", env!("CARGO_PKG_VERSION")))
            // A redirect would turn the POST into a GET without the event; it is an answer
            // like any other non-2xx.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifierError::Channel(format!("cannot build the HTTP client: {e}")))?;
        let smtp = smtp.map(|s| smtp_transport(s, timeout)).transpose()?;
        Ok(Sender { http, smtp, timeout })
    }

    /// Sends `doc` (the event document) for event `event_id` of `kind` through `channel`.
    pub async fn send(&self, channel: &ChannelConfig, event_id: Uuid, kind: &str, doc: &Value) -> Answer {
        let started = Instant::now();
        let (delivered, status, detail) = match channel {
            ChannelConfig::Webhook { url, format, secret } => {
                let body = match format {
                    WebhookFormat::Json => doc.clone(),
                    WebhookFormat::Slack => message::slack(doc),
                };
                let bytes = serde_json::to_vec(&body).unwrap_or_default();
                let ts = chrono::Utc::now().timestamp();
                let mut req = self
                    .http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-ferry-event-id", event_id.to_string())
                    .header("x-ferry-event", kind)
                    .header("x-ferry-timestamp", ts.to_string());
                if let Some(secret) = secret {
                    req = req.header("x-ferry-signature", ferry_common::signature::sign(secret.expose().as_bytes(), ts, &bytes));
                }
                match req.body(bytes).send().await {
                    Ok(mut resp) => {
                        let code = resp.status();
                        // The start of the answer is enough; a large body is not read.
                        let mut head = Vec::new();
                        while head.len() < ANSWER_BYTES * 4 {
                            match resp.chunk().await {
                                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                                _ => break,
                            }
                        }
                        (code.is_success(), Some(code.as_u16()), clip(&String::from_utf8_lossy(&head)))
                    }
                    Err(e) if e.is_timeout() => (false, None, format!("no answer within {}s", self.timeout.as_secs_f32())),
                    // Without the URL: it can carry a token (a Slack hook's path).
                    Err(e) => (false, None, clip(&describe(&e.without_url()))),
                }
            }
            ChannelConfig::Email { to } => self.mail(to, event_id, doc).await,
        };
        Answer { delivered, status, detail, elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX) }
    }

    async fn mail(&self, to: &[String], event_id: Uuid, doc: &Value) -> (bool, Option<u16>, String) {
        let Some((transport, from)) = &self.smtp else {
            return (false, None, "no SMTP server: set FERRY_SMTP_URL (and FERRY_SMTP_FROM) on the notifier".into());
        };
        let mut builder = lettre::Message::builder()
            .from(from.clone())
            .subject(message::email_subject(doc))
            .message_id(Some(format!("<{event_id}@ferry>")))
            .header(ContentType::TEXT_PLAIN);
        for address in to {
            match address.parse::<Mailbox>() {
                Ok(m) => builder = builder.to(m),
                Err(e) => return (false, None, format!("`{address}` is not an email address ({e})")),
            }
        }
        let msg = match builder.body(message::email_text(doc)) {
            Ok(m) => m,
            Err(e) => return (false, None, format!("cannot build the message: {e}")),
        };
        match tokio::time::timeout(self.timeout, transport.send(msg)).await {
            Ok(Ok(reply)) => {
                let code: u16 = reply.code().to_string().parse().unwrap_or(250);
                (reply.is_positive(), Some(code), clip(&reply.message().collect::<Vec<_>>().join(" ")))
            }
            Ok(Err(e)) => (false, e.status().and_then(|c| c.to_string().parse().ok()), clip(&e.to_string())),
            Err(_) => (false, None, format!("the SMTP server did not answer within {}s", self.timeout.as_secs_f32())),
        }
    }
}

fn smtp_transport(s: &SmtpSettings, timeout: Duration) -> Result<(AsyncSmtpTransport<Tokio1Executor>, Mailbox), NotifierError> {
    let bad = |e: lettre::transport::smtp::Error| NotifierError::Smtp(e.to_string());
    let mut builder = match s.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(bad)?,
        SmtpTls::Wrapper => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(bad)?,
    }
    .port(s.port)
    .timeout(Some(timeout));
    if let Some(user) = &s.user {
        let password = s.password.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let from = s.from.parse::<Mailbox>().map_err(|e| NotifierError::Smtp(format!("FERRY_SMTP_FROM `{}`: {e}", s.from)))?;
    Ok((builder.build(), from))
}

/// The error and its causes, the way a person reads them ("connection refused").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// The start of an answer, one line of printable text (a NUL would not even store).
fn clip(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let s = s.trim();
    match s.char_indices().nth(ANSWER_BYTES) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

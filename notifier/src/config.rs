//! The notifier's settings: `ferry notifier`'s flags and `FERRY_*` variables, or the
//! embedded stack's defaults.

use crate::error::NotifierError;
use ferry_common::secret::Secret;
use std::time::Duration;

/// How a notifier behaves.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    /// Identifies this notifier as lease holder and in logs.
    pub id: String,
    /// How often the outbox and the due notifications are read when idle.
    pub poll_every: Duration,
    /// How often stuck, late, lost and orchestrator-down are judged.
    pub detect_every: Duration,
    /// Validity of the notifier's lease; a standby takes over after it lapses.
    pub lease_ttl: Duration,
    /// A receiver's answer is waited for this long.
    pub request_timeout: Duration,
    /// A notification still failing this long after it was created is `failed`.
    pub give_up_after: Duration,
    /// Attempts under way at once for one channel, so one slow receiver cannot take every
    /// slot.
    pub per_channel: usize,
    /// Attempts under way at once, all channels together.
    pub in_flight: usize,
    /// `system.orchestrator_down` when no orchestrator has led for this long.
    pub orchestrator_down_after: Duration,
    /// A `running` attempt missing from every worker's heartbeat this long is lost.
    pub lost_after: Duration,
    /// Delivered and failed notifications (and their events) are forgotten after this.
    pub retention: Duration,
    /// Base of the links in messages (`<public_url>/api/v1/runs/<id>`).
    pub public_url: String,
    /// Where email goes out; `None` fails email notifications with a clear answer.
    pub smtp: Option<SmtpSettings>,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            id: format!("notifier-{}", uuid::Uuid::now_v7()),
            poll_every: Duration::from_millis(200),
            detect_every: Duration::from_secs(5),
            lease_ttl: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            give_up_after: Duration::from_secs(24 * 3600),
            per_channel: 8,
            in_flight: 256,
            orchestrator_down_after: Duration::from_secs(120),
            lost_after: Duration::from_secs(20),
            retention: Duration::from_secs(30 * 24 * 3600),
            public_url: "http://127.0.0.1:8080".into(),
            smtp: None,
        }
    }
}

/// An SMTP server: `smtp://host:port` (plain), `smtp://host:port?tls=starttls` (upgraded),
/// `smtps://host:port` (TLS from the first byte); user and password in the URL's user
/// part.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// The `From:` address.
    pub from: String,
}

/// How an SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Wrapper,
}

impl SmtpSettings {
    /// Reads `FERRY_SMTP_URL` and `FERRY_SMTP_FROM`; `None` when no URL is set.
    pub fn from_env() -> Result<Option<SmtpSettings>, NotifierError> {
        match std::env::var("FERRY_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var("FERRY_SMTP_FROM").unwrap_or_else(|_| "ferry@localhost".into());
                SmtpSettings::parse(url.trim(), &from).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Parses a URL as described on the type.
    pub fn parse(url: &str, from: &str) -> Result<SmtpSettings, NotifierError> {
        let bad = |why: &str| NotifierError::Smtp(format!("FERRY_SMTP_URL: {why}; write smtp://host:port, smtp://host:port?tls=starttls or smtps://host:port"));
        let u = url::Url::parse(url).map_err(|_| bad("not a URL"))?;
        let mut tls = match u.scheme() {
            "smtp" => SmtpTls::None,
            "smtps" => SmtpTls::Wrapper,
            _ => return Err(bad("the scheme must be smtp or smtps")),
        };
        for (k, v) in u.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "starttls" | "required") if tls == SmtpTls::None => tls = SmtpTls::StartTls,
                ("tls", "none") if tls == SmtpTls::None => {}
                _ => return Err(bad(&format!("unknown option `{k}={v}`"))),
            }
        }
        let host = u.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?.to_string();
        let port = u.port().unwrap_or(if tls == SmtpTls::Wrapper { 465 } else { 25 });
        if !from.contains('@') {
            return Err(NotifierError::Smtp(format!("FERRY_SMTP_FROM `{from}` is not an email address")));
        }
        let user = (!u.username().is_empty()).then(|| u.username().to_string());
        let password = u.password().map(Secret::new);
        Ok(SmtpSettings { host, port, tls, user, password, from: from.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_their_protection() {
        let s = SmtpSettings::parse("smtp://127.0.0.1:1025", "ferry@example.test").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.tls), ("127.0.0.1", 1025, SmtpTls::None));
        let s = SmtpSettings::parse("smtp://mail.example:587?tls=starttls", "a@b").unwrap();
        assert_eq!((s.port, s.tls), (587, SmtpTls::StartTls));
        let s = SmtpSettings::parse("smtps://u:p@mail.example", "a@b").unwrap();
        assert_eq!((s.port, s.tls, s.user.as_deref()), (465, SmtpTls::Wrapper, Some("u")));
        assert_eq!(format!("{:?}", s.password), "Some(Secret(***))");
        assert!(SmtpSettings::parse("http://x", "a@b").is_err());
        assert!(SmtpSettings::parse("smtp://x?tls=maybe", "a@b").is_err());
        assert!(SmtpSettings::parse("smtp://x", "nobody").is_err());
    }
}

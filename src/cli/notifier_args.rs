//! The notifier's settings, shared by `ferry notifier` and `ferry standalone` (which runs
//! one in-process).

use clap::Args;
use ferry_notifier::{NotifierConfig, SmtpSettings};
use std::time::Duration;

/// Flags (and `FERRY_*` variables) of a notifier.
#[derive(Args, Debug, Clone)]
pub(crate) struct NotifierArgs {
    /// SMTP server for email channels: `smtp://host:port`, `smtp://host:port?tls=starttls`
    /// or `smtps://host:port` (user and password in the URL).
    #[arg(long, env = "FERRY_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The `From:` address of notification emails.
    #[arg(long, env = "FERRY_SMTP_FROM", default_value = "ferry@localhost")]
    smtp_from: String,
    /// Base URL of links in notifications (`<url>/api/v1/runs/<id>`).
    #[arg(long, env = "FERRY_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    public_url: String,
    /// `system.orchestrator_down` when no orchestrator has led for this long.
    #[arg(long, env = "FERRY_ORCHESTRATOR_DOWN_AFTER", value_parser = humantime::parse_duration, default_value = "2m")]
    orchestrator_down_after: Duration,
    /// How long a webhook receiver or SMTP server may take to answer.
    #[arg(long, env = "FERRY_NOTIFY_TIMEOUT", value_parser = humantime::parse_duration, default_value = "10s")]
    notify_timeout: Duration,
    /// A notification still failing this long after its event is `failed`.
    #[arg(long, env = "FERRY_NOTIFY_GIVE_UP_AFTER", value_parser = humantime::parse_duration, default_value = "24h")]
    notify_give_up_after: Duration,
    /// How often the outbox is read when idle.
    #[arg(long, env = "FERRY_NOTIFIER_POLL_EVERY", value_parser = humantime::parse_duration, default_value = "200ms")]
    notifier_poll_every: Duration,
    /// How often stuck, late and lost runs are looked for.
    #[arg(long, env = "FERRY_NOTIFIER_DETECT_EVERY", value_parser = humantime::parse_duration, default_value = "5s")]
    notifier_detect_every: Duration,
    /// Delivered and failed notifications, and their events, are kept this long.
    #[arg(long, env = "FERRY_NOTIFY_RETENTION", value_parser = humantime::parse_duration, default_value = "30days")]
    notify_retention: Duration,
    /// Calls under way at once to one channel (a slow receiver holds only its own).
    #[arg(long, env = "FERRY_NOTIFY_PER_CHANNEL", default_value_t = 8)]
    notify_per_channel: usize,
    /// A running attempt missing from every worker's heartbeat this long is `task.lost`.
    #[arg(long, env = "FERRY_LOST_AFTER", value_parser = humantime::parse_duration, default_value = "20s")]
    lost_after: Duration,
}

impl NotifierArgs {
    /// The notifier's configuration; a bad SMTP URL is an error naming it.
    pub(crate) fn config(&self) -> anyhow::Result<NotifierConfig> {
        let smtp = match self.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Some(SmtpSettings::parse(url, &self.smtp_from)?),
            None => None,
        };
        Ok(NotifierConfig {
            poll_every: self.notifier_poll_every,
            detect_every: self.notifier_detect_every,
            request_timeout: self.notify_timeout,
            give_up_after: self.notify_give_up_after,
            orchestrator_down_after: self.orchestrator_down_after,
            lost_after: self.lost_after,
            per_channel: self.notify_per_channel.max(1),
            retention: self.notify_retention,
            public_url: self.public_url.clone(),
            smtp,
            ..NotifierConfig::default()
        })
    }

    /// A sender for the API's channel tests, with the same SMTP server and timeout.
    pub(crate) fn sender(&self) -> anyhow::Result<ferry_notifier::Sender> {
        let cfg = self.config()?;
        Ok(ferry_notifier::Sender::new(cfg.smtp.as_ref(), cfg.request_timeout)?)
    }
}

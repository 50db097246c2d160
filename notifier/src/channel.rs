//! A channel's settings, as the API accepts them and as the notifier uses them. The
//! stored form keeps the secret apart (sealed under the master key) so nothing that
//! shows a channel can show its secret.

use crate::error::NotifierError;
use ferry_common::sealed::MasterKey;
use ferry_common::secret::Secret;
use ferry_store::ChannelRow;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Webhook,
    Email,
}

impl ChannelKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Email => "email",
        }
    }
}

/// The body a webhook channel posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The event document as JSON.
    #[default]
    Json,
    /// Slack's `{text, blocks}`, for an incoming-webhook URL (and Mattermost, Rocket.Chat).
    Slack,
}

/// A channel, ready to send through.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelConfig {
    Webhook {
        url: String,
        format: WebhookFormat,
        /// Signs every call when set.
        secret: Option<Secret>,
    },
    Email {
        to: Vec<String>,
    },
}

impl ChannelConfig {
    /// A webhook channel, its URL checked (http or https, a host).
    pub fn webhook(url: &str, format: WebhookFormat, secret: Option<Secret>) -> Result<Self, NotifierError> {
        let parsed = url::Url::parse(url).map_err(|e| NotifierError::Channel(format!("`url` is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
            return Err(NotifierError::Channel("`url` must be an http or https URL with a host".into()));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(NotifierError::Channel("`url` carries a user or password; sign calls with `secret` instead".into()));
        }
        if secret.as_ref().is_some_and(|s| s.expose().is_empty()) {
            return Err(NotifierError::Channel("`secret` is empty; leave it out for unsigned calls".into()));
        }
        Ok(ChannelConfig::Webhook { url: url.to_string(), format, secret })
    }

    /// An email channel, each address checked.
    pub fn email(to: Vec<String>) -> Result<Self, NotifierError> {
        if to.is_empty() {
            return Err(NotifierError::Channel("`to` needs at least one address".into()));
        }
        for (i, address) in to.iter().enumerate() {
            address
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| NotifierError::Channel(format!("`to[{i}]` `{address}` is not an email address ({e})")))?;
        }
        Ok(ChannelConfig::Email { to })
    }

    /// Which kind this is.
    pub fn kind(&self) -> ChannelKind {
        match self {
            ChannelConfig::Webhook { .. } => ChannelKind::Webhook,
            ChannelConfig::Email { .. } => ChannelKind::Email,
        }
    }

    /// What is stored in the clear (and shown): everything but the secret.
    pub fn public_config(&self) -> Value {
        match self {
            ChannelConfig::Webhook { url, format, .. } => json!({"url": url, "format": format}),
            ChannelConfig::Email { to } => json!({"to": to}),
        }
    }

    /// The secret, if any.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            ChannelConfig::Webhook { secret, .. } => secret.as_ref(),
            ChannelConfig::Email { .. } => None,
        }
    }

    /// A stored channel, its secret opened with `key`.
    pub fn from_row(row: &ChannelRow, key: Option<&MasterKey>) -> Result<Self, NotifierError> {
        let field = |name: &str| row.config.get(name).and_then(Value::as_str).map(str::to_string);
        match row.kind.as_str() {
            "webhook" => {
                let url = field("url").ok_or_else(|| NotifierError::Channel(format!("channel `{}` has no stored url", row.name)))?;
                let format = row.config.get("format").cloned().map(serde_json::from_value).transpose().ok().flatten().unwrap_or_default();
                let secret = match (&row.secret, key) {
                    (None, _) => None,
                    (Some(sealed), Some(key)) => {
                        let plain = key.open(sealed).map_err(|_| NotifierError::Channel(format!("the secret of channel `{}` cannot be opened with this FERRY_MASTER_KEY", row.name)))?;
                        Some(Secret::new(String::from_utf8_lossy(&plain).into_owned()))
                    }
                    (Some(_), None) => return Err(NotifierError::Channel(format!("channel `{}` has a sealed secret and this process has no FERRY_MASTER_KEY", row.name))),
                };
                Ok(ChannelConfig::Webhook { url, format, secret })
            }
            "email" => {
                let to = row.config.get("to").cloned().map(serde_json::from_value::<Vec<String>>).transpose().ok().flatten().unwrap_or_default();
                Ok(ChannelConfig::Email { to })
            }
            other => Err(NotifierError::Channel(format!("channel `{}` has an unknown kind `{other}`", row.name))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_checked_and_the_secret_stays_out_of_the_stored_config() {
        assert!(ChannelConfig::webhook("ftp://x/", WebhookFormat::Json, None).is_err());
        assert!(ChannelConfig::webhook("not a url", WebhookFormat::Json, None).is_err());
        assert!(ChannelConfig::webhook("https://u:p@h/x", WebhookFormat::Json, None).unwrap_err().to_string().contains("user or password"));
        let c = ChannelConfig::webhook("http://127.0.0.1:9/hook", WebhookFormat::Slack, Some(Secret::new("s3cret"))).unwrap();
        assert_eq!(c.public_config(), json!({"url": "http://127.0.0.1:9/hook", "format": "slack"}));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(ChannelConfig::email(vec![]).is_err());
        let e = ChannelConfig::email(vec!["ops@example.test".into(), "nope".into()]).unwrap_err();
        assert!(e.to_string().contains("`to[1]` `nope`"), "{e}");
    }
}

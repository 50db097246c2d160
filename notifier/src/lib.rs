//! The notifier: Ferry's own role for telling people what happened and what did not.
//!
//! It reads only the database (and the coordinator's worker heartbeats), never the
//! orchestrator, so it keeps speaking when every orchestrator is down — the failure the
//! peers share, whose alerts come from the scheduler that is stuck. One notifier leads
//! at a time (a lease, like the orchestrator); in each round the leader
//!
//! 1. **routes** the outbox ([`route`]): every event not routed yet is matched against
//!    its pipeline's `notify:` rules and its tenant's tenant-wide rules, and becomes one
//!    notification per (event, channel), stored with the event marked routed in one
//!    transaction;
//! 2. **delivers** ([`deliver`]): due notifications go out through their channel
//!    ([`send`]: signed webhooks, Slack-shaped webhooks, email over SMTP), each answer
//!    recorded before the next round; failures back off (1 s doubling to 5 min) for up
//!    to a day;
//! 3. **detects** ([`detect`]): stuck and late runs, attempts lost under a dead worker,
//!    and an orchestrator that stopped leading, judged from stored states, written as
//!    events under deterministic keys so a restarted or second notifier never doubles
//!    one.
//!
//! Module arrows: `notifier` → `route`, `deliver`, `detect` → `send` → `channel`,
//! `message` → `config`, `error`.

pub mod channel;
pub mod config;
pub mod deliver;
pub mod detect;
pub mod error;
pub mod message;
pub mod notifier;
pub mod route;
pub mod send;

pub use channel::{ChannelConfig, ChannelKind, WebhookFormat};
pub use config::{NotifierConfig, SmtpSettings};
pub use error::NotifierError;
pub use notifier::Notifier;
pub use send::{Answer, Sender};

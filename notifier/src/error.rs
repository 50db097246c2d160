//! Errors of the notifier.

use thiserror::Error;

/// What can stop a notifier round or refuse a channel.
#[derive(Debug, Error)]
pub enum NotifierError {
    /// The database refused or could not be reached; the round is tried again.
    #[error(transparent)]
    Store(#[from] ferry_store::StoreError),
    /// A channel's stored or submitted settings are unusable.
    #[error("channel: {0}")]
    Channel(String),
    /// `FERRY_SMTP_URL` or `FERRY_SMTP_FROM` is wrong.
    #[error("smtp settings: {0}")]
    Smtp(String),
}

//! The webhook signature: HMAC-SHA256 over `<timestamp>.<body>` with the pipeline's
//! secret, sent as `X-Ferry-Signature: sha256=<hex>`. Signing the timestamp with the body
//! is what lets the receiver refuse an old request replayed.

use crate::error::{ApiError, ApiResult};

/// Checks `sha256=<hex>` against HMAC-SHA256(secret, `<timestamp>.<body>`), in constant
/// time.
pub(crate) fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str) -> ApiResult<()> {
    if !signature.starts_with("sha256=") {
        return Err(ApiError::Unauthorized("X-Ferry-Signature must be `sha256=<hex>`".into()));
    }
    if ferry_common::signature::verify(secret, timestamp, body, signature) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized("the signature does not match this pipeline's webhook secret".into()))
    }
}

/// Signs like a webhook sender does: `sha256=<hex>` (tests and the docs' example use it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    ferry_common::signature::sign(secret.as_bytes(), timestamp, body)
}

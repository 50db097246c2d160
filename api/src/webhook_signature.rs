//! The webhook signature: HMAC-SHA256 over `<timestamp>.<body>` with the pipeline's
//! secret, sent as `X-Ferry-Signature: sha256=<hex>`. Signing the timestamp with the body
//! is what lets the receiver refuse an old request replayed.

use crate::error::{ApiError, ApiResult};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Checks `sha256=<hex>` against HMAC-SHA256(secret, `<timestamp>.<body>`), in constant
/// time.
pub(crate) fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str) -> ApiResult<()> {
    let bad = || ApiError::Unauthorized("the signature does not match this pipeline's webhook secret".into());
    let hex_sig = signature.strip_prefix("sha256=").ok_or_else(|| ApiError::Unauthorized("X-Ferry-Signature must be `sha256=<hex>`".into()))?;
    let given = hex::decode(hex_sig).map_err(|_| bad())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| bad())?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| bad())
}

/// Signs like a webhook sender does: `sha256=<hex>` (tests and the docs' example use it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

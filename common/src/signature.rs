//! The one signature Ferry speaks both ways: HMAC-SHA256 over `<timestamp>.<body>`,
//! written `sha256=<hex>` in `X-Ferry-Signature`. Webhook triggers check it on the way
//! in; webhook channels sign with it on the way out, so a receiver verifies Ferry's
//! calls with the same few lines a sender uses to call Ferry. Signing the timestamp
//! with the body is what lets a receiver refuse an old request replayed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature` (`sha256=<hex>`) signs `<timestamp>.<body>` under `secret`,
/// compared in constant time. `timestamp` is taken as sent, not reformatted.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(given) = signature.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_signature_verifies_under_its_secret_and_timestamp_only() {
        let sig = super::sign(b"s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(super::verify(b"s3cret", "1700000000", b"{\"a\":1}", &sig));
        assert!(!super::verify(b"other", "1700000000", b"{\"a\":1}", &sig));
        assert!(!super::verify(b"s3cret", "1700000001", b"{\"a\":1}", &sig));
        assert!(!super::verify(b"s3cret", "1700000000", b"{\"a\":1}", "md5=00"));
    }
}

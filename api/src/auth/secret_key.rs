//! Tenant key secrets: how they look, how they are found and how they are checked.
//!
//! A key is `fk_<prefix>_<secret>`: the prefix (12 hex characters) is stored in clear and
//! finds the row; the whole key is stored only as a BLAKE3 hash derived under a
//! Ferry-specific context, compared in constant time. Keys carry 128 random bits, so a
//! fast hash is enough (a slow KDF protects guessable passwords, not random keys).

use super::Role;
use chrono::{DateTime, SubsecRound, Utc};
use ferry_store::KeyRow;
use rand::RngCore;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The hash derivation context; changing it invalidates every key.
const CONTEXT: &str = "ferry 2026-12-03 api key";

/// A freshly generated key: the secret (shown once), its prefix and its hash.
pub(crate) struct NewKey {
    pub(crate) secret: String,
    pub(crate) prefix: String,
    pub(crate) hash: String,
}

/// Makes a new random key.
pub(crate) fn generate() -> NewKey {
    let mut bytes = [0u8; 22];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let (prefix, rest) = hex.split_at(12);
    let secret = format!("fk_{prefix}_{rest}");
    NewKey { hash: hash(&secret), prefix: prefix.to_string(), secret }
}

/// A new key of `role` for `tenant`: the row to store, and the secret to show once. The
/// API's `POST /api/v1/keys` and `ferry keys create` both issue keys through here.
pub fn issue_key(tenant: Uuid, name: &str, role: Role, expires_at: Option<DateTime<Utc>>) -> (KeyRow, String) {
    let new = generate();
    let row = KeyRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name: name.to_string(),
        role: role.as_str().to_string(),
        prefix: new.prefix,
        hash: new.hash,
        created_at: Utc::now().trunc_subsecs(6),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    (row, new.secret)
}

/// The prefix of a presented key, or `None` when it does not look like a Ferry key.
pub(crate) fn prefix_of(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("fk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && !secret.is_empty()).then_some(prefix)
}

/// The stored form of a key.
pub(crate) fn hash(secret: &str) -> String {
    blake3::derive_key(CONTEXT, secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` hashes to `stored`, in constant time.
pub(crate) fn matches(token: &str, stored: &str) -> bool {
    hash(token).as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_found_by_its_prefix_and_checks_against_its_hash() {
        let k = generate();
        assert_eq!(prefix_of(&k.secret), Some(k.prefix.as_str()));
        assert!(matches(&k.secret, &k.hash));
        assert!(!matches(&format!("{}x", k.secret), &k.hash));
        assert!(!k.hash.contains(&k.secret[15..]), "the secret is not in its stored form");
        assert_eq!(prefix_of("not-a-key"), None);
        assert_ne!(generate().secret, k.secret);
    }
}

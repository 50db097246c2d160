//! Secrets at rest and in flight: AES-256-GCM under the installation's master key
//! (`FERRY_MASTER_KEY`, 32 bytes in base64). A stored connection's secret fields are one
//! sealed blob, tagged with the id of the key that sealed it, so `ferry keys
//! rotate-master` can find and re-seal every row. Task messages carry the same blob, still
//! sealed: only a worker holding the master key opens it, just before it builds a store.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The environment variable holding the master key.
pub const MASTER_KEY_ENV: &str = "FERRY_MASTER_KEY";

/// The key that seals secrets. Its bytes never leave it; `Debug` shows only its id.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish()
    }
}

impl MasterKey {
    /// A key from its base64 text (32 bytes once decoded).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| format!("{MASTER_KEY_ENV} is not base64 ({e}); generate one with `head -c 32 /dev/urandom | base64`"))?;
        if bytes.len() != 32 {
            return Err(format!("{MASTER_KEY_ENV} must be 32 bytes once decoded, not {}", bytes.len()));
        }
        let id: String = blake3::hash(&bytes).as_bytes()[..6].iter().map(|b| format!("{b:02x}")).collect();
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|e| format!("{MASTER_KEY_ENV}: {e}"))?;
        Ok(MasterKey { cipher, id })
    }

    /// The key `FERRY_MASTER_KEY` holds, if it is set.
    pub fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => MasterKey::from_base64(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// A short public name of the key (a hash prefix), stored beside what it sealed.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext`: base64 of a fresh 12-byte nonce followed by the ciphertext.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encrypting into a Vec cannot fail for inputs this size.
        out.extend(self.cipher.encrypt(&nonce, plaintext).expect("AES-GCM encryption"));
        STANDARD.encode(out)
    }

    /// Opens what [`MasterKey::seal`] sealed; an error when the key is another or the
    /// text was changed.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let bytes = STANDARD.decode(sealed).map_err(|_| "a sealed secret is not base64".to_string())?;
        if bytes.len() < 12 {
            return Err("a sealed secret is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| "a sealed secret is too short".to_string())?;
        self.cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| format!("a secret sealed under another master key (this one is {}) or altered", self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_base64(&STANDARD.encode([byte; 32])).unwrap()
    }

    #[test]
    fn sealed_text_opens_only_under_its_key_and_hides_the_secret() {
        let (a, b) = (key(1), key(2));
        let sealed = a.seal(b"s3cr3t-value");
        assert!(!sealed.contains("s3cr3t"));
        assert_ne!(a.seal(b"s3cr3t-value"), sealed, "a fresh nonce each time");
        assert_eq!(a.open(&sealed).unwrap(), b"s3cr3t-value");
        assert!(b.open(&sealed).unwrap_err().contains("another master key"));
        assert_ne!(a.id(), b.id());
        assert!(MasterKey::from_base64("c2hvcnQ=").unwrap_err().contains("32 bytes"));
        assert!(!format!("{a:?}").contains("cipher"));
    }
}

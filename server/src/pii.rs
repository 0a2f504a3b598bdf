//! Personal data of people served (PIPL 个人信息保护法): names and phones sealed at rest
//! with XChaCha20-Poly1305 under the PII key, and a keyed hash of a phone so the same
//! number is found twice in a round without storing it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The key's length in bytes.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
/// Stored ciphertexts start with this, so a later key or cipher can be told apart.
const VERSION: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("PII key: expected {KEY_BYTES} bytes, base64-encoded")]
    BadKey,
    #[error("random: {0}")]
    Random(String),
    #[error("sealed value unreadable (wrong key or damaged)")]
    Unreadable,
}

/// The key that seals personal data, and the one (derived from it) that hashes phones.
#[derive(Clone)]
pub struct PiiKey {
    cipher: XChaCha20Poly1305,
    hash_key: [u8; 32],
}

impl std::fmt::Debug for PiiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKey(..)")
    }
}

impl PiiKey {
    /// From `KEY_BYTES` bytes in standard base64.
    pub fn from_base64(text: &str) -> Result<PiiKey, PiiError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| PiiError::BadKey)?;
        PiiKey::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<PiiKey, PiiError> {
        if bytes.len() != KEY_BYTES {
            return Err(PiiError::BadKey);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| PiiError::BadKey)?;
        let mut derive = Sha256::new();
        derive.update(b"xiaxiang survey phone hash v1");
        derive.update(bytes);
        Ok(PiiKey {
            cipher,
            hash_key: derive.finalize().into(),
        })
    }

    /// A fresh random key, base64-encoded.
    pub fn generate() -> Result<String, PiiError> {
        let mut fresh = [0u8; KEY_BYTES];
        getrandom::fill(&mut fresh).map_err(|e| PiiError::Random(e.to_string()))?;
        Ok(STANDARD.encode(fresh))
    }

    /// `v1:` and base64 of nonce || ciphertext. `context` (e.g. the row's id and column)
    /// is bound as associated data, so a sealed value moved to another row does not open.
    pub fn seal(&self, plain: &str, context: &str) -> Result<String, PiiError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| PiiError::Random(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| PiiError::Unreadable)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, PiiError> {
        let body = sealed.strip_prefix(VERSION).ok_or(PiiError::Unreadable)?;
        let bytes = STANDARD.decode(body).map_err(|_| PiiError::Unreadable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(PiiError::Unreadable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| PiiError::Unreadable)?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| PiiError::Unreadable)?;
        String::from_utf8(plain).map_err(|_| PiiError::Unreadable)
    }

    /// HMAC-SHA256 of `scope` and the value, hex: equal for equal phones in one round,
    /// useless without the key.
    pub fn keyed_hash(&self, scope: &str, value: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key) else {
            return String::new();
        };
        mac.update(scope.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PiiKey {
        PiiKey::from_bytes(&[7u8; KEY_BYTES]).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let sealed = key().seal("13800131234", "p1/phone").unwrap();
        assert!(!sealed.contains("13800131234"));
        assert_eq!(key().open(&sealed, "p1/phone").unwrap(), "13800131234");
        assert!(key().open(&sealed, "p2/phone").is_err());
        let other = PiiKey::from_bytes(&[8u8; KEY_BYTES]).unwrap();
        assert!(other.open(&sealed, "p1/phone").is_err());
        assert_ne!(
            sealed,
            key().seal("13800131234", "p1/phone").unwrap(),
            "fresh nonce"
        );
    }

    #[test]
    fn the_keyed_hash_is_stable_per_scope_and_key() {
        let k = key();
        assert_eq!(k.keyed_hash("r1", "138"), k.keyed_hash("r1", "138"));
        assert_ne!(k.keyed_hash("r1", "138"), k.keyed_hash("r2", "138"));
        let other = PiiKey::from_bytes(&[8u8; KEY_BYTES]).unwrap();
        assert_ne!(k.keyed_hash("r1", "138"), other.keyed_hash("r1", "138"));
        assert!(PiiKey::from_base64("c2hvcnQ=").is_err());
        assert!(PiiKey::from_base64(&PiiKey::generate().unwrap()).is_ok());
    }
}

//! Refresh tokens: 256 random bits handed out once; only their SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A fresh token and the hash to store for it.
pub fn generate() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = digest(&token);
    Ok((token, hash))
}

/// The stored form of a token.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_stored_only_as_digests() {
        let (a, hash_a) = generate().expect("random");
        let (b, _) = generate().expect("random");
        assert_ne!(a, b);
        assert_eq!(hash_a, digest(&a));
        assert_ne!(hash_a, a);
        assert_eq!(hash_a.len(), 64);
    }
}

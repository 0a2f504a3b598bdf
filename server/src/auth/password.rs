//! Password hashing with argon2id, off the async threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

/// Argon2id cost. The default follows OWASP's minimum (19 MiB, 2 passes); tests lower it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

fn hasher(cost: PasswordCost) -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|e| AuthError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` into a PHC string (algorithm, cost and salt travel with it).
pub fn hash_blocking(password: &str, cost: PasswordCost) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// True when `password` matches `phc`; the cost comes from the stored hash.
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub async fn hash(password: String, cost: PasswordCost) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password, cost))
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
}

pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: PasswordCost = PasswordCost {
        memory_kib: 256,
        iterations: 1,
    };

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_blocking("correct horse", CHEAP).expect("hashes");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse", &phc));
        assert!(!verify_blocking("wrong horse", &phc));
    }

    #[test]
    fn a_malformed_hash_never_verifies() {
        assert!(!verify_blocking("anything", "not-a-phc-string"));
    }
}

//! Credentials and tokens: argon2id password hashes, signed access JWTs, single-use refresh tokens.

pub mod jwt;
pub mod password;
pub mod refresh;

pub use jwt::{Audience, Claims, JwtKeys};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("token rejected: {0}")]
    BadToken(String),
    #[error("token expired")]
    Expired,
    #[error("hashing failed: {0}")]
    Hashing(String),
}

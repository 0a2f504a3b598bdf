//! Access tokens: HS256 JWTs with issuer, audience and expiry checked against the injected clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AuthError;
use crate::domain::access::Role;

pub const ISSUER: &str = "xiaxiang";

/// Who a token is for. Kiosk tokens open only the kiosk endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Api,
    Kiosk,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Api => "xiaxiang-api",
            Audience::Kiosk => "xiaxiang-kiosk",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, or the kiosk id for kiosk tokens.
    pub sub: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The user's session version when the token was issued; the token is refused once
    /// the user's sessions end (deactivation, logout) and the version moves on. Tokens
    /// from before versions existed read as 0, the version every account starts at.
    #[serde(default)]
    pub ver: i64,
    /// Organization of hospital and clinic administrators and physicians.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    /// Jurisdiction code of supervisors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jur: Option<String>,
    /// The one site a kiosk token serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Uuid>,
}

/// The signing key; never logged.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(<hidden>)")
    }
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AuthError::BadToken(e.to_string()))
    }

    /// Checks signature (HS256 only: `alg: none` and others are refused), issuer,
    /// audience, and expiry against `now` from the injected clock.
    pub fn verify(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is ours to judge, with the application's clock.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| AuthError::BadToken(e.to_string()))?;
        if data.claims.exp <= now.timestamp() {
            return Err(AuthError::Expired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).expect("valid")
    }

    fn claims(aud: Audience, exp_in: i64) -> Claims {
        Claims {
            sub: Uuid::new_v4(),
            role: Role::Physician,
            iss: ISSUER.into(),
            aud: aud.as_str().into(),
            iat: now().timestamp(),
            exp: now().timestamp() + exp_in,
            jti: Uuid::new_v4(),
            ver: 0,
            org: None,
            jur: None,
            site: None,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let keys = JwtKeys::from_secret(&[7; 64]);
        let c = claims(Audience::Api, 900);
        let token = keys.sign(&c).expect("signs");
        assert_eq!(keys.verify(&token, Audience::Api, now()).expect("valid"), c);
        let later = now() + chrono::Duration::seconds(900);
        assert!(matches!(
            keys.verify(&token, Audience::Api, later),
            Err(AuthError::Expired)
        ));
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let keys = JwtKeys::from_secret(&[7; 64]);
        let token = keys.sign(&claims(Audience::Kiosk, 900)).expect("signs");
        assert!(keys.verify(&token, Audience::Api, now()).is_err());
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = JwtKeys::from_secret(&[1; 64])
            .sign(&claims(Audience::Api, 900))
            .expect("signs");
        assert!(
            JwtKeys::from_secret(&[2; 64])
                .verify(&token, Audience::Api, now())
                .is_err()
        );
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(Audience::Api, 900)).expect("json"));
        let keys = JwtKeys::from_secret(&[7; 64]);
        assert!(
            keys.verify(&format!("{header}.{body}."), Audience::Api, now())
                .is_err()
        );
    }
}

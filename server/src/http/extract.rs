//! Extractors that turn every rejection into our problem+json, and the authenticated caller.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::limits::{MAX_JSON_DEPTH, nests_deeper_than};
use crate::auth::{Audience, AuthError, Claims};
use crate::domain::access::{AccessError, Actor, Role, Scope};
use crate::domain::jurisdiction::JurisdictionCode;
use crate::error::ApiError;
use crate::service::sessions::{self, WhilePasswordPending};
use crate::state::AppState;

/// JSON body in and out; a bad body is a 400 naming the field, an oversized one a 413,
/// one nested deeper than [`MAX_JSON_DEPTH`] a 400 before it is deserialised.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(missing_json_content_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::invalid(rejection.body_text())
            }
        })?;
        if nests_deeper_than(&bytes, MAX_JSON_DEPTH) {
            return Err(ApiError::invalid(format!(
                "body: JSON nested deeper than {MAX_JSON_DEPTH} levels (depth limit)"
            )));
        }
        read_body(&bytes).map(AppJson)
    }
}

/// Reads a JSON body as the document describes it ([`as_documented`]) in one parse in
/// the common case: a body that starts with `[` is refused at once, any other goes
/// straight to serde; only a body serde refuses for its data (not its syntax) is
/// normalised and read again, so `{"sites": 5.0}` still reads as 5. A free JSON member
/// (a geofence) keeps the number as sent (`120.0`); none is stored as sent (a fence is
/// stored from its parsed form, `Geofence::to_stored_json`).
fn read_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if first_non_blank(bytes) == Some(b'[') {
        return Err(top_level_array());
    }
    match axum::Json::<T>::from_bytes(bytes) {
        Ok(axum::Json(value)) => Ok(value),
        Err(rejection @ JsonRejection::JsonDataError(_)) => match as_documented(bytes)? {
            Some(normalised) => axum::Json::<T>::from_bytes(&normalised)
                .map(|axum::Json(value)| value)
                .map_err(json_rejection),
            None => Err(json_rejection(rejection)),
        },
        Err(rejection) => Err(json_rejection(rejection)),
    }
}

/// The first byte that is not JSON whitespace.
fn first_non_blank(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn top_level_array() -> ApiError {
    ApiError::invalid("body: expected a JSON object")
}

/// Reads a body the way the OpenAPI document (JSON Schema) describes it, where serde
/// alone would differ: every request body is a JSON object (or `null` where optional),
/// so a top-level array is refused (serde would read a struct from its members in
/// order); and a number with a zero fraction (`5.0`) is an integer in JSON Schema, so it
/// is rewritten as one before serde (which refuses `5.0` for an integer) reads it.
/// `Ok(None)`: the body is fine as it is (or not JSON at all: serde says why).
fn as_documented(bytes: &[u8]) -> Result<Option<Vec<u8>>, ApiError> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(None);
    };
    if value.is_array() {
        return Err(top_level_array());
    }
    if !integral_floats_as_integers(&mut value) {
        return Ok(None);
    }
    Ok(serde_json::to_vec(&value).ok())
}

/// Rewrites `5.0` (and `-3e2`) as integers, in place; true when anything changed.
fn integral_floats_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return false };
            // Within ±2^53 an f64 holds every integer exactly.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if f.fract() == 0.0 && f.abs() <= EXACT {
                // Truncation is exact here: the fraction is zero and the magnitude fits.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
                true
            } else {
                false
            }
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            integral_floats_as_integers(item) | changed
        }),
        Value::Object(members) => members.values_mut().fold(false, |changed, item| {
            integral_floats_as_integers(item) | changed
        }),
        _ => false,
    }
}

/// `application/json` or `application/<anything>+json`, as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::invalid(strip_axum_prefix(&e.body_text())),
        JsonRejection::JsonSyntaxError(e) => ApiError::invalid(format!(
            "malformed JSON: {}",
            strip_axum_prefix(&e.body_text())
        )),
        JsonRejection::MissingJsonContentType(_) => missing_json_content_type(),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge
        }
        other => ApiError::invalid(other.body_text()),
    }
}

fn missing_json_content_type() -> ApiError {
    ApiError::UnsupportedMediaType(
        "expected a request with `Content-Type: application/json`".into(),
    )
}

/// axum prefixes serde's message ("Failed to deserialize the JSON body into the target
/// type: name: …"); the rest names the field, which is what the client needs.
fn strip_axum_prefix(text: &str) -> String {
    text.split_once("target type: ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .to_owned()
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string; a bad parameter is a 400 naming it.
#[derive(Debug, Clone, Default)]
pub struct AppQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| AppQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::invalid(format!("query: {}", e.body_text())))
    }
}

/// Path parameters; a malformed id is a 400.
#[derive(Debug, Clone)]
pub struct AppPath<T>(pub T);

impl<T, S> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| AppPath(p.0))
            .map_err(|e: PathRejection| ApiError::invalid(format!("path: {}", e.body_text())))
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Forbidden => ApiError::Forbidden,
            AccessError::Hidden => ApiError::NotFound,
        }
    }
}

fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("missing bearer token"))?;
    let value = header.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(token.trim())
}

fn map_auth_error(error: AuthError) -> ApiError {
    tracing::debug!(%error, "token refused");
    ApiError::InvalidToken
}

/// The caller of an API endpoint. Kiosk tokens are accepted here too, so that a kiosk
/// calling anything but its own endpoints gets 403 rather than 401.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        let now = state.now();
        let claims = match state.keys.jwt.verify(token, Audience::Api, now) {
            Ok(claims) => claims,
            Err(AuthError::BadToken(_)) => {
                let kiosk = KioskCaller::from_token(token, state).await?;
                return Ok(Actor {
                    user_id: kiosk.kiosk_id,
                    role: Role::Kiosk,
                    scope: Scope::Own,
                });
            }
            Err(other) => return Err(map_auth_error(other)),
        };
        actor_from_claims(&claims, state, WhilePasswordPending::Refuse).await
    }
}

/// The caller of `POST /auth/password`: an [`Actor`] that may also be one who must
/// still set their own password (every other endpoint refuses them with 403
/// `password_change_required`).
#[derive(Debug, Clone)]
pub struct PasswordSetter(pub Actor);

impl FromRequestParts<AppState> for PasswordSetter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        let claims = match state.keys.jwt.verify(token, Audience::Api, state.now()) {
            Ok(claims) => claims,
            // A kiosk sets no password (403); a token that is no kiosk's either, 401.
            Err(AuthError::BadToken(_)) => {
                KioskCaller::from_token(token, state).await?;
                return Err(ApiError::Forbidden);
            }
            Err(other) => return Err(map_auth_error(other)),
        };
        Ok(Self(
            actor_from_claims(&claims, state, WhilePasswordPending::Allow).await?,
        ))
    }
}

async fn actor_from_claims(
    claims: &Claims,
    state: &AppState,
    pending: WhilePasswordPending,
) -> Result<Actor, ApiError> {
    // A deactivated account's tokens, and tokens from before a logout, stop here; so do
    // requests of one who must set their own password first (but that).
    sessions::admit(state, claims.sub, claims.ver, pending).await?;
    let scope = match claims.role {
        Role::Admin => Scope::Everything,
        Role::Supervisor => {
            let code = claims
                .jur
                .as_deref()
                .and_then(|c| JurisdictionCode::parse(c).ok())
                .ok_or(ApiError::InvalidToken)?;
            let path = state
                .store
                .jurisdiction_path(&code)
                .await?
                .ok_or(ApiError::InvalidToken)?;
            Scope::Jurisdiction(path)
        }
        Role::HospitalAdmin | Role::ClinicAdmin => {
            Scope::Organization(claims.org.ok_or(ApiError::InvalidToken)?)
        }
        Role::Physician | Role::Kiosk => Scope::Own,
    };
    Ok(Actor {
        user_id: claims.sub,
        role: claims.role,
        scope,
    })
}

/// The user named by a genuine, unexpired access token sent with the request, whether
/// or not their session is still live; `None` without one. For logout, which works
/// with a refresh token alone and must not fail on a bad access token.
#[derive(Debug, Clone, Copy)]
pub struct PresentedUser(pub Option<Uuid>);

impl FromRequestParts<AppState> for PresentedUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = bearer_token(parts)
            .ok()
            .and_then(|token| {
                state
                    .keys
                    .jwt
                    .verify(token, Audience::Api, state.now())
                    .ok()
            })
            .map(|claims| claims.sub);
        Ok(PresentedUser(user))
    }
}

/// A kiosk calling a kiosk endpoint: an unrevoked kiosk token for one site.
#[derive(Debug, Clone)]
pub struct KioskCaller {
    pub kiosk_id: Uuid,
    pub site_id: Uuid,
    /// The kiosk's address, as `CHECKIN_TRUSTED_PROXIES` resolves it.
    pub ip: Option<std::net::IpAddr>,
    /// The network an administrator pinned it to.
    pub pinned_network: Option<String>,
    pub label: Option<String>,
}

impl KioskCaller {
    async fn from_token(token: &str, state: &AppState) -> Result<KioskCaller, ApiError> {
        let claims = state
            .keys
            .jwt
            .verify(token, Audience::Kiosk, state.now())
            .map_err(map_auth_error)?;
        let site_id = claims.site.ok_or(ApiError::InvalidToken)?;
        match state.store.kiosk(claims.sub).await? {
            Some(kiosk) if !kiosk.revoked && kiosk.site_id == site_id => Ok(KioskCaller {
                kiosk_id: kiosk.id,
                site_id,
                ip: None,
                pinned_network: kiosk.pinned_network,
                label: kiosk.label,
            }),
            _ => Err(ApiError::InvalidToken),
        }
    }
}

impl FromRequestParts<AppState> for KioskCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        if state
            .keys
            .jwt
            .verify(token, Audience::Api, state.now())
            .is_ok()
        {
            // A person's valid token on a kiosk endpoint: authenticated, not allowed.
            return Err(ApiError::Forbidden);
        }
        let mut caller = KioskCaller::from_token(token, state).await?;
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        caller.ip = ip;
        Ok(caller)
    }
}

/// A query value, with an empty one read as absent.
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A typed optional query filter read as [`given`] reads the others: an empty or blank
/// value is no filter (the document admits it, `openapi::admit_blank`); anything else
/// must parse. `#[serde(default, deserialize_with = "blank_as_none")]`.
pub(crate) fn blank_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let raw: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    given(&raw)
        .map(|v| v.parse().map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_are_read_as_integers_and_arrays_refused() {
        let rewritten = as_documented(br#"{"count": 5.0, "lat": 25.5, "n": [2e2, -0.0]}"#)
            .expect("an object")
            .expect("rewritten");
        let value: serde_json::Value = serde_json::from_slice(&rewritten).expect("json");
        assert_eq!(value["count"], serde_json::json!(5));
        assert!(value["count"].is_i64());
        assert_eq!(value["lat"], serde_json::json!(25.5));
        assert_eq!(value["n"], serde_json::json!([200, 0]));
        assert!(as_documented(br#"{"count": 5}"#).expect("fine").is_none());
        assert!(as_documented(b"not json").expect("left to serde").is_none());
        assert!(as_documented(b"null").expect("null is for serde").is_none());
        assert!(as_documented(b"[null, null]").is_err());
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Plan {
        sites: u32,
        #[serde(default)]
        fence: Option<serde_json::Value>,
    }

    #[test]
    fn a_body_serde_takes_is_read_once_as_sent() {
        let plan: Plan = read_body(br#"{"sites": 5, "fence": {"radius_m": 120.0}}"#).expect("read");
        assert_eq!(plan.sites, 5);
        // The fast path: a free member keeps its number as sent.
        let radius = &plan.fence.expect("fence")["radius_m"];
        assert!(radius.is_f64(), "{radius}");
        assert_eq!(radius.as_f64(), Some(120.0));
    }

    #[test]
    fn a_body_with_integral_floats_is_normalised_and_read_again() {
        let plan: Plan =
            read_body(br#"{"sites": 5.0, "fence": {"radius_m": 120.0}}"#).expect("read");
        assert_eq!(plan.sites, 5);
        // The slow path normalises the whole body, the free member too.
        assert!(plan.fence.expect("fence")["radius_m"].is_i64());
        let refused = read_body::<Plan>(br#"{"sites": 5.5}"#).expect_err("not an integer");
        assert!(format!("{refused:?}").contains("sites"), "{refused:?}");
    }

    #[test]
    fn top_level_arrays_and_bad_json_are_refused() {
        for body in [&b" \n [5, null]"[..], b"[", b"[1"] {
            let refused = read_body::<Plan>(body).expect_err("an array");
            assert!(
                format!("{refused:?}").contains("expected a JSON object"),
                "{refused:?}"
            );
        }
        let malformed = read_body::<Plan>(b"{\"sites\": ").expect_err("malformed");
        assert!(
            format!("{malformed:?}").contains("malformed JSON"),
            "{malformed:?}"
        );
        let missing = read_body::<Plan>(b"{}").expect_err("missing");
        assert!(format!("{missing:?}").contains("sites"), "{missing:?}");
    }

    #[test]
    fn json_media_types_are_recognised() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, value.parse().expect("header"));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn the_axum_prefix_is_stripped_but_the_field_kept() {
        let text = "Failed to deserialize the JSON body into the target type: phone: invalid type: integer `1`, expected a string at line 1 column 10";
        assert!(strip_axum_prefix(text).starts_with("phone: invalid type"));
    }
}

/// The client's address, when the server was started with connect info: the
/// connection's peer, or behind a trusted proxy the address it forwarded (see
/// [`super::forwarded`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| {
                let forwarded_for = parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|value| value.to_str().ok());
                super::forwarded::client_address(
                    info.0.ip(),
                    forwarded_for,
                    &state.config.trusted_proxies,
                )
            });
        Ok(ClientIp(ip))
    }
}

/// The address phones reach this server at, for the links QR codes carry:
/// `CHECKIN_PUBLIC_URL`, else the request's own origin (see
/// [`super::forwarded::request_origin`]), else the listening address.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

impl FromRequestParts<AppState> for PublicUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let config = &state.config;
        if let Some(url) = &config.public_url {
            return Ok(PublicUrl(url.clone()));
        }
        let tls = config.tls.is_some();
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let origin =
            super::forwarded::request_origin(peer, &parts.headers, tls, &config.trusted_proxies)
                .unwrap_or_else(|| {
                    let scheme = if tls { "https" } else { "http" };
                    format!("{scheme}://{}", config.listen)
                });
        Ok(PublicUrl(origin))
    }
}

//! Whether an access token still speaks for its user, and ending a user's sessions.
//!
//! Access tokens are stateless JWTs, so ending a session means refusing tokens that
//! are still unexpired: each carries the session version it was issued under, and the
//! user's current version and active flag are looked up on every request. The lookup
//! goes through the cache for [`keys::SESSION_TTL`]; a change clears the entry, so with
//! Redis every process sees it at once. The database stays the source of truth: a miss
//! or an unreachable Redis reads the store.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::cache::keys;
use crate::domain::user::SessionState;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `user_id`'s session state, from the cache when fresh, else from the store.
async fn current(state: &AppState, user_id: Uuid) -> ApiResult<Option<SessionState>> {
    let key = keys::session(user_id);
    if let Some(cached) = state.cache.get(&key).await.and_then(|t| decode(&t)) {
        return Ok(Some(cached));
    }
    let Some(session) = state.store.session_state(user_id).await? else {
        return Ok(None);
    };
    state
        .cache
        .set(&key, &encode(session), keys::SESSION_TTL)
        .await;
    Ok(Some(session))
}

/// What a request may do while the account's password must be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhilePasswordPending {
    /// Everything but setting one's own password: 403 `password_change_required`.
    Refuse,
    /// Setting one's own password.
    Allow,
}

/// Refuses (401 `invalid_token`) a token of `user_id` issued under `token_version` once
/// the account is deactivated, deleted, or its sessions ended since; and (403
/// `password_change_required`) a request `pending` refuses while the user must still
/// set their own password. One cached lookup answers both.
pub async fn admit(
    state: &AppState,
    user_id: Uuid,
    token_version: i64,
    pending: WhilePasswordPending,
) -> ApiResult<()> {
    match current(state, user_id).await? {
        Some(session) if session.admits(token_version) => {
            if session.must_change_password && pending == WhilePasswordPending::Refuse {
                Err(ApiError::PasswordChangeRequired)
            } else {
                Ok(())
            }
        }
        _ => Err(ApiError::InvalidToken),
    }
}

/// The version new tokens of `user_id` are issued under; `None` when the account is
/// gone or deactivated (no new tokens for it).
pub async fn version_for_new_tokens(state: &AppState, user_id: Uuid) -> ApiResult<Option<i64>> {
    Ok(state
        .store
        .session_state(user_id)
        .await?
        .filter(|s| s.active)
        .map(|s| s.version))
}

/// Logout: the refresh token `hash`'s login ends, and every access token of its user
/// and of `presented_by` (the user of the access token sent along, if any) is refused
/// from the next request. The user's other logins keep their refresh tokens and get
/// new access tokens from them.
pub async fn log_out(
    state: &AppState,
    hash: &str,
    presented_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let owner = state.store.log_out(hash, now).await?;
    if let Some(owner) = owner {
        forget(state, owner).await;
    }
    if let Some(user) = presented_by.filter(|u| Some(*u) != owner) {
        state.store.bump_session_version(user).await?;
        forget(state, user).await;
    }
    Ok(())
}

/// Drops the cached state of `user_id` after the store changed it.
pub async fn forget(state: &AppState, user_id: Uuid) {
    state.cache.clear(&keys::session(user_id)).await;
}

fn encode(session: SessionState) -> String {
    format!(
        "{}:{}:{}",
        u8::from(session.active),
        session.version,
        u8::from(session.must_change_password)
    )
}

fn decode(text: &str) -> Option<SessionState> {
    let flag = |t: &str| match t {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let (active, rest) = text.split_once(':')?;
    // An entry cached before the flag was (two fields) reads as a miss.
    let (version, must_change) = rest.split_once(':')?;
    Some(SessionState {
        active: flag(active)?,
        version: version.parse().ok()?,
        must_change_password: flag(must_change)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_states_read_back_and_garbage_reads_as_a_miss() {
        for session in [
            SessionState {
                active: true,
                version: 0,
                must_change_password: true,
            },
            SessionState {
                active: false,
                version: 41,
                must_change_password: false,
            },
        ] {
            assert_eq!(decode(&encode(session)), Some(session));
        }
        for garbage in ["", "1", "2:3", "1:x", "true:1", "1:3", "1:3:2", "1:x:0"] {
            assert_eq!(decode(garbage), None, "{garbage}");
        }
    }
}

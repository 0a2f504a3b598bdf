//! Logging in with phone and password, with failures limited per phone and per client
//! address block.
//!
//! The limits hold however many attempts arrive at once: each attempt first takes a
//! place in both failure counters (one atomic increment each, in the cache every
//! process shares), is refused when that place is past the limit, and only then has
//! its password checked. So within a window at most `CHECKIN_LOGIN_MAX_FAILURES`
//! passwords are checked for a phone, and `CHECKIN_LOGIN_MAX_FAILURES_PER_IP` from an
//! address block. A place is given back when no password was checked (refused by
//! the other limit, or the store failed), and a success clears the phone's failures
//! (as it always did) and gives back the address's place (a success is no failure).
//!
//! With Redis down, each process counts in its own memory (see
//! [`crate::cache::redis_cache`]): the bounds then hold per process, so N processes
//! check at most N times as many passwords while it is down, and the counts taken
//! meanwhile are not carried over when it comes back.

use crate::auth::password::Checked;
use crate::cache::keys;
use crate::domain::address_block::AddressBlock;
use crate::domain::user::{Phone, User};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `outcome` labels of `xiaxiang_login_attempts_total`.
const ACCEPTED: &str = "accepted";
const INVALID_CREDENTIALS: &str = "invalid_credentials";
const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";

/// The user `phone` and `password` name, from the client `client`. Wrong phone and
/// wrong password are the same `invalid_credentials`; a failure limit reached is
/// `too_many_attempts` with the time until its window ends.
pub async fn log_in(
    state: &AppState,
    client: Option<AddressBlock>,
    phone: &str,
    password: String,
) -> ApiResult<User> {
    let phone = Phone::parse(phone).map_err(|_| phone.trim().to_owned());
    let phone_key = keys::login_failures_by_phone(match &phone {
        Ok(phone) => phone.as_str(),
        Err(typed) => typed,
    });
    let places = match Places::take(state, phone_key, client).await {
        Ok(places) => places,
        Err(refused) => {
            state.metrics.record_login(TOO_MANY_ATTEMPTS);
            return Err(refused);
        }
    };
    match check_password(state, phone.ok(), password).await {
        Ok(Some(user)) => {
            places.succeeded(state).await;
            state.metrics.record_login(ACCEPTED);
            Ok(user)
        }
        // The places taken stay: they are this failure's count.
        Ok(None) => {
            state.metrics.record_login(INVALID_CREDENTIALS);
            Err(ApiError::InvalidCredentials)
        }
        Err(error) => {
            places.give_back(state).await;
            Err(error)
        }
    }
}

/// The user whose password `password` is, or None; with the same argon2 work whether
/// or not `phone` names a user. A hash of an older cost is replaced on success.
async fn check_password(
    state: &AppState,
    phone: Option<Phone>,
    password: String,
) -> ApiResult<Option<User>> {
    let credentials = match &phone {
        Some(phone) => state.store.credentials_by_phone(phone).await?,
        None => None,
    };
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let outcome = state.keys.passwords.check(password, stored).await;
    let (Checked::Matched { rehashed }, Some(credentials)) = (outcome, credentials) else {
        return Ok(None);
    };
    if let Some(new_hash) = rehashed {
        // A failure here costs nothing but another rehash at the next login.
        match state
            .store
            .replace_password_hash(credentials.user.id, &credentials.password_hash, &new_hash)
            .await
        {
            Ok(_) => {
                tracing::info!(user_id = %credentials.user.id, "password rehashed at the current cost")
            }
            Err(error) => tracing::warn!(%error, "could not store a rehashed password"),
        }
    }
    Ok(Some(credentials.user))
}

/// The places one attempt holds in the failure counters.
struct Places {
    phone_key: String,
    address_key: Option<String>,
}

impl Places {
    /// Takes a place in the address block's counter, then in the phone's; refuses
    /// (keeping no place) when either is past its limit.
    async fn take(
        state: &AppState,
        phone_key: String,
        client: Option<AddressBlock>,
    ) -> ApiResult<Places> {
        let config = &state.config;
        let window = config.login_failure_window;
        let address_key = client.as_ref().map(keys::login_failures_by_address);
        if let Some(key) = &address_key {
            let hits = state.cache.hit(key, window).await;
            if hits.count > u64::from(config.login_max_failures_per_ip) {
                // Past the limit already: another place over it changes nothing.
                return Err(too_many_attempts(hits.resets_in));
            }
        }
        let hits = state.cache.hit(&phone_key, window).await;
        if hits.count > u64::from(config.login_max_failures_per_phone) {
            if let Some(key) = &address_key {
                state.cache.release(key).await;
            }
            return Err(too_many_attempts(hits.resets_in));
        }
        Ok(Places {
            phone_key,
            address_key,
        })
    }

    /// The password matched: the phone starts afresh, the address gets its place back.
    async fn succeeded(self, state: &AppState) {
        state.cache.clear(&self.phone_key).await;
        if let Some(key) = &self.address_key {
            state.cache.release(key).await;
        }
    }

    /// No password was checked: both places go back.
    async fn give_back(self, state: &AppState) {
        state.cache.release(&self.phone_key).await;
        if let Some(key) = &self.address_key {
            state.cache.release(key).await;
        }
    }
}

fn too_many_attempts(resets_in: std::time::Duration) -> ApiError {
    ApiError::TooManyAttempts {
        retry_after_secs: resets_in.as_secs().max(1),
    }
}

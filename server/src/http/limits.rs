//! Abuse limits: request rates per client address and per account (counted in the
//! shared cache, so every process behind one Redis counts alike), and how deeply a
//! JSON body may nest.
//!
//! The address is the TCP peer ([`ClientIp`](super::extract::ClientIp)), or, for a
//! request from a proxy in `CHECKIN_TRUSTED_PROXIES`, the client address it forwarded
//! in `X-Forwarded-For`; from anyone else that header is ignored, so a client cannot
//! move its count. Many phones of a township may share one carrier NAT address,
//! which is why the per-address limits are generous. An IPv6 client counts by its
//! network (`CHECKIN_IPV6_PREFIX_LEN`, a /64 by default; see [`AddressBlock`]), since
//! it may pick any address in it.

use std::net::IpAddr;
use std::time::Duration;

use uuid::Uuid;

use crate::domain::address_block::AddressBlock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Objects and arrays nested deeper than this are refused before deserialising.
pub const MAX_JSON_DEPTH: usize = 32;

/// Every rate limit counts requests in a fixed window of one minute from the first.
const WINDOW: Duration = Duration::from_secs(60);

/// A rate limit: its name (the `limit` label of `xiaxiang_rate_limited_total`), what
/// it counts and how many per minute it allows (`0`: no limit).
struct RateLimit {
    name: &'static str,
    key: String,
    per_minute: u32,
}

impl RateLimit {
    /// Counts one request; answers how long until the window ends when over the limit.
    async fn hit(&self, state: &AppState) -> Option<u64> {
        if self.per_minute == 0 {
            return None;
        }
        let hits = state.cache.hit(&format!("rate:{}", self.key), WINDOW).await;
        if hits.count <= u64::from(self.per_minute) {
            return None;
        }
        state.metrics.record_rate_limited(self.name);
        tracing::info!(limit = self.name, "rate limited");
        Some(hits.resets_in.as_secs().max(1))
    }
}

/// What the per-address limits count the client address `ip` as.
pub fn address_block(state: &AppState, ip: Option<IpAddr>) -> Option<AddressBlock> {
    ip.map(|ip| AddressBlock::of(ip, state.config.ipv6_prefix_len))
}

/// Check-in, check-out and presence answers: per address first, then per physician.
/// 429 `rate_limited` with `Retry-After` over either limit.
pub async fn attendance(state: &AppState, ip: Option<IpAddr>, physician: Uuid) -> ApiResult<()> {
    let config = &state.config;
    let mut limits = Vec::with_capacity(2);
    if let Some(block) = address_block(state, ip) {
        limits.push(RateLimit {
            name: "attendance_ip",
            key: format!("attendance:ip:{block}"),
            per_minute: config.rate_checkin_per_ip,
        });
    }
    limits.push(RateLimit {
        name: "attendance_account",
        key: format!("attendance:user:{physician}"),
        per_minute: config.rate_checkin_per_account,
    });
    for limit in limits {
        if let Some(retry_after_secs) = limit.hit(state).await {
            return Err(ApiError::RateLimited { retry_after_secs });
        }
    }
    Ok(())
}

/// Login attempts per address, successful or not. 429 `too_many_attempts` (the login
/// code API.md gives) with `Retry-After`.
pub async fn login(state: &AppState, client: Option<&AddressBlock>) -> ApiResult<()> {
    let Some(block) = client else {
        return Ok(());
    };
    let limit = RateLimit {
        name: "login_ip",
        key: format!("login:ip:{block}"),
        per_minute: state.config.rate_login_per_ip,
    };
    match limit.hit(state).await {
        Some(retry_after_secs) => Err(ApiError::TooManyAttempts { retry_after_secs }),
        None => Ok(()),
    }
}

/// Whether `json` opens more than `max` objects or arrays inside one another. A byte
/// scan that skips strings (and escapes in them); it does not validate the JSON.
pub fn nests_deeper_than(json: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_one_more_does_not() {
        assert!(!nests_deeper_than(nested(32).as_bytes(), 32));
        assert!(nests_deeper_than(nested(33).as_bytes(), 32));
        assert!(nests_deeper_than(br#"{"a":{"b":{"c":1}}}"#, 2));
        assert!(!nests_deeper_than(br#"{"a":{"b":1},"c":{"d":2}}"#, 2));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(
            r#"{{"note":"{}","quote":"\"[[[","end":"\\"}}"#,
            "[".repeat(100)
        );
        assert!(!nests_deeper_than(text.as_bytes(), 1));
        assert!(nests_deeper_than(br#"{"a":"\\",  "b":[[1]]}"#, 2));
    }
}

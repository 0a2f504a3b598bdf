//! Kiosk check-in codes: issues and checks the signed, time-limited payloads a clinic's wall screen (or printed sheet) shows as a QR code.
//!
//! A physician proves presence at a site by scanning the code currently
//! displayed there. The payload is opaque to clients and looks like
//!
//! ```text
//! XX1.<site uuid, 22 chars base64url>.<r|d>.<step>.<mac, 22 chars base64url>
//! ```
//!
//! where `mac` is HMAC-SHA256 keyed with the site's [`SiteSecret`] over
//! `"xiaxiang-kiosk-v1|" + site_uuid (hyphenated, lowercase) + "|" + kind + "|" + step`,
//! truncated to its first 16 bytes.
//!
//! Two kinds of code exist:
//!
//! * [`CodeKind::Rotating`]: shown on a screen, TOTP-style. `step` is
//!   `floor(unix_seconds / period_s)`. A scan is accepted during the code's own
//!   step and the one right after it, so a physician who scans just before the
//!   screen flips is not refused.
//! * [`CodeKind::Daily`]: printed sheets for village clinics with no screen.
//!   `step` is the site's *local* date (in its time zone) as days since
//!   1970-01-01, and the code is accepted only on that local date.
//!
//! Checking a scanned payload takes three steps, kept separate so that the
//! caller can look the site up between them: [`parse`] (structure only),
//! [`ParsedCode::verify`] (MAC against the site's secret, constant time) and
//! [`check_fresh`] (time window).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Version prefix; a new payload format gets a new prefix so old screens and
/// sheets fail loudly instead of being misread.
const PREFIX: &str = "XX1";
/// Domain separation for the MAC, so a site secret reused elsewhere can never
/// produce a valid kiosk code by accident.
const MAC_CONTEXT: &str = "xiaxiang-kiosk-v1|";
/// Longest payload accepted by [`parse`]. Issued payloads are at most 72
/// characters; the slack leaves room for a future format under a new prefix.
pub const MAX_PAYLOAD_LEN: usize = 120;
/// Bytes of HMAC-SHA256 output kept: 128 bits is ample for a code that lives
/// for minutes, and keeps the QR code small enough to scan from across a room.
const MAC_LEN: usize = 16;
/// base64url length (no padding) of 16 bytes, both for the site id and the MAC.
const B64_16_LEN: usize = 22;
/// HMAC-SHA256 block size; see [`mac_for`].
const HMAC_BLOCK_LEN: usize = 64;

/// A site's 256-bit signing secret for kiosk codes.
///
/// `Debug` is redacted so the secret cannot leak through logs or error reports.
#[derive(Clone)]
pub struct SiteSecret([u8; 32]);

impl SiteSecret {
    /// A fresh secret from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps a secret loaded from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw secret, for storing it.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SiteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SiteSecret(<redacted>)")
    }
}

/// Which time window a code's `step` counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// Shown on a wall screen; changes every `period_s` seconds.
    Rotating,
    /// Printed; valid for one local calendar day.
    Daily,
}

impl CodeKind {
    /// The name used in the MAC input (and handy for logs and storage).
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Rotating => "rotating",
            CodeKind::Daily => "daily",
        }
    }

    /// One-letter tag in the payload, to keep the QR code small.
    fn tag(self) -> &'static str {
        match self {
            CodeKind::Rotating => "r",
            CodeKind::Daily => "d",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "r" => Some(CodeKind::Rotating),
            "d" => Some(CodeKind::Daily),
            _ => None,
        }
    }
}

/// Why a scanned code was refused.
///
/// Deliberately coarse: a client learns only whether rescanning the current
/// code might help (`Expired`) or not (`Invalid`), never which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Malformed, forged, for another site, or from the future.
    #[error("kiosk code is not valid")]
    Invalid,
    /// Genuine but too old: scan the code on display now.
    #[error("kiosk code has expired")]
    Expired,
}

/// A payload whose structure is sound. Its MAC is **not** checked yet: call
/// [`ParsedCode::verify`] with the secret of `site_id`, then [`check_fresh`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCode {
    pub site_id: Uuid,
    pub kind: CodeKind,
    pub step: i64,
    mac: [u8; MAC_LEN],
}

impl ParsedCode {
    /// Checks the MAC in constant time against `secret`, over this value's
    /// `site_id`, `kind` and `step`.
    pub fn verify(&self, secret: &SiteSecret) -> Result<(), CodeError> {
        mac_for(secret, self.site_id, self.kind, self.step)
            .verify_truncated_left(&self.mac)
            .map_err(|_| CodeError::Invalid)
    }
}

/// A code ready to be shown or printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The text to encode in the QR code (ASCII, at most [`MAX_PAYLOAD_LEN`]).
    pub payload: String,
    pub kind: CodeKind,
    pub step: i64,
    /// When the display must switch to a new code: the end of this code's
    /// step. For a rotating code, scans are still accepted for one more
    /// period after this instant (see [`check_fresh`]). For a daily code it is
    /// the end of the local day, after which scans are refused.
    pub valid_until: DateTime<Utc>,
}

/// Splits a payload into its parts without checking the MAC.
///
/// Accepts only the exact form [`issue_rotating`] and [`issue_daily`] emit
/// (canonical base64url and decimal), so each code has exactly one spelling.
/// Any malformation is [`CodeError::Invalid`]; never panics.
pub fn parse(payload: &str) -> Result<ParsedCode, CodeError> {
    // Bound the work done on untrusted input before looking at it at all.
    if payload.len() > MAX_PAYLOAD_LEN || !payload.is_ascii() {
        return Err(CodeError::Invalid);
    }
    let mut parts = payload.split('.');
    let (Some(prefix), Some(site), Some(tag), Some(step), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(CodeError::Invalid);
    };
    if prefix != PREFIX {
        return Err(CodeError::Invalid);
    }
    let site_id = Uuid::from_bytes(decode_16(site)?);
    let kind = CodeKind::from_tag(tag).ok_or(CodeError::Invalid)?;
    let step = parse_step(step)?;
    let mac = decode_16(mac)?;
    Ok(ParsedCode {
        site_id,
        kind,
        step,
        mac,
    })
}

/// The phone page, where a scanned code URL lands.
pub const PHONE_PAGE_PATH: &str = "/m/";

/// What a QR code carries: the phone page's address with the payload in the
/// fragment, `<public_url>/m/#c=<payload>`. Any camera or WeChat opens it; browsers
/// never send the fragment, so the code stays out of access logs.
pub fn code_url(public_url: &str, payload: &str) -> String {
    format!(
        "{}{PHONE_PAGE_PATH}#c={payload}",
        public_url.trim_end_matches('/')
    )
}

/// The payload in what a phone sent as `qr_payload`: a bare payload as it is, or
/// from a code URL ([`code_url`]) the `c` parameter of its fragment. Only the
/// fragment is read (the address before it does not matter: the MAC decides);
/// text with a fragment but no `c=` yields `""`, which [`parse`] refuses.
pub fn scanned_payload(scanned: &str) -> &str {
    let scanned = scanned.trim();
    match scanned.split_once('#') {
        None => scanned,
        Some((_, fragment)) => fragment
            .split('&')
            .find_map(|param| param.strip_prefix("c="))
            .unwrap_or(""),
    }
}

/// The rotating step containing `at`: `floor(unix_seconds / period_s)`.
///
/// A `period_s` of 0 is treated as 1 so that a misconfiguration cannot panic
/// the server with a division by zero.
pub fn rotating_step(at: DateTime<Utc>, period_s: u32) -> i64 {
    // Euclidean division floors for instants before 1970 too.
    at.timestamp().div_euclid(effective_period(period_s))
}

/// The daily step of a local date: days since 1970-01-01.
pub fn daily_step(local_date: NaiveDate) -> i64 {
    i64::from(local_date.to_epoch_days())
}

/// The local date a daily step stands for, if it is within chrono's range.
pub fn step_local_date(step: i64) -> Option<NaiveDate> {
    NaiveDate::from_epoch_days(i32::try_from(step).ok()?)
}

/// Issues the rotating code for the step containing `now`.
///
/// `valid_until` is the end of that step, when the screen must show the next
/// code; scans of this code are accepted for one further period.
pub fn issue_rotating(
    site_id: Uuid,
    secret: &SiteSecret,
    now: DateTime<Utc>,
    period_s: u32,
) -> IssuedCode {
    let step = rotating_step(now, period_s);
    let valid_until = step
        .checked_add(1)
        .and_then(|next| next.checked_mul(effective_period(period_s)))
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        // Only reachable at the very end of chrono's range; "never" is the
        // honest answer there.
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    issue(site_id, secret, CodeKind::Rotating, step, valid_until)
}

/// Issues the daily code for `local_date` at a site in time zone `tz`.
///
/// `valid_until` is the first instant at which the local date in `tz` is past
/// `local_date` (normally the next local midnight, as UTC).
pub fn issue_daily(
    site_id: Uuid,
    secret: &SiteSecret,
    local_date: NaiveDate,
    tz: Tz,
) -> IssuedCode {
    let step = daily_step(local_date);
    let valid_until = end_of_local_day(local_date, tz);
    issue(site_id, secret, CodeKind::Daily, step, valid_until)
}

/// Checks that a (verified) code is still within its acceptance window at
/// `scanned_at`.
///
/// * Rotating: accepted when its step is the current step at `scanned_at` or
///   the one before. Older is [`CodeError::Expired`]; a step after the current
///   one cannot have been displayed yet, so it is [`CodeError::Invalid`].
/// * Daily: accepted iff its date is the local date of `scanned_at` in `tz`.
///   An earlier date is `Expired`, a later one `Invalid`.
///
/// `period_s` is only used for rotating codes and `tz` only for daily ones.
pub fn check_fresh(
    code: &ParsedCode,
    scanned_at: DateTime<Utc>,
    period_s: u32,
    tz: Tz,
) -> Result<(), CodeError> {
    match code.kind {
        CodeKind::Rotating => {
            let current = rotating_step(scanned_at, period_s);
            if code.step > current {
                Err(CodeError::Invalid)
            } else if code.step >= current.saturating_sub(1) {
                Ok(())
            } else {
                Err(CodeError::Expired)
            }
        }
        CodeKind::Daily => {
            let today = daily_step(scanned_at.with_timezone(&tz).date_naive());
            match code.step.cmp(&today) {
                std::cmp::Ordering::Equal => Ok(()),
                std::cmp::Ordering::Less => Err(CodeError::Expired),
                std::cmp::Ordering::Greater => Err(CodeError::Invalid),
            }
        }
    }
}

fn issue(
    site_id: Uuid,
    secret: &SiteSecret,
    kind: CodeKind,
    step: i64,
    valid_until: DateTime<Utc>,
) -> IssuedCode {
    let tag = mac_for(secret, site_id, kind, step).finalize().into_bytes();
    let mac = tag.get(..MAC_LEN).unwrap_or(&tag);
    let payload = format!(
        "{PREFIX}.{}.{}.{step}.{}",
        URL_SAFE_NO_PAD.encode(site_id.as_bytes()),
        kind.tag(),
        URL_SAFE_NO_PAD.encode(mac),
    );
    IssuedCode {
        payload,
        kind,
        step,
        valid_until,
    }
}

/// The keyed MAC state after absorbing the message, ready to finalise or
/// verify.
fn mac_for(secret: &SiteSecret, site_id: Uuid, kind: CodeKind, step: i64) -> HmacSha256 {
    // HMAC zero-pads keys shorter than its block to the block size (RFC 2104),
    // so padding the 32-byte secret ourselves gives exactly
    // HMAC-SHA256(secret, ..) while using the infallible fixed-size
    // constructor instead of `new_from_slice`'s never-failing `Result`.
    let mut key = [0u8; HMAC_BLOCK_LEN];
    key[..secret.0.len()].copy_from_slice(&secret.0);
    let mut mac = <HmacSha256 as Mac>::new(&key.into());
    mac.update(MAC_CONTEXT.as_bytes());
    mac.update(site_id.hyphenated().to_string().as_bytes());
    mac.update(b"|");
    mac.update(kind.as_str().as_bytes());
    mac.update(b"|");
    mac.update(step.to_string().as_bytes());
    mac
}

fn effective_period(period_s: u32) -> i64 {
    i64::from(period_s.max(1))
}

/// Decodes a 22-character base64url field into 16 bytes. The engine rejects
/// padding and non-zero trailing bits, so only the canonical spelling passes.
fn decode_16(field: &str) -> Result<[u8; 16], CodeError> {
    if field.len() != B64_16_LEN {
        return Err(CodeError::Invalid);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(field)
        .map_err(|_| CodeError::Invalid)?;
    bytes.try_into().map_err(|_| CodeError::Invalid)
}

/// Parses a step, accepting only the form `i64::to_string` produces (no `+`,
/// no leading zeros, no `-0`), so a MAC covers exactly one payload.
fn parse_step(field: &str) -> Result<i64, CodeError> {
    let step: i64 = field.parse().map_err(|_| CodeError::Invalid)?;
    if step.to_string() != field {
        return Err(CodeError::Invalid);
    }
    Ok(step)
}

/// The first UTC instant whose local date in `tz` is after `local_date`.
fn end_of_local_day(local_date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let Some(next_day) = local_date.succ_opt() else {
        return DateTime::<Utc>::MAX_UTC;
    };
    let midnight = NaiveDateTime::new(next_day, NaiveTime::MIN);
    // Local midnight does not always exist: some zones start DST at 00:00
    // (America/Santiago) and Samoa skipped 2011-12-30 entirely. Every real
    // transition lands on a quarter hour, so the first local quarter hour that
    // exists is the transition instant itself. 25 hours covers a skipped day.
    const QUARTER_HOUR_MINUTES: i64 = 15;
    const SEARCH_QUARTERS: i64 = 25 * 4;
    for quarter in 0..=SEARCH_QUARTERS {
        let Some(local) = TimeDelta::try_minutes(quarter * QUARTER_HOUR_MINUTES)
            .and_then(|delta| midnight.checked_add_signed(delta))
        else {
            break;
        };
        // On an ambiguous local time (clocks set back) the earlier instant is
        // the first one on the new date.
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    DateTime::<Utc>::MAX_UTC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_url_carries_the_payload_in_the_fragment_of_the_phone_page() {
        let payload = "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.1.AAAAAAAAAAAAAAAAAAAAAA";
        let url = code_url("https://checkin.example.cn/", payload);
        assert_eq!(url, format!("https://checkin.example.cn/m/#c={payload}"));
        assert_eq!(scanned_payload(&url), payload);
        assert_eq!(
            code_url("http://10.0.0.5:8080/xx", payload),
            format!("http://10.0.0.5:8080/xx/m/#c={payload}")
        );
    }

    #[test]
    fn scanned_payload_takes_a_bare_payload_or_the_c_fragment_parameter_only() {
        let payload = "XX1.AAAAAAAAAAAAAAAAAAAAAA.d.20500.AAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(scanned_payload(payload), payload);
        assert_eq!(scanned_payload(&format!("  {payload}\n")), payload);
        for url in [
            format!("https://x.example/m/#c={payload}"),
            format!("https://other.host/anything?q=1#c={payload}"),
            format!("https://x.example/m/#v=2&c={payload}"),
            format!("#c={payload}"),
        ] {
            assert_eq!(scanned_payload(&url), payload, "{url}");
        }
        // A foreign fragment, or none on a URL, leaves nothing that parses.
        for foreign in [
            "https://x.example/m/#token=abc",
            "https://x.example/m/#",
            "https://x.example/m/#cc=XX1",
            "https://x.example/m/",
        ] {
            assert!(parse(scanned_payload(foreign)).is_err(), "{foreign}");
        }
        assert_eq!(scanned_payload("https://x.example/m/#token=abc"), "");
    }

    const PERIOD_30: u32 = 30;
    const PERIOD_60: u32 = 60;
    /// 2023-11-14T22:14:00Z, a multiple of both 30 and 60 seconds.
    const BOUNDARY: i64 = 1_700_000_040;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("test instant in range")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("test instant parses")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date valid")
    }

    fn site() -> Uuid {
        Uuid::from_u128(0x1b4e_28ba_2fa1_11d2_883f_0016_d3cc_427e)
    }

    fn other_site() -> Uuid {
        Uuid::from_u128(0x9c1e_0000_4000_8000_0000_0000_0000_0042)
    }

    fn secret() -> SiteSecret {
        SiteSecret::from_bytes([7u8; 32])
    }

    fn other_secret() -> SiteSecret {
        SiteSecret::from_bytes([8u8; 32])
    }

    /// Parse, verify and check freshness, as the check-in handler will.
    fn accept(
        payload: &str,
        secret: &SiteSecret,
        scanned_at: DateTime<Utc>,
        period_s: u32,
        tz: Tz,
    ) -> Result<ParsedCode, CodeError> {
        let code = parse(payload)?;
        code.verify(secret)?;
        check_fresh(&code, scanned_at, period_s, tz)?;
        Ok(code)
    }

    fn rotating_at(secs: i64, period_s: u32) -> IssuedCode {
        issue_rotating(site(), &secret(), at(secs), period_s)
    }

    #[test]
    fn code_kind_names_are_rotating_and_daily() {
        assert_eq!(CodeKind::Rotating.as_str(), "rotating");
        assert_eq!(CodeKind::Daily.as_str(), "daily");
    }

    #[test]
    fn site_secret_debug_does_not_reveal_bytes() {
        let secret = SiteSecret::from_bytes([0xAB; 32]);
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SiteSecret(<redacted>)");
        // Neither decimal (171) nor hex (ab) renderings of the bytes appear.
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab"));
    }

    #[test]
    fn site_secret_round_trips_through_bytes() {
        let bytes = [42u8; 32];
        assert_eq!(SiteSecret::from_bytes(bytes).as_bytes(), &bytes);
    }

    #[test]
    fn generated_secrets_differ() {
        let a = SiteSecret::generate().expect("os rng available");
        let b = SiteSecret::generate().expect("os rng available");
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn mac_is_standard_hmac_sha256_keyed_with_the_32_byte_secret() {
        // Guards the zero-padding shortcut in `mac_for`: another
        // implementation using the secret as a plain HMAC key must agree.
        let secret = SiteSecret::from_bytes(core::array::from_fn(|i| i as u8));
        let mut reference =
            HmacSha256::new_from_slice(secret.as_bytes()).expect("hmac takes any key length");
        reference.update(
            format!(
                "xiaxiang-kiosk-v1|{}|rotating|56666668",
                site().hyphenated()
            )
            .as_bytes(),
        );
        let expected = reference.finalize().into_bytes();
        let ours = mac_for(&secret, site(), CodeKind::Rotating, 56_666_668)
            .finalize()
            .into_bytes();
        assert_eq!(ours, expected);

        let issued = issue_rotating(site(), &secret, at(56_666_668 * 30), PERIOD_30);
        let mac_field = issued.payload.rsplit('.').next().expect("has a mac field");
        assert_eq!(mac_field, URL_SAFE_NO_PAD.encode(&expected[..16]));
    }

    #[test]
    fn payload_has_documented_layout() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let parts: Vec<&str> = issued.payload.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], "XX1");
        assert_eq!(parts[1], URL_SAFE_NO_PAD.encode(site().as_bytes()));
        assert_eq!(parts[1].len(), 22);
        assert_eq!(parts[2], "r");
        assert_eq!(parts[3], (BOUNDARY / 30).to_string());
        assert_eq!(parts[4].len(), 22);

        let daily = issue_daily(
            site(),
            &secret(),
            date(2025, 3, 10),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(daily.payload.split('.').nth(2), Some("d"));
    }

    #[test]
    fn payload_is_ascii_and_at_most_120_chars_even_for_extreme_steps() {
        let extremes = [
            rotating_at(BOUNDARY, PERIOD_30),
            issue_rotating(site(), &secret(), DateTime::<Utc>::MAX_UTC, 1),
            issue_rotating(site(), &secret(), DateTime::<Utc>::MIN_UTC, 1),
            issue_daily(site(), &secret(), NaiveDate::MAX, chrono_tz::UTC),
            issue_daily(site(), &secret(), NaiveDate::MIN, chrono_tz::UTC),
        ];
        for issued in extremes {
            assert!(issued.payload.is_ascii(), "{}", issued.payload);
            assert!(issued.payload.len() <= 120, "{}", issued.payload);
            assert!(issued.payload.len() <= 72, "{}", issued.payload);
            // Every issued code parses and verifies, whatever the step.
            let parsed = parse(&issued.payload).expect("issued code parses");
            assert_eq!(parsed.step, issued.step);
            assert_eq!(parsed.verify(&secret()), Ok(()));
        }
    }

    #[test]
    fn parse_recovers_site_kind_and_step() {
        let issued = rotating_at(BOUNDARY + 5, PERIOD_30);
        let parsed = parse(&issued.payload).expect("parses");
        assert_eq!(parsed.site_id, site());
        assert_eq!(parsed.kind, CodeKind::Rotating);
        assert_eq!(parsed.step, BOUNDARY / 30);
        assert_eq!(issued.kind, CodeKind::Rotating);
        assert_eq!(issued.step, BOUNDARY / 30);
    }

    #[test]
    fn rotating_code_is_accepted_in_its_own_step() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        for offset in [0, 1, 15, 29] {
            assert!(
                accept(
                    &issued.payload,
                    &secret(),
                    at(BOUNDARY + offset),
                    PERIOD_30,
                    chrono_tz::UTC
                )
                .is_ok(),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn rotating_code_is_accepted_during_the_next_step() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        for offset in [30, 45, 59] {
            assert!(
                accept(
                    &issued.payload,
                    &secret(),
                    at(BOUNDARY + offset),
                    PERIOD_30,
                    chrono_tz::UTC
                )
                .is_ok(),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn code_from_two_steps_ago_is_expired() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        for offset in [60, 61, 3600] {
            assert_eq!(
                accept(
                    &issued.payload,
                    &secret(),
                    at(BOUNDARY + offset),
                    PERIOD_30,
                    chrono_tz::UTC
                ),
                Err(CodeError::Expired),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn code_from_a_future_step_is_invalid() {
        let issued = rotating_at(BOUNDARY + 30, PERIOD_30);
        assert_eq!(
            accept(
                &issued.payload,
                &secret(),
                at(BOUNDARY + 29),
                PERIOD_30,
                chrono_tz::UTC
            ),
            Err(CodeError::Invalid)
        );
        let far = rotating_at(BOUNDARY + 3600, PERIOD_30);
        assert_eq!(
            accept(
                &far.payload,
                &secret(),
                at(BOUNDARY),
                PERIOD_30,
                chrono_tz::UTC
            ),
            Err(CodeError::Invalid)
        );
    }

    #[test]
    fn rotating_step_flips_exactly_on_period_boundaries() {
        for period in [PERIOD_30, PERIOD_60] {
            let p = i64::from(period);
            let n = BOUNDARY / p;
            assert_eq!(BOUNDARY % p, 0);
            assert_eq!(rotating_step(at(BOUNDARY - 1), period), n - 1);
            assert_eq!(rotating_step(at(BOUNDARY), period), n);
            assert_eq!(rotating_step(at(BOUNDARY + p - 1), period), n);
            assert_eq!(rotating_step(at(BOUNDARY + p), period), n + 1);
        }
    }

    #[test]
    fn rotating_step_floors_before_1970() {
        assert_eq!(rotating_step(at(-1), PERIOD_30), -1);
        assert_eq!(rotating_step(at(-30), PERIOD_30), -1);
        assert_eq!(rotating_step(at(-31), PERIOD_30), -2);
    }

    #[test]
    fn zero_period_is_treated_as_one_second_instead_of_panicking() {
        assert_eq!(rotating_step(at(BOUNDARY), 0), BOUNDARY);
        let issued = rotating_at(BOUNDARY, 0);
        assert_eq!(issued.valid_until, at(BOUNDARY + 1));
    }

    #[test]
    fn rotating_acceptance_window_ends_one_period_after_valid_until() {
        for period in [PERIOD_30, PERIOD_60] {
            let p = i64::from(period);
            // Issued in the last second of the step before BOUNDARY.
            let issued = rotating_at(BOUNDARY - 1, period);
            assert_eq!(issued.step, BOUNDARY / p - 1);
            assert_eq!(issued.valid_until, at(BOUNDARY));
            let scan = |secs| accept(&issued.payload, &secret(), at(secs), period, chrono_tz::UTC);
            assert!(scan(BOUNDARY - p).is_ok(), "start of own step");
            assert_eq!(scan(BOUNDARY - p - 1), Err(CodeError::Invalid));
            assert!(scan(BOUNDARY).is_ok(), "screen has flipped");
            assert!(scan(BOUNDARY + p - 1).is_ok(), "last grace second");
            assert_eq!(scan(BOUNDARY + p), Err(CodeError::Expired));
        }
    }

    #[test]
    fn valid_until_is_the_end_of_the_current_step() {
        let issued = rotating_at(BOUNDARY + 17, PERIOD_60);
        assert_eq!(issued.valid_until, at(BOUNDARY + 60));
        let on_boundary = rotating_at(BOUNDARY, PERIOD_60);
        assert_eq!(on_boundary.valid_until, at(BOUNDARY + 60));
    }

    #[test]
    fn issuing_at_the_end_of_time_does_not_panic() {
        let issued = issue_rotating(site(), &secret(), DateTime::<Utc>::MAX_UTC, 3600);
        assert_eq!(issued.valid_until, DateTime::<Utc>::MAX_UTC);
        let daily = issue_daily(site(), &secret(), NaiveDate::MAX, chrono_tz::UTC);
        assert_eq!(daily.valid_until, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn every_single_character_change_is_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let original = issued.payload.as_bytes();
        let replacements = b"AaZz09-_.|+/= rdX";
        for index in 0..original.len() {
            for &replacement in replacements {
                if replacement == original[index] {
                    continue;
                }
                let mut tampered = original.to_vec();
                tampered[index] = replacement;
                let tampered = String::from_utf8(tampered).expect("ascii");
                let verdict = parse(&tampered).and_then(|code| code.verify(&secret()));
                assert_eq!(verdict, Err(CodeError::Invalid), "{tampered}");
            }
        }
    }

    #[test]
    fn tampered_mac_is_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let mut code = parse(&issued.payload).expect("parses");
        code.mac[0] ^= 1;
        assert_eq!(code.verify(&secret()), Err(CodeError::Invalid));
        let mut code = parse(&issued.payload).expect("parses");
        code.mac[15] ^= 0x80;
        assert_eq!(code.verify(&secret()), Err(CodeError::Invalid));
    }

    #[test]
    fn code_moved_to_another_site_is_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let moved = issued.payload.replace(
            &URL_SAFE_NO_PAD.encode(site().as_bytes()),
            &URL_SAFE_NO_PAD.encode(other_site().as_bytes()),
        );
        let code = parse(&moved).expect("still well formed");
        assert_eq!(code.site_id, other_site());
        assert_eq!(code.verify(&secret()), Err(CodeError::Invalid));
    }

    #[test]
    fn code_with_changed_kind_is_invalid() {
        // A daily code's step is a small day count, a rotating one's is large,
        // but relabelling must fail on the MAC regardless of plausibility.
        let daily = issue_daily(site(), &secret(), date(2025, 3, 10), chrono_tz::UTC);
        let relabelled = daily.payload.replacen(".d.", ".r.", 1);
        let code = parse(&relabelled).expect("still well formed");
        assert_eq!(code.kind, CodeKind::Rotating);
        assert_eq!(code.verify(&secret()), Err(CodeError::Invalid));
    }

    #[test]
    fn code_with_changed_step_is_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let step = issued.step.to_string();
        let bumped =
            issued
                .payload
                .replacen(&format!(".{step}."), &format!(".{}.", issued.step + 1), 1);
        let code = parse(&bumped).expect("still well formed");
        assert_eq!(code.step, issued.step + 1);
        assert_eq!(code.verify(&secret()), Err(CodeError::Invalid));
    }

    #[test]
    fn code_verified_with_another_sites_secret_is_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let code = parse(&issued.payload).expect("parses");
        assert_eq!(code.verify(&secret()), Ok(()));
        assert_eq!(code.verify(&other_secret()), Err(CodeError::Invalid));
    }

    #[test]
    fn same_step_codes_for_two_sites_differ() {
        let a = issue_rotating(site(), &secret(), at(BOUNDARY), PERIOD_30);
        let b = issue_rotating(other_site(), &secret(), at(BOUNDARY), PERIOD_30);
        assert_ne!(a.payload.rsplit('.').next(), b.payload.rsplit('.').next());
    }

    #[test]
    fn non_canonical_spellings_are_invalid() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let step = issued.step.to_string();
        let variants = [
            issued.payload.replacen(&step, &format!("0{step}"), 1),
            issued.payload.replacen(&step, &format!("+{step}"), 1),
            issued.payload.replacen("XX1", "xx1", 1),
            issued.payload.replacen("XX1", "XX2", 1),
            issued.payload.replacen(".r.", ".R.", 1),
            format!("{}=", issued.payload),
            format!("{}.", issued.payload),
            format!(".{}", issued.payload),
            format!(" {}", issued.payload),
            format!("{}\n", issued.payload),
            issued.payload.replace('.', ".."),
        ];
        for variant in variants {
            assert_eq!(parse(&variant), Err(CodeError::Invalid), "{variant}");
        }
        let negative_zero = issue_daily(site(), &secret(), date(1970, 1, 1), chrono_tz::UTC);
        assert_eq!(negative_zero.step, 0);
        assert_eq!(
            parse(&negative_zero.payload.replacen(".0.", ".-0.", 1)),
            Err(CodeError::Invalid)
        );
    }

    #[test]
    fn base64_with_nonzero_trailing_bits_is_invalid() {
        // 16 bytes use 128 of the 132 bits in 22 characters; the last
        // character may only carry zeros in its low 4 bits.
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let mac_field = issued.payload.rsplit('.').next().expect("has mac");
        let last = mac_field.as_bytes()[21];
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = ALPHABET.iter().position(|&c| c == last).expect("b64 char");
        let sibling = ALPHABET[index ^ 1] as char;
        let mut tampered = issued.payload.clone();
        tampered.pop();
        tampered.push(sibling);
        assert_eq!(parse(&tampered), Err(CodeError::Invalid));
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let mut inputs: Vec<String> = vec![
            String::new(),
            ".".into(),
            "....".into(),
            ".....".into(),
            "XX1".into(),
            "XX1....".into(),
            "XX1.....".into(),
            "XX1.a.r.1.b".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.1.AAAAAAAAAAAAAAAAAAAAAA=".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.99999999999999999999.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.-9223372036854775809.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAA=.r.1.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r..AAAAAAAAAAAAAAAAAAAAAA".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.1.AAAAAAAAAAAAAAAAAAAA/+".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.r.1.AAAAAAAAAAAAAAAAAAAAA\u{e9}".into(),
            "XX1.AAAAAAAAAAAAAAAAAAAAAA.\u{440}.1.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "XX1\u{ff0e}AAAAAAAAAAAAAAAAAAAAAA.r.1.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "下乡签到".into(),
            "\u{0}\u{0}\u{0}".into(),
            "\u{1F600}".repeat(40),
            "A".repeat(121),
            "A".repeat(1_000_000),
            ".".repeat(100_000),
            format!("{}{}", issued.payload, "A".repeat(120)),
            issued.payload.replace('A', "\u{e9}"),
        ];
        // Every prefix and suffix of a real payload.
        for cut in 1..issued.payload.len() {
            inputs.push(issued.payload[..cut].to_string());
            inputs.push(issued.payload[cut..].to_string());
        }
        // Deterministic pseudo-random strings, biased towards the payload's
        // own alphabet so that many get past the first checks.
        let alphabet: Vec<char> = "XX1.rd-_0123456789AZaz=+/ é下\u{0}".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000 {
            let len = (next() % 130) as usize;
            let random: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            inputs.push(random);
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            inputs.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        for input in &inputs {
            if let Ok(code) = parse(input) {
                // Anything that happens to parse must still fail the MAC.
                assert_eq!(code.verify(&secret()), Err(CodeError::Invalid), "{input}");
            }
        }
        assert_eq!(parse(&"A".repeat(1_000_000)), Err(CodeError::Invalid));
    }

    #[test]
    fn daily_step_counts_days_since_1970() {
        assert_eq!(daily_step(date(1970, 1, 1)), 0);
        assert_eq!(daily_step(date(1970, 1, 2)), 1);
        assert_eq!(daily_step(date(1969, 12, 31)), -1);
        assert_eq!(daily_step(date(2025, 3, 10)), 20_157);
        assert_eq!(step_local_date(20_157), Some(date(2025, 3, 10)));
        assert_eq!(step_local_date(-1), Some(date(1969, 12, 31)));
        assert_eq!(step_local_date(i64::MAX), None);
        assert_eq!(step_local_date(i64::from(i32::MAX)), None);
    }

    #[test]
    fn daily_code_is_accepted_all_local_day_in_shanghai() {
        let tz = chrono_tz::Asia::Shanghai;
        let issued = issue_daily(site(), &secret(), date(2025, 3, 10), tz);
        assert_eq!(issued.kind, CodeKind::Daily);
        assert_eq!(issued.step, daily_step(date(2025, 3, 10)));
        // 00:00, 12:00, 23:59 and 23:59:59 local (UTC+8).
        for scanned in [
            "2025-03-09T16:00:00Z",
            "2025-03-10T04:00:00Z",
            "2025-03-10T15:59:00Z",
            "2025-03-10T15:59:59Z",
        ] {
            let code = accept(&issued.payload, &secret(), utc(scanned), PERIOD_30, tz)
                .unwrap_or_else(|e| panic!("{scanned}: {e}"));
            assert_eq!(step_local_date(code.step), Some(date(2025, 3, 10)));
        }
    }

    #[test]
    fn daily_code_is_expired_from_next_local_midnight() {
        let tz = chrono_tz::Asia::Shanghai;
        let issued = issue_daily(site(), &secret(), date(2025, 3, 10), tz);
        // 16:00 UTC is 00:00 on the 11th in Shanghai, though still the 10th in UTC.
        assert_eq!(issued.valid_until, utc("2025-03-10T16:00:00Z"));
        for scanned in ["2025-03-10T16:00:00Z", "2025-03-11T12:00:00Z"] {
            assert_eq!(
                accept(&issued.payload, &secret(), utc(scanned), PERIOD_30, tz),
                Err(CodeError::Expired),
                "{scanned}"
            );
        }
    }

    #[test]
    fn daily_code_before_its_local_date_is_invalid() {
        let tz = chrono_tz::Asia::Shanghai;
        let issued = issue_daily(site(), &secret(), date(2025, 3, 10), tz);
        // 23:59:59 on the 9th in Shanghai.
        assert_eq!(
            accept(
                &issued.payload,
                &secret(),
                utc("2025-03-09T15:59:59Z"),
                PERIOD_30,
                tz
            ),
            Err(CodeError::Invalid)
        );
    }

    #[test]
    fn daily_code_follows_the_site_zone_not_utc() {
        // The same instant is the 10th in Shanghai but the 9th in Los Angeles.
        let instant = utc("2025-03-10T02:00:00Z");
        let shanghai = issue_daily(
            site(),
            &secret(),
            date(2025, 3, 10),
            chrono_tz::Asia::Shanghai,
        );
        let code = parse(&shanghai.payload).expect("parses");
        assert_eq!(
            check_fresh(&code, instant, PERIOD_30, chrono_tz::Asia::Shanghai),
            Ok(())
        );
        assert_eq!(
            check_fresh(&code, instant, PERIOD_30, chrono_tz::America::Los_Angeles),
            Err(CodeError::Invalid)
        );
    }

    #[test]
    fn daily_valid_until_skips_a_missing_local_midnight() {
        // Chile starts DST at 24:00 on Saturday: 2024-09-08 00:00 local never
        // happened, the clock went from 23:59:59 (UTC-4) to 01:00 (UTC-3).
        let tz = chrono_tz::America::Santiago;
        let issued = issue_daily(site(), &secret(), date(2024, 9, 7), tz);
        assert_eq!(issued.valid_until, utc("2024-09-08T04:00:00Z"));
        let before = issued.valid_until - TimeDelta::seconds(1);
        assert!(accept(&issued.payload, &secret(), before, PERIOD_30, tz).is_ok());
        assert_eq!(
            accept(
                &issued.payload,
                &secret(),
                issued.valid_until,
                PERIOD_30,
                tz
            ),
            Err(CodeError::Expired)
        );
    }

    #[test]
    fn daily_valid_until_spans_a_skipped_local_day() {
        // Samoa skipped 2011-12-30: the 29th (UTC-10) was followed by the 31st
        // (UTC+14) at 2011-12-30T10:00Z.
        let tz = chrono_tz::Pacific::Apia;
        let issued = issue_daily(site(), &secret(), date(2011, 12, 29), tz);
        assert_eq!(issued.valid_until, utc("2011-12-30T10:00:00Z"));
    }

    #[test]
    fn daily_valid_until_is_the_earlier_of_a_repeated_midnight() {
        // Cuba ends DST at 01:00 back to 00:00, so 2024-11-03 00:00 happened
        // twice: at 04:00Z (UTC-4) and 05:00Z (UTC-5). The 2nd ends at the first.
        let tz = chrono_tz::America::Havana;
        let issued = issue_daily(site(), &secret(), date(2024, 11, 2), tz);
        assert_eq!(issued.valid_until, utc("2024-11-03T04:00:00Z"));
        let before = issued.valid_until - TimeDelta::seconds(1);
        assert!(accept(&issued.payload, &secret(), before, PERIOD_30, tz).is_ok());
        assert_eq!(
            accept(
                &issued.payload,
                &secret(),
                issued.valid_until,
                PERIOD_30,
                tz
            ),
            Err(CodeError::Expired)
        );
    }

    #[test]
    fn daily_valid_until_covers_a_25_hour_day() {
        // Sao Paulo ended DST at 2019-02-17 00:00 (UTC-2) by going back to
        // 2019-02-16 23:00 (UTC-3), so the 16th lasted until 03:00Z.
        let tz = chrono_tz::America::Sao_Paulo;
        let issued = issue_daily(site(), &secret(), date(2019, 2, 16), tz);
        assert_eq!(issued.valid_until, utc("2019-02-17T03:00:00Z"));
        let repeated_hour = utc("2019-02-17T02:30:00Z");
        assert!(accept(&issued.payload, &secret(), repeated_hour, PERIOD_30, tz).is_ok());
    }

    #[test]
    fn check_fresh_ignores_period_for_daily_and_zone_for_rotating() {
        let issued = rotating_at(BOUNDARY, PERIOD_30);
        let code = parse(&issued.payload).expect("parses");
        for tz in [
            chrono_tz::UTC,
            chrono_tz::Asia::Shanghai,
            chrono_tz::Pacific::Apia,
        ] {
            assert_eq!(check_fresh(&code, at(BOUNDARY), PERIOD_30, tz), Ok(()));
        }
        let daily = issue_daily(site(), &secret(), date(2025, 3, 10), chrono_tz::UTC);
        let code = parse(&daily.payload).expect("parses");
        for period in [0, 1, 30, 86_400] {
            assert_eq!(
                check_fresh(&code, utc("2025-03-10T12:00:00Z"), period, chrono_tz::UTC),
                Ok(())
            );
        }
    }
}

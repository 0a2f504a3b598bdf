//! What makes an inspection's evidence acceptable: the inspector's own fix, the
//! follow-up text, and a photo recognised as an image by its first bytes.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// The longest follow-up action or note, in characters.
pub const MAX_FOLLOW_UP_CHARS: usize = 2000;
/// The coarsest accuracy a browser fix may report and still be kept (metres).
pub const MAX_FIX_ACCURACY_M: f64 = 10_000.0;
/// How far ahead of the server's clock a fix time may be.
const FIX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Why an inspection's evidence was refused. `Display` starts with the field name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvidenceError {
    #[error("inspector_fix.{0}: out of range")]
    FixOutOfRange(&'static str),
    #[error("inspector_fix.fix_time: in the future")]
    FixInFuture,
    #[error("action: required, at most {MAX_FOLLOW_UP_CHARS} characters")]
    Action,
    #[error("note: at most {MAX_FOLLOW_UP_CHARS} characters")]
    Note,
}

/// Checks an inspector's fix: finite WGS-84 coordinates, an accuracy between 0 and
/// [`MAX_FIX_ACCURACY_M`], a fix time not in the future.
pub fn validate_fix(
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    fix_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), EvidenceError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(EvidenceError::FixOutOfRange("lat"));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(EvidenceError::FixOutOfRange("lon"));
    }
    if let Some(a) = accuracy_m
        && (!a.is_finite() || !(0.0..=MAX_FIX_ACCURACY_M).contains(&a))
    {
        return Err(EvidenceError::FixOutOfRange("accuracy_m"));
    }
    if fix_time.is_some_and(|t| t > now + FIX_CLOCK_SKEW) {
        return Err(EvidenceError::FixInFuture);
    }
    Ok(())
}

/// Checks a follow-up: an action is said, and neither text is too long.
pub fn validate_follow_up(action: &str, note: &str) -> Result<(), EvidenceError> {
    let action_chars = action.trim().chars().count();
    if action_chars == 0 || action.chars().count() > MAX_FOLLOW_UP_CHARS {
        return Err(EvidenceError::Action);
    }
    if note.chars().count() > MAX_FOLLOW_UP_CHARS {
        return Err(EvidenceError::Note);
    }
    Ok(())
}

/// The image type of `bytes` from its magic number: JPEG, PNG or WebP; `None` for
/// anything else, whatever the client's `Content-Type` said.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn images_are_told_by_their_first_bytes() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            image_type(b"RIFF\x10\0\0\0WAVEfmt "),
            None,
            "a WAV is RIFF too"
        );
        assert_eq!(image_type(b"%PDF-1.7"), None);
        assert_eq!(image_type(b"<svg xmlns="), None, "SVG can carry script");
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn a_fix_out_of_range_names_its_field() {
        assert!(validate_fix(25.29, 117.41, Some(12.0), Some(now()), now()).is_ok());
        assert_eq!(
            validate_fix(95.0, 117.41, None, None, now()),
            Err(EvidenceError::FixOutOfRange("lat"))
        );
        assert_eq!(
            validate_fix(25.0, f64::NAN, None, None, now()),
            Err(EvidenceError::FixOutOfRange("lon"))
        );
        assert_eq!(
            validate_fix(25.0, 117.0, Some(-1.0), None, now()),
            Err(EvidenceError::FixOutOfRange("accuracy_m"))
        );
        let later = now() + Duration::hours(1);
        assert_eq!(
            validate_fix(25.0, 117.0, None, Some(later), now()),
            Err(EvidenceError::FixInFuture)
        );
        assert!(
            EvidenceError::FixOutOfRange("lat")
                .to_string()
                .starts_with("inspector_fix.lat")
        );
    }

    #[test]
    fn a_follow_up_needs_an_action() {
        assert_eq!(validate_follow_up("  ", ""), Err(EvidenceError::Action));
        assert_eq!(
            validate_follow_up("约谈", &"长".repeat(MAX_FOLLOW_UP_CHARS + 1)),
            Err(EvidenceError::Note)
        );
        assert!(validate_follow_up("约谈派出医院", "已整改").is_ok());
    }

    #[test]
    fn the_hash_is_sha256_in_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! Scan photos: what an uploaded image is by its first bytes (never by its declared
//! type alone), and the window after a scan in which its photo may come.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::domain::anomaly::{AnomalyKind, Finding};
use crate::domain::clock::Clock;

/// The largest photo accepted unless `CHECKIN_SCAN_PHOTO_MAX_BYTES` says otherwise.
pub const DEFAULT_MAX_BYTES: i64 = 1024 * 1024;
/// How long after the scan (its receipt by the server) its photo may be uploaded.
pub const UPLOAD_WINDOW_MINUTES: i64 = 30;

/// The image types a phone's camera page sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The kind a `Content-Type` header names (parameters ignored).
    pub fn from_content_type(header: &str) -> Option<ImageKind> {
        let essence = header.split(';').next().unwrap_or("").trim();
        [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp]
            .into_iter()
            .find(|k| essence.eq_ignore_ascii_case(k.content_type()))
    }

    /// The kind the bytes are, by their magic numbers.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }
}

/// True while a photo of a scan received at `received_at` may still be uploaded.
pub fn within_window(received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= received_at && now - received_at <= Duration::minutes(UPLOAD_WINDOW_MINUTES)
}

/// How far back the scheduler looks for check-ins whose photo window closed: the
/// offline limit (72 h) plus a day of downtime catch-up.
pub const MISSING_LOOKBACK_HOURS: i64 = 96;

/// A check-in at a programme that requires a scan photo, as the scheduler finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoDue {
    pub event_id: uuid::Uuid,
    /// When the server received the scan: the upload window runs from here.
    pub received_at: DateTime<Utc>,
    /// When the programme began requiring the photo (None: for as long as we know).
    pub required_since: Option<DateTime<Utc>>,
    pub has_photo: bool,
}

/// `photo_missing` for a check-in whose upload window has closed by the clock's now
/// without a photo, when the programme already required one at the scan. None while
/// the window is open, with a photo, or for a scan from before the requirement.
pub fn missing_photo(due: &PhotoDue, clock: &dyn Clock) -> Option<Finding> {
    let now = clock.now();
    let closes_at = due.received_at + Duration::minutes(UPLOAD_WINDOW_MINUTES);
    let required_then = due
        .required_since
        .is_none_or(|since| due.received_at >= since);
    (!due.has_photo && required_then && now > closes_at).then(|| Finding {
        kind: AnomalyKind::PhotoMissing,
        detail: json!({
            "received_at": due.received_at,
            "window_minutes": UPLOAD_WINDOW_MINUTES,
            "window_closed_at": closes_at,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::ManualClock;

    fn due(received_at: DateTime<Utc>) -> PhotoDue {
        PhotoDue {
            event_id: uuid::Uuid::from_u128(1),
            received_at,
            required_since: None,
            has_photo: false,
        }
    }

    #[test]
    fn a_required_photo_is_missing_once_the_window_has_closed_without_it() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
        let clock = ManualClock::new(at);
        assert_eq!(missing_photo(&due(at), &clock), None, "window just opened");
        clock.advance(Duration::minutes(30));
        assert_eq!(
            missing_photo(&due(at), &clock),
            None,
            "window's last minute"
        );
        clock.advance(Duration::seconds(1));
        let finding = missing_photo(&due(at), &clock).expect("missing");
        assert_eq!(finding.kind, AnomalyKind::PhotoMissing);
        assert_eq!(finding.detail["window_minutes"], 30);
        assert_eq!(
            finding.detail["window_closed_at"],
            json!(at + Duration::minutes(30))
        );
        // A photo that came, or a scan from before the programme required one.
        let with_photo = PhotoDue {
            has_photo: true,
            ..due(at)
        };
        assert_eq!(missing_photo(&with_photo, &clock), None);
        let before = PhotoDue {
            required_since: Some(at + Duration::seconds(1)),
            ..due(at)
        };
        assert_eq!(missing_photo(&before, &clock), None);
        let since = PhotoDue {
            required_since: Some(at),
            ..due(at)
        };
        assert!(missing_photo(&since, &clock).is_some());
    }

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b"<svg"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn the_declared_type_is_read_without_its_parameters() {
        assert_eq!(
            ImageKind::from_content_type("image/jpeg"),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::from_content_type("IMAGE/PNG; q=1"),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::from_content_type("image/gif"), None);
    }

    #[test]
    fn the_window_is_thirty_minutes_after_receipt() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
        assert!(within_window(at, at));
        assert!(within_window(at, at + Duration::minutes(30)));
        assert!(!within_window(at, at + Duration::minutes(31)));
        assert!(!within_window(at, at - Duration::minutes(1)));
    }
}

//! Kiosk QR payloads as a phone submits them: parsing, MAC check and freshness must
//! refuse garbage without panicking, and every code the server issues must parse back.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use xiaxiang_server::domain::kiosk_code::{self, SiteSecret};

fuzz_target!(|data: &[u8]| {
    let secret = SiteSecret::from_bytes([7; 32]);
    let text = String::from_utf8_lossy(data);
    if let Ok(code) = kiosk_code::parse(&text) {
        let _ = code.verify(&secret);
        let _ = kiosk_code::step_local_date(code.step);
        let now = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        let _ = kiosk_code::check_fresh(&code, now, 30, chrono_tz::Asia::Shanghai);
        let _ = kiosk_code::check_fresh(&code, DateTime::<Utc>::MAX_UTC, 0, chrono_tz::UTC);
        let _ = kiosk_code::check_fresh(&code, DateTime::<Utc>::MIN_UTC, 1, chrono_tz::UTC);
    }
    // Issuing at an arbitrary instant and period must round-trip through `parse`.
    if data.len() >= 28 {
        let mut site = [0u8; 16];
        site.copy_from_slice(&data[..16]);
        let mut seconds = [0u8; 8];
        seconds.copy_from_slice(&data[16..24]);
        let mut period = [0u8; 4];
        period.copy_from_slice(&data[24..28]);
        let site_id = uuid::Uuid::from_bytes(site);
        let at =
            DateTime::<Utc>::from_timestamp(i64::from_le_bytes(seconds) % 8_000_000_000_000, 0);
        if let Some(at) = at {
            let issued =
                kiosk_code::issue_rotating(site_id, &secret, at, u32::from_le_bytes(period));
            let parsed = kiosk_code::parse(&issued.payload).expect("an issued code parses");
            assert_eq!(parsed.site_id, site_id);
            assert_eq!(parsed.step, issued.step);
            assert!(parsed.verify(&secret).is_ok(), "an issued code verifies");
        }
    }
});

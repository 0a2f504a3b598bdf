//! Geofence JSON as an administrator submits it: any bytes either parse to a fence or
//! are refused, never panic; a parsed fence judges fixes and survives its stored form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xiaxiang_server::domain::coords::LatLon;
use xiaxiang_server::domain::geofence::{FixPolicy, Geofence};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(fence) = Geofence::parse(&value) else {
        return;
    };
    // Fixes derived from the fence and the input: its corners, centre, and beyond.
    let bounds = fence.bounds();
    let (min, max) = (bounds.min(), bounds.max());
    let salt = data
        .iter()
        .fold(0u32, |h, b| h.rotate_left(5) ^ u32::from(*b));
    let t = f64::from(salt) / f64::from(u32::MAX);
    let fixes = [
        LatLon::new(min.y, min.x),
        LatLon::new(max.y, max.x),
        LatLon::new((min.y + max.y) / 2.0, (min.x + max.x) / 2.0),
        LatLon::new(
            min.y + t * (max.y - min.y),
            min.x + (1.0 - t) * (max.x - min.x),
        ),
        LatLon::new(min.y - t, max.x + t),
        LatLon::new(f64::NAN, min.x),
    ];
    let policy = FixPolicy::default();
    for fix in fixes {
        let distance = fence.distance_outside_m(fix);
        assert!(distance >= 0.0, "distance {distance} for {fix:?}");
        let _ = fence.judge_fix(fix, 20.0 * t, &policy);
        let _ = fence.judge_fix(fix, f64::NAN, &policy);
    }
    // The stored form parses back to the same fence.
    let stored = fence.to_stored_json();
    let again = Geofence::parse(&stored).expect("a stored fence parses");
    assert_eq!(again.vertex_count(), fence.vertex_count());
    let centre = LatLon::new((min.y + max.y) / 2.0, (min.x + max.x) / 2.0);
    let (a, b) = (
        fence.distance_outside_m(centre),
        again.distance_outside_m(centre),
    );
    assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
});

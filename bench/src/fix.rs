//! Realistic phone fixes: a few metres from a point well inside the fence, with the
//! accuracy a phone reports indoors (5 to 30 m) and no two fixes alike.

use mobile_api::{Crs, Location};

/// Metres per degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A small xorshift generator: fixes only need to differ, not to be unpredictable.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    pub fn seeded(seed: u64) -> Jitter {
        Jitter { state: seed | 1 }
    }

    /// A uniform value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform value in `[low, high)`.
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// A WGS-84 fix within `spread_m` metres of (`lat`, `lon`).
    pub fn fix_near(&mut self, lat: f64, lon: f64, spread_m: f64) -> Location {
        let north_m = self.between(-spread_m, spread_m);
        let east_m = self.between(-spread_m, spread_m);
        Location {
            lat: lat + north_m / METRES_PER_DEGREE,
            lon: lon + east_m / (METRES_PER_DEGREE * lat.to_radians().cos()),
            accuracy_m: (self.between(5.0, 30.0) * 10.0).round() / 10.0,
            crs: Crs::Wgs84,
            is_mock: false,
            fix_time: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_stay_within_the_spread_and_report_phone_accuracy() {
        let mut jitter = Jitter::seeded(42);
        for _ in 0..1000 {
            let fix = jitter.fix_near(25.0, 117.0, 8.0);
            let north_m = (fix.lat - 25.0) * METRES_PER_DEGREE;
            let east_m = (fix.lon - 117.0) * METRES_PER_DEGREE * 25f64.to_radians().cos();
            assert!(
                north_m.abs() <= 8.0 && east_m.abs() <= 8.0,
                "{north_m} {east_m}"
            );
            assert!((5.0..=30.0).contains(&fix.accuracy_m), "{}", fix.accuracy_m);
        }
    }

    #[test]
    fn consecutive_fixes_differ() {
        let mut jitter = Jitter::seeded(7);
        let a = jitter.fix_near(25.0, 117.0, 8.0);
        let b = jitter.fix_near(25.0, 117.0, 8.0);
        assert_ne!((a.lat, a.lon), (b.lat, b.lon));
    }
}

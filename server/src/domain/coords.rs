//! Coordinate reference systems used by Chinese map providers, and exact conversion of their positions to WGS-84.
//!
//! Phones report WGS-84 (GPS), but clinic outlines are usually drawn on AMap/Tencent maps
//! (GCJ-02, the state-mandated obfuscated datum) or Baidu maps (BD-09, a further offset of
//! GCJ-02). The offset is hundreds of metres, far larger than a clinic, so everything is
//! converted to WGS-84 before any geometry is compared.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// The coordinate reference system a position was expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// GPS / international maps.
    #[default]
    Wgs84,
    /// "Mars coordinates": AMap (Gaode), Tencent, Google China.
    Gcj02,
    /// Baidu maps.
    Bd09,
}

impl Crs {
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `wgs84`, `gcj02`, `bd09`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown coordinate system {0:?}; expected \"wgs84\", \"gcj02\" or \"bd09\"")]
pub struct UnknownCrs(pub String);

impl FromStr for Crs {
    type Err = UnknownCrs;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "wgs84" => Ok(Crs::Wgs84),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" => Ok(Crs::Bd09),
            other => Err(UnknownCrs(other.to_owned())),
        }
    }
}

/// A position in decimal degrees. Which datum it is in is up to the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub const fn new(lat: f64, lon: f64) -> Self {
        LatLon { lat, lon }
    }

    /// Finite, latitude within -90..=90 and longitude within -180..=180.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// Converts a position in `crs` to WGS-84.
pub fn to_wgs84(crs: Crs, p: LatLon) -> LatLon {
    match crs {
        Crs::Wgs84 => p,
        Crs::Gcj02 => gcj02_to_wgs84(p),
        Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
    }
}

/// Semi-major axis (m) and first eccentricity squared of the Krasovsky 1940 ellipsoid,
/// which the GCJ-02 algorithm uses.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// The obfuscation is only applied inside this rough box around China; outside it
/// GCJ-02 positions are plain WGS-84. Every public implementation uses this same box,
/// so matching it matters more than matching the real border.
fn outside_china(p: LatLon) -> bool {
    !(72.004..=137.8347).contains(&p.lon) || !(0.8293..=55.8271).contains(&p.lat)
}

/// The published GCJ-02 forward transform (as leaked and reproduced by eviltransform,
/// coordtransform and others).
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if outside_china(p) {
        return p;
    }
    let (d_lat, d_lon) = gcj02_offset(p);
    LatLon::new(p.lat + d_lat, p.lon + d_lon)
}

/// The offset (degrees lat, degrees lon) that GCJ-02 adds to the WGS-84 position `p`.
fn gcj02_offset(p: LatLon) -> (f64, f64) {
    let x = p.lon - 105.0;
    let y = p.lat - 35.0;
    let d_lat_m = offset_lat(x, y);
    let d_lon_m = offset_lon(x, y);

    let rad_lat = p.lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (d_lat_m * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon_m * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (d_lat, d_lon)
}

/// The shared periodic noise term of both offset polynomials.
fn offset_noise(x: f64) -> f64 {
    (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += offset_noise(x);
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += offset_noise(x);
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// Convergence threshold of the inverse: 1e-9 degrees is about 0.1 mm.
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;
/// The offset changes by well under 1% per metre moved, so fixed-point iteration gains
/// several digits per step; 3-4 steps reach the tolerance. The cap only guards against
/// pathological input such as NaN.
const INVERSE_MAX_STEPS: usize = 30;

/// GCJ-02 to WGS-84 by inverting the forward transform numerically.
///
/// The common one-step shortcut (`wgs = gcj - offset(gcj)`) evaluates the offset at the
/// wrong point and so is off by centimetres to decimetres depending on where in China
/// you are; iterating `w <- w - (fwd(w) - gcj)` converges to the exact preimage, so
/// stored fences re-encode to exactly what the administrator drew.
fn gcj02_to_wgs84(gcj: LatLon) -> LatLon {
    if outside_china(gcj) {
        return gcj;
    }
    let mut wgs = gcj;
    for _ in 0..INVERSE_MAX_STEPS {
        let (d_lat, d_lon) = gcj02_offset(wgs);
        let err_lat = wgs.lat + d_lat - gcj.lat;
        let err_lon = wgs.lon + d_lon - gcj.lon;
        wgs = LatLon::new(wgs.lat - err_lat, wgs.lon - err_lon);
        if err_lat.abs() < INVERSE_TOLERANCE_DEG && err_lon.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    wgs
}

/// Baidu's rotation/scale constant: pi * 3000 / 180.
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// The published GCJ-02 to BD-09 transform.
pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * BD_X_PI).cos();
    LatLon::new(z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// The published BD-09 to GCJ-02 inverse. Its own approximation error is millimetres
/// (the perturbations it undoes are ~2 m), so no iteration is needed.
fn bd09_to_gcj02(p: LatLon) -> LatLon {
    let x = p.lon - 0.0065;
    let y = p.lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
    LatLon::new(z * theta.sin(), z * theta.cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Great-circle distance in metres; good enough to size offsets in tests.
    fn metres(a: LatLon, b: LatLon) -> f64 {
        let r = 6_371_008.8;
        let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
        let dla = la2 - la1;
        let dlo = (b.lon - a.lon).to_radians();
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    }

    /// (WGS-84, GCJ-02) pairs from the eviltransform test suite.
    const EVILTRANSFORM_PAIRS: [(LatLon, LatLon); 3] = [
        // Shanghai
        (
            LatLon::new(31.1774276, 121.5272106),
            LatLon::new(31.17530398364597, 121.531541859215),
        ),
        // Shenzhen
        (
            LatLon::new(22.543847, 113.912316),
            LatLon::new(22.540796131694766, 113.9171764808363),
        ),
        // Beijing
        (
            LatLon::new(39.911954, 116.377817),
            LatLon::new(39.91334545536069, 116.38404722455657),
        ),
    ];

    #[test]
    fn crs_parses_and_prints_its_lowercase_name() {
        for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
            assert_eq!(crs.as_str().parse::<Crs>(), Ok(crs));
            assert_eq!(
                serde_json::to_value(crs).unwrap(),
                serde_json::json!(crs.as_str())
            );
        }
        assert!("WGS84".parse::<Crs>().is_err());
        assert!("epsg:4326".parse::<Crs>().is_err());
        assert_eq!(Crs::default(), Crs::Wgs84);
    }

    #[test]
    fn forward_gcj02_matches_published_eviltransform_pairs() {
        for (wgs, gcj) in EVILTRANSFORM_PAIRS {
            let got = wgs84_to_gcj02(wgs);
            assert!(
                metres(got, gcj) < 0.001,
                "{wgs:?} -> {got:?}, expected {gcj:?}"
            );
        }
    }

    #[test]
    fn gcj02_to_wgs84_matches_published_eviltransform_pairs() {
        for (wgs, gcj) in EVILTRANSFORM_PAIRS {
            let got = to_wgs84(Crs::Gcj02, gcj);
            assert!(
                metres(got, wgs) < 0.001,
                "{gcj:?} -> {got:?}, expected {wgs:?}"
            );
        }
    }

    #[test]
    fn forward_transforms_match_published_coordtransform_values() {
        // coordtransform (wandergis) README, input (116.404, 39.915).
        let p = LatLon::new(39.915, 116.404);
        let gcj = wgs84_to_gcj02(p);
        assert!(metres(gcj, LatLon::new(39.91640428150164, 116.41024449916938)) < 0.01);
        let bd = gcj02_to_bd09(p);
        assert!(metres(bd, LatLon::new(39.92133699351021, 116.41036949371029)) < 0.01);
        // Its bd09togcj02 is the same closed form we use.
        let back = bd09_to_gcj02(p);
        assert!(metres(back, LatLon::new(39.90865673957631, 116.39762729119315)) < 0.01);
    }

    #[test]
    fn iterative_inverse_beats_the_one_step_shortcut() {
        // coordtransform's one-step gcj02towgs84(116.404, 39.915) is published as
        // (39.91359571849836, 116.39775550083061); it re-encodes about 6 cm away from
        // the input, the exact inverse re-encodes to it within a millimetre.
        let gcj = LatLon::new(39.915, 116.404);
        let shortcut = LatLon::new(39.91359571849836, 116.39775550083061);
        let exact = to_wgs84(Crs::Gcj02, gcj);
        assert!(metres(exact, shortcut) < 0.5);
        assert!(metres(wgs84_to_gcj02(exact), gcj) < 0.001);
        assert!(metres(wgs84_to_gcj02(shortcut), gcj) > 0.03);
    }

    #[test]
    fn gcj02_offset_in_china_is_hundreds_of_metres() {
        let beijing = LatLon::new(39.9087, 116.3975);
        let fujian = LatLon::new(25.29, 117.41);
        for p in [beijing, fujian] {
            let d = metres(p, wgs84_to_gcj02(p));
            assert!((100.0..700.0).contains(&d), "offset at {p:?} was {d} m");
        }
    }

    #[test]
    fn round_trips_agree_within_half_a_metre() {
        let samples = [
            LatLon::new(39.9087, 116.3975),
            LatLon::new(25.29, 117.41),
            LatLon::new(22.5431, 114.0579),
            LatLon::new(43.8171, 87.6168),
            LatLon::new(18.2528, 109.5119),
        ];
        for wgs in samples {
            let via_gcj = to_wgs84(Crs::Gcj02, wgs84_to_gcj02(wgs));
            assert!(metres(via_gcj, wgs) < 0.5, "gcj02 round trip at {wgs:?}");
            let via_bd = to_wgs84(Crs::Bd09, gcj02_to_bd09(wgs84_to_gcj02(wgs)));
            assert!(metres(via_bd, wgs) < 0.5, "bd09 round trip at {wgs:?}");
        }
    }

    #[test]
    fn bd09_is_offset_further_from_gcj02() {
        let gcj = LatLon::new(25.29, 117.41);
        let d = metres(gcj, gcj02_to_bd09(gcj));
        assert!((500.0..1500.0).contains(&d), "bd09 offset was {d} m");
    }

    #[test]
    fn wgs84_is_left_alone() {
        let p = LatLon::new(25.29, 117.41);
        assert_eq!(to_wgs84(Crs::Wgs84, p), p);
    }

    #[test]
    fn gcj02_outside_china_is_wgs84() {
        for p in [
            LatLon::new(51.5007, -0.1246),  // London
            LatLon::new(35.6586, 139.7454), // Tokyo, east of the box
            LatLon::new(-33.8568, 151.2153),
        ] {
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(to_wgs84(Crs::Gcj02, p), p);
        }
    }
}

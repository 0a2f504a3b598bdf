//! How large a clinic's fence may be: a clinic, not a county. A circle's radius is
//! bounded when it is parsed; these limits bound any fence by its area and its greatest
//! extent, so a polygon cannot cover a county (or a country) either.

use geo::{ChamberlainDuquetteArea, ConvexHull, Coord, MultiPoint, Point};

use super::coords::LatLon;
use super::geofence::{Geofence, GeofenceError, LocalFrame, Shape};

/// The largest fence an administrator may draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FenceLimits {
    /// Square kilometres the fence may cover (holes not counted).
    pub max_area_km2: f64,
    /// Metres between the fence's two farthest points.
    pub max_extent_m: f64,
}

impl Default for FenceLimits {
    /// As large as the largest circle (radius 5 km: 78.5 km², 10 km across), so that a
    /// polygon may draw what a circle may, and no more.
    fn default() -> Self {
        FenceLimits {
            max_area_km2: 80.0,
            max_extent_m: 10_000.0,
        }
    }
}

impl FenceLimits {
    /// Refuses `fence` when it covers more than `max_area_km2` or reaches further than
    /// `max_extent_m`, naming the limit.
    pub fn check(&self, fence: &Geofence) -> Result<(), GeofenceError> {
        let (area_km2, extent_m) = match fence.shape() {
            Shape::Circle { radius_m, .. } => (
                std::f64::consts::PI * radius_m * radius_m / 1e6,
                2.0 * radius_m,
            ),
            Shape::Area(area) => (
                area.chamberlain_duquette_unsigned_area() / 1e6,
                greatest_extent_m(fence),
            ),
        };
        if area_km2 > self.max_area_km2 {
            return Err(GeofenceError::AreaTooLarge {
                area_km2,
                max_km2: self.max_area_km2,
            });
        }
        if extent_m > self.max_extent_m {
            return Err(GeofenceError::ExtentTooLarge {
                extent_m,
                max_m: self.max_extent_m,
            });
        }
        Ok(())
    }
}

/// The longest distance between two corners of the fence's outer rings (holes lie
/// inside, so they never reach further). Measured in a flat frame around the fence's
/// middle: exact to well under 0.1% at clinic scale, and for a fence the size of a
/// province still far beyond any limit, which is all a refusal needs. The farthest pair
/// lies on the convex hull, which keeps the pairwise pass short.
fn greatest_extent_m(fence: &Geofence) -> f64 {
    let Shape::Area(area) = fence.shape() else {
        return 0.0;
    };
    let bounds = fence.bounds();
    let middle = bounds.center();
    let frame = LocalFrame::around(LatLon {
        lat: middle.y,
        lon: middle.x,
    });
    let corners: MultiPoint<f64> = area
        .iter()
        .flat_map(|polygon| polygon.exterior().coords())
        .map(|c| Point::from(frame.to_local(*c)))
        .collect();
    let hull: Vec<Coord<f64>> = corners.convex_hull().exterior().coords().copied().collect();
    let mut longest_squared: f64 = 0.0;
    for (i, a) in hull.iter().enumerate() {
        for b in &hull[i + 1..] {
            let (dx, dy) = (a.x - b.x, a.y - b.y);
            longest_squared = longest_squared.max(dx * dx + dy * dy);
        }
    }
    longest_squared.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A rectangle `width_m` east-west by `height_m` north-south around a clinic near
    /// 漳平 (25.29° N), as a closed GeoJSON ring.
    fn rectangle(width_m: f64, height_m: f64) -> Vec<[f64; 2]> {
        let (lat, lon): (f64, f64) = (25.29, 117.41);
        let metres_per_degree = 6_371_008.8 * std::f64::consts::PI / 180.0;
        let half_lat = height_m / 2.0 / metres_per_degree;
        let half_lon = width_m / 2.0 / (metres_per_degree * lat.to_radians().cos());
        vec![
            [lon - half_lon, lat - half_lat],
            [lon + half_lon, lat - half_lat],
            [lon + half_lon, lat + half_lat],
            [lon - half_lon, lat + half_lat],
            [lon - half_lon, lat - half_lat],
        ]
    }

    fn polygon(ring: Vec<[f64; 2]>) -> Geofence {
        Geofence::parse(&json!({"type": "Polygon", "coordinates": [ring]})).expect("valid")
    }

    fn check(value: &Value) -> Result<(), GeofenceError> {
        FenceLimits::default().check(&Geofence::parse(value).expect("valid"))
    }

    /// Mainland China's rough outline: the fence that was once accepted.
    fn china() -> Value {
        json!({"type": "Polygon", "coordinates": [[
            [73.5, 39.5], [80.0, 30.0], [97.5, 28.0], [108.0, 21.5], [121.5, 25.0],
            [122.0, 31.0], [125.0, 40.0], [131.0, 43.0], [134.7, 48.3], [123.0, 53.5],
            [116.0, 49.0], [97.0, 42.0], [87.0, 49.0], [73.5, 39.5]
        ]]})
    }

    #[test]
    fn the_largest_circle_fits_the_default_limits() {
        let largest =
            json!({"type": "circle", "center": {"lat": 25.29, "lon": 117.41}, "radius_m": 5000});
        assert_eq!(check(&largest), Ok(()));
    }

    #[test]
    fn a_clinic_sized_polygon_is_accepted() {
        let yard = polygon(rectangle(300.0, 200.0));
        assert_eq!(FenceLimits::default().check(&yard), Ok(()));
        let township = polygon(rectangle(7_000.0, 7_000.0));
        assert_eq!(FenceLimits::default().check(&township), Ok(()));
    }

    #[test]
    fn a_polygon_covering_a_country_is_refused_by_its_area_naming_the_limit() {
        let err = check(&china()).unwrap_err();
        let GeofenceError::AreaTooLarge { area_km2, max_km2 } = err else {
            panic!("{err:?}");
        };
        assert!(area_km2 > 5_000_000.0, "{area_km2}");
        assert_eq!(max_km2, 80.0);
        assert!(err.to_string().contains("at most 80 km²"), "{err}");
    }

    #[test]
    fn a_long_thin_polygon_is_refused_by_its_extent() {
        // 20 km by 100 m: 2 km², far under the area limit, but twice the extent.
        let strip = polygon(rectangle(20_000.0, 100.0));
        let err = FenceLimits::default().check(&strip).unwrap_err();
        let GeofenceError::ExtentTooLarge { extent_m, max_m } = err else {
            panic!("{err:?}");
        };
        assert!((extent_m - 20_000.25).abs() < 20.0, "{extent_m}");
        assert_eq!(max_m, 10_000.0);
        assert!(err.to_string().contains("at most 10000 m"), "{err}");
    }

    #[test]
    fn the_area_is_measured_on_the_earth_and_holes_do_not_count() {
        let outer = rectangle(4_000.0, 4_000.0);
        let hole = rectangle(2_000.0, 2_000.0);
        let limits = FenceLimits {
            max_area_km2: 13.0,
            max_extent_m: 10_000.0,
        };
        let solid = polygon(outer.clone());
        assert!(matches!(
            limits.check(&solid),
            Err(GeofenceError::AreaTooLarge { area_km2, .. }) if (area_km2 - 16.0).abs() < 0.2
        ));
        let holed = Geofence::parse(&json!({"type": "Polygon", "coordinates": [outer, hole]}))
            .expect("valid");
        assert_eq!(limits.check(&holed), Ok(()));
    }

    #[test]
    fn a_multipolygon_is_measured_across_all_its_parts() {
        // Two small yards 12 km apart: each tiny, together too far apart for one clinic.
        let near = rectangle(200.0, 200.0);
        let far: Vec<[f64; 2]> = near.iter().map(|[x, y]| [x + 0.12, *y]).collect();
        let pair =
            Geofence::parse(&json!({"type": "MultiPolygon", "coordinates": [[near], [far]]}))
                .expect("valid");
        assert!(matches!(
            FenceLimits::default().check(&pair),
            Err(GeofenceError::ExtentTooLarge { .. })
        ));
    }

    #[test]
    fn limits_can_be_tightened_below_the_largest_circle() {
        let limits = FenceLimits {
            max_area_km2: 1.0,
            max_extent_m: 10_000.0,
        };
        let circle = Geofence::parse(
            &json!({"type": "circle", "center": {"lat": 25.29, "lon": 117.41}, "radius_m": 1000}),
        )
        .expect("valid");
        assert!(matches!(
            limits.check(&circle),
            Err(GeofenceError::AreaTooLarge { .. })
        ));
    }
}

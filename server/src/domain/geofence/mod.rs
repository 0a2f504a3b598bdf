//! A clinic's geofence: parsed from admin JSON, validated, stored in WGS-84, and used to judge phone GPS fixes.
//!
//! Accepted input is either a circle
//! `{"type":"circle","center":{"lat":..,"lon":..},"radius_m":..,"crs":"wgs84"}`
//! or a GeoJSON `Polygon` / `MultiPolygon` geometry (positions are `[lon, lat]`) with an
//! optional extra `"crs"` member. `crs` is `wgs84` (default), `gcj02` or `bd09`; everything
//! is converted to WGS-84 on the way in because that is what phones report.
//!
//! Validation is strict on purpose: a fence that crosses itself has no well-defined
//! inside, so a physician could be told "outside" while standing in the clinic. Rings of
//! an area may not cross *or touch* each other (stricter than OGC, which allows touching at
//! a point), which keeps "inside" a plain even-odd test.
//!
//! One concept a file: `parse` (reading the JSON, checking each position, converting
//! to WGS-84), `validate` (the polygons' topology), `geometry` (inside tests,
//! distances, bounds), `fix` (judging a GPS fix with its accuracy) and `error` (the
//! refusals). The fence itself, its stored form and its public paths are here.

mod error;
mod fix;
mod geometry;
mod parse;
mod validate;

use geo::{MultiPolygon, Polygon, Rect};
use serde_json::{Value, json};

pub use error::GeofenceError;
pub use fix::{FixPolicy, FixVerdict};
pub(super) use geometry::LocalFrame;
use geometry::{area_distance_outside_m, haversine_m, rings, shape_bounds};
use parse::{parse_area, parse_circle, parse_crs, required_str};

use super::coords::{Crs, LatLon};

/// Most vertices (ring corners, not counting each ring's closing repeat) an area may have.
/// Bounds parse time and the per-fix linear pass.
pub const MAX_VERTICES: usize = 10_000;
/// Smallest circle: below GPS noise a fence is meaningless.
pub const MIN_RADIUS_M: f64 = 10.0;
/// Largest circle: a clinic, not a county.
pub const MAX_RADIUS_M: f64 = 5_000.0;

/// The fenced region, always in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Circle {
        center: LatLon,
        radius_m: f64,
    },
    /// Validated polygons; `x` is longitude, `y` latitude. Rings are closed, free of
    /// consecutive duplicate positions, and neither cross nor touch.
    Area(MultiPolygon<f64>),
}

/// A validated clinic geofence.
#[derive(Debug, Clone, PartialEq)]
pub struct Geofence {
    shape: Shape,
    /// WGS-84 bounding box (`x` longitude, `y` latitude), kept for cheap rejection and so
    /// callers can index many sites. Exact for areas, slightly padded for circles.
    bounds: Rect<f64>,
}

impl Geofence {
    /// Parses and validates admin input; see the module docs for the accepted shapes.
    pub fn parse(value: &Value) -> Result<Geofence, GeofenceError> {
        let object = value.as_object().ok_or(GeofenceError::NotAnObject)?;
        let crs = parse_crs(object)?;
        let shape = match required_str(object, "type")? {
            "circle" => parse_circle(object, crs)?,
            "Polygon" | "MultiPolygon" => Shape::Area(parse_area(value, crs)?),
            other => return Err(GeofenceError::UnknownType(other.to_owned())),
        };
        let bounds = shape_bounds(&shape)?;
        Ok(Geofence { shape, bounds })
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// WGS-84 bounding box; `x` is longitude, `y` latitude. A prefilter over many sites
    /// must widen it by the fix tolerance it allows.
    pub fn bounds(&self) -> Rect<f64> {
        self.bounds
    }

    /// A point to put the site's marker on a map: a circle's centre, or the middle
    /// of an area's bounding box.
    pub fn centre(&self) -> LatLon {
        match &self.shape {
            Shape::Circle { center, .. } => *center,
            Shape::Area(_) => {
                let middle = self.bounds.center();
                LatLon::new(middle.y, middle.x)
            }
        }
    }

    /// The canonical stored form: the same JSON shapes `parse` accepts, in WGS-84.
    pub fn to_stored_json(&self) -> Value {
        match &self.shape {
            Shape::Circle { center, radius_m } => json!({
                "type": "circle",
                "center": { "lat": center.lat, "lon": center.lon },
                "radius_m": radius_m,
                "crs": Crs::Wgs84.as_str(),
            }),
            Shape::Area(area) => {
                let mut polygons: Vec<Value> = area.iter().map(polygon_json).collect();
                if polygons.len() == 1 {
                    json!({
                        "type": "Polygon",
                        "coordinates": polygons.swap_remove(0),
                        "crs": Crs::Wgs84.as_str(),
                    })
                } else {
                    json!({
                        "type": "MultiPolygon",
                        "coordinates": polygons,
                        "crs": Crs::Wgs84.as_str(),
                    })
                }
            }
        }
    }

    /// Number of corners: 0 for a circle, otherwise ring positions not counting each
    /// ring's closing repeat.
    pub fn vertex_count(&self) -> usize {
        match &self.shape {
            Shape::Circle { .. } => 0,
            Shape::Area(area) => area
                .iter()
                .flat_map(rings)
                .map(|ring| ring.0.len().saturating_sub(1))
                .sum(),
        }
    }

    /// Metres from `p` (WGS-84) to the fence: 0 inside or on the edge, otherwise the
    /// distance to the nearest point of the boundary. Holes count as outside.
    ///
    /// One pass over the edges with no allocation. An invalid `p` (non-finite or out of
    /// range) is infinitely far away, so garbage can never be judged inside.
    pub fn distance_outside_m(&self, p: LatLon) -> f64 {
        if !p.is_valid() {
            return f64::INFINITY;
        }
        match &self.shape {
            Shape::Circle { center, radius_m } => (haversine_m(p, *center) - radius_m).max(0.0),
            Shape::Area(area) => area_distance_outside_m(area, &self.bounds, p),
        }
    }
}

fn polygon_json(polygon: &Polygon<f64>) -> Value {
    let rings: Vec<Value> = rings(polygon)
        .map(|ring| ring.0.iter().map(|c| json!([c.x, c.y])).collect())
        .collect();
    Value::Array(rings)
}

/// Fences and yardsticks the tests of every part share.
#[cfg(test)]
mod testing {
    pub(super) use geo::{Coord, Destination, Distance, Geodesic, Point};
    pub(super) use serde_json::{Value, json};

    pub(super) use super::{FixPolicy, FixVerdict, Geofence, GeofenceError};
    pub(super) use crate::domain::coords::{LatLon, gcj02_to_bd09, wgs84_to_gcj02};

    /// A clinic in Anxi county, Fujian.
    pub(super) const CLINIC: LatLon = LatLon {
        lat: 25.29,
        lon: 117.41,
    };

    /// The point `metres` from `from` on `bearing` (degrees), on the WGS-84 ellipsoid.
    pub(super) fn offset(from: LatLon, bearing: f64, metres: f64) -> LatLon {
        let p = Geodesic.destination(Point::new(from.lon, from.lat), bearing, metres);
        LatLon {
            lat: p.y(),
            lon: p.x(),
        }
    }

    /// Ellipsoidal distance, the yardstick for "accurate to ~1%".
    pub(super) fn geodesic_m(a: LatLon, b: LatLon) -> f64 {
        Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
    }

    pub(super) fn assert_close(got: f64, want: f64, tolerance: f64) {
        assert!(
            (got - want).abs() <= tolerance,
            "got {got}, want {want} ± {tolerance}"
        );
    }

    pub(super) fn circle(center: LatLon, radius_m: f64) -> Value {
        json!({"type": "circle", "center": {"lat": center.lat, "lon": center.lon}, "radius_m": radius_m})
    }

    /// A closed [lon, lat] ring around `center`, `half` degrees each way.
    pub(super) fn square(center: LatLon, half: f64) -> Vec<[f64; 2]> {
        let (x, y) = (center.lon, center.lat);
        vec![
            [x - half, y - half],
            [x + half, y - half],
            [x + half, y + half],
            [x - half, y + half],
            [x - half, y - half],
        ]
    }

    pub(super) fn polygon(rings: &[Vec<[f64; 2]>]) -> Value {
        json!({"type": "Polygon", "coordinates": rings})
    }

    /// A closed ring of `corners` corners on a circle of `radius_deg` degrees.
    pub(super) fn regular_ring(center: LatLon, radius_deg: f64, corners: usize) -> Vec<[f64; 2]> {
        let mut ring: Vec<[f64; 2]> = (0..corners)
            .map(|i| {
                let a = i as f64 / corners as f64 * std::f64::consts::TAU;
                [
                    center.lon + radius_deg * a.cos(),
                    center.lat + radius_deg * a.sin(),
                ]
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    pub(super) fn refusal(value: Value) -> GeofenceError {
        match Geofence::parse(&value) {
            Ok(fence) => panic!("accepted {value}: {fence:?}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn stored_json_round_trips() {
        let mut gcj_circle = circle(wgs84_to_gcj02(CLINIC), 250.0);
        gcj_circle["crs"] = json!("gcj02");
        let mut bd_polygon = polygon(&[square(CLINIC, 0.001), square(CLINIC, 0.0003)]);
        bd_polygon["crs"] = json!("bd09");
        let multi = json!({"type": "MultiPolygon", "coordinates": [
            [square(CLINIC, 0.001)],
            [square(LatLon { lat: CLINIC.lat, lon: CLINIC.lon + 0.01 }, 0.001)],
        ]});
        for value in [gcj_circle, bd_polygon, multi] {
            let fence = Geofence::parse(&value).unwrap();
            let stored = fence.to_stored_json();
            assert_eq!(stored["crs"], json!("wgs84"));
            let again = Geofence::parse(&stored).unwrap();
            assert_eq!(again, fence);
            assert_eq!(again.to_stored_json(), stored);
        }
    }

    #[test]
    fn stored_json_has_the_input_shape() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        assert_eq!(
            fence.to_stored_json(),
            json!({"type": "circle", "center": {"lat": 25.29, "lon": 117.41}, "radius_m": 100.0, "crs": "wgs84"})
        );
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let stored = fence.to_stored_json();
        assert_eq!(stored["type"], json!("Polygon"));
        assert_eq!(stored["coordinates"], json!([square(CLINIC, 0.001)]));
    }

    #[test]
    fn bounds_cover_the_fence() {
        let fence = Geofence::parse(&circle(CLINIC, 1000.0)).unwrap();
        let b = fence.bounds();
        let north = offset(CLINIC, 0.0, 999.0);
        let east = offset(CLINIC, 90.0, 999.0);
        assert!(north.lat < b.max().y && east.lon < b.max().x);
        assert!(offset(CLINIC, 0.0, 1050.0).lat > b.max().y);
        let square = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        assert_eq!(
            square.bounds().min(),
            Coord {
                x: CLINIC.lon - 0.001,
                y: CLINIC.lat - 0.001
            }
        );
    }
}

//! Geometry on a validated fence, in WGS-84 degrees and local metres: inside tests,
//! distances to the boundary, bounding boxes.

use geo::{Coord, Distance, Haversine, LineString, MultiPolygon, Point, Polygon, Rect};

use super::{GeofenceError, Shape};
use crate::domain::coords::LatLon;

/// Mean Earth radius as used by `geo::Haversine`, so the local projection and the final
/// haversine distance agree.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

pub(super) fn shape_bounds(shape: &Shape) -> Result<Rect<f64>, GeofenceError> {
    match shape {
        Shape::Circle { center, radius_m } => {
            // Padded because degrees of latitude on the real ellipsoid are up to ~0.7%
            // shorter than on the haversine sphere; a prefilter must never cut the circle.
            let reach_m = radius_m * 1.01 + 1.0;
            let d_lat = reach_m / METRES_PER_DEGREE;
            let d_lon = reach_m / (METRES_PER_DEGREE * center.lat.to_radians().cos());
            Ok(Rect::new(
                Coord {
                    x: center.lon - d_lon,
                    y: center.lat - d_lat,
                },
                Coord {
                    x: center.lon + d_lon,
                    y: center.lat + d_lat,
                },
            ))
        }
        Shape::Area(area) => geo::BoundingRect::bounding_rect(area)
            .ok_or_else(|| GeofenceError::Empty("no positions".to_owned())),
    }
}

pub(super) fn rings(polygon: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(polygon.exterior()).chain(polygon.interiors())
}

/// Even-odd test; `ring` is closed. Done in degrees, which is fine because crossing
/// parity does not change under the (locally affine) map from degrees to metres.
pub(super) fn ring_contains(ring: &[Coord<f64>], c: Coord<f64>) -> bool {
    ring.windows(2)
        .filter(|pair| edge_crosses_ray(pair[0], pair[1], c))
        .count()
        % 2
        == 1
}

/// Whether the edge a-b crosses the ray running east from `c`.
fn edge_crosses_ray(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    (a.y > c.y) != (b.y > c.y) && c.x < a.x + (c.y - a.y) / (b.y - a.y) * (b.x - a.x)
}

pub(super) fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// An equirectangular projection centred on a fix: metres east and north of it. Over a
/// few kilometres its error is far below 0.1%.
pub(in crate::domain) struct LocalFrame {
    origin: LatLon,
    metres_per_degree_lon: f64,
}

impl LocalFrame {
    pub(in crate::domain) fn around(origin: LatLon) -> Self {
        LocalFrame {
            origin,
            metres_per_degree_lon: METRES_PER_DEGREE * origin.lat.to_radians().cos(),
        }
    }

    pub(in crate::domain) fn to_local(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.origin.lon) * self.metres_per_degree_lon,
            y: (c.y - self.origin.lat) * METRES_PER_DEGREE,
        }
    }

    fn to_lat_lon(&self, c: Coord<f64>) -> LatLon {
        LatLon {
            lat: self.origin.lat + c.y / METRES_PER_DEGREE,
            lon: self.origin.lon + c.x / self.metres_per_degree_lon,
        }
    }
}

/// The point of segment a-b nearest the origin (local metres).
fn nearest_on_segment_to_origin(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    let ab = b - a;
    let len2 = ab.x * ab.x + ab.y * ab.y;
    if len2 == 0.0 {
        return a;
    }
    let t = (-(a.x * ab.x + a.y * ab.y) / len2).clamp(0.0, 1.0);
    a + ab * t
}

/// One pass over every edge: even-odd parity for "inside" (skipped when `p` is outside
/// the bounding box) and the nearest boundary point in a local frame around `p`. The
/// final distance is a haversine to that point, so it stays right even far from the fence.
pub(super) fn area_distance_outside_m(
    area: &MultiPolygon<f64>,
    bounds: &Rect<f64>,
    p: LatLon,
) -> f64 {
    let c = Coord { x: p.lon, y: p.lat };
    let may_be_inside = bounds.min().x <= c.x
        && c.x <= bounds.max().x
        && bounds.min().y <= c.y
        && c.y <= bounds.max().y;
    let frame = LocalFrame::around(p);

    let mut inside = false;
    let mut nearest = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut nearest_d2 = f64::INFINITY;
    for line in area.iter().flat_map(rings).flat_map(LineString::lines) {
        if may_be_inside && edge_crosses_ray(line.start, line.end, c) {
            inside = !inside;
        }
        let q = nearest_on_segment_to_origin(frame.to_local(line.start), frame.to_local(line.end));
        let d2 = q.x * q.x + q.y * q.y;
        if d2 < nearest_d2 {
            nearest_d2 = d2;
            nearest = q;
        }
    }
    if inside || nearest_d2 == 0.0 {
        return 0.0;
    }
    haversine_m(p, frame.to_lat_lon(nearest))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn circle_inside_and_outside() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        assert_eq!(fence.distance_outside_m(offset(CLINIC, 200.0, 99.0)), 0.0);
        // 150 m north of the centre of a 100 m circle is ~50 m outside.
        assert_close(
            fence.distance_outside_m(offset(CLINIC, 0.0, 150.0)),
            50.0,
            1.0,
        );
        assert_close(
            fence.distance_outside_m(offset(CLINIC, 90.0, 1100.0)),
            1000.0,
            10.0,
        );
    }

    #[test]
    fn square_polygon_inside_outside_and_hole() {
        // ~200 m square around the clinic with a ~60 m square hole (a courtyard).
        let fence =
            Geofence::parse(&polygon(&[square(CLINIC, 0.001), square(CLINIC, 0.0003)])).unwrap();

        let in_ward = offset(CLINIC, 0.0, 70.0);
        assert_eq!(fence.distance_outside_m(in_ward), 0.0);

        // East of the square, on the clinic's latitude: the nearest point is straight west.
        let east_edge = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.001,
        };
        let outside = offset(east_edge, 90.0, 100.0);
        assert_close(fence.distance_outside_m(outside), 100.0, 1.0);

        // In the courtyard the nearest boundary is the hole's east/west side.
        let hole_edge = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.0003,
        };
        let expected = geodesic_m(CLINIC, hole_edge);
        let got = fence.distance_outside_m(CLINIC);
        assert!(got > 0.0);
        assert_close(got, expected, expected * 0.01);

        // Diagonally off a corner.
        let corner = LatLon {
            lat: CLINIC.lat + 0.001,
            lon: CLINIC.lon + 0.001,
        };
        let beyond = offset(corner, 45.0, 300.0);
        assert_close(
            fence.distance_outside_m(beyond),
            geodesic_m(beyond, corner),
            3.0,
        );
    }

    #[test]
    fn distance_stays_accurate_far_away() {
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let xiamen = LatLon {
            lat: 24.4798,
            lon: 118.0894,
        };
        let got = fence.distance_outside_m(xiamen);
        let roughly = geodesic_m(xiamen, CLINIC);
        assert!((got - roughly).abs() < roughly * 0.01, "{got} vs {roughly}");
    }

    #[test]
    fn point_on_edge_is_inside() {
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let on_edge = LatLon {
            lat: CLINIC.lat - 0.001,
            lon: CLINIC.lon,
        };
        assert!(fence.distance_outside_m(on_edge) < 1e-6);
    }

    #[test]
    fn invalid_fix_position_is_never_inside() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        for p in [
            LatLon {
                lat: f64::NAN,
                lon: CLINIC.lon,
            },
            LatLon {
                lat: 95.0,
                lon: CLINIC.lon,
            },
        ] {
            assert_eq!(fence.distance_outside_m(p), f64::INFINITY);
            assert!(matches!(
                fence.judge_fix(p, 10.0, &FixPolicy::default()),
                FixVerdict::Outside { .. }
            ));
        }
    }
}

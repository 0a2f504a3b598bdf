//! The topology a polygon fence must have: no ring crosses, touches or doubles back
//! on itself or another, every hole lies inside its outer ring and in no other hole,
//! and polygons do not overlap. Refusals name the input positions at fault.

use geo::algorithm::line_intersection::LineIntersection;
use geo::{Coord, Intersections, Line};

use super::GeofenceError;
use super::geometry::ring_contains;

/// Where a ring sits in the input, for messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct RingId {
    /// Index in a MultiPolygon, `None` for a plain Polygon.
    pub(super) polygon: Option<usize>,
    pub(super) ring: usize,
}

impl RingId {
    pub(super) fn path(self) -> String {
        match self.polygon {
            Some(polygon) => format!("coordinates[{polygon}][{}]", self.ring),
            None => format!("coordinates[{}]", self.ring),
        }
    }

    pub(super) fn label(self) -> String {
        let role = if self.ring == 0 { "outer ring" } else { "hole" };
        format!("{role} {}", self.path())
    }
}

/// A ring after conversion: WGS-84 corners, each with its index in the input ring so
/// messages can point at what the admin sent.
pub(super) struct Ring {
    pub(super) id: RingId,
    pub(super) coords: Vec<Coord<f64>>,
    pub(super) input_index: Vec<usize>,
}

/// One edge of one ring, as fed to geo's sweep-line intersection finder.
#[derive(Debug, Clone, Copy)]
struct Edge {
    line: Line<f64>,
    /// Index into the flattened list of rings.
    ring: usize,
    /// Edge `k` runs from corner `k` to corner `k + 1`.
    index: usize,
    /// Number of edges in the ring, to recognise the closing edge's neighbour.
    ring_edges: usize,
}

impl geo::algorithm::sweep::Cross for Edge {
    type Scalar = f64;

    fn line(&self) -> Line<f64> {
        self.line
    }
}

impl Edge {
    /// The one intersection that is fine: consecutive edges meeting exactly at their
    /// shared corner.
    fn is_expected_contact(&self, other: &Edge, found: &LineIntersection<f64>) -> bool {
        if self.ring != other.ring {
            return false;
        }
        let shared = if (self.index + 1) % self.ring_edges == other.index {
            self.line.end
        } else if (other.index + 1) % other.ring_edges == self.index {
            other.line.end
        } else {
            return false;
        };
        matches!(found, LineIntersection::SinglePoint { intersection, .. } if *intersection == shared)
    }
}

/// Refuses any crossing, touching or overlapping of edges, within a ring or between
/// rings, apart from neighbouring edges meeting at their shared corner.
///
/// geo's `Validation` would find the same problems but tests every pair of edges
/// (O(n²): ~14 s for a 10,000-vertex ring in a debug build, ~0.6 s optimised), so we use
/// geo's sweep-line `Intersections` instead, which only compares edges whose x-extents
/// overlap.
pub(super) fn check_no_crossings(polygons: &[Vec<Ring>]) -> Result<(), GeofenceError> {
    let rings: Vec<&Ring> = polygons.iter().flatten().collect();
    let edges: Vec<Edge> = rings
        .iter()
        .enumerate()
        .flat_map(|(ring_index, ring)| {
            let ring_edges = ring.coords.len() - 1;
            ring.coords
                .windows(2)
                .enumerate()
                .map(move |(index, pair)| Edge {
                    line: Line::new(pair[0], pair[1]),
                    ring: ring_index,
                    index,
                    ring_edges,
                })
        })
        .collect();

    let mut intersections = Intersections::from_iter(edges.iter());
    let Some((a, b, _)) = intersections.find(|(a, b, found)| !a.is_expected_contact(b, found))
    else {
        return Ok(());
    };
    let (ring_a, ring_b) = (rings[a.ring], rings[b.ring]);
    let edge_a = input_edge(ring_a, a.index);
    let edge_b = input_edge(ring_b, b.index);
    if a.ring == b.ring {
        let (edge_a, edge_b) = (edge_a.min(edge_b), edge_a.max(edge_b));
        Err(GeofenceError::SelfIntersection {
            ring: ring_a.id.label(),
            edge_a,
            edge_b,
        })
    } else {
        Err(GeofenceError::RingsIntersect {
            ring_a: ring_a.id.label(),
            edge_a,
            ring_b: ring_b.id.label(),
            edge_b,
        })
    }
}

/// The input positions that edge `index` of `ring` joins.
fn input_edge(ring: &Ring, index: usize) -> (usize, usize) {
    (ring.input_index[index], ring.input_index[index + 1])
}

/// With no ring touching another, each ring lies wholly inside or wholly outside every
/// other, so testing one corner settles containment. Refuses holes outside their outer
/// ring, holes inside holes, and polygons whose areas overlap.
pub(super) fn check_nesting(polygons: &[Vec<Ring>]) -> Result<(), GeofenceError> {
    for rings in polygons {
        let Some((outer, holes)) = rings.split_first() else {
            continue;
        };
        for (i, hole) in holes.iter().enumerate() {
            if !ring_contains(&outer.coords, hole.coords[0]) {
                return Err(GeofenceError::HoleOutsideOuterRing {
                    hole: hole.id.label(),
                });
            }
            for other in &holes[i + 1..] {
                if let Some((inner, outer)) = nested_pair(hole, other) {
                    return Err(GeofenceError::HolesOverlap {
                        inner: inner.id.label(),
                        outer: outer.id.label(),
                    });
                }
            }
        }
    }
    for (a, rings_a) in polygons.iter().enumerate() {
        for (b, rings_b) in polygons.iter().enumerate().skip(a + 1) {
            if areas_overlap(rings_a, rings_b) || areas_overlap(rings_b, rings_a) {
                return Err(GeofenceError::PolygonsOverlap { a, b });
            }
        }
    }
    Ok(())
}

/// `Some((inner, outer))` when one of the two rings lies inside the other.
fn nested_pair<'a>(a: &'a Ring, b: &'a Ring) -> Option<(&'a Ring, &'a Ring)> {
    if ring_contains(&b.coords, a.coords[0]) {
        Some((a, b))
    } else if ring_contains(&a.coords, b.coords[0]) {
        Some((b, a))
    } else {
        None
    }
}

/// Whether polygon `a`'s outer ring starts inside polygon `b`'s area (inside its outer
/// ring and not in one of its holes). Together with the converse this detects overlap; an
/// island inside another polygon's hole is fine.
fn areas_overlap(a: &[Ring], b: &[Ring]) -> bool {
    let (Some(outer_a), Some((outer_b, holes_b))) = (a.first(), b.split_first()) else {
        return false;
    };
    let corner = outer_a.coords[0];
    ring_contains(&outer_b.coords, corner)
        && !holes_b
            .iter()
            .any(|hole| ring_contains(&hole.coords, corner))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use geo::Validation;
    use serde_json::json;

    #[test]
    fn self_intersecting_ring_is_refused() {
        // A bow tie: edges 1-2 and 3-4 cross.
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let bow_tie = vec![
            [x - d, y - d],
            [x + d, y + d],
            [x + d, y - d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        let e = refusal(polygon(&[bow_tie]));
        assert_eq!(
            e,
            GeofenceError::SelfIntersection {
                ring: "outer ring coordinates[0]".into(),
                edge_a: (0, 1),
                edge_b: (2, 3)
            }
        );
    }

    #[test]
    fn ring_touching_itself_is_refused() {
        // A figure eight pinched at one corner: two triangles sharing the centre.
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let pinched = vec![
            [x, y],
            [x + d, y + d],
            [x + d, y - d],
            [x, y],
            [x - d, y + d],
            [x - d, y - d],
            [x, y],
        ];
        assert!(matches!(
            refusal(polygon(&[pinched])),
            GeofenceError::SelfIntersection { .. }
        ));
    }

    #[test]
    fn ring_doubling_back_is_refused() {
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        // A spike: out to x + 2d and straight back along the same line.
        let spiked = vec![
            [x - d, y - d],
            [x + d, y - d],
            [x + d, y],
            [x + 2.0 * d, y],
            [x + d, y],
            [x + d, y + d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        assert!(matches!(
            refusal(polygon(&[spiked])),
            GeofenceError::SelfIntersection { .. }
        ));
    }

    #[test]
    fn crossing_rings_are_refused() {
        let hole_poking_out = square(
            LatLon {
                lat: CLINIC.lat,
                lon: CLINIC.lon + 0.001,
            },
            0.0005,
        );
        let e = refusal(polygon(&[square(CLINIC, 0.001), hole_poking_out]));
        assert!(
            matches!(&e, GeofenceError::RingsIntersect { ring_a, ring_b, .. }
                if ring_a.starts_with("outer ring") && ring_b.starts_with("hole")
                    || ring_b.starts_with("outer ring") && ring_a.starts_with("hole")),
            "{e}"
        );
    }

    #[test]
    fn hole_outside_outer_ring_is_refused() {
        let far_away = square(
            LatLon {
                lat: CLINIC.lat + 0.01,
                lon: CLINIC.lon,
            },
            0.0005,
        );
        let e = refusal(polygon(&[square(CLINIC, 0.001), far_away]));
        assert_eq!(
            e,
            GeofenceError::HoleOutsideOuterRing {
                hole: "hole coordinates[1]".into()
            }
        );
    }

    #[test]
    fn nested_holes_are_refused() {
        let e = refusal(polygon(&[
            square(CLINIC, 0.002),
            square(CLINIC, 0.0005),
            square(CLINIC, 0.001),
        ]));
        assert_eq!(
            e.to_string(),
            "hole coordinates[1] lies inside hole coordinates[2]; holes of one polygon must not overlap"
        );
    }

    #[test]
    fn overlapping_polygons_are_refused() {
        let nearby = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.0015,
        };
        let crossing = json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 0.001)], [square(nearby, 0.001)]]});
        assert!(matches!(
            refusal(crossing),
            GeofenceError::RingsIntersect { .. }
        ));
        let nested = json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 0.0005)], [square(CLINIC, 0.001)]]});
        assert_eq!(
            refusal(nested),
            GeofenceError::PolygonsOverlap { a: 0, b: 1 }
        );
    }

    #[test]
    fn refusals_agree_with_geo_validation() {
        // geo's own validator is too slow for 10,000 vertices but is the reference for
        // small shapes. (We are stricter only where rings touch at a single point.)
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let shifted = |dx: f64, dy: f64, half: f64| {
            square(
                LatLon {
                    lat: y + dy,
                    lon: x + dx,
                },
                half,
            )
        };
        let cases = [
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), square(CLINIC, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), shifted(d, 0.0, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), shifted(0.0, 5.0 * d, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, 2.0 * d), shifted(-d, 0.0, d / 2.0), shifted(d, 0.0, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, 2.0 * d), shifted(-d / 4.0, 0.0, d / 2.0), shifted(d / 4.0, 0.0, d / 2.0)]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [shifted(3.0 * d, 0.0, d)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [shifted(d, 0.0, d)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [square(CLINIC, d / 2.0)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 2.0 * d), square(CLINIC, d)], [square(CLINIC, d / 2.0)]]}),
        ];
        for case in cases {
            let ours = Geofence::parse(&case);
            let geometry: geojson::Geometry = serde_json::from_value(case.clone()).unwrap();
            let theirs: geo::Geometry<f64> = geometry.try_into().unwrap();
            assert_eq!(
                ours.is_ok(),
                theirs.is_valid(),
                "{case}: ours {ours:?}, geo {:?}",
                theirs.validation_errors()
            );
        }
    }

    #[test]
    fn island_in_a_hole_is_accepted() {
        let value = json!({"type": "MultiPolygon", "coordinates": [
            [square(CLINIC, 0.002), square(CLINIC, 0.001)],
            [square(CLINIC, 0.0005)],
        ]});
        let fence = Geofence::parse(&value).expect("valid");
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        let in_moat = offset(CLINIC, 90.0, 75.0);
        assert!(fence.distance_outside_m(in_moat) > 10.0);
    }
}

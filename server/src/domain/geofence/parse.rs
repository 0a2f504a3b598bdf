//! Reading a fence from the administrator's JSON: the members both shapes share
//! (`type`, `crs`), a circle, and GeoJSON polygons, each position checked and
//! converted to WGS-84 on the way in; the polygons' topology is then checked by
//! [`super::validate`].

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::validate::{Ring, RingId, check_nesting, check_no_crossings};
use super::{GeofenceError, MAX_RADIUS_M, MAX_VERTICES, MIN_RADIUS_M, Shape};
use crate::domain::coords::{Crs, LatLon, to_wgs84};

pub(super) fn parse_crs(object: &Map<String, Value>) -> Result<Crs, GeofenceError> {
    match object.get("crs") {
        None => Ok(Crs::default()),
        Some(Value::String(name)) => name
            .parse()
            .map_err(|_| GeofenceError::UnknownCrs(name.clone())),
        Some(_) => Err(GeofenceError::WrongType {
            member: "crs",
            expected: "one of the strings \"wgs84\", \"gcj02\" or \"bd09\"",
        }),
    }
}

pub(super) fn required_str<'a>(
    object: &'a Map<String, Value>,
    member: &'static str,
) -> Result<&'a str, GeofenceError> {
    match object.get(member) {
        None => Err(GeofenceError::MissingMember(member)),
        Some(value) => value.as_str().ok_or(GeofenceError::WrongType {
            member,
            expected: "a string",
        }),
    }
}

/// `path` is the full member path for messages, `key` the member within `object`.
fn required_number(
    object: &Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<f64, GeofenceError> {
    match object.get(key) {
        None => Err(GeofenceError::MissingMember(path)),
        Some(value) => value.as_f64().ok_or(GeofenceError::WrongType {
            member: path,
            expected: "a number",
        }),
    }
}

/// Refuses non-finite or out-of-range input positions; `at` names the position.
fn check_position(p: LatLon, at: impl FnOnce() -> String) -> Result<(), GeofenceError> {
    if !p.lat.is_finite() || !p.lon.is_finite() {
        return Err(GeofenceError::NonFiniteCoordinate { at: at() });
    }
    if !p.is_valid() {
        return Err(GeofenceError::CoordinateOutOfRange {
            at: at(),
            lat: p.lat,
            lon: p.lon,
        });
    }
    Ok(())
}

pub(super) fn parse_circle(object: &Map<String, Value>, crs: Crs) -> Result<Shape, GeofenceError> {
    let center = match object.get("center") {
        None => return Err(GeofenceError::MissingMember("center")),
        Some(Value::Object(center)) => center,
        Some(_) => {
            return Err(GeofenceError::WrongType {
                member: "center",
                expected: "an object {\"lat\": .., \"lon\": ..}",
            });
        }
    };
    let lat = required_number(center, "lat", "center.lat")?;
    let lon = required_number(center, "lon", "center.lon")?;
    let center = LatLon { lat, lon };
    check_position(center, || "center".to_owned())?;

    let radius_m = required_number(object, "radius_m", "radius_m")?;
    if !radius_m.is_finite() || !(MIN_RADIUS_M..=MAX_RADIUS_M).contains(&radius_m) {
        return Err(GeofenceError::RadiusOutOfRange(radius_m));
    }
    Ok(Shape::Circle {
        center: to_wgs84(crs, center),
        radius_m,
    })
}

pub(super) fn parse_area(value: &Value, crs: Crs) -> Result<MultiPolygon<f64>, GeofenceError> {
    // `crs` ends up among the geometry's foreign members, which we ignore here.
    let geometry = geojson::Geometry::deserialize(value)
        .map_err(|e| GeofenceError::MalformedGeoJson(e.to_string()))?;
    let (polygons, multi) = match geometry.value {
        geojson::GeometryValue::Polygon { coordinates } => (vec![coordinates], false),
        geojson::GeometryValue::MultiPolygon { coordinates } => (coordinates, true),
        other => return Err(GeofenceError::UnknownType(other.type_name().to_owned())),
    };
    if polygons.is_empty() {
        return Err(GeofenceError::Empty(
            "MultiPolygon has no polygons".to_owned(),
        ));
    }

    let mut rings_by_polygon = Vec::with_capacity(polygons.len());
    for (p, polygon) in polygons.iter().enumerate() {
        let polygon_index = multi.then_some(p);
        if polygon.is_empty() {
            let at = polygon_index.map_or("Polygon".to_owned(), |i| {
                format!("polygon coordinates[{i}]")
            });
            return Err(GeofenceError::Empty(format!("{at} has no rings")));
        }
        let mut rings = Vec::with_capacity(polygon.len());
        for (r, positions) in polygon.iter().enumerate() {
            let id = RingId {
                polygon: polygon_index,
                ring: r,
            };
            rings.push(read_ring(id, positions)?);
        }
        rings_by_polygon.push(rings);
    }

    let count: usize = rings_by_polygon
        .iter()
        .flatten()
        .map(|ring: &Vec<LatLon>| ring.len() - 1)
        .sum();
    if count > MAX_VERTICES {
        return Err(GeofenceError::TooManyVertices {
            count,
            max: MAX_VERTICES,
        });
    }

    let rings_by_polygon = rings_by_polygon
        .into_iter()
        .enumerate()
        .map(|(p, rings)| {
            rings
                .into_iter()
                .enumerate()
                .map(|(r, positions)| {
                    let id = RingId {
                        polygon: multi.then_some(p),
                        ring: r,
                    };
                    convert_ring(id, &positions, crs)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;

    check_no_crossings(&rings_by_polygon)?;
    check_nesting(&rings_by_polygon)?;
    Ok(to_multipolygon(rings_by_polygon))
}

/// Checks each input position and the ring's closure; returns the positions as given.
fn read_ring(id: RingId, positions: &[geojson::Position]) -> Result<Vec<LatLon>, GeofenceError> {
    let mut ring = Vec::with_capacity(positions.len());
    for (i, position) in positions.iter().enumerate() {
        let at = || format!("{}[{i}]", id.path());
        let &[lon, lat, ..] = position.as_slice() else {
            return Err(GeofenceError::PositionTooShort { at: at() });
        };
        let p = LatLon { lat, lon };
        check_position(p, at)?;
        ring.push(p);
    }
    if ring.len() < 4 {
        return Err(GeofenceError::TooFewPositions {
            ring: id.label(),
            count: ring.len(),
        });
    }
    if ring.first() != ring.last() {
        return Err(GeofenceError::RingNotClosed { ring: id.label() });
    }
    Ok(ring)
}

/// Converts to WGS-84 and drops consecutive duplicate positions, which drawing tools
/// sometimes emit and which would otherwise look like zero-length edges.
fn convert_ring(id: RingId, positions: &[LatLon], crs: Crs) -> Result<Ring, GeofenceError> {
    let mut coords: Vec<Coord<f64>> = Vec::with_capacity(positions.len());
    let mut input_index = Vec::with_capacity(positions.len());
    for (i, &p) in positions.iter().enumerate() {
        let w = to_wgs84(crs, p);
        let c = Coord { x: w.lon, y: w.lat };
        if coords.last() != Some(&c) {
            coords.push(c);
            input_index.push(i);
        }
    }
    if coords.len() < 4 {
        return Err(GeofenceError::DegenerateRing { ring: id.label() });
    }
    Ok(Ring {
        id,
        coords,
        input_index,
    })
}

fn to_multipolygon(polygons: Vec<Vec<Ring>>) -> MultiPolygon<f64> {
    let polygons = polygons.into_iter().filter_map(|rings| {
        let mut rings = rings.into_iter().map(|ring| LineString::new(ring.coords));
        let outer = rings.next()?;
        Some(Polygon::new(outer, rings.collect()))
    });
    MultiPolygon::new(polygons.collect())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn non_object_is_refused() {
        assert_eq!(refusal(json!([1, 2])), GeofenceError::NotAnObject);
    }

    #[test]
    fn missing_type_is_refused() {
        assert_eq!(
            refusal(json!({"center": {"lat": 1, "lon": 2}})),
            GeofenceError::MissingMember("type")
        );
    }

    #[test]
    fn unknown_type_is_refused() {
        let e = refusal(json!({"type": "rectangle"}));
        assert_eq!(e, GeofenceError::UnknownType("rectangle".into()));
        assert!(
            e.to_string()
                .contains("\"circle\", \"Polygon\" or \"MultiPolygon\"")
        );
        // Other GeoJSON geometries have no area.
        let e = refusal(json!({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}));
        assert_eq!(e, GeofenceError::UnknownType("LineString".into()));
        // GeoJSON type names are case-sensitive.
        assert!(matches!(
            refusal(json!({"type": "polygon"})),
            GeofenceError::UnknownType(_)
        ));
    }

    #[test]
    fn unknown_crs_is_refused() {
        let mut value = circle(CLINIC, 100.0);
        value["crs"] = json!("epsg:4490");
        let e = refusal(value);
        assert_eq!(e, GeofenceError::UnknownCrs("epsg:4490".into()));
        assert_eq!(
            e.to_string(),
            "unknown crs \"epsg:4490\"; expected \"wgs84\", \"gcj02\" or \"bd09\""
        );
    }

    #[test]
    fn old_style_geojson_crs_object_is_refused() {
        let mut value = polygon(&[square(CLINIC, 0.001)]);
        value["crs"] = json!({"type": "name", "properties": {"name": "EPSG:4326"}});
        assert!(matches!(
            refusal(value),
            GeofenceError::WrongType { member: "crs", .. }
        ));
    }

    #[test]
    fn circle_missing_members_are_refused() {
        assert_eq!(
            refusal(json!({"type": "circle", "radius_m": 100})),
            GeofenceError::MissingMember("center")
        );
        assert_eq!(
            refusal(json!({"type": "circle", "center": {"lat": 25.0}, "radius_m": 100})),
            GeofenceError::MissingMember("center.lon")
        );
        assert_eq!(
            refusal(json!({"type": "circle", "center": {"lat": 25.0, "lon": 117.0}})),
            GeofenceError::MissingMember("radius_m")
        );
    }

    #[test]
    fn ill_typed_members_are_refused() {
        let e = refusal(
            json!({"type": "circle", "center": {"lat": "25.0", "lon": 117.0}, "radius_m": 100}),
        );
        assert_eq!(
            e.to_string(),
            "geofence member \"center.lat\" must be a number"
        );
        assert!(matches!(
            refusal(json!({"type": "circle", "center": [25.0, 117.0], "radius_m": 100})),
            GeofenceError::WrongType {
                member: "center",
                ..
            }
        ));
        assert!(matches!(
            refusal(json!({"type": 7})),
            GeofenceError::WrongType { member: "type", .. }
        ));
        assert!(matches!(
            refusal(json!({"type": "Polygon", "coordinates": "nope"})),
            GeofenceError::MalformedGeoJson(_)
        ));
        assert!(matches!(
            refusal(json!({"type": "Polygon"})),
            GeofenceError::MalformedGeoJson(_)
        ));
        // A MultiPolygon's coordinates are one level deeper than a Polygon's.
        assert!(matches!(
            refusal(json!({"type": "MultiPolygon", "coordinates": [square(CLINIC, 0.001)]})),
            GeofenceError::MalformedGeoJson(_)
        ));
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        let e = refusal(circle(
            LatLon {
                lat: 117.41,
                lon: 25.29,
            },
            100.0,
        ));
        assert!(matches!(e, GeofenceError::CoordinateOutOfRange { .. }));

        let mut ring = square(CLINIC, 0.001);
        ring[2] = [181.0, 25.3];
        let e = refusal(polygon(&[ring]));
        assert_eq!(
            e.to_string(),
            "position coordinates[0][2] is out of range: latitude 25.3 must be within -90..90 and longitude 181 within -180..180"
        );
    }

    #[test]
    fn non_finite_coordinates_are_refused() {
        // JSON cannot carry NaN, but the check must not rely on that.
        let e = check_position(
            LatLon {
                lat: f64::NAN,
                lon: 117.0,
            },
            || "center".into(),
        );
        assert_eq!(
            e,
            Err(GeofenceError::NonFiniteCoordinate {
                at: "center".into()
            })
        );
    }

    #[test]
    fn short_position_is_refused() {
        let mut ring: Vec<Value> = square(CLINIC, 0.001).iter().map(|p| json!(p)).collect();
        ring[1] = json!([117.41]);
        let e = refusal(json!({"type": "Polygon", "coordinates": [ring]}));
        assert_eq!(
            e,
            GeofenceError::PositionTooShort {
                at: "coordinates[0][1]".into()
            }
        );
    }

    #[test]
    fn ring_with_fewer_than_four_positions_is_refused() {
        let ring = square(CLINIC, 0.001);
        let e = refusal(polygon(&[vec![ring[0], ring[1], ring[0]]]));
        assert_eq!(
            e,
            GeofenceError::TooFewPositions {
                ring: "outer ring coordinates[0]".into(),
                count: 3
            }
        );
    }

    #[test]
    fn unclosed_ring_is_refused() {
        let mut ring = square(CLINIC, 0.001);
        ring.pop();
        let e = refusal(polygon(&[ring]));
        assert_eq!(
            e.to_string(),
            "outer ring coordinates[0] is not closed: its last position must equal its first"
        );
    }

    #[test]
    fn ring_of_repeated_points_is_refused() {
        let ring = square(CLINIC, 0.001);
        let e = refusal(polygon(&[vec![ring[0], ring[1], ring[1], ring[0]]]));
        assert!(matches!(e, GeofenceError::DegenerateRing { .. }));
    }

    #[test]
    fn empty_polygon_and_multipolygon_are_refused() {
        assert!(matches!(
            refusal(json!({"type": "Polygon", "coordinates": []})),
            GeofenceError::Empty(_)
        ));
        assert!(matches!(
            refusal(json!({"type": "MultiPolygon", "coordinates": []})),
            GeofenceError::Empty(_)
        ));
    }

    #[test]
    fn radius_outside_limits_is_refused() {
        for radius in [0.0, 9.99, 5000.01, -50.0, 1e12] {
            assert_eq!(
                refusal(circle(CLINIC, radius)),
                GeofenceError::RadiusOutOfRange(radius)
            );
        }
        assert_eq!(
            GeofenceError::RadiusOutOfRange(f64::INFINITY).to_string(),
            "radius_m must be between 10 and 5000 metres, got inf"
        );
        for radius in [10.0, 5000.0] {
            assert!(Geofence::parse(&circle(CLINIC, radius)).is_ok());
        }
    }

    #[test]
    fn ten_thousand_vertices_are_accepted_and_one_more_is_refused() {
        let ring = regular_ring(CLINIC, 0.01, MAX_VERTICES);
        let fence = Geofence::parse(&polygon(&[ring])).expect("10,000 vertices");
        assert_eq!(fence.vertex_count(), MAX_VERTICES);

        let ring = regular_ring(CLINIC, 0.01, MAX_VERTICES + 1);
        assert_eq!(
            refusal(polygon(&[ring])),
            GeofenceError::TooManyVertices {
                count: MAX_VERTICES + 1,
                max: MAX_VERTICES
            }
        );
    }

    #[test]
    fn collinear_corner_and_repeated_positions_are_accepted() {
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let ring = vec![
            [x - d, y - d],
            [x, y - d], // on the straight bottom edge
            [x + d, y - d],
            [x + d, y - d], // repeated
            [x + d, y + d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        let fence = Geofence::parse(&polygon(&[ring])).expect("valid");
        assert_eq!(fence.vertex_count(), 5);
    }

    #[test]
    fn gcj02_polygon_is_stored_shifted_to_wgs84() {
        let wgs = square(CLINIC, 0.001);
        let to_gcj = |[lon, lat]: [f64; 2]| {
            let p = wgs84_to_gcj02(LatLon { lat, lon });
            [p.lon, p.lat]
        };
        let gcj: Vec<[f64; 2]> = wgs.iter().copied().map(to_gcj).collect();
        let mut value = polygon(std::slice::from_ref(&gcj));
        value["crs"] = json!("gcj02");
        let fence = Geofence::parse(&value).unwrap();

        let Shape::Area(area) = fence.shape() else {
            panic!("not an area")
        };
        let stored = &area.0[0].exterior().0;
        for ((s, w), g) in stored.iter().zip(&wgs).zip(&gcj) {
            let s = LatLon { lat: s.y, lon: s.x };
            let w = LatLon {
                lat: w[1],
                lon: w[0],
            };
            let g = LatLon {
                lat: g[1],
                lon: g[0],
            };
            assert!(
                geodesic_m(s, w) < 0.5,
                "stored corner is the true WGS-84 corner"
            );
            assert!(
                (100.0..700.0).contains(&geodesic_m(s, g)),
                "shifted by hundreds of m"
            );
        }
        // And the physical clinic is inside.
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        assert_eq!(fence.to_stored_json()["crs"], json!("wgs84"));
    }

    #[test]
    fn bd09_circle_is_stored_in_wgs84() {
        let bd = gcj02_to_bd09(wgs84_to_gcj02(CLINIC));
        let mut value = circle(bd, 100.0);
        value["crs"] = json!("bd09");
        let fence = Geofence::parse(&value).unwrap();
        let Shape::Circle { center, radius_m } = *fence.shape() else {
            panic!("not a circle")
        };
        assert!(geodesic_m(center, CLINIC) < 0.5);
        assert_eq!(radius_m, 100.0);
    }
}

//! Which sites a GPS fix is at or near: an R-tree over site fences' bounding boxes, with
//! every candidate confirmed by its exact distance to the fence.
//!
//! The tree holds each fence's WGS-84 bounding box. A query widens the fix into a box
//! at least `radius_m` wide on every side, takes the fences whose boxes meet it, then
//! measures each candidate with [`Geofence::distance_outside_m`], so the answer is exact
//! and the tree only decides how few fences get measured. No antimeridian handling:
//! every site lies in China, far from longitude ±180.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::coords::LatLon;
use super::geofence::Geofence;

/// Widest search radius a caller may ask for, in metres.
pub const MAX_SEARCH_RADIUS_M: f64 = 5_000.0;
/// Most sites one answer may list.
pub const MAX_NEARBY_SITES: usize = 20;

/// Metres per degree of latitude (and of longitude at the equator), using the largest
/// Earth radius in use so that the degree box errs on the wide side.
const METRES_PER_DEGREE_MIN: f64 = 6_356_752.0 * std::f64::consts::PI / 180.0;
/// Widening of the query box, in degrees, so rounding never drops a fence at the edge.
const SLACK_DEGREES: f64 = 1e-6;

/// One fence in the tree: its box and its place in [`SiteIndex::sites`].
type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A site with its fence, as indexed; `T` is whatever the caller wants back.
#[derive(Debug, Clone)]
pub struct IndexedSite<T> {
    pub site: T,
    pub fence: Geofence,
}

/// A site found near a fix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearbySite<'a, T> {
    pub site: &'a T,
    /// Metres from the fix to the fence: 0 when the fix is inside it.
    pub distance_m: f64,
}

impl<T> NearbySite<'_, T> {
    pub fn is_inside(&self) -> bool {
        self.distance_m <= 0.0
    }
}

/// Site fences indexed by bounding box. Immutable: rebuild to change it.
#[derive(Debug)]
pub struct SiteIndex<T> {
    tree: RTree<Entry>,
    sites: Vec<IndexedSite<T>>,
}

impl<T> Default for SiteIndex<T> {
    fn default() -> Self {
        SiteIndex::build(Vec::new())
    }
}

impl<T> SiteIndex<T> {
    /// Bulk-loads the tree, which packs it better than inserting one by one.
    pub fn build(sites: Vec<IndexedSite<T>>) -> SiteIndex<T> {
        let entries = sites
            .iter()
            .enumerate()
            .map(|(i, indexed)| {
                let bounds = indexed.fence.bounds();
                let (min, max) = (bounds.min(), bounds.max());
                GeomWithData::new(Rectangle::from_corners([min.x, min.y], [max.x, max.y]), i)
            })
            .collect();
        SiteIndex {
            tree: RTree::bulk_load(entries),
            sites,
        }
    }

    pub fn len(&self) -> usize {
        self.sites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// Sites whose fence contains `fix` (WGS-84) or lies within `radius_m` of it,
    /// nearest first (ties in index order), at most `limit`, keeping only those
    /// `visible` admits. `visible` is applied before the limit, so a caller's scope
    /// never hides a site behind ones it may not see.
    ///
    /// An invalid fix or a radius that is negative or not a number finds nothing; a
    /// radius above [`MAX_SEARCH_RADIUS_M`] is cut to it.
    pub fn nearby(
        &self,
        fix: LatLon,
        radius_m: f64,
        limit: usize,
        visible: impl Fn(&T) -> bool,
    ) -> Vec<NearbySite<'_, T>> {
        // NaN is neither negative nor non-negative: refused too.
        if !fix.is_valid() || radius_m.is_nan() || radius_m < 0.0 || limit == 0 {
            return Vec::new();
        }
        let radius_m = radius_m.min(MAX_SEARCH_RADIUS_M);
        let mut found: Vec<(usize, f64)> = self
            .tree
            .locate_in_envelope_intersecting(&search_box(fix, radius_m))
            .filter_map(|entry| {
                let indexed = self.sites.get(entry.data)?;
                if !visible(&indexed.site) {
                    return None;
                }
                let distance_m = indexed.fence.distance_outside_m(fix);
                (distance_m <= radius_m).then_some((entry.data, distance_m))
            })
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found.truncate(limit);
        found
            .into_iter()
            .filter_map(|(i, distance_m)| {
                self.sites.get(i).map(|indexed| NearbySite {
                    site: &indexed.site,
                    distance_m,
                })
            })
            .collect()
    }
}

/// A longitude/latitude box around `fix` reaching at least `radius_m` in every
/// direction. Longitude degrees shrink towards the poles, so they are sized at the
/// box's most poleward latitude.
fn search_box(fix: LatLon, radius_m: f64) -> AABB<[f64; 2]> {
    let dlat = radius_m / METRES_PER_DEGREE_MIN + SLACK_DEGREES;
    let poleward = (fix.lat.abs() + dlat).min(90.0);
    let cos = poleward.to_radians().cos();
    // Within a hair of a pole every longitude is close: take them all.
    let dlon = if cos < 1e-9 {
        360.0
    } else {
        (radius_m / (METRES_PER_DEGREE_MIN * cos) + SLACK_DEGREES).min(360.0)
    };
    AABB::from_corners(
        [fix.lon - dlon, fix.lat - dlat],
        [fix.lon + dlon, fix.lat + dlat],
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Near Xiapu, Fujian: a township clinic's neighbourhood.
    const TOWN: LatLon = LatLon::new(26.8853, 120.0052);

    fn circle(at: LatLon, radius_m: f64) -> Geofence {
        Geofence::parse(&json!({
            "type": "circle", "center": {"lat": at.lat, "lon": at.lon}, "radius_m": radius_m
        }))
        .expect("valid circle")
    }

    /// A square of `half` degrees around `at`.
    fn square(at: LatLon, half: f64) -> Geofence {
        let (x, y) = (at.lon, at.lat);
        Geofence::parse(&json!({
            "type": "Polygon",
            "coordinates": [[[x - half, y - half], [x + half, y - half], [x + half, y + half],
                             [x - half, y + half], [x - half, y - half]]]
        }))
        .expect("valid square")
    }

    /// `metres` north of `at`.
    fn north(at: LatLon, metres: f64) -> LatLon {
        LatLon::new(at.lat + metres / 111_195.0, at.lon)
    }

    /// `metres` east of `at`.
    fn east(at: LatLon, metres: f64) -> LatLon {
        LatLon::new(
            at.lat,
            at.lon + metres / (111_195.0 * at.lat.to_radians().cos()),
        )
    }

    fn index(sites: Vec<(&'static str, Geofence)>) -> SiteIndex<&'static str> {
        SiteIndex::build(
            sites
                .into_iter()
                .map(|(site, fence)| IndexedSite { site, fence })
                .collect(),
        )
    }

    fn names(found: &[NearbySite<'_, &'static str>]) -> Vec<&'static str> {
        found.iter().map(|n| *n.site).collect()
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let empty: SiteIndex<&str> = SiteIndex::default();
        assert!(empty.is_empty());
        assert!(empty.nearby(TOWN, 5_000.0, 20, |_| true).is_empty());
    }

    #[test]
    fn a_fix_inside_a_circle_is_at_distance_zero_and_first() {
        let sites = index(vec![
            ("far clinic", circle(east(TOWN, 1_000.0), 100.0)),
            ("this clinic", circle(TOWN, 100.0)),
        ]);
        let found = sites.nearby(north(TOWN, 30.0), 2_000.0, 20, |_| true);
        assert_eq!(names(&found), vec!["this clinic", "far clinic"]);
        assert!(found[0].is_inside());
        assert_eq!(found[0].distance_m, 0.0);
        let far = found[1].distance_m;
        assert!((850.0..950.0).contains(&far), "about 900 m, got {far}");
    }

    #[test]
    fn a_fix_inside_a_polygon_is_found_and_holes_are_not_assumed() {
        let sites = index(vec![("square clinic", square(TOWN, 0.001))]);
        let found = sites.nearby(TOWN, 0.0, 20, |_| true);
        assert_eq!(names(&found), vec!["square clinic"]);
        assert!(found[0].is_inside());
    }

    #[test]
    fn sites_come_nearest_first_with_exact_distances() {
        let sites = index(vec![
            ("c", circle(north(TOWN, 3_000.0), 50.0)),
            ("a", square(east(TOWN, 500.0), 0.0005)),
            ("b", circle(east(TOWN, -1_500.0), 200.0)),
        ]);
        let found = sites.nearby(TOWN, 5_000.0, 20, |_| true);
        assert_eq!(names(&found), vec!["a", "b", "c"]);
        let distances: Vec<f64> = found.iter().map(|n| n.distance_m).collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]));
        // The square's west edge is 0.0005° (about 50 m) short of its centre 500 m east.
        assert!((440.0..460.0).contains(&distances[0]), "{distances:?}");
        assert!((1_290.0..1_310.0).contains(&distances[1]), "{distances:?}");
    }

    #[test]
    fn a_fence_just_beyond_the_radius_is_left_out_and_just_within_is_kept() {
        // The circle's edge is 1 000 m north of the fix.
        let sites = index(vec![("clinic", circle(north(TOWN, 1_100.0), 100.0))]);
        assert!(sites.nearby(TOWN, 990.0, 20, |_| true).is_empty());
        assert_eq!(
            names(&sites.nearby(TOWN, 1_010.0, 20, |_| true)),
            vec!["clinic"]
        );
    }

    #[test]
    fn a_fence_east_or_west_at_high_latitude_is_still_found() {
        // Mohe, Heilongjiang: a longitude degree is much shorter than in the south.
        let mohe = LatLon::new(52.97, 122.53);
        let sites = index(vec![("mohe clinic", circle(east(mohe, 4_900.0), 20.0))]);
        let found = sites.nearby(mohe, 5_000.0, 20, |_| true);
        assert_eq!(names(&found), vec!["mohe clinic"]);
    }

    #[test]
    fn the_limit_keeps_the_nearest() {
        let sites = index(
            (0..30)
                .map(|i| ("site", circle(north(TOWN, 100.0 * f64::from(i)), 20.0)))
                .collect(),
        );
        let found = sites.nearby(TOWN, 5_000.0, 5, |_| true);
        assert_eq!(found.len(), 5);
        assert!(found[0].is_inside());
        assert!(found[4].distance_m < 500.0);
    }

    #[test]
    fn sites_the_caller_may_not_see_neither_appear_nor_use_up_the_limit() {
        let sites = index(vec![
            ("hidden", circle(TOWN, 100.0)),
            ("shown", circle(east(TOWN, 800.0), 100.0)),
        ]);
        let found = sites.nearby(TOWN, 5_000.0, 1, |site| *site != "hidden");
        assert_eq!(names(&found), vec!["shown"]);
    }

    #[test]
    fn garbage_fixes_and_radii_find_nothing() {
        let sites = index(vec![("clinic", circle(TOWN, 100.0))]);
        for fix in [
            LatLon::new(f64::NAN, 120.0),
            LatLon::new(26.0, f64::INFINITY),
            LatLon::new(91.0, 120.0),
        ] {
            assert!(sites.nearby(fix, 100.0, 20, |_| true).is_empty());
        }
        assert!(sites.nearby(TOWN, -1.0, 20, |_| true).is_empty());
        assert!(sites.nearby(TOWN, f64::NAN, 20, |_| true).is_empty());
        assert!(sites.nearby(TOWN, 100.0, 0, |_| true).is_empty());
        // An absurd radius is cut to the maximum rather than scanning the country.
        let far = index(vec![("far", circle(north(TOWN, 50_000.0), 100.0))]);
        assert!(far.nearby(TOWN, 1e9, 20, |_| true).is_empty());
    }

    #[test]
    fn the_index_agrees_with_measuring_every_fence() {
        // A grid of circles and squares over a county; a brute-force pass is the oracle.
        let mut sites = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let at = LatLon::new(26.5 + 0.013 * f64::from(i), 119.6 + 0.017 * f64::from(j));
                let fence = if (i + j) % 2 == 0 {
                    circle(at, 50.0 + 10.0 * f64::from(i))
                } else {
                    square(at, 0.0003 + 0.00002 * f64::from(j))
                };
                sites.push((i * 100 + j, fence));
            }
        }
        let index = SiteIndex::build(
            sites
                .iter()
                .map(|(site, fence)| IndexedSite {
                    site: *site,
                    fence: fence.clone(),
                })
                .collect(),
        );
        for k in 0..25 {
            let fix = LatLon::new(26.5 + 0.011 * f64::from(k), 119.6 + 0.013 * f64::from(k));
            let radius_m = 300.0 * f64::from(k % 6);
            let mut expected: Vec<(i32, f64)> = sites
                .iter()
                .map(|(site, fence)| (*site, fence.distance_outside_m(fix)))
                .filter(|(_, d)| *d <= radius_m)
                .collect();
            expected.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let got: Vec<(i32, f64)> = index
                .nearby(fix, radius_m, usize::MAX, |_| true)
                .iter()
                .map(|n| (*n.site, n.distance_m))
                .collect();
            assert_eq!(got, expected, "fix {fix:?} radius {radius_m}");
        }
    }
}

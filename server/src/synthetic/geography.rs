//! The synthetic province on the map: cities, counties and their sites (county
//! hospital, health bureau, 社区卫生服务中心, 乡镇卫生院, 村卫生室) at plausible
//! coordinates in south-east China, kilometres apart, each receiving site with a
//! circle or polygon geofence.

use std::collections::HashSet;
use std::f64::consts::PI;

use serde_json::{Value, json};
use uuid::Uuid;

use super::names::unique_place_name;
use super::rng::Rng;
use crate::domain::coords::LatLon;
use crate::domain::geofence::Geofence;
use crate::domain::kiosk_code::CodeKind;
use crate::domain::organization::OrganizationKind;

/// The box the province lies in (inland and coastal Fujian, roughly).
pub const LAT_RANGE: (f64, f64) = (24.2, 26.8);
pub const LON_RANGE: (f64, f64) = (116.2, 119.8);
/// Sites of one county are placed at least this far apart when there is room.
pub const MIN_SITE_SEPARATION_M: f64 = 1_500.0;
const METRES_PER_DEGREE: f64 = 111_320.0;

#[derive(Debug, Clone, PartialEq)]
pub struct CityPlan {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CountyPlan {
    pub code: String,
    pub name: String,
    pub city: usize,
    pub center: LatLon,
}

/// The outline a site's fence takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FenceShape {
    Circle {
        radius_m: f64,
    },
    /// A rectangle of `2 half_w x 2 half_h` metres turned by `angle` radians.
    Rectangle {
        half_w: f64,
        half_h: f64,
        angle: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SitePlan {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub county: usize,
    /// The township a village clinic belongs to (its index among the sites).
    pub township: Option<usize>,
    pub center: LatLon,
    /// `None` for organizations nobody checks in at (the health bureau).
    pub fence: Option<FenceShape>,
    /// A wall screen shows rotating codes; clinics without one print daily codes.
    pub code_kind: CodeKind,
    /// A looser accuracy limit for clinics deep in the hills, where fixes are worse.
    pub max_accuracy_m: Option<f64>,
}

/// The map: province, cities, counties, sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Geography {
    pub province_code: String,
    pub province_name: String,
    pub cities: Vec<CityPlan>,
    pub counties: Vec<CountyPlan>,
    pub sites: Vec<SitePlan>,
}

/// Metres east and north of `origin` to a position.
pub fn offset(origin: LatLon, east_m: f64, north_m: f64) -> LatLon {
    let lat = origin.lat + north_m / METRES_PER_DEGREE;
    let lon = origin.lon + east_m / (METRES_PER_DEGREE * origin.lat.to_radians().cos());
    LatLon::new(lat, lon)
}

/// Approximate ground distance in metres (equirectangular; fine at a county's scale).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let north = (b.lat - a.lat) * METRES_PER_DEGREE;
    let east = (b.lon - a.lon) * METRES_PER_DEGREE * ((a.lat + b.lat) / 2.0).to_radians().cos();
    (north * north + east * east).sqrt()
}

impl SitePlan {
    /// The fence as the organization API takes it (WGS-84), or `None`.
    pub fn geofence_json(&self) -> Option<Value> {
        let c = self.center;
        match self.fence? {
            FenceShape::Circle { radius_m } => Some(json!({
                "type": "circle",
                "center": {"lat": c.lat, "lon": c.lon},
                "radius_m": radius_m,
                "crs": "wgs84",
            })),
            FenceShape::Rectangle {
                half_w,
                half_h,
                angle,
            } => {
                let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
                let mut ring: Vec<Value> = corners
                    .iter()
                    .map(|(sx, sy)| {
                        let p = rotated(c, sx * half_w, sy * half_h, angle);
                        json!([p.lon, p.lat])
                    })
                    .collect();
                ring.push(ring[0].clone());
                Some(json!({"type": "Polygon", "coordinates": [ring], "crs": "wgs84"}))
            }
        }
    }

    /// The fence, validated as the server would.
    pub fn geofence(&self) -> Option<Geofence> {
        self.geofence_json().and_then(|v| Geofence::parse(&v).ok())
    }

    /// A true (WGS-84) position well inside the fence: where a phone in the building is.
    pub fn point_inside(&self, rng: &mut Rng) -> LatLon {
        match self.fence {
            None => self.center,
            Some(FenceShape::Circle { radius_m }) => {
                let r = radius_m * 0.7 * rng.unit().sqrt();
                let a = rng.range_f64(0.0, 2.0 * PI);
                offset(self.center, r * a.cos(), r * a.sin())
            }
            Some(FenceShape::Rectangle {
                half_w,
                half_h,
                angle,
            }) => rotated(
                self.center,
                rng.range_f64(-0.75, 0.75) * half_w,
                rng.range_f64(-0.75, 0.75) * half_h,
                angle,
            ),
        }
    }

    /// A true position `metres` from the centre, in a random direction: the car park,
    /// the road, home. Far enough out (callers pass >= 600 m) to be refused.
    pub fn point_away(&self, rng: &mut Rng, metres: f64) -> LatLon {
        let a = rng.range_f64(0.0, 2.0 * PI);
        offset(self.center, metres * a.cos(), metres * a.sin())
    }
}

fn rotated(origin: LatLon, x: f64, y: f64, angle: f64) -> LatLon {
    let (s, c) = angle.sin_cos();
    offset(origin, x * c - y * s, x * s + y * c)
}

/// How many cities, and counties per city, for `counties` counties: codes leave two
/// digits for each (`PPCC00` cities, `PPCCKK` counties).
fn city_layout(counties: usize) -> Vec<usize> {
    let per_city = counties.div_ceil(99).max(6).min(counties.max(1));
    let mut sizes = Vec::new();
    let mut left = counties;
    while left > 0 {
        let n = left.min(per_city);
        sizes.push(n);
        left -= n;
    }
    sizes
}

/// The most counties a province can hold with two-digit city and county numbers.
pub const MAX_COUNTIES: usize = 99 * 70;

/// Draws the province: `prefix` is its two leading code digits (`39` gives
/// `390000`), `counties` how many counties, in a grid over the box.
pub fn generate(rng: &mut Rng, prefix: u8, province_name: &str, counties: usize) -> Geography {
    let mut taken_jurisdictions: HashSet<String> = HashSet::new();
    let mut cities = Vec::new();
    let mut county_plans = Vec::new();
    for (c, size) in city_layout(counties).into_iter().enumerate() {
        let city_number = c + 1;
        let name = format!("{}市", unique_place_name(rng, &mut taken_jurisdictions));
        cities.push(CityPlan {
            code: format!("{prefix:02}{city_number:02}00"),
            name,
        });
        for k in 0..size {
            // The first is the city's district (区); counties are numbered from 21,
            // as the national codes do.
            let (number, suffix) = if k == 0 { (2, "区") } else { (20 + k, "县") };
            let name = format!(
                "{}{suffix}",
                unique_place_name(rng, &mut taken_jurisdictions)
            );
            county_plans.push(CountyPlan {
                code: format!("{prefix:02}{city_number:02}{number:02}"),
                name,
                city: c,
                center: LatLon::new(0.0, 0.0),
            });
        }
    }
    let cell_m = place_counties(rng, &mut county_plans);
    let mut sites = Vec::new();
    for (county, plan) in county_plans.iter().enumerate() {
        county_sites(rng, county, plan, cell_m, &mut sites);
    }
    Geography {
        province_code: format!("{prefix:02}0000"),
        province_name: province_name.to_owned(),
        cities,
        counties: county_plans,
        sites,
    }
}

/// Puts county centres on a jittered grid over the box; answers the cell size (m).
fn place_counties(rng: &mut Rng, counties: &mut [CountyPlan]) -> f64 {
    let n = counties.len().max(1) as f64;
    let mid_lat = (LAT_RANGE.0 + LAT_RANGE.1) / 2.0;
    let height_m = (LAT_RANGE.1 - LAT_RANGE.0) * METRES_PER_DEGREE;
    let width_m = (LON_RANGE.1 - LON_RANGE.0) * METRES_PER_DEGREE * mid_lat.to_radians().cos();
    let cols = (n * width_m / height_m).sqrt().ceil().max(1.0);
    let rows = (n / cols).ceil().max(1.0);
    let cell_m = (width_m / cols).min(height_m / rows);
    let cols = cols as usize;
    for (i, county) in counties.iter_mut().enumerate() {
        let (row, col) = ((i / cols) as f64, (i % cols) as f64);
        let north =
            LAT_RANGE.0 * METRES_PER_DEGREE + (row + 0.5 + rng.range_f64(-0.2, 0.2)) * cell_m;
        let lat = north / METRES_PER_DEGREE;
        let west = LatLon::new(lat, LON_RANGE.0);
        county.center = offset(west, (col + 0.5 + rng.range_f64(-0.2, 0.2)) * cell_m, 0.0);
    }
    cell_m
}

/// A position within `radius_m` of `around`, at least [`MIN_SITE_SEPARATION_M`]
/// from every placed site of the county when a few tries find one.
fn free_spot(rng: &mut Rng, around: LatLon, radius_m: f64, placed: &[LatLon]) -> LatLon {
    let mut best = around;
    let mut best_gap = -1.0;
    for _ in 0..40 {
        let r = radius_m * rng.unit().sqrt();
        let a = rng.range_f64(0.0, 2.0 * PI);
        let p = offset(around, r * a.cos(), r * a.sin());
        let gap = placed
            .iter()
            .map(|q| distance_m(p, *q))
            .fold(f64::INFINITY, f64::min);
        if gap >= MIN_SITE_SEPARATION_M {
            return p;
        }
        if gap > best_gap {
            best = p;
            best_gap = gap;
        }
    }
    best
}

fn county_sites(
    rng: &mut Rng,
    county: usize,
    plan: &CountyPlan,
    cell_m: f64,
    sites: &mut Vec<SitePlan>,
) {
    let radius = (cell_m * 0.4).max(2_000.0);
    let county_stem: String = plan.name.chars().take(2).collect();
    let mut names = HashSet::new();
    let mut placed = vec![plan.center];
    let mut site = |name: String,
                    kind: OrganizationKind,
                    township: Option<usize>,
                    center: LatLon,
                    fence: Option<FenceShape>,
                    code_kind: CodeKind,
                    max_accuracy_m: Option<f64>,
                    rng: &mut Rng| {
        sites.push(SitePlan {
            id: rng.uuid(),
            name,
            kind,
            county,
            township,
            center,
            fence,
            code_kind,
            max_accuracy_m,
        });
        sites.len() - 1
    };

    let hospital_fence = FenceShape::Circle {
        radius_m: rng.range_f64(200.0, 320.0).round(),
    };
    site(
        format!("{}人民医院", plan.name),
        OrganizationKind::Hospital,
        None,
        plan.center,
        Some(hospital_fence),
        CodeKind::Rotating,
        None,
        rng,
    );
    let bureau_at = offset(
        plan.center,
        rng.range_f64(300.0, 900.0),
        rng.range_f64(300.0, 900.0),
    );
    site(
        format!("{}卫生健康局", plan.name),
        OrganizationKind::HealthBureau,
        None,
        bureau_at,
        None,
        CodeKind::Rotating,
        None,
        rng,
    );
    let community_at = free_spot(rng, plan.center, radius.min(4_000.0), &placed);
    placed.push(community_at);
    let community_fence = FenceShape::Circle {
        radius_m: rng.range_f64(90.0, 160.0).round(),
    };
    site(
        format!(
            "{}{}街道社区卫生服务中心",
            county_stem,
            unique_place_name(rng, &mut names)
        ),
        OrganizationKind::CommunityHealthCenter,
        None,
        community_at,
        Some(community_fence),
        CodeKind::Rotating,
        None,
        rng,
    );
    let townships = rng.between(3, 6) as usize;
    for _ in 0..townships {
        let at = free_spot(rng, plan.center, radius, &placed);
        placed.push(at);
        let fence = if rng.chance(0.4) {
            FenceShape::Rectangle {
                half_w: rng.range_f64(60.0, 140.0).round(),
                half_h: rng.range_f64(50.0, 110.0).round(),
                angle: rng.range_f64(0.0, PI),
            }
        } else {
            FenceShape::Circle {
                radius_m: rng.range_f64(100.0, 200.0).round(),
            }
        };
        let suffix = if rng.chance(0.7) { "镇" } else { "乡" };
        let township = site(
            format!("{}{suffix}卫生院", unique_place_name(rng, &mut names)),
            OrganizationKind::TownshipHealthCenter,
            None,
            at,
            Some(fence),
            CodeKind::Rotating,
            None,
            rng,
        );
        let villages = rng.between(2, 3);
        for _ in 0..villages {
            let at = free_spot(rng, at, (radius / 2.0).max(3_000.0), &placed);
            placed.push(at);
            let fence = FenceShape::Circle {
                radius_m: rng.range_f64(50.0, 100.0).round(),
            };
            let code_kind = if rng.chance(0.2) {
                CodeKind::Rotating
            } else {
                CodeKind::Daily
            };
            let limit = rng.chance(0.3).then_some(150.0);
            site(
                format!("{}村卫生室", unique_place_name(rng, &mut names)),
                OrganizationKind::VillageClinic,
                Some(township),
                at,
                Some(fence),
                code_kind,
                limit,
                rng,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geofence::{FixPolicy, FixVerdict};

    fn province(seed: u64, counties: usize) -> Geography {
        generate(&mut Rng::new(seed), 39, "测试省", counties)
    }

    #[test]
    fn codes_nest_province_city_county() {
        let g = province(1, 14);
        assert_eq!(g.province_code, "390000");
        assert_eq!(g.counties.len(), 14);
        for county in &g.counties {
            let city = &g.cities[county.city];
            assert_eq!(&county.code[..4], &city.code[..4]);
            assert!(county.code.ends_with("02") || county.code[4..] >= *"21");
        }
        let codes: HashSet<&String> = g.counties.iter().map(|c| &c.code).collect();
        assert_eq!(codes.len(), 14);
    }

    #[test]
    fn every_fence_is_valid_and_sites_lie_in_the_box() {
        let g = province(2, 30);
        for site in &g.sites {
            assert!(
                (LAT_RANGE.0 - 0.1..=LAT_RANGE.1 + 0.1).contains(&site.center.lat),
                "{site:?}"
            );
            assert!(
                (LON_RANGE.0 - 0.1..=LON_RANGE.1 + 0.1).contains(&site.center.lon),
                "{site:?}"
            );
            if site.fence.is_some() {
                assert!(site.geofence().is_some(), "invalid fence for {}", site.name);
            }
        }
    }

    #[test]
    fn points_inside_are_judged_inside_and_points_away_outside() {
        let g = province(3, 10);
        let mut rng = Rng::new(11);
        let policy = FixPolicy::default();
        for site in g.sites.iter().filter(|s| s.fence.is_some()) {
            let fence = site.geofence().expect("valid");
            for _ in 0..50 {
                let p = site.point_inside(&mut rng);
                assert_eq!(fence.distance_outside_m(p), 0.0, "{} {p:?}", site.name);
                let away = site.point_away(&mut rng, 600.0);
                assert!(matches!(
                    fence.judge_fix(away, 30.0, &policy),
                    FixVerdict::Outside { .. }
                ));
            }
        }
    }

    #[test]
    fn sites_of_a_county_are_kilometres_apart() {
        let g = province(4, 20);
        for county in 0..g.counties.len() {
            let receiving: Vec<&SitePlan> = g
                .sites
                .iter()
                .filter(|s| s.county == county && s.kind != OrganizationKind::HealthBureau)
                .collect();
            for (i, a) in receiving.iter().enumerate() {
                for b in &receiving[i + 1..] {
                    assert!(
                        distance_m(a.center, b.center) > 1_000.0,
                        "{} / {}",
                        a.name,
                        b.name
                    );
                }
            }
        }
    }

    #[test]
    fn each_county_has_the_kinds_the_circulars_name() {
        let g = province(5, 6);
        for county in 0..6 {
            let kinds: Vec<OrganizationKind> = g
                .sites
                .iter()
                .filter(|s| s.county == county)
                .map(|s| s.kind)
                .collect();
            for kind in [
                OrganizationKind::Hospital,
                OrganizationKind::HealthBureau,
                OrganizationKind::CommunityHealthCenter,
                OrganizationKind::TownshipHealthCenter,
                OrganizationKind::VillageClinic,
            ] {
                assert!(kinds.contains(&kind), "county {county} lacks {kind:?}");
            }
        }
    }

    #[test]
    fn many_counties_still_get_distinct_codes() {
        let g = province(6, 700);
        let codes: HashSet<&String> = g.counties.iter().map(|c| &c.code).collect();
        assert_eq!(codes.len(), 700);
        assert!(g.cities.len() <= 99);
    }
}

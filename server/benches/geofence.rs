//! Site lookup and geofence judging at scale: building the site index over 100,000
//! synthetic sites, nearby lookups among them, and parsing and judging a fence at the
//! 10,000-vertex limit. Criterion; see BENCHMARKS.md for the commands and figures.
//!
//! The sites are spread over a Fujian-sized box (4.8° × 4.9°, about 530 km × 490 km),
//! half circles of 30..300 m, half 12-gons of a similar size, from a fixed seed.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use xiaxiang_server::domain::coords::LatLon;
use xiaxiang_server::domain::geofence::{FixPolicy, Geofence, MAX_VERTICES};
use xiaxiang_server::domain::site_index::{IndexedSite, SiteIndex};

const SITES: usize = 100_000;
const LAT: (f64, f64) = (23.5, 28.3);
const LON: (f64, f64) = (115.8, 120.7);

/// A small deterministic generator (SplitMix64), so every run measures the same world.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, (lo, hi): (f64, f64)) -> f64 {
        lo + (hi - lo) * self.next()
    }

    fn position(&mut self) -> LatLon {
        LatLon::new(self.between(LAT), self.between(LON))
    }
}

/// A closed regular ring of `corners` around `at`, `radius_deg` across, as GeoJSON.
fn ring(at: LatLon, radius_deg: f64, corners: usize) -> Vec<[f64; 2]> {
    let mut positions: Vec<[f64; 2]> = (0..corners)
        .map(|i| {
            let angle = std::f64::consts::TAU * i as f64 / corners as f64;
            [
                at.lon + radius_deg * angle.cos(),
                at.lat + radius_deg * angle.sin(),
            ]
        })
        .collect();
    positions.push(positions[0]);
    positions
}

fn polygon(at: LatLon, radius_deg: f64, corners: usize) -> Value {
    json!({"type": "Polygon", "coordinates": [ring(at, radius_deg, corners)]})
}

fn synthetic_sites(count: usize) -> Vec<IndexedSite<usize>> {
    let mut rng = Rng(20_260_331);
    (0..count)
        .map(|site| {
            let at = rng.position();
            let json = if site % 2 == 0 {
                json!({"type": "circle", "center": {"lat": at.lat, "lon": at.lon},
                       "radius_m": rng.between((30.0, 300.0))})
            } else {
                polygon(at, rng.between((0.0003, 0.003)), 12)
            };
            let fence = Geofence::parse(&json).expect("synthetic fence is valid");
            IndexedSite { site, fence }
        })
        .collect()
}

fn site_index(c: &mut Criterion) {
    let sites = synthetic_sites(SITES);
    let mut group = c.benchmark_group("site_index");
    group.sample_size(10);
    group.bench_function("build_100k", |b| {
        b.iter_batched(
            || sites.clone(),
            |sites| SiteIndex::build(black_box(sites)),
            BatchSize::LargeInput,
        )
    });
    let index = SiteIndex::build(sites);
    let mut rng = Rng(7);
    let fixes: Vec<LatLon> = (0..1024).map(|_| rng.position()).collect();
    for radius_m in [1_000.0, 5_000.0] {
        let mut i = 0;
        group.bench_function(format!("nearby_100k_r{radius_m}"), |b| {
            b.iter(|| {
                i = (i + 1) % fixes.len();
                index
                    .nearby(black_box(fixes[i]), radius_m, 20, |_| true)
                    .len()
            })
        });
    }
    group.finish();
}

fn big_polygon(c: &mut Criterion) {
    let centre = LatLon::new(25.291, 117.412);
    let json = polygon(centre, 0.01, MAX_VERTICES);
    let mut group = c.benchmark_group("geofence_10k_vertices");
    group.sample_size(10);
    group.bench_function("parse", |b| {
        b.iter(|| Geofence::parse(black_box(&json)).expect("valid"))
    });
    let fence = Geofence::parse(&json).expect("valid");
    let policy = FixPolicy::default();
    let inside = LatLon::new(centre.lat + 0.004, centre.lon);
    let outside = LatLon::new(centre.lat + 0.02, centre.lon + 0.02);
    group.bench_function("judge_fix_inside", |b| {
        b.iter(|| fence.judge_fix(black_box(inside), 15.0, &policy))
    });
    group.bench_function("distance_outside_m", |b| {
        b.iter(|| fence.distance_outside_m(black_box(outside)))
    });
    group.finish();
}

criterion_group!(benches, site_index, big_polygon);
criterion_main!(benches);

//! The two seeding paths against each other: the bulk path must store what the
//! service path stores, row for row (ids aside, which are random in both).

use chrono::NaiveDate;
use sqlx::SqlitePool;

use super::plan::{FaultRates, Plan, Spec};
use super::simulate::{Options, Path, seed, seed_with};
use crate::auth::password::PasswordCost;
use crate::config::Config;

fn spec() -> Spec {
    // Faults far above their real rates, so every kind of row appears in three weeks.
    let often = FaultRates {
        forgotten_checkout: 0.1,
        short_visit: 0.05,
        mock_location: 0.05,
        outside_fence_first: 0.1,
        poor_accuracy_first: 0.05,
        late_upload: 0.1,
        double_scan: 0.08,
        spare_device: 0.05,
        early_arrival: 0.1,
        replayed_fix: 0.05,
    };
    Spec {
        counties: 2,
        physicians: 16,
        days: 21,
        end_date: NaiveDate::from_ymd_opt(2026, 3, 15).expect("date"),
        seed: 77,
        province_prefix: 39,
        province_name: "海岚省".into(),
        password: "synthetic-pass-1".into(),
        faults: often,
    }
}

struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new() -> TempDb {
        let dir = std::env::temp_dir().join(format!("xiaxiang-synthetic-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDb(dir)
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.join("x.db").display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(db: &TempDb) -> Config {
    Config {
        database_url: db.url(),
        password_cost: PasswordCost {
            memory_kib: 256,
            iterations: 1,
        },
        ..Config::default()
    }
}

/// Everything both paths write, without the random ids (references to other rows
/// are replaced by what those rows are about).
const QUERIES: &[(&str, &str)] = &[
    (
        "events",
        "SELECT physician_id, action, COALESCE(site_id, ''), COALESCE(assignment_id, ''), \
         CASE WHEN visit_id IS NULL THEN 0 ELSE 1 END, COALESCE(code_kind, ''), \
         COALESCE(code_step, 0), device_id, lat, lon, reported_lat, reported_lon, crs, \
         accuracy_m, is_mock, COALESCE(fix_time, 0), scanned_at, received_at, verdict, \
         COALESCE(refusal_code, ''), reasons, COALESCE(distance_to_fence_m, -1), \
         COALESCE(geofence_version, 0), response_status, \
         CASE WHEN response_status = 201 THEN '' ELSE response_body END \
         FROM attendance_events ORDER BY scanned_at, physician_id, action, received_at",
    ),
    (
        "visits",
        "SELECT v.physician_id, v.site_id, v.assignment_id, v.local_date, v.checked_in_at, \
         COALESCE(v.checked_out_at, 0), v.status, COALESCE(v.closed_at, 0), \
         COALESCE(v.open_physician, ''), e.scanned_at \
         FROM visits v JOIN attendance_events e ON e.id = v.check_in_event_id \
         ORDER BY v.physician_id, v.checked_in_at",
    ),
    (
        "anomalies",
        "SELECT a.kind, a.severity, a.status, a.physician_id, COALESCE(a.site_id, ''), \
         a.detected_at, CASE WHEN a.visit_id IS NULL THEN 0 ELSE 1 END, \
         CASE WHEN a.kind IN ('repeated_fix', 'impossible_travel', 'code_shared') THEN a.kind ELSE a.detail END, \
         COALESCE(r.decision, ''), COALESCE(r.note, ''), COALESCE(r.reviewer_id, ''), COALESCE(r.reviewed_at, 0) \
         FROM anomalies a LEFT JOIN anomaly_reviews r ON r.anomaly_id = a.id \
         ORDER BY a.detected_at, a.physician_id, a.kind, a.detail",
    ),
    (
        "activities",
        "SELECT a.physician_id, a.kind, a.count, COALESCE(a.note, ''), \
         COALESCE(a.supersedes_id, ''), a.recorded_at, v.checked_in_at \
         FROM activities a JOIN visits v ON v.id = a.visit_id \
         ORDER BY a.recorded_at, a.physician_id, a.kind",
    ),
    (
        "devices",
        "SELECT physician_id, device_id, bound_at FROM devices ORDER BY physician_id",
    ),
    (
        "code_uses",
        "SELECT site_id, code_kind, code_step, physician_id, use_slot FROM code_uses \
         ORDER BY site_id, code_kind, code_step, physician_id, use_slot",
    ),
    (
        "users",
        "SELECT id, role, phone, attendance_seq FROM users ORDER BY id",
    ),
    (
        "audit",
        "SELECT action, object_type, COUNT(*) FROM audit_log GROUP BY action, object_type ORDER BY action",
    ),
    (
        "job_runs",
        "SELECT job, run_key FROM job_runs ORDER BY run_key",
    ),
];

async fn rows(url: &str, sql: &'static str) -> Vec<String> {
    use sqlx::Row;
    let pool = SqlitePool::connect(url).await.expect("open");
    let rows = sqlx::query(sql).fetch_all(&pool).await.expect(sql);
    let out = rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<String, _>(i)
                        .or_else(|_| row.try_get::<i64, _>(i).map(|v| v.to_string()))
                        .or_else(|_| row.try_get::<f64, _>(i).map(|v| format!("{v:?}")))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    pool.close().await;
    out
}

#[tokio::test]
async fn the_bulk_path_stores_what_the_service_path_stores() {
    let plan = Plan::generate(&spec()).expect("plan");
    let (service_db, bulk_db) = (TempDb::new(), TempDb::new());
    let quiet = &mut |_: &str| {};
    let service = seed(&config(&service_db), &plan, Path::Service, quiet)
        .await
        .expect("service path");
    // Requirement periods judged week by week on both paths, as the service path does.
    let weekly = Options {
        judge_requirements: true,
        ..Options::new(Path::Bulk)
    };
    let bulk = seed_with(&config(&bulk_db), &plan, weekly, quiet)
        .await
        .expect("bulk path");
    assert_eq!(service.tally, bulk.tally);
    assert!(service.tally.events > 150, "{:?}", service.tally);
    for kind in [
        "late_sync",
        "mock_location",
        "new_device",
        "outside_window_edge",
        "short_visit",
        "repeated_fix",
    ] {
        assert!(
            service.tally.reasons.contains_key(kind),
            "no {kind}: {:?}",
            service.tally
        );
    }
    for code in ["outside_geofence", "poor_accuracy"] {
        assert!(
            service.tally.refused.contains_key(code),
            "no {code}: {:?}",
            service.tally
        );
    }
    assert!(
        service.tally.auto_closed > 0 && service.tally.reviews > 0 && service.tally.activities > 0
    );
    assert!(service.tally.requirements_missed > 0, "{:?}", service.tally);
    for (table, sql) in QUERIES {
        let a = rows(&service_db.url(), sql).await;
        let b = rows(&bulk_db.url(), sql).await;
        assert!(!a.is_empty(), "{table}: nothing written");
        let first_difference = a.iter().zip(&b).find(|(x, y)| x != y);
        assert!(
            a.len() == b.len() && first_difference.is_none(),
            "{table}: {} vs {} rows; first difference {first_difference:?}",
            a.len(),
            b.len()
        );
    }
}

#[tokio::test]
async fn seeding_the_same_province_twice_is_refused() {
    let plan = Plan::generate(&Spec {
        days: 2,
        physicians: 2,
        ..spec()
    })
    .expect("plan");
    let db = TempDb::new();
    let quiet = &mut |_: &str| {};
    seed(&config(&db), &plan, Path::Service, quiet)
        .await
        .expect("first");
    let again = seed(&config(&db), &plan, Path::Bulk, quiet).await;
    assert!(matches!(again, Err(super::SyntheticError::AlreadySeeded(code)) if code == "390000"));
}

#[tokio::test]
async fn the_bulk_path_leaves_requirement_periods_to_the_servers_first_tick() {
    let plan = Plan::generate(&spec()).expect("plan");
    let db = TempDb::new();
    let summary = seed(&config(&db), &plan, Path::Bulk, &mut |_: &str| {})
        .await
        .expect("bulk path");
    assert_eq!(summary.tally.requirements_missed, 0);
    assert!(
        rows(&db.url(), "SELECT job, run_key FROM job_runs")
            .await
            .is_empty()
    );
    // The server starting the next morning catches up on every ended period.
    let morning = crate::domain::crediting::start_of_local_day(
        plan.spec.end_date + chrono::Duration::days(1),
        crate::domain::organization::DEFAULT_TIMEZONE,
    ) + chrono::Duration::hours(8);
    let (_clock, shared) = super::manual_clock(morning);
    let state = super::offline_state(&config(&db), shared)
        .await
        .expect("state");
    let report = crate::scheduler::run_once(&state).await.expect("tick");
    assert!(
        report.periods_judged > 0 && report.requirements_missed > 0,
        "{report:?}"
    );
}

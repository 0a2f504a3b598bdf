//! Test support: what a seeded SQLite database holds, read as text rows, so that tests
//! outside the store compare databases without SQL of their own.

use sqlx::SqlitePool;

/// Everything both paths write, without the random ids (references to other rows
/// are replaced by what those rows are about).
const SEEDED: &[(&str, &str)] = &[
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

/// Every table both seeding paths write, as `(table, rows)`, rows as `a|b|c` text.
pub(crate) async fn seeded_rows(url: &str) -> Vec<(&'static str, Vec<String>)> {
    let mut out = Vec::new();
    for (table, sql) in SEEDED {
        out.push((*table, rows(url, sql).await));
    }
    out
}

/// Every index of the schema with its definition, as `name|table|sql`.
pub(crate) async fn indexes(url: &str) -> Vec<String> {
    rows(
        url,
        "SELECT name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name",
    )
    .await
}

/// The scheduler's claimed runs, as `job|run_key`.
pub(crate) async fn job_runs(url: &str) -> Vec<String> {
    rows(url, "SELECT job, run_key FROM job_runs").await
}

/// The details of the `requirement_missed` anomalies raised (JSON text).
pub(crate) async fn requirement_missed(url: &str) -> Vec<String> {
    rows(
        url,
        "SELECT detail FROM anomalies WHERE kind = 'requirement_missed' ORDER BY detail",
    )
    .await
}

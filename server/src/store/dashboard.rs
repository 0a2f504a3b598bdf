//! The dashboard's aggregates over anomalies: counts per local day and kind, and
//! open anomalies by age, each one grouped query over a jurisdiction subtree.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Store, StoreResult, on_pool, to_ms};
use crate::domain::jurisdiction::JurisdictionPath;

/// Anomalies of one kind detected on one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub date: NaiveDate,
    pub kind: String,
    pub count: u64,
}

/// Open anomalies counted by age bucket: younger than each bound, then the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgeCounts {
    pub under_first: u64,
    pub under_second: u64,
    pub under_third: u64,
    pub older: u64,
}

/// Anomalies are scoped by their site (else the jurisdiction they name), as the
/// anomaly list scopes them.
const SCOPED: &str = "FROM anomalies a \
    LEFT JOIN organizations o ON o.id = a.site_id \
    LEFT JOIN jurisdictions j ON j.code = COALESCE(o.jurisdiction_code, a.jurisdiction_code) \
    WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2)";

fn subtree(within: Option<&JurisdictionPath>) -> (String, String) {
    match within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    }
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    /// Anomalies detected in `[from, before)` per local day and kind, the local day
    /// taken at a fixed `utc_offset_s` (Asia/Shanghai keeps +08:00 all year).
    pub async fn anomalies_per_day(
        &self,
        within: Option<&JurisdictionPath>,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
        utc_offset_s: i32,
    ) -> StoreResult<Vec<DayCount>> {
        let sql = format!(
            "SELECT (a.detected_at + $5) / {DAY_MS} AS day, a.kind, COUNT(*) AS n {SCOPED} \
             AND a.detected_at >= $3 AND a.detected_at < $4 \
             GROUP BY (a.detected_at + $5) / {DAY_MS}, a.kind ORDER BY day, a.kind"
        );
        let (root, below) = subtree(within);
        let offset_ms = i64::from(utc_offset_s) * 1000;
        let rows: Vec<(i64, String, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(root)
                .bind(below)
                .bind(to_ms(from))
                .bind(to_ms(before))
                .bind(offset_ms)
                .fetch_all(pool)
                .await?);
        Ok(rows
            .into_iter()
            .filter_map(|(day, kind, n)| {
                let date = DateTime::from_timestamp_millis(day.checked_mul(DAY_MS)?)?.date_naive();
                Some(DayCount {
                    date,
                    kind,
                    count: u64::try_from(n).ok()?,
                })
            })
            .collect())
    }

    /// Open anomalies counted by how long before `now` they were detected, split
    /// at `bounds` (ascending); a wait equal to a bound counts as the older bucket.
    pub async fn open_anomaly_ages(
        &self,
        within: Option<&JurisdictionPath>,
        now: DateTime<Utc>,
        bounds: [Duration; 3],
    ) -> StoreResult<AgeCounts> {
        let sql = format!(
            "SELECT \
             COALESCE(SUM(CASE WHEN a.detected_at > $3 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.detected_at <= $3 AND a.detected_at > $4 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.detected_at <= $4 AND a.detected_at > $5 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.detected_at <= $5 THEN 1 ELSE 0 END), 0) \
             {SCOPED} AND a.status = 'open'"
        );
        let (root, below) = subtree(within);
        let [first, second, third] = bounds.map(|b| to_ms(now - b));
        let (a, b, c, d): (i64, i64, i64, i64) = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(root)
                .bind(below)
                .bind(first)
                .bind(second)
                .bind(third)
                .fetch_one(pool)
                .await?);
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(AgeCounts {
            under_first: n(a),
            under_second: n(b),
            under_third: n(c),
            older: n(d),
        })
    }
}

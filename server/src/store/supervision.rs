//! Inspections, presence spot-checks and the scheduler's job claims. Every write that
//! raises an anomaly raises it in the same transaction, and every state change is
//! conditional, so several processes sharing one database never do the work twice.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{InspectionKind, PresenceCheckStatus};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::inserts::ANOMALIES;
use super::statement::{Param, Step, bind_step, numbered_marks};
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::anomaly::AnomalyKind;

/// An anomaly to insert (status `open`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnomaly {
    pub id: Uuid,
    pub kind: AnomalyKind,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub event_ids: Vec<Uuid>,
    pub detected_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

/// An anomaly as stored, for checks and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnomaly {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub detected_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

/// An inspection (暗访 / 现场核查) as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionRecord {
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: InspectionKind,
    pub observed_at: DateTime<Utc>,
    pub inspector_id: Uuid,
    pub present_physician_ids: Vec<Uuid>,
    pub absent_physician_ids: Vec<Uuid>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// The inspector's own fix (WGS-84), when recorded.
    pub fix: Option<mobile_api::InspectorFix>,
    /// How far that fix lay outside the site's fence, metres.
    pub fix_distance_m: Option<f64>,
}

/// A visit near an instant, with what is needed to tell when it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitNear {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub local_date: NaiveDate,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// When it was closed without a check-out (end of its local day).
    pub auto_closed_at: Option<DateTime<Utc>>,
    /// The site's time zone name.
    pub timezone: String,
}

/// A presence spot-check (在岗抽查) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceCheckRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub status: PresenceCheckStatus,
    pub answered_event_id: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct PresenceRow {
    id: String,
    physician_id: String,
    site_id: Option<String>,
    visit_id: Option<String>,
    requested_by: String,
    requested_at: i64,
    deadline_at: i64,
    status: String,
    answered_event_id: Option<String>,
    resolved_at: Option<i64>,
}

fn parse_opt(text: Option<String>) -> StoreResult<Option<Uuid>> {
    text.as_deref().map(parse_uuid).transpose()
}

impl TryFrom<PresenceRow> for PresenceCheckRecord {
    type Error = StoreError;
    fn try_from(row: PresenceRow) -> StoreResult<PresenceCheckRecord> {
        Ok(PresenceCheckRecord {
            id: parse_uuid(&row.id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            site_id: parse_opt(row.site_id)?,
            visit_id: parse_opt(row.visit_id)?,
            requested_by: parse_uuid(&row.requested_by)?,
            requested_at: from_ms(row.requested_at)?,
            deadline_at: from_ms(row.deadline_at)?,
            status: decode_enum(&row.status)?,
            answered_event_id: parse_opt(row.answered_event_id)?,
            resolved_at: row.resolved_at.map(from_ms).transpose()?,
        })
    }
}

const PRESENCE_COLUMNS: &str = "id, physician_id, site_id, visit_id, requested_by, requested_at, \
                                deadline_at, status, answered_event_id, resolved_at";

static INSERT_ANOMALY: LazyLock<String> = LazyLock::new(|| ANOMALIES.sql(1));

impl NewAnomaly {
    /// The row's values, in the order of [`ANOMALIES`]: raised open.
    pub fn values(&self) -> Vec<Param> {
        let event_ids: Vec<String> = self.event_ids.iter().map(Uuid::to_string).collect();
        vec![
            self.id.to_string().into(),
            self.kind.as_str().into(),
            self.kind.severity().as_str().into(),
            "open".into(),
            self.physician_id.to_string().into(),
            self.site_id.into(),
            self.visit_id.into(),
            serde_json::to_string(&event_ids)
                .unwrap_or_else(|_| "[]".into())
                .into(),
            self.detected_at.into(),
            self.detail.to_string().into(),
        ]
    }

    /// The insert of this anomaly, for either driver (sqlx here, and in an attempt's
    /// plan also the SQLite group commit's writer).
    pub fn insert(&self) -> Step {
        Step::new(&INSERT_ANOMALY, self.values())
    }
}

/// Inserts a [`NewAnomaly`] on a transaction of either database.
macro_rules! insert_raised {
    ($executor:expr, $anomaly:expr) => {{
        let a: &NewAnomaly = $anomaly;
        let insert = a.insert();
        bind_step!(sqlx::query(insert.sql), &insert)
            .execute($executor)
            .await?;
    }};
}

fn ids_json(ids: &[Uuid]) -> StoreResult<String> {
    serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    // ---- inspections ----

    /// Stores an inspection with the anomalies its cross-check raised, together.
    pub async fn insert_inspection(
        &self,
        inspection: &InspectionRecord,
        raised: &[NewAnomaly],
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO inspections (id, site_id, kind, observed_at, inspector_id, \
            present_physician_ids, absent_physician_ids, note, created_at, audit_seq, \
            fix_lat, fix_lon, fix_accuracy_m, fix_at, fix_distance_m) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
        let present = ids_json(&inspection.present_physician_ids)?;
        let absent = ids_json(&inspection.absent_physician_ids)?;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(inspection.id.to_string())
                .bind(inspection.site_id.to_string())
                .bind(inspection.kind.as_str())
                .bind(to_ms(inspection.observed_at))
                .bind(inspection.inspector_id.to_string())
                .bind(&present)
                .bind(&absent)
                .bind(&inspection.note)
                .bind(to_ms(inspection.created_at))
                .bind(slot.link())
                .bind(inspection.fix.as_ref().map(|f| f.lat))
                .bind(inspection.fix.as_ref().map(|f| f.lon))
                .bind(inspection.fix.as_ref().and_then(|f| f.accuracy_m))
                .bind(inspection.fix.as_ref().and_then(|f| f.fix_time).map(to_ms))
                .bind(inspection.fix_distance_m)
                .execute(&mut *tx)
                .await?;
            for anomaly in raised {
                insert_raised!(&mut *tx, anomaly);
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The physician's visits checked in during the two days up to `at` (a visit never
    /// outlasts its local day, so this finds every visit open at `at`).
    pub async fn visits_near(
        &self,
        physician_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<VisitNear>> {
        const SQL: &str = "SELECT v.id, v.physician_id, v.site_id, v.local_date, v.checked_in_at, \
            v.checked_out_at, v.status, v.closed_at, o.timezone \
            FROM visits v JOIN organizations o ON o.id = v.site_id \
            WHERE v.physician_id = $1 AND v.checked_in_at <= $2 AND v.checked_in_at >= $3 \
            ORDER BY v.checked_in_at, v.id";
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            physician_id: String,
            site_id: String,
            local_date: String,
            checked_in_at: i64,
            checked_out_at: Option<i64>,
            status: String,
            closed_at: Option<i64>,
            timezone: String,
        }
        let since = at - chrono::Duration::days(2);
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(to_ms(at))
            .bind(to_ms(since))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|r| {
                Ok(VisitNear {
                    id: parse_uuid(&r.id)?,
                    physician_id: parse_uuid(&r.physician_id)?,
                    site_id: parse_uuid(&r.site_id)?,
                    local_date: r
                        .local_date
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("date {:?}", r.local_date)))?,
                    checked_in_at: from_ms(r.checked_in_at)?,
                    checked_out_at: r.checked_out_at.map(from_ms).transpose()?,
                    auto_closed_at: match (r.status.as_str(), r.closed_at) {
                        ("auto_closed", Some(ms)) => Some(from_ms(ms)?),
                        _ => None,
                    },
                    timezone: r.timezone,
                })
            })
            .collect()
    }

    // ---- presence checks ----

    pub async fn insert_presence_check(
        &self,
        check: &PresenceCheckRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "INSERT INTO presence_checks ({PRESENCE_COLUMNS}, audit_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )
        });
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL.as_str())
            .bind(check.id.to_string())
            .bind(check.physician_id.to_string())
            .bind(check.site_id.map(|u| u.to_string()))
            .bind(check.visit_id.map(|u| u.to_string()))
            .bind(check.requested_by.to_string())
            .bind(to_ms(check.requested_at))
            .bind(to_ms(check.deadline_at))
            .bind(check.status.as_str())
            .bind(check.answered_event_id.map(|u| u.to_string()))
            .bind(check.resolved_at.map(to_ms))
            .bind(slot.link())
            .execute(&mut *tx)
            .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn presence_check(&self, id: Uuid) -> StoreResult<Option<PresenceCheckRecord>> {
        let sql = format!("SELECT {PRESENCE_COLUMNS} FROM presence_checks WHERE id = $1");
        let row: Option<PresenceRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(PresenceCheckRecord::try_from).transpose()
    }

    /// The physician's pending checks a scan at `site_id` at `at` answers: requested at
    /// or before it, due at or after it, for that site or for any.
    pub async fn answerable_presence_checks(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        const SQL: &str = "SELECT id FROM presence_checks WHERE physician_id = $1 \
            AND status = 'pending' AND requested_at <= $2 AND deadline_at >= $2 \
            AND (site_id IS NULL OR site_id = $3) ORDER BY deadline_at, id";
        let query = Step::new(
            SQL,
            vec![
                physician_id.to_string().into(),
                at.into(),
                site_id.to_string().into(),
            ],
        );
        let rows: Vec<(String,)> = self.read_all(&query).await?;
        rows.iter().map(|(id,)| parse_uuid(id)).collect()
    }

    /// Pending checks whose deadline is before `now`, oldest first, at most `limit`.
    pub async fn due_presence_checks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<PresenceCheckRecord>> {
        let sql = format!(
            "SELECT {PRESENCE_COLUMNS} FROM presence_checks WHERE status = 'pending' \
             AND deadline_at < $1 ORDER BY deadline_at, id LIMIT $2"
        );
        let rows: Vec<PresenceRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(to_ms(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(PresenceCheckRecord::try_from)
            .collect()
    }

    /// Marks a check missed and raises `presence_check_missed`, in one transaction. False
    /// when it was no longer pending (answered meanwhile, or another process expired it).
    pub async fn expire_presence_check(
        &self,
        check: &PresenceCheckRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        const SQL: &str = "UPDATE presence_checks SET status = 'missed', resolved_at = $2 \
            WHERE id = $1 AND status = 'pending' AND deadline_at < $2";
        let anomaly = NewAnomaly {
            id: Uuid::new_v4(),
            kind: AnomalyKind::PresenceCheckMissed,
            physician_id: check.physician_id,
            site_id: check.site_id,
            visit_id: check.visit_id,
            event_ids: Vec::new(),
            detected_at: now,
            detail: serde_json::json!({
                "presence_check_id": check.id,
                "requested_by": check.requested_by,
                "requested_at": check.requested_at,
                "deadline_at": check.deadline_at,
            }),
        };
        let expired = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(SQL)
                .bind(check.id.to_string())
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                insert_raised!(&mut *tx, &anomaly);
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        Ok(expired)
    }

    // ---- scheduler ----

    /// Claims one run of a job: true for exactly one caller across every process
    /// sharing the database.
    pub async fn claim_job(
        &self,
        job: &str,
        run_key: &str,
        claimed_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        const SQL: &str = "INSERT INTO job_runs (job, run_key, claimed_by, claimed_at, finished_at) \
            VALUES ($1, $2, $3, $4, $4) ON CONFLICT (job, run_key) DO NOTHING";
        let inserted = on_pool!(self.db(), pool => sqlx::query(SQL)
            .bind(job)
            .bind(run_key)
            .bind(claimed_by)
            .bind(to_ms(now))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(inserted == 1)
    }

    /// Claims a run and, when given, raises its anomaly in the same transaction: the
    /// anomaly exists exactly when the claim does. False when the run was claimed before.
    pub async fn claim_job_raising(
        &self,
        job: &str,
        run_key: &str,
        claimed_by: &str,
        now: DateTime<Utc>,
        anomaly: Option<&NewAnomaly>,
    ) -> StoreResult<bool> {
        const SQL: &str = "INSERT INTO job_runs (job, run_key, claimed_by, claimed_at, finished_at) \
            VALUES ($1, $2, $3, $4, $4) ON CONFLICT (job, run_key) DO NOTHING";
        let claimed = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(SQL)
                .bind(job)
                .bind(run_key)
                .bind(claimed_by)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 1 {
                if let Some(anomaly) = anomaly {
                    insert_raised!(&mut *tx, anomaly);
                }
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        Ok(claimed)
    }

    /// The run keys of `job` already claimed that start with `prefix`.
    pub async fn claimed_runs(&self, job: &str, prefix: &str) -> StoreResult<HashSet<String>> {
        const SQL: &str =
            "SELECT run_key FROM job_runs WHERE job = $1 AND substr(run_key, 1, $2) = $3";
        let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        let rows: Vec<(String,)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(job)
            .bind(length)
            .bind(prefix)
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(|(key,)| key).collect())
    }

    /// Which of `keys` of `job` are claimed: point reads of the primary key, a few
    /// hundred keys a statement.
    pub async fn claimed_among(&self, job: &str, keys: &[String]) -> StoreResult<HashSet<String>> {
        let mut claimed = HashSet::new();
        for chunk in keys.chunks(500) {
            let marks = numbered_marks(2, chunk.len());
            let sql = format!(
                "SELECT run_key FROM job_runs WHERE job = $1 AND run_key IN ({})",
                marks
            );
            let rows: Vec<(String,)> = on_pool!(self.db(), pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(job);
                for key in chunk {
                    query = query.bind(key);
                }
                query.fetch_all(pool).await?
            });
            claimed.extend(rows.into_iter().map(|(key,)| key));
        }
        Ok(claimed)
    }

    /// The instant through which `job` has judged everything due (its watermark),
    /// if it ever finished a tick.
    pub async fn job_watermark(&self, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT judged_through FROM job_watermarks WHERE job = $1";
        let row: Option<(i64,)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(job)
            .fetch_optional(pool)
            .await?);
        row.map(|(ms,)| from_ms(ms)).transpose()
    }

    /// Moves `job`'s watermark up to `through`; never down (another process may
    /// have moved it further meanwhile).
    pub async fn advance_job_watermark(
        &self,
        job: &str,
        through: DateTime<Utc>,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO job_watermarks (job, judged_through) VALUES ($1, $2) \
            ON CONFLICT (job) DO UPDATE SET judged_through = excluded.judged_through \
            WHERE job_watermarks.judged_through < excluded.judged_through";
        on_pool!(self.db(), pool => sqlx::query(SQL)
            .bind(job)
            .bind(to_ms(through))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The time zones of the organizations (a handful of distinct values).
    pub async fn site_timezones(&self) -> StoreResult<Vec<chrono_tz::Tz>> {
        const SQL: &str = "SELECT DISTINCT timezone FROM organizations";
        let rows: Vec<(String,)> =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.iter()
            .map(|(tz,)| {
                crate::domain::organization::parse_timezone(tz)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// Every anomaly raised for a physician, oldest first (for checks and tests).
    pub async fn anomalies_raised_for(
        &self,
        physician_id: Uuid,
    ) -> StoreResult<Vec<StoredAnomaly>> {
        const SQL: &str = "SELECT id, kind, status, physician_id, site_id, visit_id, detected_at, \
            detail FROM anomalies WHERE physician_id = $1 ORDER BY detected_at, id";
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            kind: String,
            status: String,
            physician_id: String,
            site_id: Option<String>,
            visit_id: Option<String>,
            detected_at: i64,
            detail: String,
        }
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|r| {
                Ok(StoredAnomaly {
                    id: parse_uuid(&r.id)?,
                    kind: r.kind,
                    status: r.status,
                    physician_id: parse_uuid(&r.physician_id)?,
                    site_id: parse_opt(r.site_id)?,
                    visit_id: parse_opt(r.visit_id)?,
                    detected_at: from_ms(r.detected_at)?,
                    detail: serde_json::from_str(&r.detail)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    async fn store() -> (Store, std::path::PathBuf) {
        crate::store::temp_store("supervision", 2).await
    }

    #[tokio::test]
    async fn a_job_run_is_claimed_once() {
        let (store, dir) = store().await;
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("valid");
        assert!(
            store
                .claim_job("j", "a:1", "p1", now)
                .await
                .expect("claims")
        );
        assert!(
            !store
                .claim_job("j", "a:1", "p2", now)
                .await
                .expect("claims")
        );
        assert!(
            store
                .claim_job("j", "a:2", "p2", now)
                .await
                .expect("claims")
        );
        assert!(
            store
                .claim_job("k", "a:1", "p2", now)
                .await
                .expect("claims")
        );
        let keys = store.claimed_runs("j", "a:").await.expect("reads");
        assert_eq!(keys.len(), 2);
        assert!(
            store
                .claimed_runs("j", "b:")
                .await
                .expect("reads")
                .is_empty()
        );
        // A claim that raises no anomaly still counts.
        let later = now + Duration::days(1);
        assert!(
            !store
                .claim_job_raising("j", "a:2", "p3", later, None)
                .await
                .expect("claims")
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

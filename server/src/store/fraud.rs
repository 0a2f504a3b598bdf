//! The reads of the anti-fraud detectors that look past one attempt: fixes near a
//! reported point, the coordinate systems a physician declared, the accounts a device
//! is bound to, scans of one site within seconds, and whether a phone was online
//! between an offline scan and its upload. Each is an indexed read of a few rows.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::attendance::{FIX_COLUMNS, FixRow};
use super::columns::{Columns, FromColumns};
use super::statement::Step;
use super::{Store, StoreResult, from_ms, parse_uuid};
use crate::domain::coords::Crs;
use crate::domain::detectors::{Bounds, PastFix, ReportedFix};
use crate::domain::plausibility::CrsHistory;

struct ReportedRow {
    id: String,
    physician_id: String,
    visit_id: Option<String>,
    reported_lat: f64,
    reported_lon: f64,
    accuracy_m: f64,
    scanned_at: i64,
}

impl FromColumns for ReportedRow {
    fn from_columns(row: &impl Columns) -> StoreResult<ReportedRow> {
        Ok(ReportedRow {
            id: row.get("id")?,
            physician_id: row.get("physician_id")?,
            visit_id: row.get("visit_id")?,
            reported_lat: row.get("reported_lat")?,
            reported_lon: row.get("reported_lon")?,
            accuracy_m: row.get("accuracy_m")?,
            scanned_at: row.get("scanned_at")?,
        })
    }
}

struct RecentRow {
    fix: FixRow,
    crs: String,
}

impl FromColumns for RecentRow {
    fn from_columns(row: &impl Columns) -> StoreResult<RecentRow> {
        Ok(RecentRow {
            fix: FixRow::from_columns(row)?,
            crs: row.get("crs")?,
        })
    }
}

/// How many of the physician's latest accepted scans `recent_fixes` looks at.
const CRS_HISTORY_SCANS: i64 = 50;

impl Store {
    /// Accepted events whose reported coordinates lie in `near` (see
    /// [`crate::domain::detectors::surely_within`]): the candidates of `repeated_fix`.
    pub async fn repeat_candidates(&self, near: &Bounds) -> StoreResult<Vec<ReportedFix>> {
        const SQL: &str = "SELECT id, physician_id, visit_id, reported_lat, reported_lon, \
             accuracy_m, scanned_at FROM attendance_events \
             WHERE reported_lat >= $1 AND reported_lat <= $2 \
             AND reported_lon >= $3 AND reported_lon <= $4 AND verdict <> 'refused' LIMIT 20";
        let query = Step::new(
            SQL,
            vec![
                near.south_west.lat.into(),
                near.north_east.lat.into(),
                near.south_west.lon.into(),
                near.north_east.lon.into(),
            ],
        );
        let rows: Vec<ReportedRow> = self.read_all(&query).await?;
        rows.into_iter()
            .map(|r| {
                Ok(ReportedFix {
                    event_id: parse_uuid(&r.id)?,
                    physician_id: parse_uuid(&r.physician_id)?,
                    visit_id: r.visit_id.as_deref().map(parse_uuid).transpose()?,
                    point: crate::domain::coords::LatLon::new(r.reported_lat, r.reported_lon),
                    accuracy_m: r.accuracy_m,
                    at: from_ms(r.scanned_at)?,
                })
            })
            .collect()
    }

    /// The physician's latest accepted fixes scanned at or before `at` (newest first,
    /// ties by id, as `impossible_travel` wants the first), and the coordinate systems
    /// they declared, on `device_id` and on any device: one indexed read serving
    /// `impossible_travel`, `crs_changed` and `crs_mislabelled`.
    pub async fn recent_fixes(
        &self,
        physician_id: Uuid,
        device_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<(Option<PastFix>, CrsHistory)> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {FIX_COLUMNS}, crs FROM attendance_events WHERE physician_id = $1 \
                 AND verdict <> 'refused' AND scanned_at <= $2 \
                 ORDER BY scanned_at DESC, id LIMIT {CRS_HISTORY_SCANS}"
            )
        });
        let query = Step::new(&SQL, vec![physician_id.to_string().into(), at.into()]);
        let rows: Vec<RecentRow> = self.read_all(&query).await?;
        let mut history = CrsHistory::default();
        let mut latest = None;
        for row in rows {
            if let Ok(crs) = row.crs.parse::<Crs>() {
                if !history.by_physician.contains(&crs) {
                    history.by_physician.push(crs);
                }
                if row.fix.device_id == device_id && !history.on_this_device.contains(&crs) {
                    history.on_this_device.push(crs);
                }
            }
            if latest.is_none() {
                latest = Some(PastFix::try_from(row.fix)?);
            }
        }
        Ok((latest, history))
    }

    /// The device bound to the physician, and the other physicians `device_id` is
    /// bound to: one read of `devices`.
    pub async fn device_bindings(
        &self,
        physician_id: Uuid,
        device_id: &str,
    ) -> StoreResult<(Option<String>, Vec<Uuid>)> {
        const SQL: &str = "SELECT physician_id, device_id FROM devices \
                           WHERE physician_id = $1 OR device_id = $2 LIMIT 20";
        let query = Step::new(SQL, vec![physician_id.to_string().into(), device_id.into()]);
        let rows: Vec<(String, String)> = self.read_all(&query).await?;
        let me = physician_id.to_string();
        let mut bound = None;
        let mut others = Vec::new();
        for (physician, device) in rows {
            if physician == me {
                bound = Some(device);
            } else {
                others.push(parse_uuid(&physician)?);
            }
        }
        others.sort();
        Ok((bound, others))
    }

    /// Accepted scans by other physicians of codes `steps` of one site and kind,
    /// scanned between `from` and `to`: who was there within seconds of `current`.
    pub async fn scans_together(
        &self,
        site_id: Uuid,
        kind: &str,
        steps: (i64, i64),
        current: &PastFix,
        within: Duration,
    ) -> StoreResult<Vec<PastFix>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {FIX_COLUMNS} FROM attendance_events WHERE site_id = $1 \
                 AND code_kind = $2 AND code_step >= $3 AND code_step <= $4 \
                 AND verdict <> 'refused' AND physician_id <> $5 \
                 AND scanned_at >= $6 AND scanned_at <= $7 ORDER BY scanned_at LIMIT 50"
            )
        });
        let query = Step::new(
            &SQL,
            vec![
                site_id.to_string().into(),
                kind.into(),
                steps.0.into(),
                steps.1.into(),
                current.physician_id.to_string().into(),
                (current.at - within).into(),
                (current.at + within).into(),
            ],
        );
        let rows: Vec<FixRow> = self.read_all(&query).await?;
        rows.into_iter().map(PastFix::try_from).collect()
    }

    /// The sites where `physician_id` and `partner` made accepted scans within
    /// `within` of each other, before `before`.
    pub async fn sites_together(
        &self,
        physician_id: Uuid,
        partner: Uuid,
        within: Duration,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        const SQL: &str = "SELECT DISTINCT a.site_id FROM attendance_events a \
             JOIN attendance_events b ON b.site_id = a.site_id AND b.code_kind = a.code_kind \
             AND b.code_step >= a.code_step - 1 AND b.code_step <= a.code_step + 1 \
             AND b.scanned_at >= a.scanned_at - $3 AND b.scanned_at <= a.scanned_at + $3 \
             WHERE a.physician_id = $1 AND a.verdict <> 'refused' AND a.scanned_at < $4 \
             AND a.site_id IS NOT NULL \
             AND b.physician_id = $2 AND b.verdict <> 'refused' LIMIT 20";
        let query = Step::new(
            SQL,
            vec![
                physician_id.to_string().into(),
                partner.to_string().into(),
                within.num_milliseconds().into(),
                before.into(),
            ],
        );
        let rows: Vec<(String,)> = self.read_all(&query).await?;
        rows.iter().map(|(id,)| parse_uuid(id)).collect()
    }

    /// Whether the physician made a live scan (uploaded within `live_within` of its
    /// scan) after `scanned_at` and before `received_at`: the phone had a network.
    pub async fn online_between(
        &self,
        physician_id: Uuid,
        scanned_at: DateTime<Utc>,
        received_at: DateTime<Utc>,
        live_within: Duration,
    ) -> StoreResult<bool> {
        const SQL: &str = "SELECT id FROM attendance_events WHERE physician_id = $1 \
             AND scanned_at > $2 AND scanned_at < $3 AND received_at - scanned_at <= $4 LIMIT 1";
        let query = Step::new(
            SQL,
            vec![
                physician_id.to_string().into(),
                scanned_at.into(),
                received_at.into(),
                live_within.num_milliseconds().into(),
            ],
        );
        let row: Option<(String,)> = self.read_first(&query).await?;
        Ok(row.is_some())
    }

    /// The physician's binding: device and when it was made.
    pub async fn device_binding(
        &self,
        physician_id: Uuid,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        const SQL: &str = "SELECT device_id, bound_at FROM devices WHERE physician_id = $1";
        let query = Step::new(SQL, vec![physician_id.to_string().into()]);
        let row: Option<(String, i64)> = self.read_first(&query).await?;
        row.map(|(device, at)| Ok((device, from_ms(at)?)))
            .transpose()
    }
}

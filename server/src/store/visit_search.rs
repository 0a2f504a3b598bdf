//! The supervisors' visit search: every filter of the console's visit list,
//! including the visit's worth (full / half / none / pending), answered by one set-
//! based query, with a count for paging and the fixes of one visit for its map.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::attendance::VisitRecord;
use super::{Store, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};
use crate::domain::coords::LatLon;
use crate::domain::crediting::Thresholds;
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::visit_credit::VisitCredit;

/// Which visits to find. `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct VisitSearch<'a> {
    pub within: Option<&'a JurisdictionPath>,
    pub site_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    /// The physician's organization (支援医院).
    pub hospital_id: Option<Uuid>,
    /// `open`, `closed` or `auto_closed`.
    pub status: Option<&'a str>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub credit: Option<VisitCredit>,
    /// With at least one anomaly (`true`) or none (`false`).
    pub flagged: Option<bool>,
}

/// Which slice of the matches: after a keyset cursor, and/or skipping `offset`.
#[derive(Debug, Clone, Copy, Default)]
pub struct VisitSlice {
    /// The `(checked_in_at, id)` of the last visit of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub offset: u64,
    pub limit: u32,
}

/// One match, with the names and the programme thresholds its row shows.
#[derive(Debug, Clone)]
pub struct FoundVisit {
    pub record: VisitRecord,
    pub thresholds: Thresholds,
    pub site_name: String,
    pub physician_name: String,
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FoundRow {
    id: String,
    physician_id: String,
    site_id: String,
    assignment_id: String,
    local_date: String,
    checked_in_at: i64,
    checked_out_at: Option<i64>,
    status: String,
    half_day_minutes: i64,
    full_day_minutes: i64,
    site_name: String,
    physician_name: String,
    hospital_id: Option<String>,
    hospital_name: Option<String>,
}

impl TryFrom<FoundRow> for FoundVisit {
    type Error = super::StoreError;
    fn try_from(r: FoundRow) -> StoreResult<FoundVisit> {
        let corrupt = |what: &str| super::StoreError::Corrupt(format!("{what} of visit {}", r.id));
        Ok(FoundVisit {
            record: VisitRecord {
                id: parse_uuid(&r.id)?,
                physician_id: parse_uuid(&r.physician_id)?,
                site_id: parse_uuid(&r.site_id)?,
                assignment_id: parse_uuid(&r.assignment_id)?,
                local_date: r.local_date.parse().map_err(|_| corrupt("local_date"))?,
                checked_in_at: from_ms(r.checked_in_at)?,
                checked_out_at: r.checked_out_at.map(from_ms).transpose()?,
                status: r.status,
            },
            thresholds: Thresholds {
                half_day_minutes: u32::try_from(r.half_day_minutes)
                    .map_err(|_| corrupt("half_day_minutes"))?,
                full_day_minutes: u32::try_from(r.full_day_minutes)
                    .map_err(|_| corrupt("full_day_minutes"))?,
            },
            site_name: r.site_name,
            physician_name: r.physician_name,
            hospital_id: parse_opt_uuid(r.hospital_id)?,
            hospital_name: r.hospital_name,
        })
    }
}

/// The candidates with their review facts. `credited_until` is the check-out a
/// visit is credited up to: its own, or for an auto-closed visit whose
/// `missing_checkout` was dismissed the end of the assignment's daily window on its
/// day, between the check-in and the end of the day (as
/// `service::visits::granted_check_out`). An auto-closed visit's `closed_at` is the
/// end of its local day, so the day began 24 hours earlier (off by an hour only on
/// a daylight-saving change, which Chinese sites do not have).
const CANDIDATES: &str = "WITH base AS ( \
    SELECT v.id, v.physician_id, v.site_id, v.assignment_id, v.local_date, \
        v.checked_in_at, v.checked_out_at, v.status, v.closed_at, \
        p.half_day_minutes, p.full_day_minutes, \
        o.name AS site_name, u.name AS physician_name, \
        u.organization_id AS hospital_id, h.name AS hospital_name, \
        CASE WHEN EXISTS (SELECT 1 FROM anomalies x WHERE x.visit_id = v.id \
            AND x.status = 'confirmed') THEN 1 ELSE 0 END AS confirmed, \
        CASE WHEN EXISTS (SELECT 1 FROM anomalies x WHERE x.visit_id = v.id \
            AND x.status = 'open') THEN 1 ELSE 0 END AS unreviewed, \
        CASE WHEN EXISTS (SELECT 1 FROM anomalies x WHERE x.visit_id = v.id) \
            THEN 1 ELSE 0 END AS flagged, \
        CASE WHEN v.status = 'auto_closed' AND v.closed_at IS NOT NULL AND EXISTS ( \
            SELECT 1 FROM anomalies x WHERE x.visit_id = v.id \
            AND x.kind = 'missing_checkout' AND x.status = 'dismissed') \
        THEN v.closed_at - 86400000 + (CAST(substr(a.window_end, 1, 2) AS INTEGER) * 60 \
            + CAST(substr(a.window_end, 4, 2) AS INTEGER)) * 60000 \
        ELSE NULL END AS window_close \
    FROM visits v \
    JOIN organizations o ON o.id = v.site_id \
    JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    JOIN assignments a ON a.id = v.assignment_id \
    JOIN programs p ON p.id = a.program_id \
    JOIN users u ON u.id = v.physician_id \
    LEFT JOIN organizations h ON h.id = u.organization_id \
    WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
    AND ($3 = '' OR v.site_id = $3) AND ($4 = '' OR v.physician_id = $4) \
    AND ($5 = '' OR u.organization_id = $5) AND ($6 = '' OR v.status = $6) \
    AND v.local_date >= $7 AND v.local_date <= $8 \
), c AS ( \
    SELECT base.*, \
        CASE WHEN checked_out_at IS NOT NULL THEN checked_out_at \
            WHEN window_close IS NULL THEN NULL \
            WHEN window_close < checked_in_at THEN checked_in_at \
            WHEN window_close > closed_at THEN closed_at \
            ELSE window_close END AS credited_until \
    FROM base \
) ";

/// The flag and worth filters over `c`; the worth mirrors
/// `domain::visit_credit::classify` over `service::visits::credit_state`.
const MATCHES: &str = "($9 = '' OR ($9 = 'yes' AND flagged = 1) OR ($9 = 'no' AND flagged = 0)) \
    AND ($10 = '' \
    OR ($10 = 'pending' AND (status = 'open' OR (confirmed = 0 AND unreviewed = 1 \
        AND credited_until IS NOT NULL))) \
    OR ($10 = 'none' AND status <> 'open' AND (confirmed = 1 OR credited_until IS NULL \
        OR (unreviewed = 0 AND credited_until - checked_in_at < half_day_minutes * 60000))) \
    OR ($10 = 'half' AND status <> 'open' AND confirmed = 0 AND unreviewed = 0 \
        AND credited_until IS NOT NULL \
        AND credited_until - checked_in_at >= half_day_minutes * 60000 \
        AND credited_until - checked_in_at < full_day_minutes * 60000) \
    OR ($10 = 'full' AND status <> 'open' AND confirmed = 0 AND unreviewed = 0 \
        AND credited_until IS NOT NULL \
        AND credited_until - checked_in_at >= full_day_minutes * 60000))";

fn subtree(within: Option<&JurisdictionPath>) -> (String, String) {
    match within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    }
}

fn uuid_or_empty(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

/// The ten bind values of [`CANDIDATES`] and [`MATCHES`], in order.
fn filter_binds(search: &VisitSearch<'_>) -> [String; 10] {
    let (root, below) = subtree(search.within);
    // ISO dates compare as text; these bounds lie outside any stored date.
    let from = search
        .from
        .map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
    let to = search
        .to
        .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
    let flagged = match search.flagged {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    [
        root,
        below,
        uuid_or_empty(search.site_id),
        uuid_or_empty(search.physician_id),
        uuid_or_empty(search.hospital_id),
        search.status.unwrap_or_default().to_owned(),
        from,
        to,
        flagged.to_owned(),
        search
            .credit
            .map(VisitCredit::as_str)
            .unwrap_or_default()
            .to_owned(),
    ]
}

/// One fix of a visit, as stored (WGS-84) with what the phone declared.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitFix {
    pub event_id: Uuid,
    /// `check_in` or `check_out`.
    pub action: String,
    pub at: DateTime<Utc>,
    pub point: LatLon,
    pub accuracy_m: f64,
    /// The coordinate system the phone said it used.
    pub crs: String,
    pub is_mock: bool,
    pub verdict: String,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
    /// The network evidence (see `domain::network`).
    pub network: NetworkRecord,
}

/// What was recorded of an attempt's network and queueing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkRecord {
    pub client_ip: Option<String>,
    pub network: Option<String>,
    pub ip_place: Option<String>,
    pub offline: bool,
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct FixRow {
    id: String,
    action: String,
    scanned_at: i64,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    crs: String,
    is_mock: bool,
    verdict: String,
    distance_to_fence_m: Option<f64>,
    geofence_version: Option<i64>,
    client_ip: Option<String>,
    network: Option<String>,
    ip_place: Option<String>,
    offline: bool,
    received_at: i64,
}

impl Store {
    /// Visits matching `search`, newest check-in first (ties by id), in `slice`.
    pub async fn search_visits(
        &self,
        search: &VisitSearch<'_>,
        slice: VisitSlice,
    ) -> StoreResult<Vec<FoundVisit>> {
        let sql = format!(
            "{CANDIDATES} SELECT id, physician_id, site_id, assignment_id, local_date, \
             checked_in_at, checked_out_at, status, half_day_minutes, full_day_minutes, \
             site_name, physician_name, hospital_id, hospital_name FROM c \
             WHERE {MATCHES} \
             AND (checked_in_at < $11 OR (checked_in_at = $11 AND id > $12)) \
             ORDER BY checked_in_at DESC, id LIMIT $13 OFFSET $14"
        );
        let (after_at, after_id) = match slice.after {
            Some((at, id)) => (to_ms(at), id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let offset = i64::try_from(slice.offset).unwrap_or(i64::MAX);
        let binds = filter_binds(search);
        let rows: Vec<FoundRow> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, FoundRow>(sqlx::AssertSqlSafe(sql));
            for value in &binds {
                query = query.bind(value);
            }
            query
                .bind(after_at)
                .bind(&after_id)
                .bind(i64::from(slice.limit))
                .bind(offset)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(FoundVisit::try_from).collect()
    }

    /// How many visits match `search` (paging aside).
    pub async fn count_visits(&self, search: &VisitSearch<'_>) -> StoreResult<u64> {
        let sql = format!("{CANDIDATES} SELECT COUNT(*) FROM c WHERE {MATCHES}");
        let binds = filter_binds(search);
        let (count,): (i64,) = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql));
            for value in &binds {
                query = query.bind(value);
            }
            query.fetch_one(pool).await?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The check-in and check-out fixes of a visit, check-in first.
    pub async fn visit_fixes(&self, visit_id: Uuid) -> StoreResult<Vec<VisitFix>> {
        const SQL: &str = "SELECT e.id, e.action, e.scanned_at, e.lat, e.lon, e.accuracy_m, \
            e.crs, e.is_mock, e.verdict, e.distance_to_fence_m, e.geofence_version, \
            e.client_ip, e.network, e.ip_place, e.offline, e.received_at \
            FROM visits v JOIN attendance_events e \
            ON e.id = v.check_in_event_id OR e.id = v.check_out_event_id \
            WHERE v.id = $1 ORDER BY e.scanned_at, e.action";
        let rows: Vec<FixRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(visit_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(VisitFix {
                    event_id: parse_uuid(&r.id)?,
                    action: r.action,
                    at: from_ms(r.scanned_at)?,
                    point: LatLon::new(r.lat, r.lon),
                    accuracy_m: r.accuracy_m,
                    crs: r.crs,
                    is_mock: r.is_mock,
                    verdict: r.verdict,
                    distance_to_fence_m: r.distance_to_fence_m,
                    geofence_version: r.geofence_version,
                    network: NetworkRecord {
                        client_ip: r.client_ip,
                        network: r.network,
                        ip_place: r.ip_place,
                        offline: r.offline,
                        received_at: Some(from_ms(r.received_at)?),
                    },
                })
            })
            .collect()
    }
}

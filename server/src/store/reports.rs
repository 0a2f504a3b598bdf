//! Set-based reads for the reports: the visits, anomalies, newest activities,
//! assignments, sites and physicians of a jurisdiction subtree (optionally one
//! hospital's staff) in a date range, a few queries per report whatever its size;
//! and the county facts the bureau records for the provincial table.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::attendance::{VisitAnomaly, VisitRecord, VisitRow};
use super::audit::{Provenance, audited_write};
use super::statement::numbered_marks;
use super::{
    Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_opt_uuid, parse_uuid,
    to_ms,
};
use crate::domain::assignment::Assignment;
use crate::domain::jurisdiction::{JurisdictionCode, JurisdictionPath, Level};
use crate::domain::organization::{OrganizationKind, parse_timezone};
use crate::domain::requirements::ActivityKind;
use crate::domain::user::Gender;
use crate::domain::window::DailyWindow;

/// What a report reads: sites in `within` (everything when `None`), physicians of
/// `hospital` only when set, local dates `from..=to`.
#[derive(Debug, Clone, Copy)]
pub struct ReportFilter<'a> {
    pub within: Option<&'a JurisdictionPath>,
    pub hospital: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A receiving site with its jurisdiction's name.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSite {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub timezone: chrono_tz::Tz,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub jurisdiction_level: Level,
    pub jurisdiction_path: JurisdictionPath,
}

/// A physician with their own organization (派出单位).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPhysician {
    pub id: Uuid,
    pub role: String,
    pub name: String,
    pub title: Option<String>,
    pub specialty: Option<String>,
    pub gender: Option<Gender>,
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    pub organization_kind: Option<OrganizationKind>,
}

/// The count of the newest record of one (visit, kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitActivity {
    pub visit_id: Uuid,
    pub kind: ActivityKind,
    pub count: u64,
}

/// A county-level jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyRef {
    pub code: String,
    pub name: String,
}

/// The facts of one county and year; `None` is not recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CountyFactsRecord {
    pub jurisdiction_code: String,
    pub year: i32,
    pub circuit_vehicles: Option<u32>,
    pub telemedicine_villages: Option<u32>,
    pub standard_reached_institutions: Option<u32>,
    pub subcenter_institutions: Option<u32>,
    pub public_health_improved_institutions: Option<u32>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// The subtree pattern: `($root, $root/%)`, or empty strings for everything.
pub(super) fn subtree(within: Option<&JurisdictionPath>) -> (String, String) {
    match within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    }
}

/// Binds `$1..$5` of a scoped query: from, to, subtree root and pattern, hospital.
macro_rules! bind_scope {
    ($query:expr, $filter:expr) => {{
        let filter: &ReportFilter<'_> = $filter;
        let (root, below) = subtree(filter.within);
        $query
            .bind(filter.from.to_string())
            .bind(filter.to.to_string())
            .bind(root)
            .bind(below)
            .bind(filter.hospital.map(|h| h.to_string()).unwrap_or_default())
    }};
}
pub(super) use bind_scope;

/// Joined to the visits of a scoped query, for the hospital filter.
const VISIT_PHYSICIAN: &str = "JOIN users u ON u.id = v.physician_id";

/// The conditions on `v` (and `u`) selecting a filter's visits. Within a subtree
/// the sites are listed first so each is read through `visits_site_date`; for
/// everything the date range is read through `visits_date`. `$1..$5` as bound by
/// `bind_scope!`.
fn visit_conditions(filter: &ReportFilter<'_>) -> &'static str {
    if filter.within.is_some() {
        "v.local_date >= $1 AND v.local_date <= $2 \
         AND v.site_id IN (SELECT so.id FROM organizations so \
             JOIN jurisdictions sj ON sj.code = so.jurisdiction_code \
             WHERE sj.path = $3 OR sj.path LIKE $4) \
         AND ($5 = '' OR u.organization_id = $5)"
    } else {
        "v.local_date >= $1 AND v.local_date <= $2 AND $3 = '' AND $4 = '' \
         AND ($5 = '' OR u.organization_id = $5)"
    }
}

/// The codes of the jurisdictions in the subtree `$3` (its root) / `$4` (below it).
const SUBTREE_CODES: &str =
    "SELECT sj.code FROM jurisdictions sj WHERE sj.path = $3 OR sj.path LIKE $4";

/// Assignments of the filter's scope overlapping its range, `$1..$5` as bound by
/// `bind_scope!`. Within a subtree its sites are listed first (its jurisdictions,
/// then their organizations through `organizations_jurisdiction`) and their
/// assignments read through `assignments_site`: a county's report reads its own
/// assignments, not every assignment of the province.
pub(super) fn scoped_assignments(filter: &ReportFilter<'_>) -> String {
    if filter.within.is_some() {
        format!(
            "FROM assignments a JOIN users u ON u.id = a.physician_id \
             WHERE a.site_id IN (SELECT so.id FROM organizations so \
                 WHERE so.jurisdiction_code IN ({SUBTREE_CODES})) \
             AND a.start_date <= $2 AND a.end_date >= $1 \
             AND ($5 = '' OR u.organization_id = $5)"
        )
    } else {
        "FROM assignments a \
         JOIN organizations o ON o.id = a.site_id \
         JOIN jurisdictions j ON j.code = o.jurisdiction_code \
         JOIN users u ON u.id = a.physician_id \
         WHERE a.start_date <= $2 AND a.end_date >= $1 AND $3 = '' AND $4 = '' \
         AND ($5 = '' OR u.organization_id = $5)"
            .to_owned()
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AssignmentRow {
    id: String,
    physician_id: String,
    site_id: String,
    program_id: String,
    mode: String,
    start_date: String,
    end_date: String,
    window_start: String,
    window_end: String,
    created_at: i64,
}

fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = StoreError;
    fn try_from(row: AssignmentRow) -> StoreResult<Assignment> {
        Ok(Assignment {
            id: parse_uuid(&row.id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            site_id: parse_uuid(&row.site_id)?,
            program_id: parse_uuid(&row.program_id)?,
            mode: decode_enum(&row.mode)?,
            start_date: parse_date(&row.start_date)?,
            end_date: parse_date(&row.end_date)?,
            window: DailyWindow::parse(&row.window_start, &row.window_end)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: from_ms(row.created_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: String,
    name: String,
    kind: String,
    timezone: String,
    jurisdiction_code: String,
    jurisdiction_name: String,
    jurisdiction_level: String,
    jurisdiction_path: String,
}

impl TryFrom<SiteRow> for ReportSite {
    type Error = StoreError;
    fn try_from(row: SiteRow) -> StoreResult<ReportSite> {
        Ok(ReportSite {
            id: parse_uuid(&row.id)?,
            name: row.name,
            kind: decode_enum(&row.kind)?,
            timezone: parse_timezone(&row.timezone)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            jurisdiction_code: row.jurisdiction_code,
            jurisdiction_name: row.jurisdiction_name,
            jurisdiction_level: decode_enum(&row.jurisdiction_level)?,
            jurisdiction_path: JurisdictionPath::from_stored(row.jurisdiction_path),
        })
    }
}

#[derive(sqlx::FromRow)]
struct PhysicianRow {
    id: String,
    role: String,
    name: String,
    title: Option<String>,
    specialty: Option<String>,
    gender: Option<String>,
    organization_id: Option<String>,
    organization_name: Option<String>,
    organization_kind: Option<String>,
}

impl TryFrom<PhysicianRow> for ReportPhysician {
    type Error = StoreError;
    fn try_from(row: PhysicianRow) -> StoreResult<ReportPhysician> {
        Ok(ReportPhysician {
            id: parse_uuid(&row.id)?,
            role: row.role,
            name: row.name,
            title: row.title,
            specialty: row.specialty,
            gender: row.gender.as_deref().map(decode_enum).transpose()?,
            organization_id: parse_opt_uuid(row.organization_id)?,
            organization_name: row.organization_name,
            organization_kind: row
                .organization_kind
                .as_deref()
                .map(decode_enum)
                .transpose()?,
        })
    }
}

const PHYSICIAN_COLUMNS: &str = "SELECT u.id, u.role, u.name, u.title, u.specialty, u.gender, \
    u.organization_id, h.name AS organization_name, h.kind AS organization_kind \
    FROM users u LEFT JOIN organizations h ON h.id = u.organization_id";

#[derive(sqlx::FromRow)]
struct FactsRow {
    jurisdiction_code: String,
    year: i64,
    circuit_vehicles: Option<i64>,
    telemedicine_villages: Option<i64>,
    standard_reached_institutions: Option<i64>,
    subcenter_institutions: Option<i64>,
    public_health_improved_institutions: Option<i64>,
    recorded_by: String,
    recorded_at: i64,
}

impl TryFrom<FactsRow> for CountyFactsRecord {
    type Error = StoreError;
    fn try_from(row: FactsRow) -> StoreResult<CountyFactsRecord> {
        let figure = |value: Option<i64>| {
            value
                .map(|v| {
                    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("county fact {v}")))
                })
                .transpose()
        };
        Ok(CountyFactsRecord {
            year: i32::try_from(row.year)
                .map_err(|_| StoreError::Corrupt(format!("year {}", row.year)))?,
            circuit_vehicles: figure(row.circuit_vehicles)?,
            telemedicine_villages: figure(row.telemedicine_villages)?,
            standard_reached_institutions: figure(row.standard_reached_institutions)?,
            subcenter_institutions: figure(row.subcenter_institutions)?,
            public_health_improved_institutions: figure(row.public_health_improved_institutions)?,
            recorded_by: parse_uuid(&row.recorded_by)?,
            recorded_at: from_ms(row.recorded_at)?,
            jurisdiction_code: row.jurisdiction_code,
        })
    }
}

const FACT_COLUMNS: &str = "f.jurisdiction_code, f.year, f.circuit_vehicles, \
    f.telemedicine_villages, f.standard_reached_institutions, f.subcenter_institutions, \
    f.public_health_improved_institutions, f.recorded_by, f.recorded_at";

impl Store {
    /// The scope's visits with a local date in range, any status.
    pub async fn report_visits(&self, filter: &ReportFilter<'_>) -> StoreResult<Vec<VisitRecord>> {
        let sql = format!(
            "SELECT v.id, v.physician_id, v.site_id, v.assignment_id, v.local_date, \
             v.checked_in_at, v.checked_out_at, v.status FROM visits v {VISIT_PHYSICIAN} \
             WHERE {}",
            visit_conditions(filter)
        );
        let rows: Vec<VisitRow> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        rows.into_iter().map(VisitRecord::try_from).collect()
    }

    /// The anomalies attached to the same visits as [`Store::report_visits`].
    pub async fn report_anomalies(
        &self,
        filter: &ReportFilter<'_>,
    ) -> StoreResult<Vec<VisitAnomaly>> {
        let sql = format!(
            "SELECT a.visit_id, a.kind, a.status FROM anomalies a \
             JOIN visits v ON v.id = a.visit_id {VISIT_PHYSICIAN} WHERE {}",
            visit_conditions(filter)
        );
        let rows: Vec<(String, String, String)> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(visit, kind, status)| {
                Ok(VisitAnomaly {
                    visit_id: parse_uuid(&visit)?,
                    kind,
                    status,
                })
            })
            .collect()
    }

    /// The current record of each (visit, kind) on the same visits as
    /// [`Store::report_visits`]: the one no later record supersedes. Amendments
    /// form a chain (each names the newest before it), so this is the newest
    /// record even when two share a `recorded_at` millisecond.
    pub async fn report_activities(
        &self,
        filter: &ReportFilter<'_>,
    ) -> StoreResult<Vec<VisitActivity>> {
        let sql = format!(
            "SELECT ac.visit_id, ac.kind, ac.count FROM activities ac \
             JOIN visits v ON v.id = ac.visit_id {VISIT_PHYSICIAN} WHERE {} \
             AND NOT EXISTS (SELECT 1 FROM activities n WHERE n.supersedes_id = ac.id)",
            visit_conditions(filter)
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(visit, kind, count)| {
                Ok(VisitActivity {
                    visit_id: parse_uuid(&visit)?,
                    kind: decode_enum(&kind)?,
                    count: u64::try_from(count).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The scope's assignments overlapping the range, oldest first.
    pub async fn report_assignments(
        &self,
        filter: &ReportFilter<'_>,
    ) -> StoreResult<Vec<Assignment>> {
        let sql = format!(
            "SELECT a.id, a.physician_id, a.site_id, a.program_id, a.mode, a.start_date, \
             a.end_date, a.window_start, a.window_end, a.created_at {} \
             ORDER BY a.start_date, a.id",
            scoped_assignments(filter)
        );
        let rows: Vec<AssignmentRow> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        rows.into_iter().map(Assignment::try_from).collect()
    }

    /// Every assignment whose dates overlap `from..=to` (the scheduler's candidates).
    pub async fn assignments_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<Assignment>> {
        const SQL: &str = "SELECT a.id, a.physician_id, a.site_id, a.program_id, a.mode, \
            a.start_date, a.end_date, a.window_start, a.window_end, a.created_at \
            FROM assignments a WHERE a.end_date >= $1 AND a.start_date <= $2 ORDER BY a.id";
        let rows: Vec<AssignmentRow> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Assignment::try_from).collect()
    }

    /// Assignments recorded, or whose terms changed, after `since` (read through
    /// `assignments_created_at` and `assignments_terms_at`), and those at a site edited
    /// since then (a new time zone moves when its periods fall due).
    pub async fn assignments_changed_since(
        &self,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<Assignment>> {
        const SQL: &str = "SELECT a.id, a.physician_id, a.site_id, a.program_id, a.mode, \
            a.start_date, a.end_date, a.window_start, a.window_end, a.created_at \
            FROM assignments a WHERE a.created_at > $1 OR a.terms_at > $1 \
            OR a.site_id IN (SELECT o.id FROM organizations o WHERE o.updated_at > $1) \
            ORDER BY a.id";
        let rows: Vec<AssignmentRow> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(to_ms(since))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Assignment::try_from).collect()
    }

    /// The physicians holding the assignments of [`Store::report_assignments`].
    pub async fn report_physicians(
        &self,
        filter: &ReportFilter<'_>,
    ) -> StoreResult<Vec<ReportPhysician>> {
        let sql = format!(
            "{PHYSICIAN_COLUMNS} WHERE u.id IN (SELECT a.physician_id {})",
            scoped_assignments(filter)
        );
        let rows: Vec<PhysicianRow> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        rows.into_iter().map(ReportPhysician::try_from).collect()
    }

    /// One user as the service record shows them, whatever their role.
    pub async fn report_physician(&self, id: Uuid) -> StoreResult<Option<ReportPhysician>> {
        let sql = format!("{PHYSICIAN_COLUMNS} WHERE u.id = $1");
        let row: Option<PhysicianRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(ReportPhysician::try_from).transpose()
    }

    /// Every organization in `within` (all when `None`), with its jurisdiction.
    pub async fn report_sites(
        &self,
        within: Option<&JurisdictionPath>,
    ) -> StoreResult<Vec<ReportSite>> {
        const COLUMNS: &str = "SELECT o.id, o.name, o.kind, o.timezone, o.jurisdiction_code, \
            j.name AS jurisdiction_name, j.level AS jurisdiction_level, \
            j.path AS jurisdiction_path \
            FROM organizations o JOIN jurisdictions j ON j.code = o.jurisdiction_code";
        // Within a subtree, its jurisdictions first, then their organizations by
        // `organizations_jurisdiction` (not a scan of every organization).
        let sql = if within.is_some() {
            format!(
                "{COLUMNS} WHERE o.jurisdiction_code IN \
                 (SELECT sj.code FROM jurisdictions sj WHERE sj.path = $1 OR sj.path LIKE $2)"
            )
        } else {
            format!("{COLUMNS} WHERE $1 = '' AND $2 = ''")
        };
        let (root, below) = subtree(within);
        let rows: Vec<SiteRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(root).bind(below).fetch_all(pool).await?);
        rows.into_iter().map(ReportSite::try_from).collect()
    }

    /// The organizations with the given ids (a physician's few posting sites).
    pub async fn report_sites_by_id(&self, ids: &[Uuid]) -> StoreResult<Vec<ReportSite>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are generated; the ids themselves are bound.
        let placeholders = numbered_marks(1, ids.len());
        let sql = format!(
            "SELECT o.id, o.name, o.kind, o.timezone, o.jurisdiction_code, \
             j.name AS jurisdiction_name, j.level AS jurisdiction_level, \
             j.path AS jurisdiction_path \
             FROM organizations o JOIN jurisdictions j ON j.code = o.jurisdiction_code \
             WHERE o.id IN ({})",
            placeholders
        );
        let rows: Vec<SiteRow> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, SiteRow>(sqlx::AssertSqlSafe(sql));
            for id in ids {
                query = query.bind(id.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter().map(ReportSite::try_from).collect()
    }

    /// County-level jurisdictions in `within` (all when `None`), by code.
    pub async fn report_counties(
        &self,
        within: Option<&JurisdictionPath>,
    ) -> StoreResult<Vec<CountyRef>> {
        const SQL: &str = "SELECT code, name FROM jurisdictions \
            WHERE level = 'county' AND ($1 = '' OR path = $1 OR path LIKE $2) ORDER BY code";
        let (root, below) = subtree(within);
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(root).bind(below).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(code, name)| CountyRef { code, name })
            .collect())
    }

    /// The recorded facts of `year` for the counties in `within`.
    pub async fn county_facts_in(
        &self,
        within: Option<&JurisdictionPath>,
        year: i32,
    ) -> StoreResult<Vec<CountyFactsRecord>> {
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM county_facts f \
             JOIN jurisdictions j ON j.code = f.jurisdiction_code \
             WHERE f.year = $1 AND ($2 = '' OR j.path = $2 OR j.path LIKE $3)"
        );
        let (root, below) = subtree(within);
        let rows: Vec<FactsRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(year))
                .bind(root)
                .bind(below)
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(CountyFactsRecord::try_from).collect()
    }

    /// The recorded facts of one county and year.
    pub async fn county_facts(
        &self,
        code: &JurisdictionCode,
        year: i32,
    ) -> StoreResult<Option<CountyFactsRecord>> {
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM county_facts f WHERE f.jurisdiction_code = $1 AND f.year = $2"
        );
        let row: Option<FactsRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(code.as_str())
                .bind(i64::from(year))
                .fetch_optional(pool)
                .await?);
        row.map(CountyFactsRecord::try_from).transpose()
    }

    /// Records (replaces) the facts of one county and year.
    pub async fn put_county_facts(
        &self,
        facts: &CountyFactsRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO county_facts (jurisdiction_code, year, circuit_vehicles, \
            telemedicine_villages, standard_reached_institutions, subcenter_institutions, \
            public_health_improved_institutions, recorded_by, recorded_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
            ON CONFLICT (jurisdiction_code, year) DO UPDATE SET \
            circuit_vehicles = excluded.circuit_vehicles, \
            telemedicine_villages = excluded.telemedicine_villages, \
            standard_reached_institutions = excluded.standard_reached_institutions, \
            subcenter_institutions = excluded.subcenter_institutions, \
            public_health_improved_institutions = excluded.public_health_improved_institutions, \
            recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, \
            audit_seq = excluded.audit_seq";
        let figure = |value: Option<u32>| value.map(i64::from);
        audited_write!(
            self,
            provenance,
            SQL,
            [
                &facts.jurisdiction_code,
                i64::from(facts.year),
                figure(facts.circuit_vehicles),
                figure(facts.telemedicine_villages),
                figure(facts.standard_reached_institutions),
                figure(facts.subcenter_institutions),
                figure(facts.public_health_improved_institutions),
                facts.recorded_by.to_string(),
                to_ms(facts.recorded_at),
            ],
        );
        Ok(())
    }
}

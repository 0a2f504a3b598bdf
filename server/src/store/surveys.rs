//! Satisfaction surveys: rounds, the people registered (sealed name and phone, masked
//! copies, keyed phone hash), the draw, call attempts, and erasure. Every write is one
//! audited transaction; the writes that depend on a round's status check it inside
//! that transaction (the audit slot serialises them).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance, audited_write};
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::jurisdiction::JurisdictionPath;

/// A round as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundRecord {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub program_id: Option<Uuid>,
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sample_size: u32,
    /// `open`, `drawn` or `closed`.
    pub status: String,
    pub seed: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub erase_after: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// How many people a round has registered, drawn, and called at least once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundCounts {
    pub registered: u32,
    pub drawn: u32,
    pub called: u32,
}

/// A person to register, sealed and masked by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    pub id: Uuid,
    pub name_sealed: String,
    pub phone_sealed: String,
    pub phone_hash: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub service_date: NaiveDate,
    pub site_id: Uuid,
    pub physician_id: Uuid,
}

/// A registered person as read, with the site's and physician's names.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub id: Uuid,
    pub round_id: Uuid,
    /// `None` once erased.
    pub name_sealed: Option<String>,
    pub phone_sealed: Option<String>,
    pub name_masked: String,
    pub phone_masked: String,
    pub service_date: NaiveDate,
    pub site_id: Uuid,
    pub site_name: String,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub registered_at: DateTime<Utc>,
    pub draw_order: Option<u32>,
    pub attempts: u32,
    pub reached: Option<bool>,
    pub rating: Option<String>,
    pub note: Option<String>,
    pub last_called_at: Option<DateTime<Utc>>,
}

/// One call attempt to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub id: Uuid,
    pub round_id: Uuid,
    pub person_id: Uuid,
    pub reached: bool,
    pub rating: Option<String>,
    pub note: Option<String>,
    pub called_by: Uuid,
    pub called_at: DateTime<Utc>,
}

/// A drawn person's latest outcome, for tallies across rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnOutcome {
    pub round_id: Uuid,
    pub attempts: u32,
    pub reached: Option<bool>,
    pub rating: Option<String>,
}

/// The text that replaces masked names and phones on erasure.
pub const ERASED: &str = "（已删除）";

fn small(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn date(text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

fn opt_ms(ms: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

const ROUND_COLUMNS: &str = "r.id, r.jurisdiction_code, r.program_id, r.period, r.period_from, \
    r.period_to, r.sample_size, r.status, r.seed, r.drawn_at, r.closed_at, r.erase_after, \
    r.erased_at, r.created_by, r.created_at";

type RoundRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    i64,
);

fn round(row: RoundRow) -> StoreResult<RoundRecord> {
    let (
        id,
        code,
        program,
        period,
        from,
        to,
        sample,
        status,
        seed,
        drawn,
        closed,
        erase,
        erased,
        by,
        at,
    ) = row;
    Ok(RoundRecord {
        id: parse_uuid(&id)?,
        jurisdiction_code: code,
        program_id: program.as_deref().map(parse_uuid).transpose()?,
        period,
        from: date(&from)?,
        to: date(&to)?,
        sample_size: small(sample),
        status,
        seed,
        drawn_at: opt_ms(drawn)?,
        closed_at: opt_ms(closed)?,
        erase_after: opt_ms(erase)?,
        erased_at: opt_ms(erased)?,
        created_by: parse_uuid(&by)?,
        created_at: from_ms(at)?,
    })
}

const PERSON_COLUMNS: &str = "p.id, p.round_id, p.name_sealed, p.phone_sealed, p.name_masked, \
    p.phone_masked, p.service_date, p.site_id, o.name AS site_name, p.physician_id, \
    u.name AS physician_name, p.registered_at, p.draw_order, p.attempts, p.reached, p.rating, \
    p.note, p.last_called_at";

const PERSON_FROM: &str = "FROM survey_people p JOIN organizations o ON o.id = p.site_id \
    JOIN users u ON u.id = p.physician_id";

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: String,
    round_id: String,
    name_sealed: Option<String>,
    phone_sealed: Option<String>,
    name_masked: String,
    phone_masked: String,
    service_date: String,
    site_id: String,
    site_name: String,
    physician_id: String,
    physician_name: String,
    registered_at: i64,
    draw_order: Option<i64>,
    attempts: i64,
    reached: Option<i64>,
    rating: Option<String>,
    note: Option<String>,
    last_called_at: Option<i64>,
}

fn person(row: PersonRow) -> StoreResult<PersonRecord> {
    Ok(PersonRecord {
        id: parse_uuid(&row.id)?,
        round_id: parse_uuid(&row.round_id)?,
        name_sealed: row.name_sealed,
        phone_sealed: row.phone_sealed,
        name_masked: row.name_masked,
        phone_masked: row.phone_masked,
        service_date: date(&row.service_date)?,
        site_id: parse_uuid(&row.site_id)?,
        site_name: row.site_name,
        physician_id: parse_uuid(&row.physician_id)?,
        physician_name: row.physician_name,
        registered_at: from_ms(row.registered_at)?,
        draw_order: row.draw_order.map(small),
        attempts: small(row.attempts),
        reached: row.reached.map(|r| r != 0),
        rating: row.rating,
        note: row.note,
        last_called_at: opt_ms(row.last_called_at)?,
    })
}

/// The round's status inside a write, or a conflict naming what it must be.
macro_rules! require_status {
    ($tx:expr, $round:expr, $wanted:expr) => {{
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM survey_rounds WHERE id = $1")
                .bind($round.to_string())
                .fetch_optional(&mut *$tx)
                .await?;
        match status {
            None => return Err(StoreError::NotFound),
            Some(s) if s == $wanted => {}
            Some(s) => {
                return Err(StoreError::Conflict(format!(
                    "the round is {s}; this needs it {}",
                    $wanted
                )));
            }
        }
    }};
}

impl Store {
    pub async fn insert_survey_round(
        &self,
        r: &RoundRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO survey_rounds (id, jurisdiction_code, program_id, period, \
            period_from, period_to, sample_size, status, seed, drawn_at, closed_at, erase_after, \
            erased_at, created_by, created_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL, NULL, $9, $10, $11)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                r.id.to_string(),
                &r.jurisdiction_code,
                r.program_id.map(|p| p.to_string()),
                &r.period,
                r.from.to_string(),
                r.to.to_string(),
                i64::from(r.sample_size),
                &r.status,
                r.created_by.to_string(),
                to_ms(r.created_at),
            ],
        );
        Ok(())
    }

    pub async fn survey_round(&self, id: Uuid) -> StoreResult<Option<RoundRecord>> {
        let sql = format!("SELECT {ROUND_COLUMNS} FROM survey_rounds r WHERE r.id = $1");
        let row: Option<RoundRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(round).transpose()
    }

    /// Rounds of jurisdictions in `within` and below, newest period first.
    pub async fn survey_rounds(&self, within: &JurisdictionPath) -> StoreResult<Vec<RoundRecord>> {
        let sql = format!(
            "SELECT {ROUND_COLUMNS} FROM survey_rounds r \
             JOIN jurisdictions j ON j.code = r.jurisdiction_code \
             WHERE j.path = $1 OR j.path LIKE $2 \
             ORDER BY r.period_from DESC, r.created_at DESC, r.id"
        );
        let rows: Vec<RoundRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(within.as_str().to_owned())
            .bind(format!("{}/%", within.as_str()))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(round).collect()
    }

    /// Every round (an admin's list), newest period first.
    pub async fn all_survey_rounds(&self) -> StoreResult<Vec<RoundRecord>> {
        let sql = format!(
            "SELECT {ROUND_COLUMNS} FROM survey_rounds r \
             ORDER BY r.period_from DESC, r.created_at DESC, r.id"
        );
        let rows: Vec<RoundRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(round).collect()
    }

    pub async fn survey_round_counts(&self, id: Uuid) -> StoreResult<RoundCounts> {
        const SQL: &str = "SELECT COUNT(*), \
            COALESCE(SUM(CASE WHEN draw_order IS NOT NULL THEN 1 ELSE 0 END), 0), \
            COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) \
            FROM survey_people WHERE round_id = $1";
        let (registered, drawn, called): (i64, i64, i64) = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(id.to_string())
            .fetch_one(pool)
            .await?);
        Ok(RoundCounts {
            registered: small(registered),
            drawn: small(drawn),
            called: small(called),
        })
    }

    /// The keyed phone hashes already registered in a round.
    pub async fn survey_phone_hashes(&self, round_id: Uuid) -> StoreResult<Vec<String>> {
        const SQL: &str =
            "SELECT phone_hash FROM survey_people WHERE round_id = $1 AND phone_hash IS NOT NULL";
        Ok(on_pool!(self.db(), pool => sqlx::query_scalar(SQL)
            .bind(round_id.to_string())
            .fetch_all(pool)
            .await?))
    }

    /// Registers people in an open round (409 otherwise), all or none.
    pub async fn insert_survey_people(
        &self,
        round_id: Uuid,
        people: &[NewPerson],
        registered_by: Uuid,
        at: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO survey_people (id, round_id, name_sealed, phone_sealed, \
            phone_hash, name_masked, phone_masked, service_date, site_id, physician_id, \
            registered_by, registered_at, draw_order, attempts, reached, rating, note, \
            last_called_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, 0, NULL, NULL, \
            NULL, NULL, $13)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            require_status!(tx, round_id, "open");
            for p in people {
                sqlx::query(SQL)
                    .bind(p.id.to_string())
                    .bind(round_id.to_string())
                    .bind(&p.name_sealed)
                    .bind(&p.phone_sealed)
                    .bind(&p.phone_hash)
                    .bind(&p.name_masked)
                    .bind(&p.phone_masked)
                    .bind(p.service_date.to_string())
                    .bind(p.site_id.to_string())
                    .bind(p.physician_id.to_string())
                    .bind(registered_by.to_string())
                    .bind(to_ms(at))
                    .bind(slot.link())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::on_unique(e, "phone: already registered in this round"))?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A round's people, drawn ones first in draw order, then by registration;
    /// `site` narrows to one site's registrations.
    pub async fn survey_people(
        &self,
        round_id: Uuid,
        site: Option<Uuid>,
    ) -> StoreResult<Vec<PersonRecord>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} {PERSON_FROM} WHERE p.round_id = $1 \
             AND ($2 = '' OR p.site_id = $2) \
             ORDER BY CASE WHEN p.draw_order IS NULL THEN 1 ELSE 0 END, p.draw_order, \
             p.registered_at, p.id"
        );
        let rows: Vec<PersonRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(round_id.to_string())
            .bind(site.map(|s| s.to_string()).unwrap_or_default())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(person).collect()
    }

    pub async fn survey_person(&self, person_id: Uuid) -> StoreResult<Option<PersonRecord>> {
        let sql = format!("SELECT {PERSON_COLUMNS} {PERSON_FROM} WHERE p.id = $1");
        let row: Option<PersonRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(person).transpose()
    }

    /// Marks the sample (`ids` in draw order) and the round drawn with its seed; the
    /// round must still be open.
    pub async fn draw_survey(
        &self,
        round_id: Uuid,
        seed: &str,
        at: DateTime<Utc>,
        sample: &[Uuid],
        provenance: Provenance,
    ) -> StoreResult<()> {
        const ROUND: &str = "UPDATE survey_rounds SET status = 'drawn', seed = $2, drawn_at = $3, \
            audit_seq = $4 WHERE id = $1";
        const PERSON: &str = "UPDATE survey_people SET draw_order = $3, audit_seq = $4 \
            WHERE id = $1 AND round_id = $2";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            require_status!(tx, round_id, "open");
            sqlx::query(ROUND)
                .bind(round_id.to_string())
                .bind(seed)
                .bind(to_ms(at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            for (id, order) in sample.iter().zip(1i64..) {
                sqlx::query(PERSON)
                    .bind(id.to_string())
                    .bind(round_id.to_string())
                    .bind(order)
                    .bind(slot.link())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records one attempt on a drawn person of a drawn round; answers the attempt's
    /// number.
    pub async fn record_survey_call(
        &self,
        call: &NewCall,
        provenance: Provenance,
    ) -> StoreResult<u32> {
        const ATTEMPTS: &str = "SELECT attempts FROM survey_people \
            WHERE id = $1 AND round_id = $2 AND draw_order IS NOT NULL";
        const INSERT: &str = "INSERT INTO survey_calls (id, person_id, round_id, attempt, reached, \
            rating, note, called_by, called_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        const PERSON: &str = "UPDATE survey_people SET attempts = $2, reached = $3, rating = $4, \
            note = $5, last_called_at = $6, audit_seq = $7 WHERE id = $1";
        let attempt = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            require_status!(tx, call.round_id, "drawn");
            let before: Option<i64> = sqlx::query_scalar(ATTEMPTS)
                .bind(call.person_id.to_string())
                .bind(call.round_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(before) = before else {
                return Err(StoreError::NotFound);
            };
            let attempt = before + 1;
            sqlx::query(INSERT)
                .bind(call.id.to_string())
                .bind(call.person_id.to_string())
                .bind(call.round_id.to_string())
                .bind(attempt)
                .bind(i64::from(call.reached))
                .bind(&call.rating)
                .bind(&call.note)
                .bind(call.called_by.to_string())
                .bind(to_ms(call.called_at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            sqlx::query(PERSON)
                .bind(call.person_id.to_string())
                .bind(attempt)
                .bind(i64::from(call.reached))
                .bind(&call.rating)
                .bind(&call.note)
                .bind(to_ms(call.called_at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
            attempt
        });
        Ok(small(attempt))
    }

    /// Closes a drawn (or still open) round and sets when its personal data goes.
    pub async fn close_survey_round(
        &self,
        round_id: Uuid,
        at: DateTime<Utc>,
        erase_after: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE survey_rounds SET status = 'closed', closed_at = $2, \
            erase_after = $3, audit_seq = $4 WHERE id = $1 AND status <> 'closed'";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let done = sqlx::query(SQL)
                .bind(round_id.to_string())
                .bind(to_ms(at))
                .bind(to_ms(erase_after))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 0 {
                return Err(StoreError::Conflict("the round is already closed".into()));
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Closed rounds whose retention has passed and whose people are not yet erased.
    pub async fn survey_rounds_to_erase(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        const SQL: &str = "SELECT id FROM survey_rounds WHERE status = 'closed' \
            AND erased_at IS NULL AND erase_after <= $1 ORDER BY erase_after, id";
        let ids: Vec<String> = on_pool!(self.db(), pool => sqlx::query_scalar(SQL)
            .bind(to_ms(now))
            .fetch_all(pool)
            .await?);
        ids.iter().map(|id| parse_uuid(id)).collect()
    }

    /// Erases a closed round's names and phones (sealed values and hashes NULLed, masks
    /// overwritten, call notes dropped); the outcomes stay for the tallies. Answers how
    /// many people were erased, or `None` when another process got there first.
    pub async fn erase_survey_round(
        &self,
        round_id: Uuid,
        at: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<Option<u64>> {
        const ROUND: &str = "UPDATE survey_rounds SET erased_at = $2, audit_seq = $3 \
            WHERE id = $1 AND status = 'closed' AND erased_at IS NULL";
        const PEOPLE: &str = "UPDATE survey_people SET name_sealed = NULL, phone_sealed = NULL, \
            phone_hash = NULL, name_masked = $2, phone_masked = $2, note = NULL, audit_seq = $3 \
            WHERE round_id = $1";
        const CALLS: &str = "UPDATE survey_calls SET note = NULL WHERE round_id = $1";
        let erased = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let claimed = sqlx::query(ROUND)
                .bind(round_id.to_string())
                .bind(to_ms(at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if claimed == 0 {
                tx.rollback().await?;
                None
            } else {
                let people = sqlx::query(PEOPLE)
                    .bind(round_id.to_string())
                    .bind(ERASED)
                    .bind(slot.link())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(CALLS)
                    .bind(round_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.append_audit(slot, provenance).await?;
                tx.commit().await?;
                Some(people)
            }
        });
        Ok(erased)
    }

    /// An audit entry with no row of its own (revealing phones on a call sheet).
    pub async fn record_survey_reveal(&self, provenance: Provenance) -> StoreResult<()> {
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Physicians with an assignment overlapping `from`..=`to` at a receiving site in
    /// `within` (or at `site` only): who a registration may name. `(physician id, name,
    /// site id, site name)`, by site then name.
    pub async fn survey_physicians(
        &self,
        within: &JurisdictionPath,
        site: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(Uuid, String, Uuid, String)>> {
        const SQL: &str = "SELECT DISTINCT u.id, u.name, o.id, o.name FROM assignments a \
            JOIN users u ON u.id = a.physician_id JOIN organizations o ON o.id = a.site_id \
            JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            WHERE (j.path = $1 OR j.path LIKE $2) AND ($3 = '' OR a.site_id = $3) \
            AND a.start_date <= $5 AND a.end_date >= $4 ORDER BY o.name, u.name, u.id, o.id";
        let rows: Vec<(String, String, String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(within.as_str().to_owned())
            .bind(format!("{}/%", within.as_str()))
            .bind(site.map(|s| s.to_string()).unwrap_or_default())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(id, name, site, site_name)| {
                Ok((parse_uuid(&id)?, name, parse_uuid(&site)?, site_name))
            })
            .collect()
    }

    /// The drawn people a physician served between `from` and `to` (inclusive), with
    /// their latest outcome, across all rounds.
    pub async fn physician_survey_outcomes(
        &self,
        physician_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DrawnOutcome>> {
        const SQL: &str = "SELECT round_id, attempts, reached, rating FROM survey_people \
            WHERE physician_id = $1 AND draw_order IS NOT NULL \
            AND service_date >= $2 AND service_date <= $3 ORDER BY round_id, id";
        let rows: Vec<(String, i64, Option<i64>, Option<String>)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(round_id, attempts, reached, rating)| {
                Ok(DrawnOutcome {
                    round_id: parse_uuid(&round_id)?,
                    attempts: small(attempts),
                    reached: reached.map(|r| r != 0),
                    rating,
                })
            })
            .collect()
    }
}

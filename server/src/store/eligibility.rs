//! Eligibility overrides (破格派出) stored beside their assignments, and the team a
//! site holds under a programme.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::statement::numbered_marks;
use super::{Store, StoreError, StoreResult, on_pool, parse_uuid, to_ms};
use crate::domain::eligibility::EligibilityViolation;
use crate::domain::user::User;

/// Written in the assignment's own transaction (see `insert_assignment`, `write_import`).
pub(super) const INSERT_OVERRIDE: &str = "INSERT INTO assignment_eligibility_overrides \
    (assignment_id, reason, rules, overridden_by, created_at) VALUES ($1, $2, $3, $4, $5)";

/// A new override on a changed assignment replaces the one recorded before (the audit
/// entry of the change keeps both, as before and after).
pub(super) const UPSERT_OVERRIDE: &str = "INSERT INTO assignment_eligibility_overrides \
    (assignment_id, reason, rules, overridden_by, created_at) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (assignment_id) DO UPDATE SET reason = excluded.reason, \
    rules = excluded.rules, overridden_by = excluded.overridden_by, \
    created_at = excluded.created_at";

const IDS_PER_QUERY: usize = 500;

/// An administrator's override of the programme's rules for one assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRecord {
    pub reason: String,
    pub rules: Vec<EligibilityViolation>,
    pub overridden_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl OverrideRecord {
    /// The values of [`INSERT_OVERRIDE`] for `assignment_id`.
    pub(super) fn values(
        &self,
        assignment_id: Uuid,
    ) -> StoreResult<(String, String, String, String, i64)> {
        let rules =
            serde_json::to_string(&self.rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((
            assignment_id.to_string(),
            self.reason.clone(),
            rules,
            self.overridden_by.to_string(),
            to_ms(self.created_at),
        ))
    }
}

impl Store {
    /// The overrides recorded on any of `assignment_ids`, by assignment.
    pub async fn eligibility_overrides(
        &self,
        assignment_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, OverrideRecord>> {
        let mut out = HashMap::new();
        for chunk in assignment_ids.chunks(IDS_PER_QUERY) {
            let placeholders = numbered_marks(1, chunk.len());
            let sql = format!(
                "SELECT assignment_id, reason, rules, overridden_by, created_at \
                 FROM assignment_eligibility_overrides WHERE assignment_id IN ({})",
                placeholders
            );
            let rows: Vec<(String, String, String, String, i64)> = on_pool!(self.db(), pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id.to_string());
                }
                query.fetch_all(pool).await?
            });
            for (id, reason, rules, by, at) in rows {
                let rules = serde_json::from_str(&rules)
                    .map_err(|e| StoreError::Corrupt(format!("override {id}: {e}")))?;
                out.insert(
                    parse_uuid(&id)?,
                    OverrideRecord {
                        reason,
                        rules,
                        overridden_by: parse_uuid(&by)?,
                        created_at: super::from_ms(at)?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// The physicians posted to `site_id` under `program_id` on `date` (the site's
    /// current team), in name order.
    pub async fn site_team(
        &self,
        site_id: Uuid,
        program_id: Uuid,
        date: NaiveDate,
    ) -> StoreResult<Vec<User>> {
        const SQL: &str = "SELECT DISTINCT a.physician_id, u.name FROM assignments a \
            JOIN users u ON u.id = a.physician_id \
            WHERE a.site_id = $1 AND a.program_id = $2 AND a.start_date <= $3 AND a.end_date >= $3 \
            ORDER BY u.name, a.physician_id";
        let day = date.format("%Y-%m-%d").to_string();
        let ids: Vec<(String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(site_id.to_string())
            .bind(program_id.to_string())
            .bind(&day)
            .fetch_all(pool)
            .await?);
        let mut team = Vec::with_capacity(ids.len());
        for (id, _) in ids {
            if let Some(user) = self.user(parse_uuid(&id)?).await? {
                team.push(user);
            }
        }
        Ok(team)
    }
}

//! The slowly changing facts a check-in is judged on, kept in memory (SQLite only):
//! a site (its fence, time zone, accuracy limit, code policy) and a physician's
//! assignments at a site.
//!
//! The database stays the truth. SQLite's triggers (migration `202612100201`) count
//! every change of `organizations`, `geofence_versions`, `assignments` and
//! `assignment_terms` in the one row of `fact_clock`; each fact is read together with
//! that count, in one statement, and kept under it. A copy is used on a request's
//! first judgement only, and that attempt's write transaction checks the count again
//! ([`clock_check`]): when anything changed meanwhile, here or in another process on
//! the same file, the write is abandoned as `StateChanged` and the attempt judged
//! again on facts read afresh. A stale copy therefore costs a second judgement, never
//! a wrong verdict. A newer count seen on any read drops every copy.
//!
//! On PostgreSQL nothing is kept (no `fact_clock`): every fact is read.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use uuid::Uuid;

use super::assignments::{ASSIGNMENTS_AT, JudgedRow, judged_assignments};
use super::columns::{Columns, FromColumns};
use super::organizations::{OrganizationRow, SELECT as ORGANIZATION};
use super::statement::{Param, Step};
use super::{Store, StoreResult};
use crate::domain::assignment::Assignment;
use crate::domain::organization::Organization;

/// Copies kept before all are dropped (a bound on memory, not a policy).
const MAX_ENTRIES: usize = 200_000;

/// The write step that passes only while the fact count is still `clock`: a no-op
/// update of the physician's row (already locked and changed by the attempt, so it
/// adds no page to the WAL) that changes one row only then.
const CHECK: &str = "UPDATE users SET attendance_seq = attendance_seq \
                     WHERE id = $1 AND (SELECT n FROM fact_clock WHERE id = 1) = $2";

/// The step that abandons an attempt whose facts came from copies kept under
/// `clock` when the facts changed since.
pub fn clock_check(physician_id: Uuid, clock: i64) -> Step {
    Step::changing_one_row(
        CHECK,
        vec![Param::from(physician_id.to_string()), clock.into()],
    )
}

#[derive(Debug, Default)]
struct Kept {
    /// The fact count every copy below was read under.
    clock: i64,
    sites: HashMap<Uuid, Arc<Organization>>,
    assignments: HashMap<(Uuid, Uuid), Arc<Vec<Assignment>>>,
}

impl Kept {
    /// Makes room for a copy read under `clock`; false when it is older than the
    /// copies kept (it is then not kept).
    fn admit(&mut self, clock: i64) -> bool {
        if clock < self.clock {
            return false;
        }
        if clock > self.clock || self.sites.len() + self.assignments.len() >= MAX_ENTRIES {
            self.sites.clear();
            self.assignments.clear();
            self.clock = clock;
        }
        true
    }
}

/// The copies, shared by every clone of a SQLite store.
#[derive(Debug, Default)]
pub struct FactCache {
    kept: Mutex<Kept>,
}

impl FactCache {
    /// The kept copy of a site, with the count it was read under.
    pub fn site(&self, id: Uuid) -> Option<(Arc<Organization>, i64)> {
        let kept = self.kept.lock().ok()?;
        kept.sites.get(&id).map(|site| (site.clone(), kept.clock))
    }

    pub fn keep_site(&self, site: Arc<Organization>, clock: i64) {
        if let Ok(mut kept) = self.kept.lock()
            && kept.admit(clock)
        {
            kept.sites.insert(site.id, site);
        }
    }

    /// The kept copy of a physician's assignments at a site, with its count.
    pub fn assignments(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
    ) -> Option<(Arc<Vec<Assignment>>, i64)> {
        let kept = self.kept.lock().ok()?;
        kept.assignments
            .get(&(physician_id, site_id))
            .map(|found| (found.clone(), kept.clock))
    }

    pub fn keep_assignments(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
        found: Arc<Vec<Assignment>>,
        clock: i64,
    ) {
        if let Ok(mut kept) = self.kept.lock()
            && kept.admit(clock)
        {
            kept.assignments.insert((physician_id, site_id), found);
        }
    }

    /// The count the kept copies were read under.
    pub fn clock(&self) -> Option<i64> {
        self.kept.lock().ok().map(|kept| kept.clock)
    }
}

/// A row read with the fact count, as `fact_clock`.
struct Stamped<R> {
    row: R,
    clock: i64,
}

impl<R: FromColumns> FromColumns for Stamped<R> {
    fn from_columns(row: &impl Columns) -> StoreResult<Stamped<R>> {
        Ok(Stamped {
            clock: row.get("fact_clock")?,
            row: R::from_columns(row)?,
        })
    }
}

/// `query` (a `SELECT`) with the fact count as one more column.
fn stamped(query: &str) -> String {
    query.replacen(
        "SELECT ",
        "SELECT (SELECT n FROM fact_clock WHERE id = 1) AS fact_clock, ",
        1,
    )
}

/// A fact as a check-in's judgement uses it: `copy` is the fact count the kept copy
/// was read under, `None` when read from the database now.
pub struct Fact<T> {
    pub value: T,
    pub copy: Option<i64>,
}

impl<T> Fact<T> {
    fn read(value: T) -> Fact<T> {
        Fact { value, copy: None }
    }
}

impl Store {
    /// A site as a check-in judges it: the kept copy when `use_copy` and there is one
    /// (SQLite), else read (and on SQLite kept).
    pub async fn checkin_site(
        &self,
        id: Uuid,
        use_copy: bool,
    ) -> StoreResult<Fact<Option<Arc<Organization>>>> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| stamped(&format!("{ORGANIZATION} WHERE o.id = $1")));
        let Some(cache) = &self.facts else {
            return Ok(Fact::read(self.organization(id).await?.map(Arc::new)));
        };
        if use_copy && let Some((site, clock)) = cache.site(id) {
            return Ok(Fact {
                value: Some(site),
                copy: Some(clock),
            });
        }
        let query = Step::new(&SQL, vec![id.to_string().into()]);
        let Some(found) = self.read_first::<Stamped<OrganizationRow>>(&query).await? else {
            return Ok(Fact::read(None));
        };
        let site = Arc::new(Organization::try_from(found.row)?);
        cache.keep_site(site.clone(), found.clock);
        Ok(Fact::read(Some(site)))
    }

    /// A physician's assignments at a site as a check-in judges them (see
    /// [`Store::assignments_at`]): the kept copy when `use_copy` and there is one
    /// (SQLite), else read (and on SQLite kept, unless there are none).
    pub async fn checkin_assignments(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
        use_copy: bool,
    ) -> StoreResult<Fact<Arc<Vec<Assignment>>>> {
        static SQL: LazyLock<String> = LazyLock::new(|| stamped(&ASSIGNMENTS_AT));
        let Some(cache) = &self.facts else {
            return Ok(Fact::read(Arc::new(
                self.assignments_at(physician_id, site_id).await?,
            )));
        };
        if use_copy && let Some((found, clock)) = cache.assignments(physician_id, site_id) {
            return Ok(Fact {
                value: found,
                copy: Some(clock),
            });
        }
        let query = Step::new(
            &SQL,
            vec![physician_id.to_string().into(), site_id.to_string().into()],
        );
        let rows: Vec<Stamped<JudgedRow>> = self.read_all(&query).await?;
        let clock = rows.first().map(|r| r.clock);
        let found = Arc::new(judged_assignments(
            rows.into_iter().map(|r| r.row).collect(),
        )?);
        if let Some(clock) = clock {
            cache.keep_assignments(physician_id, site_id, found.clone(), clock);
        }
        Ok(Fact::read(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_count_drops_the_copies_and_an_older_one_is_not_kept() {
        let cache = FactCache::default();
        let physician = Uuid::from_u128(1);
        let site = Uuid::from_u128(2);
        cache.keep_assignments(physician, site, Arc::new(Vec::new()), 3);
        assert_eq!(cache.assignments(physician, site).map(|(_, c)| c), Some(3));
        // Read before a change the copies above already reflect: not kept.
        cache.keep_assignments(physician, Uuid::from_u128(3), Arc::new(Vec::new()), 2);
        assert!(cache.assignments(physician, Uuid::from_u128(3)).is_none());
        // Read after a change: every older copy goes.
        cache.keep_assignments(physician, Uuid::from_u128(4), Arc::new(Vec::new()), 4);
        assert!(cache.assignments(physician, site).is_none());
        assert_eq!(cache.clock(), Some(4));
    }
}

//! Importing a personnel table (支援人员安排情况表): read it, check every row against
//! the database, then write all of it in one transaction, or nothing. The same file
//! under the same terms imports once; later attempts get the first outcome back.

use std::collections::{BTreeSet, HashMap};

use mobile_api::{
    ImportAssignmentsQuery, ImportIssue, ImportPreview, ImportResult, ImportedAssignment,
    ImportedUser, PreviewAssignment, PreviewPhysician,
};
use uuid::Uuid;

use crate::auth::password;
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::assignment::Assignment;
use crate::domain::eligibility::{
    self, Admission, AdmissionError, Candidate, Eligibility, RowsViolation, TeamRow, candidate,
    judge_rows,
};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::personnel::{
    Directory, ImportPlan, ImportTerms, RowIssue, plan_import, read_personnel,
};
use crate::domain::program::Program;
use crate::domain::user::{Phone, User, check_password_policy};
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::import::{TableFormat, read_table};
use crate::service::admin::organizations::reachable_organization;
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::eligibility::OverrideRecord;
use crate::store::imports::{AssignmentFate, ImportWrite, ImportWriteOutcome, StoredImport};

/// Initial passwords: 12 characters from 32 that cannot be mistaken for one another
/// when read aloud or copied from paper (no 0/O, 1/I): 60 bits.
const PASSWORD_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PASSWORD_LENGTH: usize = 12;
const MAX_FILENAME_CHARS: usize = 255;

/// One upload: the table's bytes and what the request says about them.
pub struct ImportRequest {
    pub query: ImportAssignmentsQuery,
    pub format: TableFormat,
    pub table: Vec<u8>,
    /// Check and describe, write nothing.
    pub dry_run: bool,
}

pub enum ImportOutcome {
    /// Written now; the initial passwords are in the result, and only here.
    Created(ImportResult),
    /// Imported before: the first outcome, without passwords.
    Replayed(ImportResult),
    /// A dry run: what would happen, nothing written.
    Preview(ImportPreview),
}

fn refuse(detail: impl Into<String>, issues: &[RowIssue]) -> ApiError {
    ApiError::InvalidImport {
        detail: detail.into(),
        errors: issues
            .iter()
            .map(|i| ImportIssue {
                row: i.row,
                column: i.column.key().to_owned(),
                reason: i.reason.clone(),
                reason_zh: i.reason_zh.clone(),
            })
            .collect(),
    }
}

fn parse_filename(raw: Option<String>) -> ApiResult<Option<String>> {
    Ok(crate::domain::text::optional_line(
        "filename",
        raw.as_deref(),
        MAX_FILENAME_CHARS,
    )?)
}

pub(crate) fn initial_password() -> ApiResult<String> {
    let mut bytes = [0u8; PASSWORD_LENGTH];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let password: String = bytes
        .iter()
        .map(|b| char::from(PASSWORD_ALPHABET[usize::from(b & 31)]))
        .collect();
    check_password_policy(&password).map_err(ApiError::internal)?;
    Ok(password)
}

/// Whether `actor` may import at all: admins, and hospital administrators (for their
/// own hospital's rows). Checked before the request is read, so that a caller without
/// the role hears 403 whatever they sent.
pub fn may_import(actor: &Actor) -> ApiResult<()> {
    Ok(actor.require(&[Role::Admin, Role::HospitalAdmin])?)
}

/// Imports `request` for `actor` (an admin, or a hospital administrator for their own
/// hospital's rows).
pub async fn import_personnel(
    state: &AppState,
    actor: &Actor,
    request: ImportRequest,
) -> ApiResult<ImportOutcome> {
    may_import(actor)?;
    let dry_run = request.dry_run;
    let query = request.query;
    let terms = ImportTerms::new(
        query.program_id,
        query.mode,
        query.start_date,
        query.end_date,
        query.window_start.as_deref(),
        query.window_end.as_deref(),
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let own_hospital = match actor.scope {
        Scope::Everything => None,
        Scope::Organization(id) => Some(id),
        _ => return Err(ApiError::Forbidden),
    };
    let filename = parse_filename(query.filename)?;
    let (program, program_path) = state
        .store
        .program(terms.program_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(hospital) = own_hospital {
        // A hospital imports under the programmes governing it (its area's and those
        // above, as GET /programs lists them); another area's is not within reach.
        let hospital = reachable_organization(state, actor, hospital).await?;
        if !program_path.contains(&hospital.jurisdiction_path) {
            return Err(ApiError::NotFound);
        }
    }
    let digest = terms.digest(&request.table);
    let format = request.format;
    let sheet = tokio::task::spawn_blocking(move || read_table(&request.table, format))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| refuse(e.to_string(), &[]))?;

    let parsed = read_personnel(&sheet);
    if parsed.rows.is_empty() && parsed.issues.is_empty() {
        return Err(refuse("the table has no personnel rows", &[]));
    }
    let sites = state.store.receiving_sites_within(&program_path).await?;
    let hospitals = state.store.hospitals().await?;
    let mut phones: Vec<Phone> = parsed.rows.iter().map(|r| r.phone.clone()).collect();
    phones.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    phones.dedup();
    let users = state.store.users_by_phones(&phones).await?;
    let directory = Directory {
        sites: &sites,
        hospitals: &hospitals,
        users: &users,
        own_hospital,
    };
    let mut issues = parsed.issues;
    let plan = match plan_import(&parsed.rows, &directory) {
        Ok(plan) if issues.is_empty() => plan,
        Ok(_) => ImportPlan::default(),
        Err(more) => {
            issues.extend(more);
            ImportPlan::default()
        }
    };
    let judged = if issues.is_empty() {
        judge_import(state, &program, &plan, &users, terms.start_date).await?
    } else {
        Vec::new()
    };
    let admission = eligibility::admit(
        judged.iter().map(|j| j.violation.clone()).collect(),
        query.eligibility_override.as_deref(),
        actor.role == Role::Admin,
    );
    if dry_run {
        issues.sort_by_key(|i| (i.row, i.column));
        if let Err(AdmissionError::NotEligible(_)) = &admission {
            return Ok(ImportOutcome::Preview(ImportPreview {
                ok: false,
                errors: judged
                    .iter()
                    .flat_map(|j| {
                        j.rows.iter().map(|row| ImportIssue {
                            row: *row,
                            column: "eligibility".to_owned(),
                            reason: format!("not eligible: {}", j.violation.rule),
                            reason_zh: j.violation.detail_zh.clone(),
                        })
                    })
                    .collect(),
                ..preview(parsed.rows.len(), &issues, &plan, false)?
            }));
        }
        let already_imported =
            issues.is_empty() && state.store.assignment_import(&digest).await?.is_some();
        return Ok(ImportOutcome::Preview(preview(
            parsed.rows.len(),
            &issues,
            &plan,
            already_imported,
        )?));
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| (i.row, i.column));
        let rows = issues.iter().map(|i| i.row).collect::<BTreeSet<_>>().len();
        return Err(refuse(
            format!(
                "{rows} row(s) of the table cannot be imported; nothing was written (see extra.errors)"
            ),
            &issues,
        ));
    }

    if let Some(stored) = state.store.assignment_import(&digest).await? {
        return replay(stored).map(ImportOutcome::Replayed);
    }
    let admission = admission?;
    let now = state.now();
    let mut created_users = Vec::with_capacity(plan.new_physicians.len());
    let mut new_users = Vec::with_capacity(plan.new_physicians.len());
    for new in &plan.new_physicians {
        let initial = initial_password()?;
        let hash = password::hash(initial.clone(), state.config.password_cost)
            .await
            .map_err(ApiError::internal)?;
        let user = User {
            id: Uuid::new_v4(),
            role: Role::Physician,
            name: new.name.clone(),
            phone: new.phone.clone(),
            organization_id: Some(new.hospital_id),
            jurisdiction_code: None,
            title: new.title.clone(),
            specialty: new.specialty.clone(),
            gender: new.gender,
            practice_since_year: new.practice_since_year,
            discipline: new.discipline,
            created_at: now,
            deactivated_at: None,
        };
        created_users.push(ImportedUser {
            row: new.row,
            user_id: user.id,
            name: user.name.clone(),
            phone: user.phone.as_str().to_owned(),
            initial_password: Some(initial),
        });
        new_users.push((user, hash));
    }
    let physician_of = |phone: &Phone| {
        plan.existing.get(phone.as_str()).copied().or_else(|| {
            new_users
                .iter()
                .find(|(u, _)| &u.phone == phone)
                .map(|(u, _)| u.id)
        })
    };
    let mut assignments = Vec::with_capacity(plan.rows.len());
    for row in &plan.rows {
        let physician_id = physician_of(&row.phone)
            .ok_or_else(|| ApiError::internal("a planned row has no physician"))?;
        assignments.push((
            row.row,
            Assignment {
                id: Uuid::new_v4(),
                physician_id,
                site_id: row.site_id,
                program_id: program.id,
                mode: terms.mode,
                start_date: terms.start_date,
                end_date: terms.end_date,
                window: terms.window,
                created_at: now,
            },
        ));
    }

    let mut overrides: HashMap<Uuid, OverrideRecord> = HashMap::new();
    if let Admission::Overridden { reason, .. } = &admission {
        for j in &judged {
            for (_, a) in assignments.iter().filter(|(row, _)| j.rows.contains(row)) {
                overrides
                    .entry(a.id)
                    .or_insert_with(|| OverrideRecord {
                        reason: reason.clone(),
                        rules: Vec::new(),
                        overridden_by: actor.user_id,
                        created_at: now,
                    })
                    .rules
                    .push(j.violation.clone());
            }
        }
    }
    let import_id = Uuid::new_v4();
    let mut result = ImportResult {
        import_id,
        filename: filename.clone(),
        rows: u32::try_from(parsed.rows.len()).map_err(ApiError::internal)?,
        created_users,
        created_assignments: Vec::new(),
        existing_assignments: Vec::new(),
        replayed: false,
    };
    let write = ImportWrite {
        id: import_id,
        digest: &digest,
        filename: filename.as_deref(),
        imported_by: actor.user_id,
        imported_at: now,
        row_count: result.rows,
        users: &new_users,
        assignments: &assignments,
        overrides: &overrides,
    };
    // The entry's `after` is the result recorded with the import, filled in by the store.
    let audit = audit::audited::<()>(
        state,
        actor,
        Change {
            action: "assignment.import",
            object_type: "assignment_import",
            object_id: import_id.to_string(),
            before: None,
            after: None,
        },
    )?;
    let mut recorded = None;
    let outcome = state
        .store
        .write_import(&write, audit, |fates| {
            let (created, existing): (Vec<&AssignmentFate>, Vec<&AssignmentFate>) =
                fates.iter().partition(|f| f.created);
            result.created_assignments = created.into_iter().map(imported).collect();
            result.existing_assignments = existing.into_iter().map(imported).collect();
            let stored = without_passwords(&result);
            let json =
                serde_json::to_string(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            recorded = Some(stored);
            Ok(json)
        })
        .await?;
    match (outcome, recorded) {
        (ImportWriteOutcome::Written(_), Some(_)) => Ok(ImportOutcome::Created(result)),
        // A concurrent import of the same file won the digest.
        _ => {
            let stored = state
                .store
                .assignment_import(&digest)
                .await?
                .ok_or_else(|| ApiError::internal("an import lost its digest"))?;
            replay(stored).map(ImportOutcome::Replayed)
        }
    }
}

/// The import's rows against the programme's rules: each person, and the rows for one
/// site with the physicians already posted there under the programme on the start date
/// as one team (see `domain::eligibility`).
async fn judge_import(
    state: &AppState,
    program: &Program,
    plan: &ImportPlan,
    users: &[User],
    start: chrono::NaiveDate,
) -> ApiResult<Vec<RowsViolation>> {
    if program.eligibility == Eligibility::default() {
        return Ok(Vec::new());
    }
    let candidate_of = |phone: &Phone| -> Candidate {
        if let Some(user) = users.iter().find(|u| &u.phone == phone) {
            return candidate(user);
        }
        plan.new_physicians
            .iter()
            .find(|n| &n.phone == phone)
            .map(|n| Candidate {
                name: n.name.clone(),
                title: n.title.clone(),
                practice_since_year: n.practice_since_year,
                discipline: n.discipline,
            })
            .unwrap_or_default()
    };
    let rows: Vec<TeamRow> = plan
        .rows
        .iter()
        .map(|r| TeamRow {
            row: r.row,
            site: r.site_id,
            person: r.phone.as_str().to_owned(),
            candidate: candidate_of(&r.phone),
        })
        .collect();
    let mut posted = HashMap::new();
    if program.eligibility.team.is_some() {
        let mut sites: Vec<Uuid> = rows.iter().map(|r| r.site).collect();
        sites.sort();
        sites.dedup();
        for site in sites {
            let team = state.store.site_team(site, program.id, start).await?;
            posted.insert(
                site,
                team.iter()
                    .map(|u| (u.phone.as_str().to_owned(), candidate(u)))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    Ok(judge_rows(&program.eligibility, &rows, &posted, today))
}

/// The dry run's answer: the issues, or what the plan would write.
fn preview(
    rows: usize,
    issues: &[RowIssue],
    plan: &ImportPlan,
    already_imported: bool,
) -> ApiResult<ImportPreview> {
    let ok = issues.is_empty();
    Ok(ImportPreview {
        ok,
        rows: u32::try_from(rows).map_err(ApiError::internal)?,
        errors: issues
            .iter()
            .map(|i| ImportIssue {
                row: i.row,
                column: i.column.key().to_owned(),
                reason: i.reason.clone(),
                reason_zh: i.reason_zh.clone(),
            })
            .collect(),
        new_physicians: plan
            .new_physicians
            .iter()
            .map(|p| PreviewPhysician {
                row: p.row,
                name: p.name.clone(),
                phone: p.phone.as_str().to_owned(),
            })
            .collect(),
        assignments: plan
            .rows
            .iter()
            .map(|r| PreviewAssignment {
                row: r.row,
                phone: r.phone.as_str().to_owned(),
                site_id: r.site_id,
                existing_physician: plan.existing.contains_key(r.phone.as_str()),
            })
            .collect(),
        already_imported,
    })
}

fn imported(fate: &AssignmentFate) -> ImportedAssignment {
    ImportedAssignment {
        row: fate.row,
        assignment_id: fate.assignment_id,
        physician_id: fate.physician_id,
        site_id: fate.site_id,
    }
}

fn without_passwords(result: &ImportResult) -> ImportResult {
    let mut stored = result.clone();
    for user in &mut stored.created_users {
        user.initial_password = None;
    }
    stored
}

fn replay(stored: StoredImport) -> ApiResult<ImportResult> {
    let mut result: ImportResult = serde_json::from_str(&stored.result)
        .map_err(|e| ApiError::internal(format!("import {}: {e}", stored.id)))?;
    result.import_id = stored.id;
    result.replayed = true;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_passwords_are_long_unambiguous_and_different() {
        let first = initial_password().expect("random");
        let second = initial_password().expect("random");
        assert_eq!(first.len(), PASSWORD_LENGTH);
        assert!(first.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)));
        assert!(!first.contains(['0', 'O', '1', 'I']));
        assert_ne!(first, second);
    }

    #[test]
    fn file_names_are_trimmed_and_bounded() {
        assert_eq!(
            parse_filename(Some(" 名单.xlsx ".into())).expect("valid"),
            Some("名单.xlsx".into())
        );
        assert_eq!(parse_filename(Some("  ".into())).expect("valid"), None);
        assert!(parse_filename(Some("a\nb".into())).is_err());
        assert!(parse_filename(Some("x".repeat(256))).is_err());
    }
}

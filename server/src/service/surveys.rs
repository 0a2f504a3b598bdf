//! Satisfaction survey rounds (满意度测评): creating a round, the receiving clinics
//! registering the people served (sealed at rest, masked everywhere but the call
//! sheet), drawing the sample from a recorded seed, recording calls, the report, and
//! erasing names and phones once a closed round's retention has passed.
//!
//! Who does what: a supervisor (or admin) whose jurisdiction covers the round creates,
//! draws, calls (the supervisor is the surveyor: only they see the call sheet, and each
//! sheet they open is an audit entry naming the people revealed), closes and reports;
//! a clinic administrator registers and sees the people of its own site only.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{
    CreateSurveyRound, RecordSurveyCall, RegisterSurveyPeople, SurveyCall, SurveyCallSheet,
    SurveyDraw, SurveyPeopleList, SurveyPerson, SurveyPersonInput, SurveyPhysician,
    SurveyPhysicianList, SurveyRating, SurveyReport, SurveyRound, SurveyRoundList,
    SurveyRoundStatus, SurveyTallyRow,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::audit::PendingAudit;
use crate::domain::jurisdiction::{JurisdictionCode, JurisdictionPath};
use crate::domain::organization::OrganizationKind;
use crate::domain::survey::{
    self, DEFAULT_SAMPLE, MAX_SAMPLE, Rating, SatisfactionTally, ServedPhone, SurveyError,
    SurveyPeriod,
};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change, Provenance};
use crate::service::reports;
use crate::state::AppState;
use crate::store::surveys::{NewCall, NewPerson, PersonRecord, RoundRecord};

/// The most people one registration may carry.
pub const MAX_BATCH: usize = 1000;
/// The longest note on a call.
pub const MAX_NOTE_CHARS: usize = 500;
/// How the report's rate is computed.
pub const RATE_DEFINITION: &str =
    "满意率 = (满意 + 基本满意) ÷ 接通人数 × 100%，未接通者不计入分母";

fn invalid(e: SurveyError) -> ApiError {
    ApiError::invalid(e.to_string())
}

fn at_row(i: usize, e: SurveyError) -> ApiError {
    ApiError::invalid(format!("people[{i}].{e}"))
}

fn to_rating(r: Rating) -> SurveyRating {
    match r {
        Rating::Satisfied => SurveyRating::Satisfied,
        Rating::Basic => SurveyRating::Basic,
        Rating::Unsatisfied => SurveyRating::Unsatisfied,
    }
}

fn from_rating(r: SurveyRating) -> Rating {
    match r {
        SurveyRating::Satisfied => Rating::Satisfied,
        SurveyRating::Basic => Rating::Basic,
        SurveyRating::Unsatisfied => Rating::Unsatisfied,
    }
}

fn status_of(text: &str) -> SurveyRoundStatus {
    match text {
        "drawn" => SurveyRoundStatus::Drawn,
        "closed" => SurveyRoundStatus::Closed,
        _ => SurveyRoundStatus::Open,
    }
}

fn fresh_seed() -> ApiResult<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    // Below 2^53, so the seed survives any JSON reader as a number too.
    Ok(u64::from_le_bytes(bytes) >> 11)
}

fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        code,
        detail: detail.into(),
    }
}

/// The person as every list shows them: masked.
pub fn to_wire(p: &PersonRecord) -> SurveyPerson {
    SurveyPerson {
        id: p.id,
        round_id: p.round_id,
        name_masked: p.name_masked.clone(),
        phone_masked: p.phone_masked.clone(),
        service_date: p.service_date,
        site_id: p.site_id,
        site_name: p.site_name.clone(),
        physician_id: p.physician_id,
        physician_name: p.physician_name.clone(),
        registered_at: p.registered_at,
        draw_order: p.draw_order,
        attempts: p.attempts,
        reached: p.reached,
        rating: p.rating.as_deref().and_then(Rating::parse).map(to_rating),
        note: p.note.clone(),
        last_called_at: p.last_called_at,
    }
}

/// A round with the path of its jurisdiction, for scope checks.
struct Located {
    round: RoundRecord,
    path: JurisdictionPath,
    jurisdiction_name: String,
}

async fn locate(state: &AppState, id: Uuid) -> ApiResult<Located> {
    let round = state
        .store
        .survey_round(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let code = JurisdictionCode::parse(&round.jurisdiction_code)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let place = state
        .store
        .jurisdiction(&code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Located {
        round,
        path: place.path,
        jurisdiction_name: place.name,
    })
}

/// The clinic administrator's site and where it sits.
async fn clinic_site(state: &AppState, actor: &Actor) -> ApiResult<(Uuid, JurisdictionPath)> {
    let Scope::Organization(site) = actor.scope else {
        return Err(ApiError::Forbidden);
    };
    let org = state
        .store
        .organization(site)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((site, org.jurisdiction_path))
}

/// A round the actor may see: supervisors and admins in reach, or a clinic
/// administrator whose site lies within the round's jurisdiction (404 otherwise).
/// Answers the clinic's site for a clinic administrator.
async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<(Located, Option<Uuid>)> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::ClinicAdmin])?;
    let located = locate(state, id).await?;
    match actor.role {
        Role::ClinicAdmin => {
            let (site, path) = clinic_site(state, actor).await?;
            if !located.path.contains(&path) {
                return Err(ApiError::NotFound);
            }
            Ok((located, Some(site)))
        }
        _ => {
            if !actor.reaches_jurisdiction(&located.path) {
                return Err(ApiError::NotFound);
            }
            Ok((located, None))
        }
    }
}

/// A round a supervisor or admin manages (clinic administrators: 403).
async fn managed(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Located> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    Ok(visible(state, actor, id).await?.0)
}

async fn describe(state: &AppState, located: &Located) -> ApiResult<SurveyRound> {
    let r = &located.round;
    let counts = state.store.survey_round_counts(r.id).await?;
    let program_name = match r.program_id {
        Some(id) => state.store.program(id).await?.map(|(p, _)| p.name),
        None => None,
    };
    Ok(SurveyRound {
        id: r.id,
        jurisdiction_code: r.jurisdiction_code.clone(),
        jurisdiction_name: located.jurisdiction_name.clone(),
        program_id: r.program_id,
        program_name,
        period: r.period.clone(),
        from: r.from,
        to: r.to,
        sample_size: r.sample_size,
        status: status_of(&r.status),
        seed: r.seed.clone(),
        registered: counts.registered,
        drawn: counts.drawn,
        called: counts.called,
        created_by: r.created_by,
        created_at: r.created_at,
        drawn_at: r.drawn_at,
        closed_at: r.closed_at,
        erase_after: r.erase_after,
        erased_at: r.erased_at,
    })
}

/// Creates a round, audited (`survey.create_round`).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    body: &CreateSurveyRound,
) -> ApiResult<SurveyRound> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let period =
        SurveyPeriod::parse(body.period.as_deref(), body.from, body.to).map_err(invalid)?;
    let sample_size = body.sample_size.unwrap_or(DEFAULT_SAMPLE);
    if !(1..=MAX_SAMPLE).contains(&sample_size) {
        return Err(invalid(SurveyError::Sample));
    }
    let place = reports::resolve_scope(state, actor, Some(body.jurisdiction_code.trim()))
        .await?
        .jurisdiction
        .ok_or_else(|| ApiError::invalid("jurisdiction_code: required"))?;
    if let Some(program_id) = body.program_id {
        let (_, program_path) = state
            .store
            .program(program_id)
            .await?
            .ok_or_else(|| ApiError::invalid("program_id: no such programme"))?;
        if !program_path.contains(&place.path) && !place.path.contains(&program_path) {
            return Err(ApiError::invalid(
                "program_id: not a programme of this jurisdiction",
            ));
        }
    }
    let round = RoundRecord {
        id: Uuid::new_v4(),
        jurisdiction_code: place.code.to_string(),
        program_id: body.program_id,
        period: period.label.clone(),
        from: period.from,
        to: period.to,
        sample_size,
        status: "open".into(),
        seed: None,
        drawn_at: None,
        closed_at: None,
        erase_after: None,
        erased_at: None,
        created_by: actor.user_id,
        created_at: state.now(),
    };
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "survey.create_round",
            object_type: "survey_round",
            object_id: round.id.to_string(),
            before: None,
            after: Some(&json!({
                "jurisdiction_code": round.jurisdiction_code,
                "program_id": round.program_id,
                "period": round.period,
                "from": round.from,
                "to": round.to,
                "sample_size": round.sample_size,
            })),
        },
    )?;
    state.store.insert_survey_round(&round, entry).await?;
    let located = Located {
        round,
        path: place.path,
        jurisdiction_name: place.name,
    };
    describe(state, &located).await
}

/// Rounds the actor may see: a supervisor's jurisdiction and below (or `code` within
/// it), everything for an admin, the rounds covering its site for a clinic.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    code: Option<&str>,
) -> ApiResult<SurveyRoundList> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::ClinicAdmin])?;
    let (within, site_path) = if actor.role == Role::ClinicAdmin {
        let (_, path) = clinic_site(state, actor).await?;
        let top = path
            .as_str()
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        (JurisdictionPath::from_stored(top), Some(path))
    } else {
        match reports::resolve_scope(state, actor, code)
            .await?
            .jurisdiction
        {
            Some(place) => (place.path, None),
            // An admin without a code: every round.
            None => (JurisdictionPath::from_stored(String::new()), None),
        }
    };
    let rounds = if within.as_str().is_empty() {
        state.store.all_survey_rounds().await?
    } else {
        state.store.survey_rounds(&within).await?
    };
    let mut items = Vec::new();
    for round in rounds {
        let located = locate(state, round.id).await?;
        if let Some(site_path) = &site_path
            && !located.path.contains(site_path)
        {
            continue;
        }
        items.push(describe(state, &located).await?);
    }
    Ok(SurveyRoundList { items })
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SurveyRound> {
    let (located, _) = visible(state, actor, id).await?;
    describe(state, &located).await
}

/// The round's people, masked; a clinic administrator sees its own site's only.
pub async fn people(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SurveyPeopleList> {
    let (located, site) = visible(state, actor, id).await?;
    let items = state
        .store
        .survey_people(located.round.id, site)
        .await?
        .iter()
        .map(to_wire)
        .collect();
    Ok(SurveyPeopleList { items })
}

/// Registers people served in an open round, all or none, audited
/// (`survey.register`, masked values only). Each row: a name, a valid phone not yet in
/// the round (409 `duplicate_phone`), a service date in the period, a receiving site in
/// the round's jurisdiction (a clinic administrator's own, by default and at most), and
/// a physician with an assignment at that site whose dates cover the service date (of
/// the round's programme, when it has one).
pub async fn register(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: &RegisterSurveyPeople,
) -> ApiResult<SurveyPeopleList> {
    let (located, own_site) = visible(state, actor, id).await?;
    let round = &located.round;
    if round.status != "open" {
        return Err(conflict(
            "round_not_open",
            format!(
                "the round is {}; people are registered only while it is open",
                round.status
            ),
        ));
    }
    if body.people.is_empty() || body.people.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "people: between 1 and {MAX_BATCH} rows"
        )));
    }
    let period = SurveyPeriod {
        label: round.period.clone(),
        from: round.from,
        to: round.to,
    };
    let mut seen: HashSet<String> = state
        .store
        .survey_phone_hashes(round.id)
        .await?
        .into_iter()
        .collect();
    let mut batch: Vec<String> = Vec::new();
    let mut rows = Vec::with_capacity(body.people.len());
    let mut checked_sites: BTreeMap<Uuid, ()> = BTreeMap::new();
    for (i, input) in body.people.iter().enumerate() {
        let name = survey::parse_name(&input.name).map_err(|e| at_row(i, e))?;
        let phone = ServedPhone::parse(&input.phone).map_err(|e| at_row(i, e))?;
        if !period.contains(input.service_date) {
            return Err(ApiError::invalid(format!(
                "people[{i}].service_date: must be within the round's period {} to {}",
                period.from, period.to
            )));
        }
        let site_id = match (own_site, input.site_id) {
            (Some(own), None) => own,
            (Some(own), Some(given)) if given == own => own,
            (Some(_), Some(_)) => return Err(ApiError::NotFound),
            (None, Some(given)) => given,
            (None, None) => {
                return Err(ApiError::invalid(format!("people[{i}].site_id: required")));
            }
        };
        if checked_sites.insert(site_id, ()).is_none() {
            let site = state.store.organization(site_id).await?;
            let fits = site.is_some_and(|s| {
                matches!(
                    s.kind,
                    OrganizationKind::TownshipHealthCenter
                        | OrganizationKind::CommunityHealthCenter
                        | OrganizationKind::VillageClinic
                ) && located.path.contains(&s.jurisdiction_path)
            });
            if !fits {
                return Err(ApiError::invalid(format!(
                    "people[{i}].site_id: not a receiving site of this round's jurisdiction"
                )));
            }
        }
        let served = state
            .store
            .assignments_at(input.physician_id, site_id)
            .await?
            .iter()
            .any(|a| {
                a.start_date <= input.service_date
                    && input.service_date <= a.end_date
                    && round.program_id.is_none_or(|p| p == a.program_id)
            });
        if !served {
            return Err(ApiError::invalid(format!(
                "people[{i}].physician_id: no assignment at this site covering {}",
                input.service_date
            )));
        }
        let hash = state
            .keys
            .pii
            .keyed_hash(&round.id.to_string(), phone.as_str());
        if !seen.insert(hash.clone()) {
            let detail = match batch.iter().position(|h| *h == hash) {
                Some(first) => format!("people[{i}].phone: the same number as people[{first}]"),
                None => format!("people[{i}].phone: already registered in this round"),
            };
            return Err(conflict("duplicate_phone", detail));
        }
        batch.push(hash.clone());
        let person_id = Uuid::new_v4();
        let seal = |value: &str, column: &str| {
            state
                .keys
                .pii
                .seal(value, &format!("{person_id}/{column}"))
                .map_err(ApiError::internal)
        };
        rows.push(NewPerson {
            id: person_id,
            name_sealed: seal(&name, "name")?,
            phone_sealed: seal(phone.as_str(), "phone")?,
            phone_hash: hash,
            name_masked: survey::mask_name(&name),
            phone_masked: phone.masked(),
            service_date: input.service_date,
            site_id,
            physician_id: input.physician_id,
        });
    }
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "survey.register",
            object_type: "survey_round",
            object_id: round.id.to_string(),
            before: None,
            after: Some(&json!({
                "people": rows.iter().map(|p| json!({
                    "id": p.id,
                    "name": p.name_masked,
                    "phone": p.phone_masked,
                    "service_date": p.service_date,
                    "site_id": p.site_id,
                    "physician_id": p.physician_id,
                })).collect::<Vec<_>>(),
            })),
        },
    )?;
    let now = state.now();
    state
        .store
        .insert_survey_people(round.id, &rows, actor.user_id, now, entry)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(detail) if detail.starts_with("phone") => {
                conflict("duplicate_phone", detail)
            }
            crate::store::StoreError::Conflict(detail) => conflict("round_not_open", detail),
            other => other.into(),
        })?;
    let ids: HashSet<Uuid> = rows.iter().map(|p| p.id).collect();
    let items = state
        .store
        .survey_people(round.id, None)
        .await?
        .iter()
        .filter(|p| ids.contains(&p.id))
        .map(to_wire)
        .collect();
    Ok(SurveyPeopleList { items })
}

/// The physicians a registration in this round may name: assigned at a receiving site
/// of the round's jurisdiction (a clinic administrator's own) during its period.
pub async fn physicians(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<SurveyPhysicianList> {
    let (located, site) = visible(state, actor, id).await?;
    let r = &located.round;
    let items = state
        .store
        .survey_physicians(&located.path, site, r.from, r.to)
        .await?
        .into_iter()
        .map(
            |(physician_id, physician_name, site_id, site_name)| SurveyPhysician {
                physician_id,
                physician_name,
                site_id,
                site_name,
            },
        )
        .collect();
    Ok(SurveyPhysicianList { items })
}

/// Registers the people of an uploaded sheet (受益群众登记表: 姓名, 联系电话, 服务日期,
/// 派驻医师 by name; CSV or XLSX) at one site (a clinic administrator's own; a
/// supervisor names it): every bad row is reported at once (400 `invalid_import`), and
/// the rest is [`register`]'s, with the errors naming spreadsheet rows.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    site_id: Option<Uuid>,
    format: crate::import::TableFormat,
    bytes: &[u8],
) -> ApiResult<SurveyPeopleList> {
    let (located, own_site) = visible(state, actor, id).await?;
    let site_id = match (own_site, site_id) {
        (Some(own), None) => own,
        (Some(own), Some(given)) if given == own => own,
        (Some(_), Some(_)) => return Err(ApiError::NotFound),
        (None, Some(given)) => given,
        (None, None) => return Err(ApiError::invalid("site_id: required")),
    };
    let invalid_import =
        |detail: String, issues: Vec<survey::SheetIssue>| ApiError::InvalidImport {
            detail,
            errors: issues
                .into_iter()
                .map(|i| mobile_api::ImportIssue {
                    row: i.row,
                    column: i.column.to_owned(),
                    reason_zh: format!("第{}行 {}：{}", i.row, i.column, i.reason),
                    reason: i.reason,
                })
                .collect(),
        };
    let rows = crate::import::read_table(bytes, format)
        .map_err(|e| invalid_import(e.to_string(), Vec::new()))?;
    let people = survey::sheet_people(&rows)
        .map_err(|issues| invalid_import("the sheet has bad rows".into(), issues))?;
    let r = &located.round;
    let known = state
        .store
        .survey_physicians(&located.path, Some(site_id), r.from, r.to)
        .await?;
    let mut issues = Vec::new();
    let mut inputs = Vec::with_capacity(people.len());
    for p in &people {
        let matches: Vec<Uuid> = known
            .iter()
            .filter(|(_, name, _, _)| *name == p.physician)
            .map(|(id, ..)| *id)
            .collect();
        match matches.as_slice() {
            [one] => inputs.push(SurveyPersonInput {
                name: p.name.clone(),
                phone: p.phone.clone(),
                service_date: p.service_date,
                site_id: Some(site_id),
                physician_id: *one,
            }),
            [] => issues.push(survey::SheetIssue {
                row: p.row,
                column: "physician",
                reason: format!(
                    "no physician named {} is assigned at this site in the round",
                    p.physician
                ),
            }),
            _ => issues.push(survey::SheetIssue {
                row: p.row,
                column: "physician",
                reason: format!(
                    "more than one physician is named {}; register this row in the form",
                    p.physician
                ),
            }),
        }
    }
    if !issues.is_empty() {
        return Err(invalid_import("the sheet has bad rows".into(), issues));
    }
    let body = RegisterSurveyPeople { people: inputs };
    register(state, actor, id, &body).await.map_err(|e| {
        let rename = |detail: String| {
            let Some(rest) = detail.strip_prefix("people[") else {
                return detail;
            };
            let Some((index, tail)) = rest.split_once("].") else {
                return detail;
            };
            let row = index
                .parse::<usize>()
                .ok()
                .and_then(|i| people.get(i))
                .map_or(0, |p| p.row);
            format!("row {row}: {tail}")
        };
        match e {
            ApiError::InvalidRequest(detail) => ApiError::InvalidRequest(rename(detail)),
            ApiError::Conflict { code, detail } => ApiError::Conflict {
                code,
                detail: rename(detail),
            },
            other => other,
        }
    })
}

/// The empty registration sheet to fill in, titled, with the columns the upload reads.
pub fn template_headers() -> Vec<String> {
    survey::SHEET_HEADERS
        .iter()
        .map(|h| (*h).to_owned())
        .collect()
}

/// Draws the sample of an open round (a simple random sample of `sample_size`, or
/// everyone when fewer are registered) from `seed` or a fresh one; audited
/// (`survey.draw` with the seed, the candidates and the sample). On a round already
/// drawn, a `seed` repeats the draw over the same people without changing anything and
/// says whether it gives the recorded sample; without one it is 409 `already_drawn`.
pub async fn draw(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    seed: Option<&str>,
) -> ApiResult<SurveyDraw> {
    let located = managed(state, actor, id).await?;
    let round = &located.round;
    let seed = seed.map(survey::parse_seed).transpose().map_err(invalid)?;
    let people = state.store.survey_people(round.id, None).await?;
    let mut candidates: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    candidates.sort();
    let candidates_count = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
    if round.status != "open" {
        let Some(seed) = seed else {
            return Err(conflict(
                "already_drawn",
                "the round is already drawn; give seed= to repeat the draw for an audit",
            ));
        };
        let sample = survey::draw(&candidates, round.sample_size, seed);
        let mut recorded: Vec<(u32, Uuid)> = people
            .iter()
            .filter_map(|p| p.draw_order.map(|o| (o, p.id)))
            .collect();
        recorded.sort();
        let recorded: Vec<Uuid> = recorded.into_iter().map(|(_, id)| id).collect();
        return Ok(SurveyDraw {
            round: describe(state, &located).await?,
            seed: seed.to_string(),
            candidates: candidates_count,
            matches_recorded: Some(recorded == sample),
            sample,
            repeated: true,
        });
    }
    if candidates.is_empty() {
        return Err(conflict(
            "nothing_to_draw",
            "no people are registered in this round yet",
        ));
    }
    let seed = match seed {
        Some(seed) => seed,
        None => fresh_seed()?,
    };
    let sample = survey::draw(&candidates, round.sample_size, seed);
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "survey.draw",
            object_type: "survey_round",
            object_id: round.id.to_string(),
            before: None,
            after: Some(&json!({
                "seed": seed.to_string(),
                "method": "simple random sample without replacement (ChaCha20, partial Fisher-Yates over ids sorted)",
                "sample_size": round.sample_size,
                "candidates": candidates,
                "sample": sample,
            })),
        },
    )?;
    state
        .store
        .draw_survey(round.id, &seed.to_string(), state.now(), &sample, entry)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(detail) => conflict("already_drawn", detail),
            other => other.into(),
        })?;
    tracing::info!(round_id = %round.id, seed, drawn = sample.len(), "survey sample drawn");
    let located = locate(state, round.id).await?;
    Ok(SurveyDraw {
        round: describe(state, &located).await?,
        seed: seed.to_string(),
        candidates: candidates_count,
        sample,
        repeated: false,
        matches_recorded: None,
    })
}

/// The call sheet: the drawn people with their names and phones revealed, for the
/// surveyor (a supervisor or admin in reach). Every sheet served with names on it is
/// an audit entry (`survey.reveal`) naming who saw whose.
pub async fn call_sheet(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SurveyCallSheet> {
    let located = managed(state, actor, id).await?;
    let round = &located.round;
    if round.status == "open" {
        return Err(conflict("round_not_drawn", "draw the sample first"));
    }
    let drawn: Vec<PersonRecord> = state
        .store
        .survey_people(round.id, None)
        .await?
        .into_iter()
        .filter(|p| p.draw_order.is_some())
        .collect();
    let mut items = Vec::with_capacity(drawn.len());
    let mut revealed = Vec::new();
    for p in &drawn {
        let open = |sealed: &Option<String>, column: &str| -> ApiResult<Option<String>> {
            sealed
                .as_deref()
                .map(|s| state.keys.pii.open(s, &format!("{}/{column}", p.id)))
                .transpose()
                .map_err(ApiError::internal)
        };
        let name = open(&p.name_sealed, "name")?;
        let phone = open(&p.phone_sealed, "phone")?;
        if phone.is_some() {
            revealed.push(p.id);
        }
        items.push(SurveyCall {
            person: to_wire(p),
            name,
            phone,
        });
    }
    if !revealed.is_empty() {
        let entry = audit::audited(
            state,
            actor,
            Change {
                action: "survey.reveal",
                object_type: "survey_round",
                object_id: round.id.to_string(),
                before: None,
                after: Some(&json!({ "revealed": revealed })),
            },
        )?;
        state.store.record_survey_reveal(entry).await?;
    }
    Ok(SurveyCallSheet {
        round: describe(state, &located).await?,
        items,
    })
}

/// Records one call to a drawn person (reached or not, the rating when reached, a
/// note), audited (`survey.call`); a person may be called again, each attempt kept.
pub async fn record_call(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    person_id: Uuid,
    body: &RecordSurveyCall,
) -> ApiResult<SurveyPerson> {
    let located = managed(state, actor, id).await?;
    let round = &located.round;
    let rating = body.rating.map(from_rating);
    survey::check_outcome(body.reached, rating).map_err(invalid)?;
    let note = crate::domain::text::note("note", body.note.as_deref(), MAX_NOTE_CHARS)?;
    let person = state
        .store
        .survey_person(person_id)
        .await?
        .filter(|p| p.round_id == round.id)
        .ok_or(ApiError::NotFound)?;
    if person.draw_order.is_none() {
        return Err(conflict(
            "not_drawn",
            "this person was not drawn for a call",
        ));
    }
    let call = NewCall {
        id: Uuid::new_v4(),
        round_id: round.id,
        person_id,
        reached: body.reached,
        rating: rating.map(|r| r.as_str().to_owned()),
        note,
        called_by: actor.user_id,
        called_at: state.now(),
    };
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "survey.call",
            object_type: "survey_person",
            object_id: person_id.to_string(),
            before: None,
            after: Some(&json!({
                "round_id": round.id,
                "call_id": call.id,
                "reached": call.reached,
                "rating": call.rating,
                // The note may name people: the chain keeps only whether there was one,
                // so erasing the round leaves nothing of it.
                "note_given": call.note.is_some(),
            })),
        },
    )?;
    state
        .store
        .record_survey_call(&call, entry)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(detail) => conflict("round_not_drawn", detail),
            other => other.into(),
        })?;
    let person = state
        .store
        .survey_person(person_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(to_wire(&person))
}

/// Closes a round, audited (`survey.close`); its names and phones are erased after
/// `CHECKIN_SURVEY_RETENTION_DAYS` (at once when 0).
pub async fn close(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SurveyRound> {
    let located = managed(state, actor, id).await?;
    let round = &located.round;
    let now = state.now();
    let days = state.config.survey_retention_days;
    let erase_after = DateTime::<Utc>::from_timestamp_millis(survey::erase_after_ms(
        now.timestamp_millis(),
        days,
    ))
    .unwrap_or(now);
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "survey.close",
            object_type: "survey_round",
            object_id: round.id.to_string(),
            before: Some(&json!({ "status": round.status })),
            after: Some(
                &json!({ "status": "closed", "erase_after": erase_after, "retention_days": days }),
            ),
        },
    )?;
    state
        .store
        .close_survey_round(round.id, now, erase_after, entry)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(detail) => conflict("round_closed", detail),
            other => other.into(),
        })?;
    if days == 0 {
        erase_due(state).await?;
    }
    let located = locate(state, round.id).await?;
    describe(state, &located).await
}

/// Erases the names and phones of closed rounds whose retention has passed (the
/// scheduler's step); each erasure is an audit entry of the server (`survey.erase`).
pub async fn erase_due(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let mut erased = 0;
    for round_id in state.store.survey_rounds_to_erase(now).await? {
        let entry = Provenance::Audited(PendingAudit {
            at: now,
            actor_id: None,
            actor_role: None,
            action: "survey.erase".into(),
            object_type: "survey_round".into(),
            object_id: round_id.to_string(),
            before: None,
            after: Some(json!({ "erased": "name, phone, notes" }).to_string()),
        });
        if let Some(people) = state.store.erase_survey_round(round_id, now, entry).await? {
            tracing::info!(%round_id, people, "survey personal data erased");
            erased += 1;
        }
    }
    Ok(erased)
}

fn tally_row(t: &SatisfactionTally, drawn: u32) -> SurveyTallyRow {
    SurveyTallyRow {
        site_id: None,
        site_name: None,
        physician_id: None,
        physician_name: None,
        drawn,
        called: t.calls,
        reached: t.reached,
        satisfied: t.satisfied,
        basic: t.basic,
        unsatisfied: t.unsatisfied,
        rate_percent: t.rate_percent(),
    }
}

/// Per physician (at each site), per site and for the round: drawn, called, reached,
/// and the three ratings of the latest call; the rate is (满意 + 基本满意) / 接通.
pub async fn report(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SurveyReport> {
    let located = managed(state, actor, id).await?;
    let drawn: Vec<PersonRecord> = state
        .store
        .survey_people(located.round.id, None)
        .await?
        .into_iter()
        .filter(|p| p.draw_order.is_some())
        .collect();
    type Key = (String, Uuid, String, Uuid);
    let mut by_physician: BTreeMap<Key, (SatisfactionTally, u32)> = BTreeMap::new();
    let mut by_site: BTreeMap<(String, Uuid), (SatisfactionTally, u32)> = BTreeMap::new();
    let mut total = (SatisfactionTally::default(), 0u32);
    for p in &drawn {
        let rating = p.rating.as_deref().and_then(Rating::parse);
        for slot in [
            by_physician
                .entry((
                    p.site_name.clone(),
                    p.site_id,
                    p.physician_name.clone(),
                    p.physician_id,
                ))
                .or_default(),
            by_site.entry((p.site_name.clone(), p.site_id)).or_default(),
            &mut total,
        ] {
            slot.0.count(p.attempts, p.reached, rating);
            slot.1 += 1;
        }
    }
    let by_physician = by_physician
        .into_iter()
        .map(
            |((site_name, site_id, name, physician_id), (t, n))| SurveyTallyRow {
                site_id: Some(site_id),
                site_name: Some(site_name),
                physician_id: Some(physician_id),
                physician_name: Some(name),
                ..tally_row(&t, n)
            },
        )
        .collect();
    let by_site = by_site
        .into_iter()
        .map(|((site_name, site_id), (t, n))| SurveyTallyRow {
            site_id: Some(site_id),
            site_name: Some(site_name),
            ..tally_row(&t, n)
        })
        .collect();
    Ok(SurveyReport {
        round: describe(state, &located).await?,
        by_physician,
        by_site,
        total: tally_row(&total.0, total.1),
        rate_definition: RATE_DEFINITION.to_owned(),
    })
}

/// The survey results of one physician for the people they served between `from` and
/// `to` (inclusive), across every round: the promotion form's (考核登记表) source. No
/// actor: the caller has checked scope.
pub async fn physician_satisfaction(
    state: &AppState,
    physician_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<SatisfactionTally> {
    let outcomes = state
        .store
        .physician_survey_outcomes(physician_id, from, to)
        .await?;
    let mut tally = SatisfactionTally::default();
    let mut rounds = HashSet::new();
    for o in &outcomes {
        rounds.insert(o.round_id);
        tally.count(
            o.attempts,
            o.reached,
            o.rating.as_deref().and_then(Rating::parse),
        );
    }
    tally.rounds = u32::try_from(rounds.len()).unwrap_or(u32::MAX);
    Ok(tally)
}

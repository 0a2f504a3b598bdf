//! The 对口支援工作医师考核登记表 a hospital files before a promotion (中站 2021), the
//! service elsewhere that counts towards it, the signers' opinions, and the public
//! notice (晋升前信息公示) of a hospital's candidates.
//!
//! Who reads a form: admins; the physician (their own); their hospital's
//! administrator; the supervisors of the jurisdiction their hospital sits in; a
//! clinic administrator of a site they were posted to (who signs the clinic's
//! opinion). Anyone else: 404 (403 for a role that never may).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use mobile_api::{
    AssessmentItems, ComplaintStatus, ComplaintTally, CreateExternalService, ExternalService,
    FraudFinding, NoticeCandidate, OpinionSigner, ProgramYear, PromotionForm, PromotionNotice,
    PromotionOpinion, PromotionStatus, PromotionVerdict, PutOpinion, SatisfactionSummary,
    Substantiated, WorkloadLine,
};
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::promotion::{self as rules, ServiceFacts, Status};
use crate::domain::reports::activity_unit_zh;
use crate::domain::requirements::ActivityKind;
use crate::domain::user::User;
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::complaints::{self, text_of};
use crate::service::reports::whole_service_record;
use crate::state::AppState;
use crate::store::anomalies::AnomalyFilter;
use crate::store::promotion::{ExternalServiceRecord, OpinionRecord};

/// The longest opinion.
pub const MAX_OPINION_CHARS: usize = 1000;

/// The physician, and whether `actor` may read their form (404 when not).
async fn readable(state: &AppState, actor: &Actor, physician_id: Uuid) -> ApiResult<User> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    let (physician, employer) = state
        .store
        .user_with_placement(physician_id)
        .await?
        .filter(|(u, _)| u.role == Role::Physician)
        .ok_or(ApiError::NotFound)?;
    let reads = match (&actor.scope, actor.role) {
        (Scope::Everything, _) => true,
        (Scope::Own, Role::Physician) => actor.user_id == physician.id,
        (Scope::Organization(org), Role::HospitalAdmin) => physician.organization_id == Some(*org),
        (Scope::Organization(site), Role::ClinicAdmin) => {
            state.store.served_at(physician.id, *site).await?
        }
        (Scope::Jurisdiction(root), Role::Supervisor) => {
            employer.as_ref().is_some_and(|path| root.contains(path))
        }
        _ => false,
    };
    if !reads {
        return Err(ApiError::NotFound);
    }
    Ok(physician)
}

fn external_to_wire(r: ExternalServiceRecord) -> ExternalService {
    ExternalService {
        id: r.id,
        physician_id: r.physician_id,
        kind: r.kind,
        kind_zh: r.kind.label_zh().to_owned(),
        place: r.place,
        start_date: r.start_date,
        end_date: r.end_date,
        calendar_days: rules::calendar_days(r.start_date, r.end_date),
        evidence_number: r.evidence_number,
        evidence_sha256: r.evidence_sha256,
        note: r.note,
        recorded_by: r.recorded_by,
        recorded_by_name: r.recorded_by_name,
        recorded_at: r.recorded_at,
    }
}

fn opinion_to_wire(r: OpinionRecord) -> PromotionOpinion {
    PromotionOpinion {
        signer: r.signer,
        signer_zh: r.signer.label_zh().to_owned(),
        opinion: r.opinion,
        organization_name: r.organization_name,
        signed_by: r.signed_by,
        signed_by_name: r.signed_by_name,
        signed_at: r.signed_at,
    }
}

fn today(state: &AppState) -> NaiveDate {
    local_date(state.now(), DEFAULT_TIMEZONE)
}

/// An admin, or the administrator of the physician's hospital, records service
/// elsewhere with its evidence document number (and the scan's SHA-256 when one was
/// filed). Dates in order, not after today. Audited (`external_service.create`).
pub async fn record_external_service(
    state: &AppState,
    actor: &Actor,
    physician_id: Uuid,
    body: &CreateExternalService,
) -> ApiResult<ExternalService> {
    actor.require(&[Role::Admin, Role::HospitalAdmin])?;
    let physician = readable(state, actor, physician_id).await?;
    let place = text_of("place", &body.place, 100)?;
    let evidence_number = text_of("evidence_number", &body.evidence_number, 100)?;
    let note = match body.note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(note) => Some(text_of("note", note, 500)?),
    };
    let evidence_sha256 = match body.evidence_sha256.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(hash.to_ascii_lowercase())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "evidence_sha256: expected 64 hexadecimal digits",
            ));
        }
    };
    if body.end_date < body.start_date {
        return Err(ApiError::invalid("end_date: before start_date"));
    }
    if body.start_date.year() < 1950 {
        return Err(ApiError::invalid("start_date: before 1950"));
    }
    if body.end_date > today(state) {
        return Err(ApiError::invalid("end_date: after today"));
    }
    let record = ExternalServiceRecord {
        id: Uuid::new_v4(),
        physician_id: physician.id,
        kind: body.kind,
        place,
        start_date: body.start_date,
        end_date: body.end_date,
        evidence_number,
        evidence_sha256,
        note,
        recorded_by: actor.user_id,
        recorded_at: state.now(),
        recorded_by_name: None,
    };
    let wire = external_to_wire(record.clone());
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "external_service.create",
            object_type: "external_service",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&wire),
        },
    )?;
    state
        .store
        .insert_external_service(&record, provenance)
        .await?;
    Ok(wire)
}

/// The physician's service elsewhere, for those who read the form.
pub async fn external_services(
    state: &AppState,
    actor: &Actor,
    physician_id: Uuid,
) -> ApiResult<Vec<ExternalService>> {
    readable(state, actor, physician_id).await?;
    Ok(state
        .store
        .external_services_of(physician_id)
        .await?
        .into_iter()
        .map(external_to_wire)
        .collect())
}

/// Signs an opinion on the form: `clinic` by the administrator of a site the
/// physician was posted to, `hospital` by their hospital's administrator, `bureau`
/// by a supervisor of their hospital's jurisdiction or an admin. Another role: 403.
/// Replaces the signer's last opinion; audited (`promotion_opinion.put`).
pub async fn put_opinion(
    state: &AppState,
    actor: &Actor,
    physician_id: Uuid,
    signer: OpinionSigner,
    body: &PutOpinion,
) -> ApiResult<PromotionOpinion> {
    let allowed: &[Role] = match signer {
        OpinionSigner::Clinic => &[Role::ClinicAdmin],
        OpinionSigner::Hospital => &[Role::HospitalAdmin],
        OpinionSigner::Bureau => &[Role::Supervisor, Role::Admin],
    };
    actor.require(allowed)?;
    let physician = readable(state, actor, physician_id).await?;
    let opinion = text_of("opinion", &body.opinion, MAX_OPINION_CHARS)?;
    let organization_name = match &actor.scope {
        Scope::Organization(org) => state.store.organization(*org).await?.map(|o| o.name),
        _ => None,
    };
    let existing = state.store.opinions_of(physician.id).await?;
    let before = existing.iter().find(|o| o.signer == signer).cloned();
    let record = OpinionRecord {
        id: before.as_ref().map_or_else(Uuid::new_v4, |b| b.id),
        physician_id: physician.id,
        signer,
        opinion,
        organization_name,
        signed_by: actor.user_id,
        signed_at: state.now(),
        signed_by_name: None,
    };
    let after = opinion_to_wire(record.clone());
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "promotion_opinion.put",
            object_type: "promotion_opinion",
            object_id: record.id.to_string(),
            before: before.map(opinion_to_wire).as_ref(),
            after: Some(&after),
        },
    )?;
    state.store.put_opinion(&record, provenance).await?;
    let stored = state
        .store
        .opinions_of(physician.id)
        .await?
        .into_iter()
        .find(|o| o.signer == signer)
        .ok_or(ApiError::NotFound)?;
    Ok(opinion_to_wire(stored))
}

/// The form for `physician_id`, for those who may read it.
pub async fn form(state: &AppState, actor: &Actor, physician_id: Uuid) -> ApiResult<PromotionForm> {
    let physician = readable(state, actor, physician_id).await?;
    build_form(state, physician).await
}

/// The form as of today (the caller has checked scope).
async fn build_form(state: &AppState, physician: User) -> ApiResult<PromotionForm> {
    let as_of = today(state);
    let (record, workload) = whole_service_record(state, physician.id).await?;

    // Each programme's year, and the credited days of its postings.
    let mut credited: BTreeMap<Uuid, (String, f64)> = BTreeMap::new();
    for p in &record.postings {
        let entry = credited
            .entry(p.program_id)
            .or_insert_with(|| (p.program_name.clone(), 0.0));
        entry.1 += p.credited_days;
    }
    let mut program_years = Vec::with_capacity(credited.len());
    let mut asked_span = None;
    for (program_id, (name, days)) in credited {
        let requirements = state
            .store
            .program(program_id)
            .await?
            .map(|(p, _)| p.requirements)
            .unwrap_or_default();
        let (per_year, basis) = rules::days_per_year(&requirements);
        asked_span = asked_span.max(rules::consecutive_months_asked(&requirements));
        program_years.push(ProgramYear {
            program_id,
            program_name: name,
            days_per_year: per_year,
            basis_zh: basis,
            credited_days: days,
            years: days / per_year,
        });
    }
    let external: Vec<ExternalService> = state
        .store
        .external_services_of(physician.id)
        .await?
        .into_iter()
        .map(external_to_wire)
        .collect();
    let external_days: u32 = external.iter().map(|e| e.calendar_days).sum();

    // Confirmed fraud.
    let confirmed = state
        .store
        .list_anomalies(
            &AnomalyFilter {
                physician_id: Some(physician.id),
                status: Some("confirmed"),
                ..AnomalyFilter::default()
            },
            500,
        )
        .await?;
    let mut fraud = Vec::new();
    for a in confirmed
        .into_iter()
        .filter(|a| rules::is_fraud_kind(&a.kind))
    {
        let Some(review) = a.review else { continue };
        let confirmed_on = local_date(review.reviewed_at, DEFAULT_TIMEZONE);
        let site_name = match a.site_id {
            Some(site) => state.store.organization(site).await?.map(|o| o.name),
            None => None,
        };
        fraud.push(FraudFinding {
            anomaly_id: a.id,
            label_zh: AnomalyKind::parse(&a.kind)
                .map_or_else(|| a.kind.clone(), |k| k.label_zh().to_owned()),
            kind: a.kind,
            site_name,
            detected_on: local_date(a.detected_at, DEFAULT_TIMEZONE),
            confirmed_on,
            review_note: review.note,
            barred_until: rules::barred_until(confirmed_on),
            consequence_zh: rules::FRAUD_CONSEQUENCE_ZH.to_owned(),
        });
    }
    fraud.sort_by_key(|f| (f.confirmed_on, f.anomaly_id));

    let consecutive_months = record.longest_span.as_ref().map_or(0, |s| s.months);
    let verdict = rules::judge(
        &ServiceFacts {
            programmes: program_years
                .iter()
                .map(|p| (p.credited_days, p.days_per_year))
                .collect(),
            external_days,
            consecutive_months,
            consecutive_months_asked: asked_span,
            frauds_confirmed_on: fraud.iter().map(|f| f.confirmed_on).collect(),
        },
        as_of,
    );
    let status = match verdict.status {
        Status::Met => PromotionStatus::Met,
        Status::NotMet => PromotionStatus::NotMet,
        Status::Barred => PromotionStatus::Barred,
    };

    // Workload, by kind, the kinds logged at all.
    let workload_lines: Vec<WorkloadLine> = ActivityKind::ALL
        .iter()
        .filter(|k| workload.get(**k) > 0)
        .map(|k| WorkloadLine {
            kind: k.as_str().to_owned(),
            label_zh: k.label_zh().to_owned(),
            unit_zh: activity_unit_zh(*k).to_owned(),
            total: workload.get(*k),
        })
        .collect();

    // The assessment items.
    let complaints = complaints::of_physician(state, physician.id).await?;
    let substantiated: Vec<String> = complaints
        .iter()
        .filter(|c| c.substantiated == Substantiated::Yes)
        .map(|c| format!("{} {}：{}", c.received_on, c.site_name, c.content))
        .collect();
    let tally = ComplaintTally {
        total: u32::try_from(complaints.len()).unwrap_or(u32::MAX),
        substantiated: u32::try_from(substantiated.len()).unwrap_or(u32::MAX),
        open: u32::try_from(
            complaints
                .iter()
                .filter(|c| c.status != ComplaintStatus::Closed)
                .count(),
        )
        .unwrap_or(u32::MAX),
        substantiated_zh: substantiated,
    };
    let missed = state
        .store
        .list_anomalies(
            &AnomalyFilter {
                physician_id: Some(physician.id),
                kind: Some("requirement_missed"),
                ..AnomalyFilter::default()
            },
            500,
        )
        .await?
        .into_iter()
        .filter(|a| a.status != "dismissed")
        .count();
    let missed = u32::try_from(missed).unwrap_or(u32::MAX);
    let business_zh = if workload_lines.is_empty() {
        "未登记工作量".to_owned()
    } else {
        workload_lines
            .iter()
            .map(|w| format!("{}{}{}", w.label_zh, w.total, w.unit_zh))
            .collect::<Vec<_>>()
            .join("，")
    };
    let complaints_zh = if tally.total == 0 {
        "无投诉".to_owned()
    } else {
        format!(
            "投诉{}件，其中属实{}件{}",
            tally.total,
            tally.substantiated,
            if tally.substantiated_zh.is_empty() {
                String::new()
            } else {
                format!("：{}", tally.substantiated_zh.join("；"))
            }
        )
    };
    let sites: BTreeSet<&str> = record
        .postings
        .iter()
        .map(|p| p.site_name.as_str())
        .collect();
    let assessment = AssessmentItems {
        business_zh,
        medical_safety_zh: if tally.substantiated == 0 {
            "系统无医疗安全相关的属实投诉记录".to_owned()
        } else {
            format!("属实投诉{}件，见患者投诉栏", tally.substantiated)
        },
        complaints: tally,
        complaints_zh,
        duties_zh: format!(
            "派驻/巡诊安排{}项（{}），累计计入服务{}天",
            record.postings.len(),
            sites.into_iter().collect::<Vec<_>>().join("、"),
            rules::trim_number(record.cumulative_credited_days)
        ),
        monthly_zh: format!(
            "有服务记录{}个月，考核期内未达方案要求{}次",
            record.active_months, missed
        ),
        months_served: record.active_months,
        requirement_periods_missed: missed,
    };
    let mut opinions: Vec<PromotionOpinion> = state
        .store
        .opinions_of(physician.id)
        .await?
        .into_iter()
        .map(opinion_to_wire)
        .collect();
    opinions.sort_by_key(|o| OpinionSigner::ALL.iter().position(|s| *s == o.signer));
    let practice_years = physician
        .practice_since_year
        .map(|since| (as_of.year() - since).max(0));
    Ok(PromotionForm {
        physician: record.physician,
        practice_since_year: physician.practice_since_year,
        practice_years,
        discipline: physician.discipline,
        cumulative_credited_days: record.cumulative_credited_days,
        longest_span: record.longest_span,
        postings: record.postings,
        program_years,
        external_services: external,
        verdict: PromotionVerdict {
            status,
            status_zh: status.label_zh().to_owned(),
            service_years: verdict.service_years,
            required_years: rules::REQUIRED_YEARS,
            required_consecutive_months: asked_span,
            consecutive_months,
            barred_until: verdict.barred_until,
            reasons_zh: verdict.reasons_zh,
        },
        fraud,
        workload: workload_lines,
        assessment,
        opinions,
        satisfaction: satisfaction(state, physician.id, as_of).await?,
        as_of,
        generated_at: state.now(),
    })
}

/// Surveys count from the first year the system could have recorded one.
const SURVEYS_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a date"),
};

/// The satisfaction survey results for the form: every call about the physician in
/// any survey round up to the form's date (无测评记录 when no one they served was
/// drawn).
async fn satisfaction(
    state: &AppState,
    physician_id: Uuid,
    as_of: NaiveDate,
) -> ApiResult<Option<SatisfactionSummary>> {
    let tally =
        super::surveys::physician_satisfaction(state, physician_id, SURVEYS_FROM, as_of).await?;
    Ok((tally.rounds > 0).then_some(SatisfactionSummary {
        rounds: tally.rounds,
        calls: tally.calls,
        reached: tally.reached,
        satisfied: tally.satisfied,
        basic: tally.basic,
        unsatisfied: tally.unsatisfied,
    }))
}

/// The public notice of a hospital's candidates: its physicians with any service to
/// count (credited days or service elsewhere), each with the verdict. The
/// hospital's administrator, supervisors whose jurisdiction holds the hospital, and
/// admins; others 404.
pub async fn notice(
    state: &AppState,
    actor: &Actor,
    hospital_id: Uuid,
    contact: Option<&str>,
) -> ApiResult<PromotionNotice> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let hospital = state
        .store
        .organization(hospital_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let reach = match (&actor.scope, actor.role) {
        (Scope::Everything, _) => true,
        (Scope::Organization(org), Role::HospitalAdmin) => *org == hospital.id,
        (Scope::Jurisdiction(root), Role::Supervisor) => root.contains(&hospital.jurisdiction_path),
        _ => false,
    };
    if !reach {
        return Err(ApiError::NotFound);
    }
    let contact = match contact.map(str::trim) {
        None | Some("") => format!(
            "{}（受理意见请书面或电话联系本单位人事部门）",
            hospital.name
        ),
        Some(text) => text_of("contact", text, 200)?,
    };
    let mut candidates = Vec::new();
    for id in state.store.physicians_of_hospital(hospital.id).await? {
        let Some(user) = state.store.user(id).await? else {
            continue;
        };
        let form = build_form(state, user).await?;
        let external_days: u32 = form.external_services.iter().map(|e| e.calendar_days).sum();
        if form.cumulative_credited_days <= 0.0 && external_days == 0 {
            continue;
        }
        let sites: BTreeSet<String> = form.postings.iter().map(|p| p.site_name.clone()).collect();
        candidates.push(NoticeCandidate {
            physician_id: form.physician.id,
            name: form.physician.name,
            gender: form.physician.gender,
            title: form.physician.title,
            specialty: form.physician.specialty,
            sites: sites.into_iter().collect::<Vec<_>>().join("、"),
            cumulative_credited_days: form.cumulative_credited_days,
            external_days,
            service_years: form.verdict.service_years,
            longest_months: form.verdict.consecutive_months,
            status: form.verdict.status,
            status_zh: form.verdict.status_zh,
            barred_until: form.verdict.barred_until,
        });
    }
    let from = today(state);
    Ok(PromotionNotice {
        hospital_id: hospital.id,
        hospital_name: hospital.name,
        candidates,
        notice_from: from,
        notice_to: rules::notice_end(from),
        contact,
        generated_at: state.now(),
    })
}

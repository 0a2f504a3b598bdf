//! Check-in, check-out and presence scans: gather the facts, judge, store the attempt
//! (refused or not) with its answer, so that a retry with the same `client_event_id`
//! gets that answer.
//!
//! The first judgement reads each fact once, and leaves two to the write's
//! transaction, which checks them again anyway: whether the `client_event_id` was
//! stored before (a retry is answered from there), and whether an unmarked code use is
//! stored. When the transaction finds the facts changed, the attempt is judged again
//! on facts read afresh.
//!
//! The cache (see [`crate::cache`]) takes reads off the hot path, the database staying
//! the truth: a retry's stored answer (written after the attempt is recorded), a
//! code-use marker set once the use is committed (a replayed code is refused without
//! the `code_uses` read), and the kiosk's current rotating code (a scan of the code the
//! screen shows needs no secret lookup). A cache miss or failure costs a read or a
//! second judgement, never a wrong answer: unique constraints and the transaction's
//! checks decide races either way.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use mobile_api::{AnomalySummary, AttendanceRequest, AttendanceResponse, Verdict};
use uuid::Uuid;

use crate::cache::keys::{self, KioskCodeEntry};
use crate::config::Config;
use crate::domain::anomaly::Finding;
use crate::domain::attendance::{
    self, Action, Attempt, CodeCheck, Decision, Facts, Fix, OpenVisit, Policy, SiteFacts, round_m,
};
use crate::domain::coords::{self, Crs, LatLon};
use crate::domain::crediting::close_of_local_day;
use crate::domain::detectors::{self, GroupPolicy, PastFix, RepeatPolicy, ReportedFix};
use crate::domain::geofence::{FixPolicy, FixVerdict, Geofence};
use crate::domain::kiosk_code;
use crate::domain::network::{self, NetworkEvidence, NetworkFacts};
use crate::domain::organization::Organization;
use crate::domain::plausibility::{self, PlausibilityPolicy};
use crate::error::{ApiError, ApiResult};
use crate::service::anomalies;
use crate::state::AppState;
use crate::store::Store;
use crate::store::attendance::{
    AttendanceWrite, CodeUse, NewEvent, StoredResponse, VisitChange, VisitRecord, WriteOutcome,
};

/// How far in the future a phone's clock may put `scanned_at`.
const CLOCK_SKEW: Duration = Duration::minutes(2);
/// Attempts to judge again when a concurrent attempt of the same physician changed the facts.
const MAX_ROUNDS: usize = 3;

fn invalid(detail: &str) -> ApiError {
    ApiError::invalid(detail)
}

/// Checks the request's shape; anything out of range is a 400 naming the field.
fn validate(request: &AttendanceRequest, now: DateTime<Utc>) -> ApiResult<()> {
    let device = request.device_id.trim();
    if device.is_empty() || device.chars().count() > 200 || device.chars().any(char::is_control) {
        return Err(invalid(
            "device_id: must be 1 to 200 characters, without control characters",
        ));
    }
    if request.qr_payload.chars().count() > 1024 {
        return Err(invalid("qr_payload: longer than any kiosk code"));
    }
    let location = &request.location;
    if !location.lat.is_finite() || !(-90.0..=90.0).contains(&location.lat) {
        return Err(invalid("location.lat: must be between -90 and 90"));
    }
    if !location.lon.is_finite() || !(-180.0..=180.0).contains(&location.lon) {
        return Err(invalid("location.lon: must be between -180 and 180"));
    }
    if !location.accuracy_m.is_finite() || !(0.0..=100_000.0).contains(&location.accuracy_m) {
        return Err(invalid("location.accuracy_m: must be between 0 and 100000"));
    }
    if let Some(scanned_at) = request.scanned_at
        && scanned_at > now + CLOCK_SKEW
    {
        return Err(invalid("scanned_at: in the future"));
    }
    Ok(())
}

fn crs(wire: mobile_api::Crs) -> Crs {
    match wire {
        mobile_api::Crs::Wgs84 => Crs::Wgs84,
        mobile_api::Crs::Gcj02 => Crs::Gcj02,
        mobile_api::Crs::Bd09 => Crs::Bd09,
    }
}

/// The judgement's policy, from the configured thresholds.
pub fn policy(config: &Config) -> Policy {
    let d = &config.detection;
    Policy {
        qr_period_s: config.qr_period_seconds,
        fix: FixPolicy::default(),
        edge_grace_minutes: d.edge_grace_minutes,
        quiet_edge_minutes: d.quiet_edge_minutes,
        plausibility: PlausibilityPolicy {
            accuracy_floor_m: d.accuracy_floor_m,
            centre_pin_m: d.centre_pin_m,
            max_fix_age: Duration::seconds(d.max_fix_age_seconds),
        },
        late_sync_after: Duration::minutes(d.late_sync_minutes),
        ..Policy::default()
    }
}

/// The history detectors' thresholds, from the configuration.
pub fn repeat_policy(config: &Config) -> RepeatPolicy {
    RepeatPolicy {
        coarse_accuracy_m: config.detection.coarse_accuracy_m,
        near_repeat_m: config.detection.near_repeat_m,
        ..RepeatPolicy::default()
    }
}

pub fn group_policy(config: &Config) -> GroupPolicy {
    GroupPolicy {
        together_within: Duration::seconds(config.detection.group_window_seconds),
        paired_sites: config.detection.paired_sites,
        ..GroupPolicy::default()
    }
}

/// Answers the physician's pending presence checks (在岗抽查) with a scan of the open
/// visit's site's rotating code. Refusals as for check-out, plus
/// `rotating_code_required` and `no_presence_check`; stored like any attempt.
pub async fn answer_presence(
    state: &AppState,
    physician_id: Uuid,
    request: &AttendanceRequest,
) -> ApiResult<Answer> {
    attend(state, physician_id, Action::Presence, request).await
}

/// What an answer decided, as the metrics count it: `accepted` or `flagged` with the
/// anomaly kinds it names, or `refused` with the refusal code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerVerdict {
    pub verdict: String,
    pub reasons: Vec<String>,
}

impl AnswerVerdict {
    /// The verdict of an attempt this request judged and stored.
    fn of_event(event: &NewEvent) -> AnswerVerdict {
        match event.refusal_code {
            Some(code) => AnswerVerdict {
                verdict: "refused".to_owned(),
                reasons: vec![code.to_owned()],
            },
            None => AnswerVerdict {
                verdict: event.verdict.to_owned(),
                reasons: event.reasons.clone(),
            },
        }
    }

    /// The verdict a stored answer carries: a retry is answered from the cache or the
    /// database, where only the answer is kept, and counts again. 201 bodies carry
    /// `verdict` and `reasons`, 422 bodies the refusal `code`.
    fn of_stored(stored: &StoredResponse) -> Option<AnswerVerdict> {
        let body = serde_json::from_str::<serde_json::Value>(&stored.body).ok()?;
        let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
        match stored.status {
            201 => Some(AnswerVerdict {
                verdict: text(&body["verdict"]).unwrap_or_else(|| "accepted".to_owned()),
                reasons: body["reasons"]
                    .as_array()
                    .map(|reasons| reasons.iter().filter_map(text).collect())
                    .unwrap_or_default(),
            }),
            422 => Some(AnswerVerdict {
                verdict: "refused".to_owned(),
                reasons: vec![text(&body["code"]).unwrap_or_else(|| "refused".to_owned())],
            }),
            _ => None,
        }
    }
}

/// The answer to one scan, as first given (a retry gets the same), and what it decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub response: StoredResponse,
    /// `None` only for a stored answer that names no verdict.
    pub verdict: Option<AnswerVerdict>,
}

impl Answer {
    fn replayed(response: StoredResponse) -> Answer {
        Answer {
            verdict: AnswerVerdict::of_stored(&response),
            response,
        }
    }
}

/// Handles one check-in, check-out or presence scan and answers what to send back
/// (also for refusals, which are stored like any attempt).
pub async fn attend(
    state: &AppState,
    physician_id: Uuid,
    action: Action,
    request: &AttendanceRequest,
) -> ApiResult<Answer> {
    attend_from(state, physician_id, action, request, None).await
}

/// [`attend`] for a request from the client address `client_ip` (as
/// `CHECKIN_TRUSTED_PROXIES` resolves it): the network evidence is judged and kept
/// with the attempt (`domain::network`).
pub async fn attend_from(
    state: &AppState,
    physician_id: Uuid,
    action: Action,
    request: &AttendanceRequest,
    client_ip: Option<IpAddr>,
) -> ApiResult<Answer> {
    let now = state.now();
    validate(request, now)?;
    let answer_key = keys::answer(physician_id, request.client_event_id);
    if let Some(stored) = cached_answer(state, &answer_key).await {
        return Ok(Answer::replayed(stored));
    }
    // A retry whose answer the cache lost is judged again, but its write finds the
    // first answer in the transaction (`Duplicate`) and that answer is sent.
    let mut known = Some(close_ended_visit(state, physician_id, now).await?);
    for _ in 0..MAX_ROUNDS {
        let write = decide(
            state,
            physician_id,
            action,
            request,
            now,
            known.take(),
            client_ip,
        )
        .await?;
        match state.store.record_attendance(&write).await? {
            WriteOutcome::Written => {
                tracing::info!(
                    %physician_id,
                    action = action.as_str(),
                    verdict = write.event.verdict,
                    refusal = write.event.refusal_code,
                    "attendance recorded"
                );
                remember_answer(state, &answer_key, &write.event.response).await;
                if let Some(code_use) = &write.code_use {
                    mark_code_used(state, physician_id, code_use).await;
                }
                let verdict = AnswerVerdict::of_event(&write.event);
                return Ok(Answer {
                    response: write.event.response,
                    verdict: Some(verdict),
                });
            }
            WriteOutcome::Duplicate(stored) => {
                remember_answer(state, &answer_key, &stored).await;
                return Ok(Answer::replayed(stored));
            }
            // Judged again on facts read afresh, the code's use from the database.
            WriteOutcome::StateChanged => continue,
        }
    }
    Err(ApiError::Conflict {
        code: "busy",
        detail: "concurrent attempts of the same physician; retry".into(),
    })
}

/// The fact count under which the kept copies a judgement used were read (the
/// oldest, should they differ); `None` when it used none.
#[derive(Default)]
struct FactCopies {
    clock: Option<i64>,
}

impl FactCopies {
    fn used(&mut self, copy: Option<i64>) {
        if let Some(copy) = copy {
            self.clock = Some(self.clock.map_or(copy, |clock| clock.min(copy)));
        }
    }
}

/// Facts read before the first judgement, so that it need not read them again.
struct Known {
    open_visit: Option<VisitRecord>,
    /// The open visit's site.
    open_site: Option<Arc<Organization>>,
    /// The fact count of the kept copy `open_site` is, if it is one.
    copy: Option<i64>,
}

/// Closes the physician's open visit if its local day has ended, so a new day starts
/// clean; answers the visit still open, with its site.
async fn close_ended_visit(
    state: &AppState,
    physician_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Known> {
    let nothing_open = Known {
        open_visit: None,
        open_site: None,
        copy: None,
    };
    let Some(open) = state.store.open_visit(physician_id).await? else {
        return Ok(nothing_open);
    };
    let fact = state.store.checkin_site(open.site_id, true).await?;
    let Some(site) = fact.value else {
        return Ok(Known {
            open_visit: Some(open),
            open_site: None,
            copy: None,
        });
    };
    let end = close_of_local_day(open.local_date, site.timezone);
    if end <= now {
        state.store.auto_close_visit(&open, end, now).await?;
        return Ok(nothing_open);
    }
    Ok(Known {
        open_visit: Some(open),
        open_site: Some(site),
        copy: fact.copy,
    })
}

/// Reads the facts, judges, and prepares the write (event, code use, visit change,
/// findings), with the presence checks a presence scan would answer.
async fn decide(
    state: &AppState,
    physician_id: Uuid,
    action: Action,
    request: &AttendanceRequest,
    now: DateTime<Utc>,
    known: Option<Known>,
    client_ip: Option<IpAddr>,
) -> ApiResult<AttendanceWrite> {
    // Facts read here all come from one snapshot of the database; the write's
    // transaction checks again the ones a concurrent attempt could change.
    let snapshot = state.store.snapshot().await?;
    let store = &snapshot;
    // The first judgement trusts facts read just before and the cache's code-use
    // markers (the write's transaction checks both again); later ones read afresh.
    let first_round = known.is_some();
    // The first judgement may use the facts kept in memory (see `store::facts`): the
    // write checks they are still current; later ones read every fact.
    let mut copies = FactCopies::default();
    let (open_visit, open_site) = match known {
        Some(known) => {
            copies.used(known.copy);
            (known.open_visit, known.open_site)
        }
        None => (store.open_visit(physician_id).await?, None),
    };
    let reported = LatLon::new(request.location.lat, request.location.lon);
    let crs = crs(request.location.crs);
    let point = coords::to_wgs84(crs, reported);
    let scanned_at = request.scanned_at.unwrap_or(now);
    let attempt = Attempt {
        action,
        device_id: request.device_id.trim().to_owned(),
        fix: Fix {
            point,
            accuracy_m: request.location.accuracy_m,
            is_mock: request.location.is_mock,
        },
        scanned_at,
        received_at: now,
        offline: request.offline && request.scanned_at.is_some(),
        fix_time: request.location.fix_time,
    };

    // A bare payload, or a code URL (`…/m/#c=<payload>`) as a phone's camera read it.
    let scanned = kiosk_code::scanned_payload(&request.qr_payload);
    let parsed = kiosk_code::parse(scanned).ok();
    let site = match (&parsed, open_site) {
        (Some(code), Some(open_site)) if open_site.id == code.site_id => Some(open_site),
        (Some(code), _) => {
            let fact = store.checkin_site(code.site_id, first_round).await?;
            copies.used(fact.copy);
            fact.value
        }
        (None, _) => None,
    };
    let code = match (&parsed, &site) {
        (Some(code), Some(_)) if shown_on_screen(state, code, scanned).await => {
            CodeCheck::Genuine(code.clone())
        }
        (Some(code), Some(site)) => match store.kiosk_secret(site.id).await? {
            Some(secret) if code.verify(&secret).is_ok() => CodeCheck::Genuine(code.clone()),
            _ => CodeCheck::NotGenuine,
        },
        _ => CodeCheck::NotGenuine,
    };
    // A live scan meets today's fence; an offline one the fence in force when it was
    // scanned (or today's, if the site had none then).
    let geofence = match (&site, &code) {
        (Some(site), CodeCheck::Genuine(_)) if request.scanned_at.is_some() => store
            .geofence_in_force_at(site.id, scanned_at)
            .await?
            .or_else(|| site.geofence.clone()),
        (Some(site), CodeCheck::Genuine(_)) => site.geofence.clone(),
        _ => None,
    };
    let assignments = match (&site, &code) {
        (Some(site), CodeCheck::Genuine(_)) => {
            let fact = store
                .checkin_assignments(physician_id, site.id, first_round)
                .await?;
            copies.used(fact.copy);
            fact.value
        }
        _ => Arc::default(),
    };
    let code_use = match &code {
        CodeCheck::Genuine(c) => Some(CodeUse {
            site_id: c.site_id,
            kind: c.kind.as_str(),
            step: c.step,
            slot: attendance::use_slot(c.kind, action),
        }),
        CodeCheck::NotGenuine => None,
    };
    let code_already_used = match &code_use {
        Some(code_use) if code_use_marked(state, physician_id, code_use).await => true,
        // Unmarked: the transaction's own check refuses a use it finds stored.
        Some(_) if first_round => false,
        Some(code_use) => {
            let used = store.code_used(physician_id, code_use).await?;
            if used {
                mark_code_used(state, physician_id, code_use).await;
            }
            used
        }
        None => false,
    };
    // One read of the bindings: the physician's device, and whose else this one is.
    let (bound_device, device_owners) = store
        .device_bindings(physician_id, &attempt.device_id)
        .await?;
    let judged = policy(&state.config);
    // Asked only of an offline upload, which is rare: a phone that made a live scan
    // since its "offline" scan had a network, and the scan is judged as online.
    let online_since_scan = attempt.offline
        && store
            .online_between(physician_id, scanned_at, now, judged.live_scan_grace)
            .await?;
    // The networks the site's kiosks fetched codes from lately: a kiosk is active there,
    // and a scan from one of them was made beside the screen.
    let kiosk_networks = match (&site, &code) {
        (Some(site), CodeCheck::Genuine(_)) => {
            let active = Duration::minutes(state.config.detection.kiosk_active_minutes);
            store.site_kiosk_networks(site.id, now - active).await?
        }
        _ => Vec::new(),
    };
    // Asked only of an offline upload of a printed code: was the screen running then?
    let kiosk_active_at_scan = match (&site, &code) {
        (Some(site), CodeCheck::Genuine(c))
            if attempt.offline
                && !online_since_scan
                && c.kind == crate::domain::kiosk_code::CodeKind::Daily =>
        {
            let active = Duration::minutes(state.config.detection.kiosk_active_minutes);
            store
                .site_kiosk_active_around(site.id, scanned_at, active)
                .await?
        }
        _ => false,
    };
    let place = client_ip.and_then(|ip| state.ip_locator.as_ref()?.locate(ip));
    let (network_evidence, network_finding) = network::judge(&NetworkFacts {
        client_ip,
        kiosk_networks: &kiosk_networks,
        place: place.as_ref(),
        site_code: site.as_ref().map_or("", |s| s.jurisdiction_code.as_str()),
    });
    let presence_checks = match (&open_visit, action) {
        (Some(open), Action::Presence) => {
            store
                .answerable_presence_checks(physician_id, open.site_id, scanned_at)
                .await?
        }
        _ => Vec::new(),
    };
    let facts = Facts {
        code: code.clone(),
        site: site.as_ref().map(|s| SiteFacts {
            site_id: s.id,
            timezone: s.timezone,
            geofence: geofence.as_ref(),
            max_accuracy_m: s.max_accuracy_m,
        }),
        assignments: &assignments,
        open_visit: open_visit.as_ref().map(|v| OpenVisit {
            id: v.id,
            site_id: v.site_id,
        }),
        code_already_used,
        bound_device: bound_device.as_deref(),
        presence_pending: !presence_checks.is_empty(),
        online_since_scan,
        kiosk_active: !kiosk_networks.is_empty(),
        kiosk_active_at_scan,
        daily_code_policy: site
            .as_ref()
            .map(|s| s.daily_code_policy)
            .unwrap_or_default(),
    };
    let mut judgement = attendance::judge(&attempt, &facts, &judged);
    if !matches!(judgement.decision, Decision::Refused(_)) {
        let history = History {
            opened: open_visit.as_ref().map(|v| (v.id, v.checked_in_at)),
            reported,
            crs,
            fence: geofence.as_ref().map(|g| &g.fence),
            device_owners: &device_owners,
        };
        let found = detect(state, store, physician_id, &attempt, &judgement, &history).await?;
        judgement.findings.extend(found);
        judgement.findings.extend(network_finding);
    }

    let event_id = Uuid::new_v4();
    let reasons: Vec<String> = judgement
        .findings
        .iter()
        .map(|f| f.kind.as_str().to_owned())
        .collect();
    // Written into the stored answer with the verdict, so a retry answers the same words.
    let summaries = anomalies::summaries(&judgement.findings);
    let distance = judgement.distance_to_fence_m.map(round_m);
    let (verdict, refusal_code, response, visit, assignment_id) = match &judgement.decision {
        Decision::Refused(refusal) => {
            let problem = ApiError::Refused {
                code: refusal.code(),
                detail: refusal.detail(),
                extra: refusal.extra(),
            }
            .to_problem();
            let body = serde_json::to_string(&problem).map_err(ApiError::internal)?;
            (
                "refused",
                Some(refusal.code()),
                StoredResponse { status: 422, body },
                VisitChange::None,
                None,
            )
        }
        Decision::CheckIn {
            assignment_id,
            local_date,
        } => {
            let visit_id = Uuid::new_v4();
            let change = VisitChange::Open {
                visit_id,
                site_id: facts.site.map_or(Uuid::nil(), |s| s.site_id),
                assignment_id: *assignment_id,
                local_date: *local_date,
            };
            let (verdict, response) = accepted(event_id, visit_id, &reasons, &summaries, distance)?;
            (verdict, None, response, change, Some(*assignment_id))
        }
        Decision::CheckOut { visit_id } => {
            let (verdict, response) =
                accepted(event_id, *visit_id, &reasons, &summaries, distance)?;
            let assignment = open_visit.as_ref().map(|v| v.assignment_id);
            (
                verdict,
                None,
                response,
                VisitChange::Close {
                    visit_id: *visit_id,
                },
                assignment,
            )
        }
        Decision::Presence { visit_id } => {
            let (verdict, response) =
                accepted(event_id, *visit_id, &reasons, &summaries, distance)?;
            let assignment = open_visit.as_ref().map(|v| v.assignment_id);
            (verdict, None, response, VisitChange::None, assignment)
        }
    };
    let accepted_attempt = refusal_code.is_none();
    let visit_id = match (&visit, &judgement.decision) {
        (VisitChange::Open { visit_id, .. } | VisitChange::Close { visit_id }, _) => {
            Some(*visit_id)
        }
        // A presence scan is about the open visit it proves, which it leaves open.
        (VisitChange::None, Decision::Presence { visit_id }) => Some(*visit_id),
        (VisitChange::None, _) => None,
    };
    let write = AttendanceWrite {
        event: NewEvent {
            id: event_id,
            client_event_id: request.client_event_id,
            physician_id,
            action: action.as_str(),
            site_id: judgement.code.as_ref().map(|c| c.site_id),
            assignment_id,
            visit_id,
            code_kind: judgement.code.as_ref().map(|c| c.kind.as_str()),
            code_step: judgement.code.as_ref().map(|c| c.step),
            device_id: attempt.device_id.clone(),
            lat: point.lat,
            lon: point.lon,
            reported_lat: reported.lat,
            reported_lon: reported.lon,
            crs: crs.as_str(),
            accuracy_m: attempt.fix.accuracy_m,
            is_mock: attempt.fix.is_mock,
            fix_time: request.location.fix_time,
            scanned_at,
            received_at: now,
            verdict,
            refusal_code,
            reasons,
            distance_to_fence_m: distance,
            geofence_version: judgement.geofence_version,
            response,
            client_ip: client_ip.map(|ip| network::canonical(ip).to_string()),
            network: network_evidence.map(NetworkEvidence::as_str),
            ip_place: place.map(|p| p.words()).filter(|w| !w.is_empty()),
            offline: attempt.offline,
        },
        code_use: if accepted_attempt { code_use } else { None },
        visit,
        findings: if accepted_attempt {
            judgement.findings
        } else {
            Vec::new()
        },
        bind_device: accepted_attempt && bound_device.is_none(),
        expected_open_visit: open_visit.map(|v| v.id),
        // An accepted presence scan answers its checks in the same transaction.
        facts_clock: copies.clock,
        answers_presence_checks: if accepted_attempt && action == Action::Presence {
            presence_checks
        } else {
            Vec::new()
        },
    };
    Ok(write)
}

/// What the history detectors need beyond the attempt and its judgement.
struct History<'a> {
    /// The open visit (id, opened at) a check-out or presence scan belongs to.
    opened: Option<(Uuid, DateTime<Utc>)>,
    /// The fix as reported, in its declared coordinate system.
    reported: LatLon,
    crs: Crs,
    fence: Option<&'a Geofence>,
    /// Other physicians the attempt's device is bound to.
    device_owners: &'a [Uuid],
}

/// Runs the detectors that need history: the physician's previous fix
/// (`impossible_travel`), other uses of the same code (`code_shared`), repeated
/// coordinates (`repeated_fix`), the declared coordinate system (`crs_changed`,
/// `crs_mislabelled`), the device's other accounts (`device_shared`), accounts
/// scanning together (`group_scan`, `paired_accounts`) and, on check-out, the visit's
/// length (`short_visit`).
async fn detect(
    state: &AppState,
    store: &Store,
    physician_id: Uuid,
    attempt: &Attempt,
    judgement: &attendance::Judgement,
    history: &History<'_>,
) -> ApiResult<Vec<Finding>> {
    let d = &state.config.detection;
    let current = PastFix {
        event_id: Uuid::nil(),
        physician_id,
        device_id: attempt.device_id.clone(),
        point: attempt.fix.point,
        accuracy_m: attempt.fix.accuracy_m,
        at: attempt.scanned_at,
    };
    let mut findings = Vec::new();
    let (previous, crs_history) = store
        .recent_fixes(physician_id, &attempt.device_id, attempt.scanned_at)
        .await?;
    if let Some(previous) = previous
        && let Some(f) = detectors::impossible_travel(&previous, &current, d.impossible_speed_kmh)
    {
        findings.push(f);
    }
    if let Some(code) = &judgement.code {
        let near = detectors::surely_near(current.point, d.code_share_separation_m);
        let others = store
            .code_share_suspects(code.site_id, code.kind.as_str(), code.step, &current, &near)
            .await?;
        if let Some(f) = detectors::code_shared(&current, &others, d.code_share_separation_m) {
            findings.push(f);
        }
    }
    let repeats = repeat_policy(&state.config);
    if attempt.fix.accuracy_m < repeats.coarse_accuracy_m {
        let reported = ReportedFix {
            event_id: Uuid::nil(),
            physician_id,
            visit_id: history.opened.map(|(id, _)| id),
            point: history.reported,
            accuracy_m: attempt.fix.accuracy_m,
            at: attempt.scanned_at,
        };
        let near = detectors::surely_within(history.reported, repeats.near_repeat_m);
        let candidates = store.repeat_candidates(&near).await?;
        if let Some(f) = detectors::repeated_fix(&reported, &candidates, &repeats) {
            findings.push(f);
        }
    }
    if let Some(f) = plausibility::crs_changed(history.crs, &crs_history) {
        findings.push(f);
    }
    if let Some(fence) = history.fence {
        let policy = FixPolicy::default();
        let inside = |p: LatLon| {
            matches!(
                fence.judge_fix(p, attempt.fix.accuracy_m, &policy),
                FixVerdict::Inside { .. }
            )
        };
        let as_wgs84 = history.crs != Crs::Wgs84 && inside(history.reported);
        if let Some(f) = plausibility::crs_mislabelled(
            history.crs,
            inside(attempt.fix.point),
            as_wgs84,
            &crs_history,
        ) {
            findings.push(f);
        }
    }
    if let Some(f) =
        detectors::device_shared(&attempt.device_id, history.device_owners, physician_id)
    {
        findings.push(f);
    }
    if let Some(code) = &judgement.code {
        let group = group_policy(&state.config);
        let steps = match code.kind {
            kiosk_code::CodeKind::Rotating => (code.step - 1, code.step + 1),
            kiosk_code::CodeKind::Daily => (code.step, code.step),
        };
        let together = store
            .scans_together(
                code.site_id,
                code.kind.as_str(),
                steps,
                &current,
                group.together_within,
            )
            .await?;
        if let Some(f) = detectors::group_scan(&current, &together, &group) {
            findings.push(f);
        }
        for partner in detectors::partners(&current, &together, &group) {
            let mut sites = store
                .sites_together(
                    physician_id,
                    partner,
                    group.together_within,
                    attempt.scanned_at,
                )
                .await?;
            if !sites.contains(&code.site_id) {
                sites.push(code.site_id);
            }
            if let Some(f) = detectors::paired_accounts(partner, sites.len() as i64, &group) {
                findings.push(f);
                break;
            }
        }
    }
    if let (Decision::CheckOut { .. }, Some((_, opened_at))) = (&judgement.decision, history.opened)
        && let Some(f) =
            detectors::short_visit(opened_at, attempt.scanned_at, d.short_visit_minutes)
    {
        findings.push(f);
    }
    Ok(findings)
}

/// A stored answer from the cache: `"<status> <body>"`.
async fn cached_answer(state: &AppState, key: &str) -> Option<StoredResponse> {
    let text = state.cache.get(key).await?;
    let (status, body) = text.split_once(' ')?;
    Some(StoredResponse {
        status: status.parse().ok()?,
        body: body.to_owned(),
    })
}

async fn remember_answer(state: &AppState, key: &str, stored: &StoredResponse) {
    let text = format!("{} {}", stored.status, stored.body);
    state.cache.set(key, &text, keys::ANSWER_TTL).await;
}

fn code_use_key(physician_id: Uuid, code_use: &CodeUse) -> String {
    keys::code_use(
        physician_id,
        code_use.site_id,
        code_use.kind,
        code_use.step,
        code_use.slot,
    )
}

async fn code_use_marked(state: &AppState, physician_id: Uuid, code_use: &CodeUse) -> bool {
    state
        .cache
        .get(&code_use_key(physician_id, code_use))
        .await
        .is_some()
}

/// Set only after the use is committed: a marker never claims a use the database lacks.
async fn mark_code_used(state: &AppState, physician_id: Uuid, code_use: &CodeUse) {
    let key = code_use_key(physician_id, code_use);
    state.cache.set_once(&key, "1", keys::CODE_USE_TTL).await;
}

/// Whether `payload` is exactly the rotating code the site's kiosk was last served for
/// the code's step (cached by `GET /kiosk/code`): genuine without the secret lookup.
async fn shown_on_screen(state: &AppState, code: &kiosk_code::ParsedCode, payload: &str) -> bool {
    if code.kind != kiosk_code::CodeKind::Rotating {
        return false;
    }
    let period = state.config.qr_period_seconds.max(1);
    let key = keys::kiosk_code(code.site_id, period, code.step);
    let Some(text) = state.cache.get(&key).await else {
        return false;
    };
    serde_json::from_str::<KioskCodeEntry>(&text).is_ok_and(|entry| {
        entry.code.site_id == code.site_id
            && entry.code.step == code.step
            && entry.code.payload == payload
    })
}

fn accepted(
    event_id: Uuid,
    visit_id: Uuid,
    reasons: &[String],
    summaries: &[AnomalySummary],
    distance: Option<f64>,
) -> ApiResult<(&'static str, StoredResponse)> {
    let verdict = if reasons.is_empty() {
        Verdict::Accepted
    } else {
        Verdict::Flagged
    };
    let body = AttendanceResponse {
        event_id,
        visit_id,
        verdict,
        reasons: reasons.to_vec(),
        distance_to_fence_m: distance.unwrap_or(0.0),
        anomaly_summaries: summaries.to_vec(),
    };
    let text = serde_json::to_string(&body).map_err(ApiError::internal)?;
    let name = match verdict {
        Verdict::Accepted => "accepted",
        Verdict::Flagged => "flagged",
    };
    Ok((
        name,
        StoredResponse {
            status: 201,
            body: text,
        },
    ))
}

/// Closes, at the end of their local day, every open visit whose day has ended.
/// Safe with several processes: each close is conditional on the visit still being open.
pub async fn close_ended_visits(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let mut closed = 0;
    for (visit, timezone) in state.store.open_visits().await? {
        let Ok(tz) = timezone.parse::<chrono_tz::Tz>() else {
            continue;
        };
        let end = close_of_local_day(visit.local_date, tz);
        if end <= now && state.store.auto_close_visit(&visit, end, now).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        verdict: &'static str,
        refusal_code: Option<&'static str>,
        reasons: &[&str],
    ) -> NewEvent {
        let at = DateTime::from_timestamp_millis(1_772_413_200_000).expect("instant");
        NewEvent {
            id: Uuid::from_u128(1),
            client_event_id: Uuid::from_u128(2),
            physician_id: Uuid::from_u128(3),
            action: "check_in",
            site_id: None,
            assignment_id: None,
            visit_id: None,
            code_kind: None,
            code_step: None,
            device_id: "phone".into(),
            lat: 26.0,
            lon: 117.0,
            reported_lat: 26.0,
            reported_lon: 117.0,
            crs: "wgs84",
            accuracy_m: 10.0,
            is_mock: false,
            fix_time: None,
            scanned_at: at,
            received_at: at,
            verdict,
            refusal_code,
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            distance_to_fence_m: None,
            geofence_version: None,
            response: StoredResponse {
                status: 0,
                body: String::new(),
            },
            client_ip: None,
            network: None,
            ip_place: None,
            offline: false,
        }
    }

    #[test]
    fn a_replayed_answer_counts_as_the_first_answer_did() {
        for reasons in [&[][..], &["mock_location", "new_device"][..]] {
            let mut first = event("", None, reasons);
            let reasons: Vec<String> = first.reasons.clone();
            let (name, response) =
                accepted(first.id, Uuid::from_u128(4), &reasons, &[], Some(3.0)).expect("answer");
            first.verdict = name;
            first.response = response;
            let fresh = AnswerVerdict::of_event(&first);
            assert_eq!(
                fresh.verdict,
                if reasons.is_empty() {
                    "accepted"
                } else {
                    "flagged"
                }
            );
            assert_eq!(Answer::replayed(first.response).verdict, Some(fresh));
        }

        let mut refused = event("refused", Some("code_invalid"), &["mock_location"]);
        let problem = ApiError::Refused {
            code: "code_invalid",
            detail: "not a kiosk code".into(),
            extra: None,
        }
        .to_problem();
        refused.response = StoredResponse {
            status: 422,
            body: serde_json::to_string(&problem).expect("problem"),
        };
        let fresh = AnswerVerdict::of_event(&refused);
        assert_eq!(
            fresh,
            AnswerVerdict {
                verdict: "refused".into(),
                reasons: vec!["code_invalid".into()],
            }
        );
        assert_eq!(Answer::replayed(refused.response).verdict, Some(fresh));
    }

    #[test]
    fn a_stored_answer_without_a_verdict_counts_nothing() {
        for (status, body) in [(201, "not json"), (500, r#"{"code":"internal"}"#)] {
            let stored = StoredResponse {
                status,
                body: body.into(),
            };
            assert_eq!(Answer::replayed(stored).verdict, None);
        }
    }
}

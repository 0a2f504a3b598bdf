//! The bulk path, for millions of events: every scan is judged with the same domain
//! rules as the service path (`attendance::judge`, the detectors, the crediting the
//! reports read), but the facts a judgement needs are kept in memory instead of
//! being read back per scan, and the rows are written in large batched
//! transactions (multi-row `INSERT`s, [`crate::store::Store::insert_batch`]) once per
//! simulated half-day.
//!
//! Stored rows have the same columns, values, answers (`response_body`) and anomaly
//! details as the service path would store. What it does not do:
//!
//! * no idempotency lookup by `client_event_id` (the script never repeats one) and
//!   no per-physician row lock: the simulation is the only writer;
//! * visits are inserted once closed (checked out or closed at midnight), not
//!   inserted open and updated; a crash mid-run leaves no open visits behind;
//! * `users.attendance_seq` is bumped once per physician at the end;
//! * code uses and per-code fixes older than four days are forgotten (the offline
//!   limit is 72 h, so no older code can be judged again);
//! * requirement periods are not judged as the days pass unless asked for
//!   ([`super::Options::judge_requirements`]); the server's scheduler judges them at
//!   its first tick;
//! * it runs alone: nothing else may write the province's attendance meanwhile.
//!
//! Everything else (jurisdictions, organizations, users, assignments, reviews with
//! their audit entries) goes through the same calls as the service path.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mobile_api::{AnomalySummary, AttendanceResponse, Verdict};
use serde_json::json;
use uuid::Uuid;

use super::SyntheticError;
use super::live::qr_payload;
use super::plan::Plan;
use super::script::Scan;
use super::simulate::Tally;
use super::world::World;
use crate::domain::activity::{self, ActivityRecord};
use crate::domain::anomaly::{AnomalyKind, Finding};
use crate::domain::assignment::Assignment;
use crate::domain::attendance::{
    self, Action, Attempt, CodeCheck, Decision, Facts, Fix, OpenVisit, Policy, SiteFacts, round_m,
};
use crate::domain::clock::ManualClock;
use crate::domain::coords::{self, LatLon};
use crate::domain::crediting::close_of_local_day;
use crate::domain::detectors::{self, PastFix, ReportedFix};
use crate::domain::kiosk_code;
use crate::domain::organization::{DEFAULT_TIMEZONE, VersionedGeofence};
use crate::error::ApiError;
use crate::scheduler;
use crate::service::anomalies;
use crate::service::attendance as service_attendance;
use crate::state::AppState;
use crate::store::attempt::NewVisit;
use crate::store::attendance::{CodeUse, NewEvent, StoredResponse};
use crate::store::bulk::{Batch, BoundDevice, UsedCode};
use crate::store::supervision::NewAnomaly;

/// How long code uses and per-code fixes are remembered.
const CODE_MEMORY: Duration = Duration::days(4);
/// Accepted fixes remembered per physician (offline uploads can arrive out of order).
const RECENT_FIXES: usize = 8;

#[derive(Debug, Clone)]
struct OpenRecord {
    id: Uuid,
    site: usize,
    assignment_id: Uuid,
    local_date: NaiveDate,
    checked_in_at: DateTime<Utc>,
    check_in_event: Uuid,
}

#[derive(Debug, Default)]
struct PhysicianFacts {
    open: Option<OpenRecord>,
    bound_device: Option<String>,
    /// Accepted fixes, oldest first.
    recent: Vec<PastFix>,
    /// Every accepted fix as reported, for near repeats on another day.
    reported: Vec<ReportedFix>,
    /// Store writes that bump `attendance_seq`.
    writes: i64,
}

/// A code's identity: site index, kind, step.
type CodeKey = (usize, &'static str, i64);

pub struct Bulk<'a> {
    state: AppState,
    clock: Arc<ManualClock>,
    plan: &'a Plan,
    world: &'a World,
    policy: Policy,
    fences: Vec<Option<VersionedGeofence>>,
    /// Assignments per (physician, site), in the store's order.
    assignments: HashMap<(usize, usize), Vec<Assignment>>,
    physicians: Vec<PhysicianFacts>,
    /// (code, physician, slot) -> when the code was current.
    code_uses: HashMap<(CodeKey, usize, &'static str), DateTime<Utc>>,
    code_fixes: HashMap<CodeKey, Vec<PastFix>>,
    /// Reported coordinates (bit patterns) of accepted events -> those events.
    reported: HashMap<(u64, u64), Vec<ReportedFix>>,
    pending: Batch,
}

impl<'a> Bulk<'a> {
    pub fn new(
        state: AppState,
        clock: Arc<ManualClock>,
        plan: &'a Plan,
        world: &'a World,
    ) -> Bulk<'a> {
        let policy = service_attendance::policy(&state.config);
        let fences = plan
            .geography
            .sites
            .iter()
            .map(|s| {
                s.geofence()
                    .map(|fence| VersionedGeofence { version: 1, fence })
            })
            .collect();
        let created_at = state.now();
        let mut assignments: HashMap<(usize, usize), Vec<Assignment>> = HashMap::new();
        for posting in &plan.postings {
            assignments
                .entry((posting.physician, posting.site))
                .or_default()
                .push(Assignment {
                    id: posting.id,
                    physician_id: plan.physicians[posting.physician].id,
                    site_id: plan.geography.sites[posting.site].id,
                    program_id: plan.programs[posting.program].id,
                    mode: posting.kind.mode(),
                    start_date: posting.start_date,
                    end_date: posting.end_date,
                    window: posting.window,
                    created_at,
                });
        }
        // `assignments_at` orders by start date (newest first), then id text.
        for list in assignments.values_mut() {
            list.sort_by(|a, b| {
                b.start_date
                    .cmp(&a.start_date)
                    .then_with(|| a.id.to_string().cmp(&b.id.to_string()))
            });
        }
        let physicians = plan
            .physicians
            .iter()
            .map(|_| PhysicianFacts::default())
            .collect();
        Bulk {
            state,
            clock,
            plan,
            world,
            policy,
            fences,
            assignments,
            physicians,
            code_uses: HashMap::new(),
            code_fixes: HashMap::new(),
            reported: HashMap::new(),
            pending: Batch::default(),
        }
    }

    /// Judges one scan and queues what the service path would write for it.
    pub async fn scan(&mut self, scan: &Scan, tally: &mut Tally) -> Result<(), SyntheticError> {
        let now = scan.received_at;
        self.clock.set(now);
        let physician = scan.physician;
        let physician_id = self.plan.physicians[physician].id;
        // As `attend` does first: a visit whose local day has ended is closed.
        if let Some(open) = &self.physicians[physician].open
            && close_of_local_day(open.local_date, DEFAULT_TIMEZONE) <= now
        {
            self.auto_close(physician, now);
        }

        let reported = scan.reported;
        let point = coords::to_wgs84(scan.crs, reported);
        let scanned_at = if scan.offline { scan.scanned_at } else { now };
        let attempt = Attempt {
            action: scan.action,
            device_id: scan.device_id.trim().to_owned(),
            fix: Fix {
                point,
                accuracy_m: scan.accuracy_m,
                is_mock: scan.is_mock,
            },
            scanned_at,
            received_at: now,
            offline: scan.offline,
            fix_time: Some(scan.fix_time),
        };
        let payload = qr_payload(self.plan, self.world, scan, self.policy.qr_period_s)?;
        let site_plan = &self.plan.geography.sites[scan.site];
        let code = match (kiosk_code::parse(&payload), &self.world.secrets[scan.site]) {
            (Ok(code), Some(secret)) if code.verify(secret).is_ok() => CodeCheck::Genuine(code),
            _ => CodeCheck::NotGenuine,
        };
        let code_key = match &code {
            CodeCheck::Genuine(c) => Some((scan.site, c.kind.as_str(), c.step)),
            CodeCheck::NotGenuine => None,
        };
        let slot = match &code {
            CodeCheck::Genuine(c) => attendance::use_slot(c.kind, scan.action),
            CodeCheck::NotGenuine => "any",
        };
        let no_assignments = Vec::new();
        let assignments = self
            .assignments
            .get(&(physician, scan.site))
            .unwrap_or(&no_assignments);
        let facts_of = &self.physicians[physician];
        let open_visit = facts_of.open.clone();
        let code_already_used =
            code_key.is_some_and(|key| self.code_uses.contains_key(&(key, physician, slot)));
        let fence = self.fences[scan.site].as_ref();
        let facts = Facts {
            code: code.clone(),
            site: Some(SiteFacts {
                site_id: site_plan.id,
                timezone: DEFAULT_TIMEZONE,
                geofence: fence,
                max_accuracy_m: site_plan.max_accuracy_m,
            }),
            assignments,
            open_visit: open_visit.as_ref().map(|v| OpenVisit {
                id: v.id,
                site_id: self.plan.geography.sites[v.site].id,
            }),
            code_already_used,
            bound_device: facts_of.bound_device.as_deref(),
            presence_pending: false,
            // As the service asks the store: a scan of the physician's since this one.
            online_since_scan: facts_of
                .recent
                .iter()
                .any(|f| f.at > attempt.scanned_at && f.at < now),
            // The simulated sites' screens are not modelled as fetching codes.
            kiosk_active: false,
            kiosk_active_at_scan: false,
            daily_code_policy: Default::default(),
        };
        let mut judgement = attendance::judge(&attempt, &facts, &self.policy);
        if !matches!(judgement.decision, Decision::Refused(_)) {
            let found = self.detect(
                physician,
                &attempt,
                reported,
                &judgement,
                code_key,
                open_visit.as_ref().map(|v| (v.id, v.checked_in_at)),
            );
            judgement.findings.extend(found);
        }

        let event_id = Uuid::new_v4();
        let reasons: Vec<String> = judgement
            .findings
            .iter()
            .map(|f| f.kind.as_str().to_owned())
            .collect();
        let summaries = anomalies::summaries(&judgement.findings);
        let distance = judgement.distance_to_fence_m.map(round_m);
        let check_in = scan.action == Action::CheckIn;
        let (verdict, refusal_code, answer, visit_id, assignment_id) = match &judgement.decision {
            Decision::Refused(refusal) => {
                let problem = ApiError::Refused {
                    code: refusal.code(),
                    detail: refusal.detail(),
                    extra: refusal.extra(),
                }
                .to_problem();
                ("refused", Some(refusal.code()), Err(problem), None, None)
            }
            Decision::CheckIn { assignment_id, .. } => {
                let body = accepted(event_id, Uuid::new_v4(), &reasons, &summaries, distance);
                let visit = body.visit_id;
                (
                    verdict_name(&body),
                    None,
                    Ok(body),
                    Some(visit),
                    Some(*assignment_id),
                )
            }
            Decision::CheckOut { visit_id } | Decision::Presence { visit_id } => {
                let body = accepted(event_id, *visit_id, &reasons, &summaries, distance);
                (
                    verdict_name(&body),
                    None,
                    Ok(body),
                    Some(*visit_id),
                    open_visit.as_ref().map(|v| v.assignment_id),
                )
            }
        };
        let response = match &answer {
            Ok(body) => StoredResponse {
                status: 201,
                body: serde_json::to_string(body)
                    .map_err(|e| SyntheticError::Invalid(e.to_string()))?,
            },
            Err(problem) => StoredResponse {
                status: 422,
                body: serde_json::to_string(problem)
                    .map_err(|e| SyntheticError::Invalid(e.to_string()))?,
            },
        };
        let event = NewEvent {
            id: event_id,
            client_event_id: scan.client_event_id,
            physician_id,
            action: scan.action.as_str(),
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
            crs: scan.crs.as_str(),
            accuracy_m: attempt.fix.accuracy_m,
            is_mock: attempt.fix.is_mock,
            fix_time: Some(scan.fix_time),
            scanned_at,
            received_at: now,
            verdict,
            refusal_code,
            reasons,
            distance_to_fence_m: distance,
            geofence_version: judgement.geofence_version,
            response,
            client_ip: None,
            network: None,
            ip_place: None,
            offline: attempt.offline,
        };
        self.physicians[physician].writes += 1;
        let accepted_attempt = refusal_code.is_none();
        if accepted_attempt {
            self.remember_accepted(physician, &event, code_key, slot);
            match &judgement.decision {
                Decision::CheckIn {
                    assignment_id,
                    local_date,
                } => {
                    self.physicians[physician].open = Some(OpenRecord {
                        id: visit_id.unwrap_or_default(),
                        site: scan.site,
                        assignment_id: *assignment_id,
                        local_date: *local_date,
                        checked_in_at: scanned_at,
                        check_in_event: event_id,
                    });
                }
                Decision::CheckOut { .. } => {
                    if let Some(open) = self.physicians[physician].open.take() {
                        self.pending.visits.push(NewVisit {
                            id: open.id,
                            physician_id,
                            site_id: self.plan.geography.sites[open.site].id,
                            assignment_id: open.assignment_id,
                            local_date: open.local_date,
                            check_in_event_id: open.check_in_event,
                            checked_in_at: open.checked_in_at,
                            check_out_event_id: Some(event_id),
                            checked_out_at: Some(scanned_at),
                            status: "closed",
                            closed_at: Some(now),
                        });
                        self.log_activities(
                            scan,
                            open.id,
                            open.local_date,
                            physician_id,
                            now,
                            tally,
                        )?;
                    }
                }
                _ => {}
            }
            for finding in &judgement.findings {
                self.pending.anomalies.push(NewAnomaly {
                    id: Uuid::new_v4(),
                    kind: finding.kind,
                    physician_id,
                    site_id: event.site_id,
                    visit_id,
                    event_ids: vec![event_id],
                    detected_at: now,
                    detail: finding.detail.clone(),
                });
            }
        }
        tally.record(answer, check_in);
        self.pending.events.push(event);
        Ok(())
    }

    /// The detectors that need history, over the remembered facts (as `detect` reads them
    /// from the store).
    fn detect(
        &self,
        physician: usize,
        attempt: &Attempt,
        reported: LatLon,
        judgement: &attendance::Judgement,
        code_key: Option<CodeKey>,
        opened: Option<(Uuid, DateTime<Utc>)>,
    ) -> Vec<Finding> {
        let physician_id = self.plan.physicians[physician].id;
        let open_visit_id = opened.map(|(id, _)| id);
        let opened_at = opened.map(|(_, at)| at);
        let d = &self.state.config.detection;
        let current = PastFix {
            event_id: Uuid::nil(),
            physician_id,
            device_id: attempt.device_id.clone(),
            point: attempt.fix.point,
            accuracy_m: attempt.fix.accuracy_m,
            at: attempt.scanned_at,
        };
        let mut findings = Vec::new();
        // The latest accepted fix scanned at or before this one (ties: smallest id).
        let previous = self.physicians[physician]
            .recent
            .iter()
            .filter(|f| f.at <= attempt.scanned_at)
            .max_by(|a, b| {
                a.at.cmp(&b.at)
                    .then_with(|| b.event_id.to_string().cmp(&a.event_id.to_string()))
            });
        if let Some(previous) = previous
            && let Some(f) =
                detectors::impossible_travel(previous, &current, d.impossible_speed_kmh)
        {
            findings.push(f);
        }
        if judgement.code.is_some()
            && let Some(key) = code_key
        {
            let others = self.code_fixes.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            let others = &others[..others.len().min(100)];
            if let Some(f) = detectors::code_shared(&current, others, d.code_share_separation_m) {
                findings.push(f);
            }
        }
        let repeats = service_attendance::repeat_policy(&self.state.config);
        let current = ReportedFix {
            event_id: Uuid::nil(),
            physician_id,
            visit_id: open_visit_id,
            point: reported,
            accuracy_m: attempt.fix.accuracy_m,
            at: attempt.scanned_at,
        };
        let mut candidates: Vec<ReportedFix> = self
            .reported
            .get(&(reported.lat.to_bits(), reported.lon.to_bits()))
            .cloned()
            .unwrap_or_default();
        candidates.extend(self.physicians[physician].reported.iter().cloned());
        if let Some(f) = detectors::repeated_fix(&current, &candidates, &repeats) {
            findings.push(f);
        }
        if let (Decision::CheckOut { .. }, Some(opened_at)) = (&judgement.decision, opened_at)
            && let Some(f) =
                detectors::short_visit(opened_at, attempt.scanned_at, d.short_visit_minutes)
        {
            findings.push(f);
        }
        findings
    }

    fn remember_accepted(
        &mut self,
        physician: usize,
        event: &NewEvent,
        code_key: Option<CodeKey>,
        slot: &'static str,
    ) {
        let fix = PastFix {
            event_id: event.id,
            physician_id: event.physician_id,
            device_id: event.device_id.clone(),
            point: LatLon::new(event.lat, event.lon),
            accuracy_m: event.accuracy_m,
            at: event.scanned_at,
        };
        let reported = ReportedFix {
            event_id: event.id,
            physician_id: event.physician_id,
            visit_id: event.visit_id,
            point: LatLon::new(event.reported_lat, event.reported_lon),
            accuracy_m: event.accuracy_m,
            at: event.scanned_at,
        };
        self.reported
            .entry((event.reported_lat.to_bits(), event.reported_lon.to_bits()))
            .or_default()
            .push(reported.clone());
        self.physicians[physician].reported.push(reported);
        let facts = &mut self.physicians[physician];
        if facts.bound_device.is_none() {
            facts.bound_device = Some(event.device_id.clone());
            self.pending.devices.push(BoundDevice {
                physician_id: event.physician_id,
                device_id: event.device_id.clone(),
                bound_at: event.received_at,
            });
        }
        let at = facts.recent.partition_point(|f| f.at <= fix.at);
        facts.recent.insert(at, fix.clone());
        if facts.recent.len() > RECENT_FIXES {
            facts.recent.remove(0);
        }
        if let Some(key) = code_key {
            self.code_uses
                .insert((key, physician, slot), event.scanned_at);
            let fixes = self.code_fixes.entry(key).or_default();
            let at = fixes.partition_point(|f| f.at <= fix.at);
            fixes.insert(at, fix);
            if let (Some(site_id), Some(kind), Some(step)) =
                (event.site_id, event.code_kind, event.code_step)
            {
                self.pending.code_uses.push(UsedCode {
                    code: CodeUse {
                        site_id,
                        kind,
                        step,
                        slot,
                    },
                    physician_id: event.physician_id,
                    event_id: event.id,
                });
            }
        }
    }

    fn log_activities(
        &mut self,
        scan: &Scan,
        visit_id: Uuid,
        visit_date: NaiveDate,
        physician_id: Uuid,
        now: DateTime<Utc>,
        tally: &mut Tally,
    ) -> Result<(), SyntheticError> {
        for (kind, count) in &scan.activities {
            activity::validate(*count, None, visit_date, DEFAULT_TIMEZONE, now)
                .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
            self.pending.activities.push(ActivityRecord {
                id: Uuid::new_v4(),
                visit_id,
                physician_id,
                kind: *kind,
                count: *count,
                note: None,
                supersedes_id: None,
                recorded_at: now,
            });
            self.physicians[scan.physician].writes += 1;
            tally.activities += 1;
        }
        Ok(())
    }

    /// Closes the physician's open visit at the end of its local day, raising
    /// `missing_checkout` detected at `now`, as `Store::auto_close_visit` does.
    fn auto_close(&mut self, physician: usize, now: DateTime<Utc>) -> bool {
        let Some(open) = self.physicians[physician].open.take() else {
            return false;
        };
        let physician_id = self.plan.physicians[physician].id;
        let site_id = self.plan.geography.sites[open.site].id;
        let closed_at = close_of_local_day(open.local_date, DEFAULT_TIMEZONE);
        self.pending.visits.push(NewVisit {
            id: open.id,
            physician_id,
            site_id,
            assignment_id: open.assignment_id,
            local_date: open.local_date,
            check_in_event_id: open.check_in_event,
            checked_in_at: open.checked_in_at,
            check_out_event_id: None,
            checked_out_at: None,
            status: "auto_closed",
            closed_at: Some(closed_at),
        });
        self.pending.anomalies.push(NewAnomaly {
            id: Uuid::new_v4(),
            kind: AnomalyKind::MissingCheckout,
            physician_id,
            site_id: Some(site_id),
            visit_id: Some(open.id),
            event_ids: vec![open.check_in_event],
            detected_at: now,
            detail: json!({
                "checked_in_at": open.checked_in_at,
                "closed_at": closed_at,
                "local_date": open.local_date,
            }),
        });
        true
    }

    /// The scheduler's nightly tick: closes the visits whose local day ended, and
    /// forgets codes too old to be judged again; with `judge_periods`, then runs the
    /// scheduler's full tick over the written rows (requirement periods).
    pub async fn tick(
        &mut self,
        at: DateTime<Utc>,
        judge_periods: bool,
        tally: &mut Tally,
    ) -> Result<(), SyntheticError> {
        self.clock.set(at);
        for physician in 0..self.physicians.len() {
            let ended = self.physicians[physician]
                .open
                .as_ref()
                .is_some_and(|open| close_of_local_day(open.local_date, DEFAULT_TIMEZONE) <= at);
            if ended && self.auto_close(physician, at) {
                tally.auto_closed += 1;
            }
        }
        let horizon = at - CODE_MEMORY;
        self.code_uses.retain(|_, when| *when >= horizon);
        self.code_fixes
            .retain(|_, fixes| fixes.last().is_some_and(|f| f.at >= horizon));
        self.flush().await?;
        if judge_periods {
            let report = scheduler::run_once(&self.state).await?;
            tally.requirements_missed += report.requirements_missed as u64;
        }
        Ok(())
    }

    /// Writes every queued row in one transaction.
    pub async fn flush(&mut self) -> Result<(), SyntheticError> {
        let pending = std::mem::take(&mut self.pending);
        self.state.store.insert_batch(&pending).await?;
        Ok(())
    }

    /// Bumps each physician's `attendance_seq` by the writes the service path would
    /// have counted.
    pub async fn finish(&mut self) -> Result<(), SyntheticError> {
        self.flush().await?;
        let bumps: Vec<(Uuid, i64)> = self
            .physicians
            .iter()
            .zip(&self.plan.physicians)
            .filter(|(facts, _)| facts.writes > 0)
            .map(|(facts, plan)| (plan.id, facts.writes))
            .collect();
        self.state.store.add_attendance_writes(&bumps).await?;
        for facts in &mut self.physicians {
            facts.writes = 0;
        }
        Ok(())
    }
}

fn accepted(
    event_id: Uuid,
    visit_id: Uuid,
    reasons: &[String],
    summaries: &[AnomalySummary],
    distance: Option<f64>,
) -> AttendanceResponse {
    AttendanceResponse {
        event_id,
        visit_id,
        verdict: if reasons.is_empty() {
            Verdict::Accepted
        } else {
            Verdict::Flagged
        },
        reasons: reasons.to_vec(),
        distance_to_fence_m: distance.unwrap_or(0.0),
        anomaly_summaries: summaries.to_vec(),
    }
}

fn verdict_name(body: &AttendanceResponse) -> &'static str {
    match body.verdict {
        Verdict::Accepted => "accepted",
        Verdict::Flagged => "flagged",
    }
}

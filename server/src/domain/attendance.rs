//! Judging one check-in, check-out or presence attempt. Refuse when the claim cannot be
//! true (bad or stale code, no assignment, outside the window or the fence); accept with
//! findings when it may be true but a supervisor should look.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;
use uuid::Uuid;

use super::anomaly::{AnomalyKind, Finding};
use super::assignment::Assignment;
use super::coords::LatLon;
use super::geofence::{FixPolicy, FixVerdict};
use super::kiosk_code::{self, CodeError, CodeKind, ParsedCode};
use super::organization::{DailyCodePolicy, VersionedGeofence};
use super::plausibility::{self, PlausibilityPolicy};
use super::window::{self, WindowCheck};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CheckIn,
    CheckOut,
    /// A scan answering a presence spot-check (在岗抽查) during an open visit: like a
    /// check-out that closes nothing, with a fresh rotating code only.
    Presence,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CheckIn => "check_in",
            Action::CheckOut => "check_out",
            Action::Presence => "presence",
        }
    }
}

/// Why an attempt was refused; `code()` is the contract's problem code.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    CodeInvalid,
    CodeExpired,
    CodeReused,
    WrongSite,
    NoAssignment,
    OutsideWindow,
    OutsideGeofence {
        distance_m: Option<f64>,
    },
    PoorAccuracy {
        accuracy_m: f64,
        limit_m: f64,
    },
    NoOpenVisit,
    AlreadyCheckedIn,
    /// A presence scan with a printed daily code: only the screen's rotating code
    /// proves presence now.
    RotatingCodeRequired,
    /// A presence scan with no pending presence check it could answer.
    NoPresenceCheck,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::CodeInvalid => "code_invalid",
            Refusal::CodeExpired => "code_expired",
            Refusal::CodeReused => "code_reused",
            Refusal::WrongSite => "wrong_site",
            Refusal::NoAssignment => "no_assignment",
            Refusal::OutsideWindow => "outside_window",
            Refusal::OutsideGeofence { .. } => "outside_geofence",
            Refusal::PoorAccuracy { .. } => "poor_accuracy",
            Refusal::NoOpenVisit => "no_open_visit",
            Refusal::AlreadyCheckedIn => "already_checked_in",
            Refusal::RotatingCodeRequired => "rotating_code_required",
            Refusal::NoPresenceCheck => "no_presence_check",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Refusal::CodeInvalid => "the QR code is not a genuine kiosk code".into(),
            Refusal::CodeExpired => {
                "the QR code has expired; scan the code on the screen again".into()
            }
            Refusal::CodeReused => {
                "this code was already used by you; wait for the next code".into()
            }
            Refusal::WrongSite => "the code belongs to another site than your open visit".into(),
            Refusal::NoAssignment => {
                "you have no assignment at this site covering this date".into()
            }
            Refusal::OutsideWindow => "outside the assignment's daily time window".into(),
            Refusal::OutsideGeofence {
                distance_m: Some(d),
            } => format!("the position is {d:.0} m outside the site's geofence"),
            Refusal::OutsideGeofence { distance_m: None } => "the site has no geofence yet".into(),
            Refusal::PoorAccuracy {
                accuracy_m,
                limit_m,
            } => format!(
                "position accuracy {accuracy_m:.0} m is worse than the {limit_m:.0} m limit"
            ),
            Refusal::NoOpenVisit => "no open visit to check out of".into(),
            Refusal::AlreadyCheckedIn => "already checked in; check out first".into(),
            Refusal::RotatingCodeRequired => {
                "a presence check needs the code on the kiosk screen, not a printed code".into()
            }
            Refusal::NoPresenceCheck => "no pending presence check for this site and time".into(),
        }
    }

    /// Machine-readable facts for the problem document.
    pub fn extra(&self) -> Option<serde_json::Value> {
        match self {
            Refusal::OutsideGeofence {
                distance_m: Some(d),
            } => Some(json!({ "distance_m": round_m(*d) })),
            Refusal::PoorAccuracy {
                accuracy_m,
                limit_m,
            } => Some(json!({ "accuracy_m": accuracy_m, "limit_m": limit_m })),
            _ => None,
        }
    }
}

/// Metres to one decimal, as answered to clients.
pub fn round_m(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

/// A phone's position fix, already in WGS-84.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub point: LatLon,
    pub accuracy_m: f64,
    pub is_mock: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub action: Action,
    pub device_id: String,
    pub fix: Fix,
    /// When the code was scanned, as the phone says (the upload time when it says
    /// nothing).
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The app says it kept the scan in its offline queue and sends it later. Only then
    /// is the code judged at `scanned_at`; any other scan is judged on arrival.
    pub offline: bool,
    /// When the phone says it took the fix, if it says.
    pub fix_time: Option<DateTime<Utc>>,
}

/// What the QR payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeCheck {
    /// Unparseable, unknown site, or bad MAC.
    NotGenuine,
    Genuine(ParsedCode),
}

/// The site named by a genuine code.
#[derive(Debug, Clone, Copy)]
pub struct SiteFacts<'a> {
    pub site_id: Uuid,
    pub timezone: Tz,
    /// The geofence version in force at the scan.
    pub geofence: Option<&'a VersionedGeofence>,
    pub max_accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenVisit {
    pub id: Uuid,
    pub site_id: Uuid,
}

/// Everything the judgement depends on, read from storage beforehand.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub code: CodeCheck,
    pub site: Option<SiteFacts<'a>>,
    /// The physician's assignments at the code's site.
    pub assignments: &'a [Assignment],
    pub open_visit: Option<OpenVisit>,
    pub code_already_used: bool,
    pub bound_device: Option<&'a str>,
    /// For a presence scan: a pending check exists that this scan (its time, the open
    /// visit's site) can answer. Ignored for check-in and check-out.
    pub presence_pending: bool,
    /// The physician made a live (online) scan between this scan and its upload: the
    /// phone had a network, so an "offline" upload was held back.
    pub online_since_scan: bool,
    /// A kiosk of the site fetched its code lately (`CHECKIN_KIOSK_ACTIVE_MINUTES`):
    /// its screen shows the rotating code.
    pub kiosk_active: bool,
    /// For an offline upload: a kiosk of the site was fetching its code when the phone
    /// says it scanned (its screen showed the rotating code then).
    pub kiosk_active_at_scan: bool,
    /// What a printed daily code meets while the kiosk is active.
    pub daily_code_policy: DailyCodePolicy,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub qr_period_s: u32,
    pub fix: FixPolicy,
    pub edge_grace_minutes: i64,
    /// Arriving early or leaving late by up to this many minutes is ordinary: no
    /// `outside_window_edge` (beyond it, up to `edge_grace_minutes`, flagged).
    pub quiet_edge_minutes: i64,
    pub plausibility: PlausibilityPolicy,
    /// A scan uploaded later than this after its `scanned_at` raises `late_sync`.
    pub late_sync_after: Duration,
    /// How long a live scan may take to reach the server (slow rural networks): its
    /// code must still have been fresh this long before it arrived.
    pub live_scan_grace: Duration,
    /// Offline scans older than this are refused.
    pub offline_limit: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            qr_period_s: 30,
            fix: FixPolicy::default(),
            edge_grace_minutes: window::DEFAULT_EDGE_GRACE_MINUTES,
            quiet_edge_minutes: DEFAULT_QUIET_EDGE_MINUTES,
            plausibility: PlausibilityPolicy::default(),
            late_sync_after: Duration::minutes(5),
            live_scan_grace: Duration::seconds(10),
            offline_limit: Duration::hours(72),
        }
    }
}

/// `CHECKIN_QUIET_EDGE_MINUTES` default: ten minutes early is punctual in a village.
pub const DEFAULT_QUIET_EDGE_MINUTES: i64 = 15;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Refused(Refusal),
    /// Opens a visit under this assignment, on this local date.
    CheckIn {
        assignment_id: Uuid,
        local_date: NaiveDate,
    },
    /// Closes this open visit.
    CheckOut {
        visit_id: Uuid,
    },
    /// Proves presence during this open visit, which stays open.
    Presence {
        visit_id: Uuid,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub decision: Decision,
    pub findings: Vec<Finding>,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
    /// The code, when it was genuine (for recording its use).
    pub code: Option<ParsedCode>,
}

impl Judgement {
    fn refused(refusal: Refusal, code: Option<ParsedCode>) -> Judgement {
        Judgement {
            decision: Decision::Refused(refusal),
            findings: Vec::new(),
            distance_to_fence_m: None,
            geofence_version: None,
            code,
        }
    }
}

/// Which use of a code this is: a rotating code once per physician, a printed daily
/// code once per physician and action (it is the same code all day).
pub fn use_slot(kind: CodeKind, action: Action) -> &'static str {
    match kind {
        CodeKind::Rotating => "any",
        CodeKind::Daily => action.as_str(),
    }
}

/// Judges one attempt against the facts. Checks run from the cheapest proof of
/// falsehood to the state-dependent ones; the first failure refuses.
pub fn judge(attempt: &Attempt, facts: &Facts<'_>, policy: &Policy) -> Judgement {
    if attempt.received_at - attempt.scanned_at > policy.offline_limit {
        return Judgement::refused(Refusal::CodeExpired, None);
    }
    let (code, site) = match (&facts.code, facts.site) {
        (CodeCheck::Genuine(code), Some(site)) if code.site_id == site.site_id => {
            (code.clone(), site)
        }
        _ => return Judgement::refused(Refusal::CodeInvalid, None),
    };
    let tz = site.timezone;
    let (earliest, latest) = code_judged_at(attempt, facts.online_since_scan, policy);
    let fresh = match kiosk_code::check_fresh(&code, latest, policy.qr_period_s, tz) {
        Err(CodeError::Expired) => kiosk_code::check_fresh(&code, earliest, policy.qr_period_s, tz),
        other => other,
    };
    match fresh {
        Ok(()) => {}
        Err(CodeError::Expired) => return Judgement::refused(Refusal::CodeExpired, Some(code)),
        Err(CodeError::Invalid) => return Judgement::refused(Refusal::CodeInvalid, Some(code)),
    }

    if attempt.action == Action::Presence && code.kind != CodeKind::Rotating {
        return Judgement::refused(Refusal::RotatingCodeRequired, Some(code));
    }
    // A printed code scanned live while the screen beside it shows the rotating one is
    // likely a photo of the sheet, sent to someone elsewhere.
    let live = !attempt.offline || facts.online_since_scan;
    // An offline scan of the printed code at a moment the screen was running is the
    // same photo of the sheet, held back as "offline".
    let daily_at_live_kiosk = code.kind == CodeKind::Daily
        && ((live && facts.kiosk_active) || (!live && facts.kiosk_active_at_scan));
    if daily_at_live_kiosk && facts.daily_code_policy == DailyCodePolicy::Refuse {
        return Judgement::refused(Refusal::RotatingCodeRequired, Some(code));
    }

    let mut findings = Vec::new();
    if daily_at_live_kiosk {
        findings.push(Finding {
            kind: AnomalyKind::DailyCodeLiveKiosk,
            detail: json!({ "code_step": code.step }),
        });
    }
    let decision = match attempt.action {
        Action::CheckOut | Action::Presence => match facts.open_visit {
            None => return Judgement::refused(Refusal::NoOpenVisit, Some(code)),
            Some(open) if open.site_id != site.site_id => {
                return Judgement::refused(Refusal::WrongSite, Some(code));
            }
            Some(open) if attempt.action == Action::Presence => {
                Decision::Presence { visit_id: open.id }
            }
            Some(open) => Decision::CheckOut { visit_id: open.id },
        },
        Action::CheckIn => {
            match pick_assignment(facts.assignments, attempt.scanned_at, tz, policy) {
                Err(refusal) => return Judgement::refused(refusal, Some(code)),
                Ok((assignment, edge)) => {
                    if let Some(minutes_outside) = edge
                        && minutes_outside > policy.quiet_edge_minutes
                    {
                        findings.push(Finding {
                            kind: AnomalyKind::OutsideWindowEdge,
                            detail: json!({
                                "minutes_outside": minutes_outside,
                                "window": assignment.window.to_string(),
                            }),
                        });
                    }
                    Decision::CheckIn {
                        assignment_id: assignment.id,
                        local_date: window::local_date(attempt.scanned_at, tz),
                    }
                }
            }
        }
    };

    let Some(fence) = site.geofence else {
        return Judgement::refused(Refusal::OutsideGeofence { distance_m: None }, Some(code));
    };
    let fix_policy = FixPolicy {
        max_accuracy_m: site.max_accuracy_m.unwrap_or(policy.fix.max_accuracy_m),
        ..policy.fix
    };
    let distance =
        match fence
            .fence
            .judge_fix(attempt.fix.point, attempt.fix.accuracy_m, &fix_policy)
        {
            FixVerdict::PoorAccuracy { accuracy_m } => {
                let refusal = Refusal::PoorAccuracy {
                    accuracy_m,
                    limit_m: fix_policy.max_accuracy_m,
                };
                return Judgement::refused(refusal, Some(code));
            }
            FixVerdict::Outside { distance_m } => {
                let mut judgement = Judgement::refused(
                    Refusal::OutsideGeofence {
                        distance_m: Some(distance_m),
                    },
                    Some(code),
                );
                judgement.distance_to_fence_m = Some(distance_m);
                judgement.geofence_version = Some(fence.version);
                return judgement;
            }
            FixVerdict::Inside { distance_m } => distance_m,
        };
    if facts.code_already_used {
        return Judgement::refused(Refusal::CodeReused, Some(code));
    }
    if attempt.action == Action::CheckIn && facts.open_visit.is_some() {
        return Judgement::refused(Refusal::AlreadyCheckedIn, Some(code));
    }
    if attempt.action == Action::Presence && !facts.presence_pending {
        return Judgement::refused(Refusal::NoPresenceCheck, Some(code));
    }

    if let Some(bound) = facts.bound_device
        && bound != attempt.device_id
    {
        findings.push(Finding {
            kind: AnomalyKind::NewDevice,
            detail: json!({ "bound_device_id": bound, "device_id": attempt.device_id }),
        });
    }
    if attempt.fix.is_mock {
        findings.push(Finding {
            kind: AnomalyKind::MockLocation,
            detail: json!({ "device_id": attempt.device_id }),
        });
    }
    findings.extend(fix_findings(
        attempt,
        fence.fence.centre(),
        &policy.plausibility,
    ));
    // Whatever the app says about queueing, a scan that claims to be this old is late,
    // unless it is a consistent offline upload: see `consistent_offline`.
    let delay = attempt.received_at - attempt.scanned_at;
    if delay > policy.late_sync_after && !consistent_offline(attempt, facts, policy) {
        findings.push(Finding {
            kind: AnomalyKind::LateSync,
            detail: json!({
                "scanned_at": attempt.scanned_at,
                "received_at": attempt.received_at,
                "delay_minutes": delay.num_minutes(),
            }),
        });
    }
    Judgement {
        decision,
        findings,
        distance_to_fence_m: Some(distance),
        geofence_version: Some(fence.version),
        code: Some(code),
    }
}

/// The per-fix plausibility findings (see [`super::plausibility`]): an accuracy no
/// phone achieves, a fix pinned to the fence's centre, a fix older than the scan.
pub fn fix_findings(
    attempt: &Attempt,
    centre: LatLon,
    policy: &PlausibilityPolicy,
) -> Vec<Finding> {
    [
        plausibility::implausible_accuracy(attempt.fix.accuracy_m, policy),
        plausibility::fix_at_fence_centre(attempt.fix.point, centre, policy),
        plausibility::stale_fix(attempt.fix_time, attempt.scanned_at, policy),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// An offline upload the phone could not have sent earlier and whose parts agree:
/// marked offline, the code fresh at `scanned_at` (checked before), a fix taken at
/// the scan (its `fix_time` within the plausible age, not after the scan), and no
/// live scan by the physician since (the phone had no network). It holds no credit;
/// the event keeps both times for the supervisor.
pub fn consistent_offline(attempt: &Attempt, facts: &Facts<'_>, policy: &Policy) -> bool {
    attempt.offline
        && !facts.online_since_scan
        && attempt.fix_time.is_some_and(|t| {
            t <= attempt.scanned_at && attempt.scanned_at - t <= policy.plausibility.max_fix_age
        })
}

/// The instant a code must have been fresh at. An offline upload is judged when the
/// phone says it scanned: the queue kept the scan while there was no network. A live
/// scan is judged on arrival, less a grace for the network; otherwise a relayed photo
/// of a code could be sent after the code expired with a `scanned_at` from before. An
/// "offline" scan from a phone that made a live scan since it was taken had a network:
/// it is judged as a live one. A live scan's `scanned_at` plays no part: an earlier one
/// would let a relay back-date itself, and a later one is only a phone whose clock runs
/// fast (it would refuse an honest scan of a code that was fresh when it arrived). The
/// span `(earliest, latest)` the code must have been fresh at some instant of.
fn code_judged_at(
    attempt: &Attempt,
    online_since_scan: bool,
    policy: &Policy,
) -> (DateTime<Utc>, DateTime<Utc>) {
    if attempt.offline && !online_since_scan {
        (attempt.scanned_at, attempt.scanned_at)
    } else {
        (
            attempt.received_at - policy.live_scan_grace,
            attempt.received_at,
        )
    }
}

/// The assignment a check-in falls under: one covering the local date whose window
/// contains the time, else one where it is just outside (accepted, flagged).
fn pick_assignment<'a>(
    assignments: &'a [Assignment],
    at: DateTime<Utc>,
    tz: Tz,
    policy: &Policy,
) -> Result<(&'a Assignment, Option<i64>), Refusal> {
    let today = window::local_date(at, tz);
    let covering: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| window::covers_date(a.date_range(), today))
        .collect();
    if covering.is_empty() {
        return Err(Refusal::NoAssignment);
    }
    let mut edge = None;
    for assignment in covering {
        match window::check(
            &assignment.window,
            assignment.date_range(),
            at,
            tz,
            policy.edge_grace_minutes,
        ) {
            WindowCheck::Inside => return Ok((assignment, None)),
            WindowCheck::OutsideEdge { minutes_outside } if edge.is_none() => {
                edge = Some((assignment, Some(minutes_outside)));
            }
            _ => {}
        }
    }
    edge.ok_or(Refusal::OutsideWindow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assignment::Mode;
    use crate::domain::geofence::Geofence;
    use crate::domain::kiosk_code::{SiteSecret, issue_daily, issue_rotating, parse};
    use crate::domain::window::DailyWindow;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Asia::Shanghai;
    const CENTER: LatLon = LatLon {
        lat: 25.29,
        lon: 117.41,
    };

    struct Scene {
        site_id: Uuid,
        secret: SiteSecret,
        fence: VersionedGeofence,
        assignments: Vec<Assignment>,
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // 2026-03-02 local (UTC+8)
        TZ.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn scene() -> Scene {
        let site_id = Uuid::new_v4();
        let fence = Geofence::parse(&json!({"type": "circle", "center": {"lat": CENTER.lat, "lon": CENTER.lon}, "radius_m": 100}))
            .expect("valid fence");
        let assignment = Assignment {
            id: Uuid::new_v4(),
            physician_id: Uuid::new_v4(),
            site_id,
            program_id: Uuid::new_v4(),
            mode: Mode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window: DailyWindow::parse("08:00", "17:00").expect("window"),
            created_at: at(0, 0),
        };
        Scene {
            site_id,
            secret: SiteSecret::from_bytes([9; 32]),
            fence: VersionedGeofence { version: 3, fence },
            assignments: vec![assignment],
        }
    }

    fn attempt(action: Action, when: DateTime<Utc>) -> Attempt {
        Attempt {
            action,
            device_id: "phone-1".into(),
            fix: Fix {
                // Ten metres north of the centre: a fix on the centre is pinned.
                point: LatLon::new(CENTER.lat + 0.000_09, CENTER.lon),
                accuracy_m: 10.0,
                is_mock: false,
            },
            scanned_at: when,
            received_at: when,
            offline: false,
            fix_time: None,
        }
    }

    fn genuine(scene: &Scene, issued_at: DateTime<Utc>) -> CodeCheck {
        let issued = issue_rotating(scene.site_id, &scene.secret, issued_at, 30);
        CodeCheck::Genuine(parse(&issued.payload).expect("parses"))
    }

    fn facts<'a>(scene: &'a Scene, code: CodeCheck) -> Facts<'a> {
        Facts {
            code,
            site: Some(SiteFacts {
                site_id: scene.site_id,
                timezone: TZ,
                geofence: Some(&scene.fence),
                max_accuracy_m: None,
            }),
            assignments: &scene.assignments,
            open_visit: None,
            code_already_used: false,
            bound_device: None,
            presence_pending: false,
            online_since_scan: false,
            kiosk_active: false,
            kiosk_active_at_scan: false,
            daily_code_policy: DailyCodePolicy::Flag,
        }
    }

    fn refusal(j: &Judgement) -> Option<&str> {
        match &j.decision {
            Decision::Refused(r) => Some(r.code()),
            _ => None,
        }
    }

    #[test]
    fn an_honest_check_in_opens_a_visit_with_no_findings() {
        let s = scene();
        let j = judge(
            &attempt(Action::CheckIn, at(9, 0)),
            &facts(&s, genuine(&s, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(
            j.decision,
            Decision::CheckIn {
                assignment_id: s.assignments[0].id,
                local_date: "2026-03-02".parse().expect("date")
            }
        );
        assert!(j.findings.is_empty());
        assert_eq!(j.geofence_version, Some(3));
        assert_eq!(j.distance_to_fence_m, Some(0.0));
    }

    #[test]
    fn a_forged_or_foreign_code_is_invalid() {
        let s = scene();
        let j = judge(
            &attempt(Action::CheckIn, at(9, 0)),
            &facts(&s, CodeCheck::NotGenuine),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("code_invalid"));
        let other = Scene {
            site_id: Uuid::new_v4(),
            ..scene()
        };
        let j = judge(
            &attempt(Action::CheckIn, at(9, 0)),
            &facts(&s, genuine(&other, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("code_invalid"));
    }

    #[test]
    fn the_previous_step_is_accepted_and_older_ones_expire() {
        let s = scene();
        let scan = at(9, 0) + Duration::seconds(40);
        let j = judge(
            &attempt(Action::CheckIn, scan),
            &facts(&s, genuine(&s, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), None);
        // Two periods and the live scan's grace for the network.
        let late = at(9, 0) + Duration::seconds(61) + Policy::default().live_scan_grace;
        let j = judge(
            &attempt(Action::CheckIn, late),
            &facts(&s, genuine(&s, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("code_expired"));
    }

    #[test]
    fn a_daily_code_beside_a_live_kiosk_is_flagged_or_refused_as_the_site_says() {
        let s = scene();
        let daily = issue_daily(
            s.site_id,
            &s.secret,
            "2026-03-02".parse().expect("date"),
            TZ,
        );
        let code = || CodeCheck::Genuine(parse(&daily.payload).expect("parses"));
        let live_kiosk = |policy| Facts {
            kiosk_active: true,
            daily_code_policy: policy,
            ..facts(&s, code())
        };
        let scan = attempt(Action::CheckIn, at(9, 0));
        // No screen running: the printed code is the site's only code.
        assert!(kinds(&judge(&scan, &facts(&s, code()), &Policy::default())).is_empty());
        let flagged = judge(
            &scan,
            &live_kiosk(DailyCodePolicy::Flag),
            &Policy::default(),
        );
        assert_eq!(kinds(&flagged), vec![AnomalyKind::DailyCodeLiveKiosk]);
        let refused = judge(
            &scan,
            &live_kiosk(DailyCodePolicy::Refuse),
            &Policy::default(),
        );
        assert_eq!(refusal(&refused), Some("rotating_code_required"));
        // An offline upload from a phone that had no network: the screen may have been
        // dark then; left alone.
        let mut queued = attempt(Action::CheckIn, at(9, 0));
        queued.offline = true;
        queued.received_at = at(9, 30);
        queued.fix_time = Some(at(9, 0) - Duration::seconds(5));
        let j = judge(
            &queued,
            &live_kiosk(DailyCodePolicy::Refuse),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), None);
        assert!(kinds(&j).is_empty(), "{:?}", kinds(&j));
        // But if the screen was running when the phone says it scanned, the printed
        // code was not the only one there: flagged (or refused) like a live scan.
        let screen_on_then = |policy| Facts {
            kiosk_active_at_scan: true,
            ..live_kiosk(policy)
        };
        let j = judge(
            &queued,
            &screen_on_then(DailyCodePolicy::Flag),
            &Policy::default(),
        );
        assert_eq!(kinds(&j), vec![AnomalyKind::DailyCodeLiveKiosk]);
        let j = judge(
            &queued,
            &screen_on_then(DailyCodePolicy::Refuse),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("rotating_code_required"));
    }

    #[test]
    fn a_daily_code_is_valid_on_its_local_date_only() {
        let s = scene();
        let daily = issue_daily(
            s.site_id,
            &s.secret,
            "2026-03-02".parse().expect("date"),
            TZ,
        );
        let code = || CodeCheck::Genuine(parse(&daily.payload).expect("parses"));
        let j = judge(
            &attempt(Action::CheckIn, at(16, 59)),
            &facts(&s, code()),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), None);
        let next_day = at(9, 0) + Duration::days(1);
        let j = judge(
            &attempt(Action::CheckIn, next_day),
            &facts(&s, code()),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("code_expired"));
    }

    #[test]
    fn no_assignment_covering_the_date_is_refused() {
        let s = scene();
        let april = TZ
            .with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc);
        let j = judge(
            &attempt(Action::CheckIn, april),
            &facts(&s, genuine(&s, april)),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("no_assignment"));
    }

    #[test]
    fn the_window_refuses_far_outside_and_flags_the_edge() {
        let s = scene();
        let early = at(7, 35);
        let j = judge(
            &attempt(Action::CheckIn, early),
            &facts(&s, genuine(&s, early)),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), None);
        assert_eq!(j.findings[0].kind, AnomalyKind::OutsideWindowEdge);
        let dawn = at(6, 0);
        let j = judge(
            &attempt(Action::CheckIn, dawn),
            &facts(&s, genuine(&s, dawn)),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("outside_window"));
    }

    #[test]
    fn arriving_up_to_a_quarter_hour_early_is_ordinary() {
        let s = scene();
        for (h, m, flagged) in [(7, 50, false), (7, 45, false), (7, 44, true)] {
            let when = at(h, m);
            let j = judge(
                &attempt(Action::CheckIn, when),
                &facts(&s, genuine(&s, when)),
                &Policy::default(),
            );
            assert_eq!(refusal(&j), None);
            assert_eq!(
                kinds(&j).contains(&AnomalyKind::OutsideWindowEdge),
                flagged,
                "{h}:{m}"
            );
        }
        let strict = Policy {
            quiet_edge_minutes: 0,
            ..Policy::default()
        };
        let when = at(7, 50);
        let j = judge(
            &attempt(Action::CheckIn, when),
            &facts(&s, genuine(&s, when)),
            &strict,
        );
        assert_eq!(kinds(&j), vec![AnomalyKind::OutsideWindowEdge]);
    }

    #[test]
    fn an_implausible_pinned_or_stale_fix_is_flagged_on_an_accepted_scan() {
        let s = scene();
        let when = at(9, 0);
        let mut mocked = attempt(Action::CheckIn, when);
        mocked.fix.point = CENTER;
        mocked.fix.accuracy_m = 0.0;
        mocked.fix_time = Some(when - Duration::hours(3));
        let j = judge(&mocked, &facts(&s, genuine(&s, when)), &Policy::default());
        assert_eq!(refusal(&j), None);
        assert_eq!(
            kinds(&j),
            vec![
                AnomalyKind::ImplausibleAccuracy,
                AnomalyKind::FixAtFenceCentre,
                AnomalyKind::StaleFix
            ]
        );
        let mut honest = attempt(Action::CheckIn, when);
        honest.fix.accuracy_m = 65.0;
        honest.fix_time = Some(when - Duration::seconds(20));
        let j = judge(&honest, &facts(&s, genuine(&s, when)), &Policy::default());
        assert!(j.findings.is_empty(), "{:?}", j.findings);
    }

    #[test]
    fn a_consistent_offline_upload_an_hour_later_is_not_late() {
        let s = scene();
        let scanned = at(9, 0);
        let mut village = attempt(Action::CheckIn, scanned);
        village.received_at = scanned + Duration::hours(1);
        village.offline = true;
        village.fix_time = Some(scanned - Duration::seconds(15));
        let code = genuine(&s, scanned);
        let j = judge(&village, &facts(&s, code.clone()), &Policy::default());
        assert_eq!(refusal(&j), None);
        assert!(j.findings.is_empty(), "{:?}", j.findings);
        // The phone was online in between: judged as a live scan, its code expired.
        let online = Facts {
            online_since_scan: true,
            ..facts(&s, code.clone())
        };
        assert_eq!(
            refusal(&judge(&village, &online, &Policy::default())),
            Some("code_expired")
        );
        // The fix is not the scan's, or the upload is not marked offline: late.
        let no_fix_time = Attempt {
            fix_time: None,
            ..village.clone()
        };
        assert_eq!(
            kinds(&judge(
                &no_fix_time,
                &facts(&s, code.clone()),
                &Policy::default()
            )),
            vec![AnomalyKind::LateSync]
        );
    }

    #[test]
    fn a_fix_outside_the_fence_is_refused_with_its_distance() {
        let s = scene();
        let mut a = attempt(Action::CheckIn, at(9, 0));
        a.fix.point = LatLon {
            lat: CENTER.lat + 0.0045,
            lon: CENTER.lon,
        }; // ~500 m north
        let j = judge(&a, &facts(&s, genuine(&s, at(9, 0))), &Policy::default());
        match &j.decision {
            Decision::Refused(Refusal::OutsideGeofence {
                distance_m: Some(d),
            }) => {
                assert!((*d - 400.0).abs() < 10.0, "{d}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn poor_accuracy_is_refused_against_the_site_limit() {
        let s = scene();
        let mut a = attempt(Action::CheckIn, at(9, 0));
        a.fix.accuracy_m = 150.0;
        let j = judge(&a, &facts(&s, genuine(&s, at(9, 0))), &Policy::default());
        assert_eq!(refusal(&j), Some("poor_accuracy"));
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.site = f.site.map(|site| SiteFacts {
            max_accuracy_m: Some(200.0),
            ..site
        });
        assert_eq!(refusal(&judge(&a, &f, &Policy::default())), None);
    }

    #[test]
    fn state_dependent_refusals() {
        let s = scene();
        let open = OpenVisit {
            id: Uuid::new_v4(),
            site_id: s.site_id,
        };
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.code_already_used = true;
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckIn, at(9, 0)),
                &f,
                &Policy::default()
            )),
            Some("code_reused")
        );
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.open_visit = Some(open);
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckIn, at(9, 0)),
                &f,
                &Policy::default()
            )),
            Some("already_checked_in")
        );
        let f = facts(&s, genuine(&s, at(9, 0)));
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckOut, at(9, 0)),
                &f,
                &Policy::default()
            )),
            Some("no_open_visit")
        );
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.open_visit = Some(OpenVisit {
            id: open.id,
            site_id: Uuid::new_v4(),
        });
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckOut, at(9, 0)),
                &f,
                &Policy::default()
            )),
            Some("wrong_site")
        );
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.open_visit = Some(open);
        let j = judge(&attempt(Action::CheckOut, at(9, 0)), &f, &Policy::default());
        assert_eq!(j.decision, Decision::CheckOut { visit_id: open.id });
    }

    #[test]
    fn a_check_out_after_the_window_is_not_refused() {
        let s = scene();
        let mut f = facts(&s, genuine(&s, at(19, 0)));
        f.open_visit = Some(OpenVisit {
            id: Uuid::new_v4(),
            site_id: s.site_id,
        });
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckOut, at(19, 0)),
                &f,
                &Policy::default()
            )),
            None
        );
    }

    #[test]
    fn findings_for_new_device_mock_location_and_late_sync() {
        let s = scene();
        let scanned = at(9, 0);
        let mut a = attempt(Action::CheckIn, scanned);
        a.fix.is_mock = true;
        a.offline = true;
        a.received_at = scanned + Duration::hours(3);
        let mut f = facts(&s, genuine(&s, scanned));
        f.bound_device = Some("phone-0");
        let kinds: Vec<_> = judge(&a, &f, &Policy::default())
            .findings
            .iter()
            .map(|f| f.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                AnomalyKind::NewDevice,
                AnomalyKind::MockLocation,
                AnomalyKind::LateSync
            ]
        );
    }

    #[test]
    fn an_offline_scan_older_than_72_hours_is_expired() {
        let s = scene();
        let mut a = attempt(Action::CheckIn, at(9, 0));
        a.offline = true;
        a.received_at = a.scanned_at + Duration::hours(73);
        assert_eq!(
            refusal(&judge(
                &a,
                &facts(&s, genuine(&s, at(9, 0))),
                &Policy::default()
            )),
            Some("code_expired")
        );
    }

    /// A rotating code issued at 09:00:00 (30 s steps) is fresh until 09:01:00; this
    /// attempt claims a scan at 09:00:10 and arrives `late_by` after the code expired.
    fn back_dated(late_by: Duration, offline: bool) -> Attempt {
        let mut a = attempt(Action::CheckIn, at(9, 0) + Duration::seconds(10));
        a.received_at = at(9, 1) + late_by;
        a.offline = offline;
        a
    }

    fn kinds(j: &Judgement) -> Vec<AnomalyKind> {
        j.findings.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_live_scan_back_dated_into_its_codes_validity_is_expired() {
        let s = scene();
        let j = judge(
            &back_dated(Duration::seconds(12), false),
            &facts(&s, genuine(&s, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("code_expired"));
    }

    #[test]
    fn the_same_scan_from_the_offline_queue_is_judged_when_it_was_scanned() {
        let s = scene();
        let j = judge(
            &back_dated(Duration::seconds(12), true),
            &facts(&s, genuine(&s, at(9, 0))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), None);
        assert_eq!(kinds(&j), Vec::new(), "a minute's delay is not late_sync");
    }

    #[test]
    fn a_live_scan_from_a_phone_whose_clock_runs_fast_is_judged_on_arrival() {
        let s = scene();
        // The code of 09:00's step arrives at 09:00:40 (fresh: its step and the next),
        // from a phone whose clock says 09:02.
        let mut fast = attempt(Action::CheckIn, at(9, 2));
        fast.received_at = at(9, 0) + Duration::seconds(40);
        let j = judge(&fast, &facts(&s, genuine(&s, at(9, 0))), &Policy::default());
        assert_eq!(refusal(&j), None);
    }

    #[test]
    fn a_live_scan_slowed_by_the_network_keeps_its_grace() {
        let s = scene();
        let policy = Policy::default();
        let within = back_dated(policy.live_scan_grace - Duration::seconds(1), false);
        let j = judge(&within, &facts(&s, genuine(&s, at(9, 0))), &policy);
        assert_eq!(refusal(&j), None);
        let beyond = back_dated(policy.live_scan_grace + Duration::seconds(1), false);
        let j = judge(&beyond, &facts(&s, genuine(&s, at(9, 0))), &policy);
        assert_eq!(refusal(&j), Some("code_expired"));
    }

    #[test]
    fn an_old_scan_claimed_without_the_offline_mark_is_late_sync() {
        let s = scene();
        let daily = issue_daily(
            s.site_id,
            &s.secret,
            "2026-03-02".parse().expect("date"),
            TZ,
        );
        let mut a = attempt(Action::CheckIn, at(9, 0));
        a.received_at = at(12, 0);
        let j = judge(
            &a,
            &facts(
                &s,
                CodeCheck::Genuine(parse(&daily.payload).expect("parses")),
            ),
            &Policy::default(),
        );
        assert_eq!(
            refusal(&j),
            None,
            "the day's code is still fresh on arrival"
        );
        assert_eq!(kinds(&j), vec![AnomalyKind::LateSync]);
    }

    #[test]
    fn daily_codes_are_used_once_per_action() {
        assert_eq!(use_slot(CodeKind::Daily, Action::CheckIn), "check_in");
        assert_eq!(use_slot(CodeKind::Daily, Action::CheckOut), "check_out");
        assert_eq!(use_slot(CodeKind::Rotating, Action::CheckOut), "any");
    }

    fn presence_facts(scene: &Scene, code: CodeCheck, open: Option<OpenVisit>) -> Facts<'_> {
        Facts {
            open_visit: open,
            presence_pending: true,
            ..facts(scene, code)
        }
    }

    fn open_at(scene: &Scene) -> OpenVisit {
        OpenVisit {
            id: Uuid::new_v4(),
            site_id: scene.site_id,
        }
    }

    #[test]
    fn a_presence_scan_during_an_open_visit_proves_presence_and_closes_nothing() {
        let s = scene();
        let open = open_at(&s);
        let j = judge(
            &attempt(Action::Presence, at(11, 0)),
            &presence_facts(&s, genuine(&s, at(11, 0)), Some(open)),
            &Policy::default(),
        );
        assert_eq!(j.decision, Decision::Presence { visit_id: open.id });
        assert!(j.findings.is_empty());
        assert_eq!(j.geofence_version, Some(3));
    }

    #[test]
    fn a_presence_scan_needs_an_open_visit_at_the_codes_site() {
        let s = scene();
        let when = at(11, 0);
        let j = judge(
            &attempt(Action::Presence, when),
            &presence_facts(&s, genuine(&s, when), None),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("no_open_visit"));
        let elsewhere = OpenVisit {
            id: Uuid::new_v4(),
            site_id: Uuid::new_v4(),
        };
        let j = judge(
            &attempt(Action::Presence, when),
            &presence_facts(&s, genuine(&s, when), Some(elsewhere)),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("wrong_site"));
    }

    #[test]
    fn a_presence_scan_needs_the_screens_rotating_code() {
        let s = scene();
        let daily = issue_daily(
            s.site_id,
            &s.secret,
            "2026-03-02".parse().expect("date"),
            TZ,
        );
        let code = CodeCheck::Genuine(parse(&daily.payload).expect("parses"));
        let j = judge(
            &attempt(Action::Presence, at(11, 0)),
            &presence_facts(&s, code, Some(open_at(&s))),
            &Policy::default(),
        );
        assert_eq!(refusal(&j), Some("rotating_code_required"));
    }

    #[test]
    fn a_presence_scan_with_no_pending_check_is_refused_last() {
        let s = scene();
        let when = at(11, 0);
        let mut f = presence_facts(&s, genuine(&s, when), Some(open_at(&s)));
        f.presence_pending = false;
        let j = judge(&attempt(Action::Presence, when), &f, &Policy::default());
        assert_eq!(refusal(&j), Some("no_presence_check"));
        // A bad fix is reported before the missing check.
        let mut far = attempt(Action::Presence, when);
        far.fix.point = LatLon {
            lat: CENTER.lat + 0.0045,
            lon: CENTER.lon,
        };
        assert_eq!(
            refusal(&judge(&far, &f, &Policy::default())),
            Some("outside_geofence")
        );
    }

    #[test]
    fn a_presence_scan_is_refused_outside_the_fence_or_with_a_used_code() {
        let s = scene();
        let when = at(11, 0);
        let mut far = attempt(Action::Presence, when);
        far.fix.point = LatLon {
            lat: CENTER.lat + 0.0045,
            lon: CENTER.lon,
        };
        let f = presence_facts(&s, genuine(&s, when), Some(open_at(&s)));
        assert_eq!(
            refusal(&judge(&far, &f, &Policy::default())),
            Some("outside_geofence")
        );
        let mut f = presence_facts(&s, genuine(&s, when), Some(open_at(&s)));
        f.code_already_used = true;
        assert_eq!(
            refusal(&judge(
                &attempt(Action::Presence, when),
                &f,
                &Policy::default()
            )),
            Some("code_reused")
        );
        let stale = when + Duration::seconds(61) + Policy::default().live_scan_grace;
        let f = presence_facts(&s, genuine(&s, when), Some(open_at(&s)));
        assert_eq!(
            refusal(&judge(
                &attempt(Action::Presence, stale),
                &f,
                &Policy::default()
            )),
            Some("code_expired")
        );
    }

    #[test]
    fn a_presence_scan_ignores_the_window_and_the_assignments_but_keeps_findings() {
        let s = scene();
        let evening = at(19, 0);
        let mut a = attempt(Action::Presence, evening);
        a.fix.is_mock = true;
        let f = Facts {
            assignments: &[],
            ..presence_facts(&s, genuine(&s, evening), Some(open_at(&s)))
        };
        let j = judge(&a, &f, &Policy::default());
        assert!(matches!(j.decision, Decision::Presence { .. }), "{j:?}");
        let kinds: Vec<_> = j.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![AnomalyKind::MockLocation]);
    }

    #[test]
    fn check_in_and_check_out_ignore_the_presence_fact() {
        let s = scene();
        let mut f = facts(&s, genuine(&s, at(9, 0)));
        f.presence_pending = true;
        assert_eq!(
            refusal(&judge(
                &attempt(Action::CheckIn, at(9, 0)),
                &f,
                &Policy::default()
            )),
            None
        );
        assert_eq!(Action::Presence.as_str(), "presence");
        assert_eq!(use_slot(CodeKind::Rotating, Action::Presence), "any");
    }
}

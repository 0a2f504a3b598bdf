//! One attendance attempt's write as data: what it writes ([`AttendanceWrite`]), the
//! statements and their values, and the rule that decides, from what the transaction
//! finds, whether the attempt is written. It imports nothing of [`super::attendance`],
//! which runs it and re-exports its types.
//! Two drivers run it: sqlx on PostgreSQL ([`super::attendance`]) and the SQLite group
//! commit's `rusqlite` writer ([`super::group_commit`]), so both databases store the
//! same rows by construction.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::inserts::{CODE_USES, DEVICES, EVENTS, VISITS};
use super::statement::{Param, Step};
use super::supervision::NewAnomaly;
use super::{StoreError, StoreResult, parse_uuid, to_ms};
use crate::domain::anomaly::Finding;

/// The answer given to an attempt, replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// One attempt as stored, refused or not.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub client_event_id: Uuid,
    pub physician_id: Uuid,
    pub action: &'static str,
    pub site_id: Option<Uuid>,
    pub assignment_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub code_kind: Option<&'static str>,
    pub code_step: Option<i64>,
    pub device_id: String,
    pub lat: f64,
    pub lon: f64,
    pub reported_lat: f64,
    pub reported_lon: f64,
    pub crs: &'static str,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub fix_time: Option<DateTime<Utc>>,
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub verdict: &'static str,
    pub refusal_code: Option<&'static str>,
    pub reasons: Vec<String>,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
    pub response: StoredResponse,
    /// The client's address, as `CHECKIN_TRUSTED_PROXIES` resolves it.
    pub client_ip: Option<String>,
    /// `kiosk_network`, `far_away` or `elsewhere` (see `domain::network`).
    pub network: Option<&'static str>,
    /// Where the operator's IP database places the address.
    pub ip_place: Option<String>,
    /// The app marked the scan as kept in its offline queue.
    pub offline: bool,
}

#[derive(Debug, Clone)]
pub struct CodeUse {
    pub site_id: Uuid,
    pub kind: &'static str,
    pub step: i64,
    pub slot: &'static str,
}

#[derive(Debug, Clone)]
pub enum VisitChange {
    None,
    Open {
        visit_id: Uuid,
        site_id: Uuid,
        assignment_id: Uuid,
        local_date: NaiveDate,
    },
    Close {
        visit_id: Uuid,
    },
}

/// Everything one accepted or refused attempt writes.
#[derive(Debug, Clone)]
pub struct AttendanceWrite {
    pub event: NewEvent,
    pub code_use: Option<CodeUse>,
    pub visit: VisitChange,
    pub findings: Vec<Finding>,
    /// Binds this device when the physician has none yet.
    pub bind_device: bool,
    /// The open visit the judgement assumed; the write is abandoned if it changed.
    pub expected_open_visit: Option<Uuid>,
    /// Pending presence checks this scan answers; the write is abandoned if any is no
    /// longer pending (expired by the scheduler, answered by another scan).
    pub answers_presence_checks: Vec<Uuid>,
    /// The fact count of the copies kept in memory the judgement used (SQLite, see
    /// [`super::facts`]); the write is abandoned if the facts changed since.
    pub facts_clock: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The same `client_event_id` was stored first: its answer.
    Duplicate(StoredResponse),
    /// Another attempt of the same physician changed the facts: judge again.
    StateChanged,
}

const LOCK: &str = "UPDATE users SET attendance_seq = attendance_seq + 1 WHERE id = $1";
const EXISTING: &str = "SELECT response_status, response_body FROM attendance_events \
                        WHERE physician_id = $1 AND client_event_id = $2";
const OPEN: &str = "SELECT id FROM visits WHERE open_physician = $1";
const USED: &str = "SELECT COUNT(*) FROM code_uses WHERE site_id = $1 AND code_kind = $2 \
                    AND code_step = $3 AND physician_id = $4 AND use_slot = $5";
static INSERT_EVENT: LazyLock<String> = LazyLock::new(|| EVENTS.sql(1));
static INSERT_USE: LazyLock<String> = LazyLock::new(|| CODE_USES.sql(1));
static INSERT_VISIT: LazyLock<String> = LazyLock::new(|| VISITS.sql(1));
const CLOSE_VISIT: &str = "UPDATE visits SET check_out_event_id = $2, checked_out_at = $3, \
    status = 'closed', closed_at = $4, open_physician = NULL WHERE id = $1 AND status = 'open'";
static BIND: LazyLock<String> =
    LazyLock::new(|| format!("{} ON CONFLICT (physician_id) DO NOTHING", DEVICES.sql(1)));
const ANSWER: &str = "UPDATE presence_checks SET status = 'answered', answered_event_id = $2, \
    resolved_at = $3 WHERE id = $1 AND status = 'pending'";

impl NewEvent {
    /// The row's values, in the order of [`EVENTS`].
    pub fn values(&self) -> StoreResult<Vec<Param>> {
        let e = self;
        let reasons =
            serde_json::to_string(&e.reasons).map_err(|x| StoreError::Corrupt(x.to_string()))?;
        Ok(vec![
            e.id.to_string().into(),
            e.client_event_id.to_string().into(),
            e.physician_id.to_string().into(),
            e.action.into(),
            e.site_id.into(),
            e.assignment_id.into(),
            e.visit_id.into(),
            e.code_kind.into(),
            e.code_step.into(),
            e.device_id.clone().into(),
            e.lat.into(),
            e.lon.into(),
            e.reported_lat.into(),
            e.reported_lon.into(),
            e.crs.into(),
            e.accuracy_m.into(),
            e.is_mock.into(),
            e.fix_time.map(to_ms).into(),
            e.scanned_at.into(),
            e.received_at.into(),
            e.verdict.into(),
            e.refusal_code.into(),
            reasons.into(),
            e.distance_to_fence_m.into(),
            e.geofence_version.into(),
            i64::from(e.response.status).into(),
            e.response.body.clone().into(),
            e.client_ip.as_deref().into(),
            e.network.into(),
            e.ip_place.as_deref().into(),
            e.offline.into(),
        ])
    }
}

impl CodeUse {
    /// The row's values, in the order of [`CODE_USES`]: this use by `physician_id`'s
    /// event `event_id`.
    pub fn values(&self, physician_id: Uuid, event_id: Uuid) -> Vec<Param> {
        vec![
            self.site_id.to_string().into(),
            self.kind.into(),
            self.step.into(),
            physician_id.to_string().into(),
            self.slot.into(),
            event_id.to_string().into(),
        ]
    }
}

/// A visit row as inserted: opened by a check-in, or (the bulk path) inserted whole
/// once closed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub assignment_id: Uuid,
    pub local_date: NaiveDate,
    pub check_in_event_id: Uuid,
    pub checked_in_at: DateTime<Utc>,
    pub check_out_event_id: Option<Uuid>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// `open`, `closed` or `auto_closed`.
    pub status: &'static str,
    pub closed_at: Option<DateTime<Utc>>,
}

impl NewVisit {
    /// The row's values, in the order of [`VISITS`]; `open_physician` is the
    /// physician's id while the visit is open (at most one open visit each).
    pub fn values(&self) -> Vec<Param> {
        let physician = self.physician_id.to_string();
        let open_physician = (self.status == "open").then(|| physician.clone());
        vec![
            self.id.to_string().into(),
            physician.into(),
            self.site_id.to_string().into(),
            self.assignment_id.to_string().into(),
            self.local_date.to_string().into(),
            self.check_in_event_id.to_string().into(),
            self.checked_in_at.into(),
            self.check_out_event_id.into(),
            self.checked_out_at.map(to_ms).into(),
            self.status.into(),
            self.closed_at.map(to_ms).into(),
            Param::Text(open_physician),
        ]
    }
}

/// A bound device's values, in the order of [`DEVICES`].
pub fn device_values(physician_id: Uuid, device_id: &str, bound_at: DateTime<Utc>) -> Vec<Param> {
    vec![
        physician_id.to_string().into(),
        device_id.into(),
        bound_at.into(),
    ]
}

/// What the attempt's transaction finds before writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The answer stored under this `client_event_id`: `(status, body)`.
    pub stored: Option<(i64, String)>,
    /// The id of the physician's open visit.
    pub open_visit: Option<String>,
    /// Stored uses of the attempt's code slot (0 when it uses no code).
    pub code_uses: i64,
}

/// One attempt's write: run `lock`, then the reads (`existing`, `open`, `used`), ask
/// [`AttemptPlan::judge`], and if it allows, run `writes` in order; a write marked
/// `changes_one_row` that changes another number of rows means the facts changed. The
/// physician's row is locked first (a no-op update), so two attempts of one physician
/// never interleave, on either database. The caller commits on `Written` and rolls
/// back otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptPlan {
    pub lock: Step,
    pub existing: Step,
    pub open: Step,
    pub used: Option<Step>,
    pub writes: Vec<Step>,
    expected_open_visit: Option<Uuid>,
}

impl AttemptPlan {
    pub fn new(write: &AttendanceWrite) -> StoreResult<AttemptPlan> {
        let e = &write.event;
        let physician = e.physician_id.to_string();
        let event_id = e.id.to_string();
        let used = write.code_use.as_ref().map(|code| {
            Step::new(
                USED,
                vec![
                    code.site_id.to_string().into(),
                    code.kind.into(),
                    code.step.into(),
                    physician.clone().into(),
                    code.slot.into(),
                ],
            )
        });

        let mut writes = Vec::new();
        if let Some(clock) = write.facts_clock {
            writes.push(super::facts::clock_check(e.physician_id, clock));
        }
        writes.push(Step::new(&INSERT_EVENT, e.values()?));
        if let Some(code) = &write.code_use {
            writes.push(Step::new(&INSERT_USE, code.values(e.physician_id, e.id)));
        }
        for check in &write.answers_presence_checks {
            writes.push(Step::changing_one_row(
                ANSWER,
                vec![
                    check.to_string().into(),
                    event_id.clone().into(),
                    e.received_at.into(),
                ],
            ));
        }
        let visit_id = match &write.visit {
            // A scan that changes no visit (presence) is about the visit it names.
            VisitChange::None => e.visit_id,
            VisitChange::Open {
                visit_id,
                site_id,
                assignment_id,
                local_date,
            } => {
                let visit = NewVisit {
                    id: *visit_id,
                    physician_id: e.physician_id,
                    site_id: *site_id,
                    assignment_id: *assignment_id,
                    local_date: *local_date,
                    check_in_event_id: e.id,
                    checked_in_at: e.scanned_at,
                    check_out_event_id: None,
                    checked_out_at: None,
                    status: "open",
                    closed_at: None,
                };
                writes.push(Step::new(&INSERT_VISIT, visit.values()));
                Some(*visit_id)
            }
            VisitChange::Close { visit_id } => {
                writes.push(Step::changing_one_row(
                    CLOSE_VISIT,
                    vec![
                        visit_id.to_string().into(),
                        event_id.clone().into(),
                        e.scanned_at.into(),
                        e.received_at.into(),
                    ],
                ));
                Some(*visit_id)
            }
        };
        for finding in &write.findings {
            let anomaly = NewAnomaly {
                id: Uuid::new_v4(),
                kind: finding.kind,
                physician_id: e.physician_id,
                site_id: e.site_id,
                visit_id,
                event_ids: vec![e.id],
                detected_at: e.received_at,
                detail: finding.detail.clone(),
            };
            writes.push(anomaly.insert());
        }
        if write.bind_device {
            writes.push(Step::new(
                &BIND,
                device_values(e.physician_id, &e.device_id, e.received_at),
            ));
        }
        Ok(AttemptPlan {
            lock: Step::new(LOCK, vec![physician.clone().into()]),
            existing: Step::new(
                EXISTING,
                vec![
                    physician.clone().into(),
                    e.client_event_id.to_string().into(),
                ],
            ),
            open: Step::new(OPEN, vec![physician.into()]),
            used,
            writes,
            expected_open_visit: write.expected_open_visit,
        })
    }

    /// The open visit the judgement assumed.
    pub fn expected_open_visit(&self) -> Option<Uuid> {
        self.expected_open_visit
    }

    /// The outcome that stops the attempt before its writes (`Duplicate`: the
    /// `client_event_id` has an answer; `StateChanged`: the open visit is not the one
    /// judged, or the code slot was used meanwhile), or `None` to write.
    pub fn judge(&self, found: Found) -> StoreResult<Option<WriteOutcome>> {
        if let Some((status, body)) = found.stored {
            return Ok(Some(WriteOutcome::Duplicate(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                body,
            })));
        }
        let open = found.open_visit.as_deref().map(parse_uuid).transpose()?;
        if open != self.expected_open_visit || found.code_uses > 0 {
            return Ok(Some(WriteOutcome::StateChanged));
        }
        Ok(None)
    }
}

//! Moving a physician's device binding to a new phone: self-service (once per
//! `CHECKIN_DEVICE_SELF_MOVE_DAYS`, else a request) or approved by the hospital,
//! after which scans from the new phone raise nothing.

use chrono::Duration;
use mobile_api::{
    DeviceBinding, DeviceMoveDecision, DeviceMoveRequest, DeviceMoveRequestList, DeviceStatus,
    MoveDevice, RequestDeviceMove,
};
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::device;
use crate::domain::jurisdiction::JurisdictionPath;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::device_moves::{MoveRequestRecord, NewMoveRequest};

/// `PUT /api/v1/me/device`, the older self-service path: the same rule as
/// `POST /me/device-move-requests` with `self_service` ([`move_own_device`]), and the
/// same limit (`CHECKIN_DEVICE_SELF_MOVE_DAYS`, counted from the last self-service
/// move through either path) and audit (`device_move.self`). Where the newer path
/// would file a request, this one answers 409 `device_move_too_soon` (or
/// `device_move_pending` while a request waits): its clients know no requests. The
/// phone already bound answers its binding and spends nothing; 409
/// `device_bound_elsewhere` when the phone is another physician's.
pub async fn move_device(
    state: &AppState,
    actor: &Actor,
    request: &MoveDevice,
) -> ApiResult<DeviceBinding> {
    let period = Duration::days(state.config.detection.device_self_move_days);
    match move_own_device(state, actor, &request.device_id, None, Ask::SelfServiceOnly).await? {
        Moved::AlreadyBound {
            device_id,
            bound_at,
        } => {
            let last = state.store.last_self_move(actor.user_id).await?;
            let from = device::next_move_from(last, period).unwrap_or(bound_at);
            Ok(DeviceBinding {
                device_id,
                bound_at,
                next_move_from: from,
            })
        }
        Moved::Now(record) => Ok(binding(&record.device_id, record.created_at, period)),
        Moved::Requested(_) => Err(ApiError::internal(
            "a self-service-only move filed a request",
        )),
    }
}

/// How a physician asks to move their binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Self-service or nothing (`PUT /me/device`).
    SelfServiceOnly,
    /// Self-service if the limit allows, else a request (`self_service: true`).
    SelfServiceOrRequest,
    /// A request for the hospital or a supervisor to decide.
    Request,
}

/// What came of it.
enum Moved {
    /// The phone is already the bound one; nothing moved, nothing spent.
    AlreadyBound {
        device_id: String,
        bound_at: chrono::DateTime<chrono::Utc>,
    },
    /// Moved at once by self-service (stored as a granted request, `self_service`).
    Now(MoveRequestRecord),
    /// Filed for a decision.
    Requested(MoveRequestRecord),
}

/// The one rule for a physician moving their own binding, whichever path asks: a
/// self-service move is granted when the physician made none within
/// `CHECKIN_DEVICE_SELF_MOVE_DAYS` (through either path) and no request waits; it is
/// stored as a request granted at once (`self_service`), audited `device_move.self`,
/// the binding moved in the same transaction. Otherwise, as `ask` says, a request
/// (`device_move.request`) or 409 `device_move_too_soon` / `device_move_pending`.
async fn move_own_device(
    state: &AppState,
    actor: &Actor,
    device_id: &str,
    note: Option<String>,
    ask: Ask,
) -> ApiResult<Moved> {
    actor.require(&[Role::Physician])?;
    let device_id = device_id.trim();
    if device_id.is_empty()
        || device_id.chars().count() > 200
        || device_id.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "device_id: must be 1 to 200 characters, without control characters",
        ));
    }
    let (bound, owners) = state
        .store
        .device_bindings(actor.user_id, device_id)
        .await?;
    if !owners.is_empty() {
        return Err(ApiError::Conflict {
            code: "device_bound_elsewhere",
            detail: "this phone is bound to another physician's account".into(),
        });
    }
    if bound.as_deref() == Some(device_id) {
        let bound_at = state
            .store
            .device_binding(actor.user_id)
            .await?
            .map_or_else(|| state.now(), |(_, at)| at);
        return Ok(Moved::AlreadyBound {
            device_id: device_id.to_owned(),
            bound_at,
        });
    }
    let now = state.now();
    let period = Duration::days(state.config.detection.device_self_move_days);
    let pending = state.store.pending_device_move(actor.user_id).await?;
    let last = state.store.last_self_move(actor.user_id).await?;
    let granted = ask != Ask::Request && pending.is_none() && device::may_move(last, now, period);
    if !granted && ask == Ask::SelfServiceOnly {
        if pending.is_some() {
            return Err(conflict(crate::store::StoreError::Conflict(
                "device_move_pending".into(),
            )));
        }
        let from = device::next_move_from(last, period).unwrap_or(now);
        return Err(ApiError::Conflict {
            code: "device_move_too_soon",
            detail: format!(
                "you last changed your phone yourself less than {} days ago; you may change it yourself from {} or ask your hospital's administrator",
                period.num_days(),
                from.format("%Y-%m-%d %H:%M UTC")
            ),
        });
    }
    let id = Uuid::new_v4();
    let after = serde_json::json!({ "physician_id": actor.user_id, "device_id": device_id,
        "note": note, "self_service": granted, "previous_device_id": bound });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: if granted {
                "device_move.self"
            } else {
                "device_move.request"
            },
            object_type: "device_move_request",
            object_id: id.to_string(),
            before: None,
            after: Some(&after),
        },
    )?;
    let new = NewMoveRequest {
        id,
        physician_id: actor.user_id,
        device_id,
        note: note.as_deref(),
        now,
    };
    if granted {
        state
            .store
            .self_move_device(&new, now - period, audit)
            .await
            .map_err(conflict)?;
    } else {
        state
            .store
            .insert_device_move_request(&new, audit)
            .await
            .map_err(conflict)?;
    }
    let stored = stored_request(state, id).await?;
    Ok(if granted {
        Moved::Now(stored)
    } else {
        Moved::Requested(stored)
    })
}

fn binding(
    device_id: &str,
    bound_at: chrono::DateTime<chrono::Utc>,
    period: Duration,
) -> DeviceBinding {
    DeviceBinding {
        device_id: device_id.to_owned(),
        bound_at,
        next_move_from: bound_at + period,
    }
}

// ---- moves by request (#22 point 6) ----------------------------------------------

/// Who decides device moves: a hospital administrator (their hospital's physicians),
/// a supervisor (within their jurisdiction), an administrator.
const DECIDERS: [Role; 3] = [Role::Admin, Role::Supervisor, Role::HospitalAdmin];

fn optional_note(note: Option<&str>, field: &str) -> ApiResult<Option<String>> {
    Ok(crate::domain::text::note(field, note, 500)?)
}

fn conflict(error: crate::store::StoreError) -> ApiError {
    match error {
        crate::store::StoreError::Conflict(what) if what == "device_move_pending" => {
            ApiError::Conflict {
                code: "device_move_pending",
                detail: "a request to move your phone is already waiting for a decision".into(),
            }
        }
        crate::store::StoreError::Conflict(what) if what == "device_move_decided" => {
            ApiError::Conflict {
                code: "device_move_decided",
                detail: "this request has already been decided".into(),
            }
        }
        crate::store::StoreError::Conflict(what)
            if what == crate::store::device_moves::SELF_MOVE_SPENT =>
        {
            ApiError::Conflict {
                code: "device_move_too_soon",
                detail: "you moved your phone yourself a moment ago".into(),
            }
        }
        other => other.into(),
    }
}

/// The request as stored, read back after the write that made or decided it.
async fn stored_request(state: &AppState, id: Uuid) -> ApiResult<MoveRequestRecord> {
    state
        .store
        .device_move_request(id)
        .await?
        .ok_or(ApiError::NotFound)
}

fn to_wire(r: MoveRequestRecord) -> DeviceMoveRequest {
    DeviceMoveRequest {
        id: r.id,
        physician_id: r.physician_id,
        physician_name: r.physician_name,
        current_device_id: r.current_device_id,
        device_id: r.device_id,
        note: r.note,
        status: r.status,
        created_at: r.created_at,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        decision_note: r.decision_note,
        self_service: r.self_service,
    }
}

/// A physician asks to move their binding to a new phone. With `self_service` the
/// move is granted at once (status `approved`, audited `device_move.self`) when they
/// made no self-service move within `CHECKIN_DEVICE_SELF_MOVE_DAYS`; otherwise, and
/// without the flag, it waits for a decision (`pending`, audited `device_move.request`).
/// 409 `device_bound_elsewhere` when that phone is another physician's,
/// `device_move_pending` when a request waits, `device_already_bound` when it is
/// already the bound phone.
pub async fn request_move(
    state: &AppState,
    actor: &Actor,
    request: &RequestDeviceMove,
) -> ApiResult<DeviceMoveRequest> {
    actor.require(&[Role::Physician])?;
    let note = optional_note(request.note.as_deref(), "note")?;
    let ask = if request.self_service {
        Ask::SelfServiceOrRequest
    } else {
        Ask::Request
    };
    match move_own_device(state, actor, &request.device_id, note, ask).await? {
        Moved::AlreadyBound { .. } => Err(ApiError::Conflict {
            code: "device_already_bound",
            detail: "this phone is already the one your scans are expected from".into(),
        }),
        Moved::Now(record) | Moved::Requested(record) => Ok(to_wire(record)),
    }
}

/// The physician's bound phone and when a self-service move is granted at once: the
/// phone page compares it with its own device id and offers the move.
pub async fn device_status(state: &AppState, actor: &Actor) -> ApiResult<DeviceStatus> {
    actor.require(&[Role::Physician])?;
    let bound = state.store.device_binding(actor.user_id).await?;
    let period = Duration::days(state.config.detection.device_self_move_days);
    let last = state.store.last_self_move(actor.user_id).await?;
    let self_move_from = device::next_move_from(last, period).filter(|from| *from > state.now());
    Ok(DeviceStatus {
        device_id: bound.as_ref().map(|(d, _)| d.clone()),
        bound_at: bound.map(|(_, at)| at),
        self_move_from,
        pending_request: state.store.pending_device_move(actor.user_id).await?,
    })
}

/// The physician's own requests, newest first.
pub async fn my_requests(state: &AppState, actor: &Actor) -> ApiResult<DeviceMoveRequestList> {
    actor.require(&[Role::Physician])?;
    let items = state
        .store
        .device_move_requests(Some(actor.user_id), None)
        .await?
        .into_iter()
        .map(to_wire)
        .collect();
    Ok(DeviceMoveRequestList { items })
}

fn reaches(actor: &Actor, r: &MoveRequestRecord) -> bool {
    match &r.jurisdiction_path {
        Some(path) => actor.reaches(Placement {
            jurisdiction: &JurisdictionPath::from_stored(path.clone()),
            organization_id: r.organization_id,
        }),
        None => actor.scope == Scope::Everything,
    }
}

/// Requests the caller may decide (`status`: `pending` by default, or `all`).
pub async fn requests_in_reach(
    state: &AppState,
    actor: &Actor,
    status: Option<&str>,
) -> ApiResult<DeviceMoveRequestList> {
    actor.require(&DECIDERS)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("pending") => Some("pending"),
        Some("all") => None,
        Some(s @ ("approved" | "rejected")) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid(
                "status: must be pending, approved, rejected or all",
            ));
        }
    };
    let items = state
        .store
        .device_move_requests(None, status)
        .await?
        .into_iter()
        .filter(|r| reaches(actor, r))
        .map(to_wire)
        .collect();
    Ok(DeviceMoveRequestList { items })
}

/// Approves (rebinding the physician to the new phone at once) or rejects a pending
/// request. Out of reach: 404; decided already: 409 `device_move_decided`.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    decision: &DeviceMoveDecision,
) -> ApiResult<DeviceMoveRequest> {
    actor.require(&DECIDERS)?;
    let approve = match decision.decision.trim() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ApiError::invalid("decision: must be approve or reject")),
    };
    let note = optional_note(decision.note.as_deref(), "note")?;
    let request = state
        .store
        .device_move_request(id)
        .await?
        .filter(|r| reaches(actor, r))
        .ok_or(ApiError::NotFound)?;
    if approve {
        let (_, owners) = state
            .store
            .device_bindings(request.physician_id, &request.device_id)
            .await?;
        if !owners.is_empty() {
            return Err(ApiError::Conflict {
                code: "device_bound_elsewhere",
                detail: "that phone has since been bound to another physician's account".into(),
            });
        }
    }
    let before = serde_json::json!({ "status": request.status, "device_id": request.device_id,
        "current_device_id": request.current_device_id });
    let after = serde_json::json!({ "status": if approve { "approved" } else { "rejected" },
        "device_id": request.device_id, "decision_note": note });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: if approve {
                "device_move.approve"
            } else {
                "device_move.reject"
            },
            object_type: "device_move_request",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    state
        .store
        .decide_device_move(
            id,
            approve,
            actor.user_id,
            note.as_deref(),
            state.now(),
            audit,
        )
        .await
        .map_err(conflict)?;
    Ok(to_wire(stored_request(state, id).await?))
}

//! Moving a physician's device binding to a new phone: self-service once per
//! `CHECKIN_DEVICE_MOVE_DAYS`, after which scans from the new phone raise nothing.

use chrono::Duration;
use mobile_api::{DeviceBinding, MoveDevice};

use crate::domain::access::{Actor, Role};
use crate::domain::device;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Binds `physician_id` to the request's device. Refused 409 `device_move_too_soon`
/// within the period after the last binding, and 409 `device_bound_elsewhere` when
/// the phone is bound to another physician (one phone, several accounts).
pub async fn move_device(
    state: &AppState,
    actor: &Actor,
    request: &MoveDevice,
) -> ApiResult<DeviceBinding> {
    actor.require(&[Role::Physician])?;
    let physician_id = actor.user_id;
    let device_id = request.device_id.trim();
    if device_id.is_empty() || device_id.chars().count() > 200 {
        return Err(ApiError::invalid("device_id: must be 1 to 200 characters"));
    }
    let now = state.now();
    let period = Duration::days(state.config.detection.device_move_days);
    let store = &state.store;
    let (_, owners) = store.device_bindings(physician_id, device_id).await?;
    if !owners.is_empty() {
        return Err(ApiError::Conflict {
            code: "device_bound_elsewhere",
            detail: "this phone is bound to another physician's account".into(),
        });
    }
    let bound = store.device_binding(physician_id).await?;
    // Already this phone: nothing to move, and the allowance is not spent.
    if let Some((current, at)) = &bound
        && current == device_id
    {
        return Ok(binding(device_id, *at, period));
    }
    let bound_at = bound.map(|(_, at)| at);
    if !device::may_move(bound_at, now, period) {
        let from = device::next_move_from(bound_at, period).unwrap_or(now);
        return Err(ApiError::Conflict {
            code: "device_move_too_soon",
            detail: format!(
                "the phone was last changed less than {} days ago; you may change it yourself from {} or ask your hospital's administrator",
                period.num_days(),
                from.format("%Y-%m-%d %H:%M UTC")
            ),
        });
    }
    if !store
        .move_device(physician_id, device_id, now, now - period)
        .await?
    {
        return Err(ApiError::Conflict {
            code: "device_move_too_soon",
            detail: "the phone was changed a moment ago".into(),
        });
    }
    Ok(binding(device_id, now, period))
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

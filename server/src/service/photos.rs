//! A photo taken at scan time (programme setting `scan_photo`): the physician whose
//! scan it was uploads it within 30 minutes; it is stored with its SHA-256, and the
//! audit entry written with it records the hash.

use mobile_api::ScanPhotoStored;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::access::{Actor, Role};
use crate::domain::photo::{self, ImageKind};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::photos::NewPhoto;
use crate::store::supervision::NewAnomaly;

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores the photo of `event_id`, which must be one of the caller's own scans
/// (404 otherwise) received at most 30 minutes ago (409 `photo_too_late`). The
/// body is at most `CHECKIN_SCAN_PHOTO_MAX_BYTES` (413 `payload_too_large`) and a
/// JPEG, PNG or WebP as declared and as its first bytes say (415
/// `unsupported_media_type`). One photo per scan (409 `photo_exists`).
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    event_id: Uuid,
    content_type: Option<&str>,
    data: &[u8],
) -> ApiResult<ScanPhotoStored> {
    actor.require(&[Role::Physician])?;
    let event = state
        .store
        .photo_event(event_id)
        .await?
        .filter(|e| e.physician_id == actor.user_id)
        .ok_or(ApiError::NotFound)?;
    let max = state.config.detection.scan_photo_max_bytes;
    if i64::try_from(data.len()).unwrap_or(i64::MAX) > max {
        return Err(ApiError::PayloadTooLarge);
    }
    let declared = content_type.and_then(ImageKind::from_content_type);
    let kind = match (declared, ImageKind::sniff(data)) {
        (Some(declared), Some(found)) if declared == found => found,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "expected the raw image as image/jpeg, image/png or image/webp".into(),
            ));
        }
    };
    let now = state.now();
    if !photo::within_window(event.received_at, now) {
        return Err(ApiError::Conflict {
            code: "photo_too_late",
            detail: format!(
                "a scan's photo is taken within {} minutes of the scan",
                photo::UPLOAD_WINDOW_MINUTES
            ),
        });
    }
    let stored = ScanPhotoStored {
        sha256: hex_sha256(data),
        bytes: data.len() as u64,
    };
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "scan_photo.upload",
            object_type: "scan_photo",
            object_id: event_id.to_string(),
            before: None,
            after: Some(&json!({
                "event_id": event_id,
                "visit_id": event.visit_id,
                "content_type": kind.content_type(),
                "sha256": stored.sha256,
                "bytes": stored.bytes,
            })),
        },
    )?;
    let photo = NewPhoto {
        event_id,
        physician_id: actor.user_id,
        visit_id: event.visit_id,
        site_id: event.site_id,
        content_type: kind.content_type(),
        sha256: stored.sha256.clone(),
        data: data.to_vec(),
        uploaded_at: now,
    };
    state
        .store
        .insert_photo(&photo, provenance)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::Conflict {
                code: "photo_exists",
                detail,
            },
            other => other.into(),
        })?;
    Ok(stored)
}

/// The `job_runs.job` of judging a check-in's required photo; the run key is the
/// check-in's event id.
pub const PHOTO_MISSING_JOB: &str = "photo_missing";

/// Raises `photo_missing` for every check-in at a programme requiring a scan photo
/// whose upload window closed without one (the scheduler's step). Each check-in is
/// judged once across processes: the claim and the anomaly are one transaction.
/// Answers how many anomalies this process raised.
pub async fn raise_missing_photos(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let since = now - chrono::Duration::hours(photo::MISSING_LOOKBACK_HOURS);
    let window_closed = now - chrono::Duration::minutes(photo::UPLOAD_WINDOW_MINUTES);
    let due = state
        .store
        .photo_due_check_ins(PHOTO_MISSING_JOB, since, window_closed)
        .await?;
    let claimer = format!("pid {} photos", std::process::id());
    let mut raised = 0;
    for check_in in due {
        let finding = photo::missing_photo(&check_in.due, state.clock.as_ref());
        // The store found its window closed: a check-in with its photo, or from
        // before the programme required one, is claimed without an anomaly.
        let anomaly = finding.map(|f| NewAnomaly {
            id: Uuid::new_v4(),
            kind: f.kind,
            physician_id: check_in.physician_id,
            site_id: Some(check_in.site_id),
            visit_id: Some(check_in.visit_id),
            event_ids: vec![check_in.due.event_id],
            detected_at: now,
            detail: f.detail,
        });
        let claimed = state
            .store
            .claim_job_raising(
                PHOTO_MISSING_JOB,
                &check_in.due.event_id.to_string(),
                &claimer,
                now,
                anomaly.as_ref(),
            )
            .await?;
        if claimed && anomaly.is_some() {
            raised += 1;
        }
    }
    Ok(raised)
}

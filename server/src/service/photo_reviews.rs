//! Supervisors' scan photo sampling (照片抽查): drawing a month's photos of a
//! jurisdiction from a recorded seed, showing a photo, and reviewing it (`ok` or
//! `suspicious`; a suspicious photo raises `photo_suspicious` on its visit).

use mobile_api::{
    CreateScanPhotoSample, PhotoVerdict, ReviewScanPhoto, SampledPhoto, ScanPhotoReview,
    ScanPhotoSample,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::jurisdiction::Jurisdiction;
use crate::domain::photo_sample::{self, Candidate, MAX_NOTE_CHARS, MAX_PHOTOS, SampleError};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::reports;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::photo_reviews::{PhotoRef, SampleRecord};
use crate::store::supervision::NewAnomaly;

fn invalid(e: SampleError) -> ApiError {
    ApiError::invalid(e.to_string())
}

/// The jurisdiction a supervisor or admin names (404 outside their reach).
async fn jurisdiction(state: &AppState, actor: &Actor, code: &str) -> ApiResult<Jurisdiction> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    reports::resolve_scope(state, actor, Some(code.trim()))
        .await?
        .jurisdiction
        .ok_or_else(|| ApiError::invalid("jurisdiction_code: required"))
}

fn fresh_seed() -> ApiResult<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    // Below 2^53, so the seed survives any JSON reader as a number too.
    Ok(u64::from_le_bytes(bytes) >> 11)
}

fn candidate(photo: &SampledPhoto) -> Candidate {
    Candidate {
        photo_id: photo.photo_id,
        open_anomalies: photo.open_anomalies > 0,
        kiosk_network: photo.network.as_deref() == Some("kiosk_network"),
    }
}

/// The sample's photos, in drawn order, as they stand now (reviews included).
fn items(population: Vec<SampledPhoto>, drawn: &[Uuid]) -> Vec<SampledPhoto> {
    let mut by_id: std::collections::HashMap<Uuid, SampledPhoto> =
        population.into_iter().map(|p| (p.photo_id, p)).collect();
    drawn
        .iter()
        .zip(1u32..)
        .filter_map(|(id, order)| {
            by_id.remove(id).map(|mut p| {
                p.order = order;
                p.weight = candidate(&p).weight();
                p
            })
        })
        .collect()
}

fn to_wire(
    record: SampleRecord,
    place: &Jurisdiction,
    items: Vec<SampledPhoto>,
) -> ScanPhotoSample {
    ScanPhotoSample {
        id: record.id,
        jurisdiction_code: record.jurisdiction_code,
        jurisdiction_name: place.name.clone(),
        month: record.month,
        n: record.n,
        seed: record.seed,
        population: record.population,
        created_by: record.created_by,
        created_at: record.created_at,
        items,
    }
}

/// Draws `n` of the month's scan photos in the jurisdiction (and below), weighted
/// towards visits with open anomalies and scans without kiosk network evidence, from
/// `seed` (fresh when absent), and records the sample (audited as
/// `scan_photo_sample.create` with the seed and the photos drawn).
pub async fn create_sample(
    state: &AppState,
    actor: &Actor,
    body: &CreateScanPhotoSample,
) -> ApiResult<ScanPhotoSample> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let (from, to) = photo_sample::month_days(&body.month).map_err(invalid)?;
    if !(1..=MAX_PHOTOS).contains(&body.n) {
        return Err(invalid(SampleError::Count));
    }
    let seed = match &body.seed {
        Some(text) => photo_sample::parse_seed(text).map_err(invalid)?,
        None => fresh_seed()?,
    };
    let place = jurisdiction(state, actor, &body.jurisdiction_code).await?;
    let population = state.store.photos_to_sample(&place.path, from, to).await?;
    let candidates: Vec<Candidate> = population.iter().map(candidate).collect();
    let drawn: Vec<Uuid> = photo_sample::draw(&candidates, body.n, seed)
        .into_iter()
        .map(|c| c.photo_id)
        .collect();
    let record = SampleRecord {
        id: Uuid::new_v4(),
        jurisdiction_code: place.code.to_string(),
        month: from.format("%Y-%m").to_string(),
        n: body.n,
        seed: seed.to_string(),
        population: u32::try_from(population.len()).unwrap_or(u32::MAX),
        photo_ids: drawn.clone(),
        created_by: actor.user_id,
        created_at: state.now(),
    };
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "scan_photo_sample.create",
            object_type: "scan_photo_sample",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&json!({
                "jurisdiction_code": record.jurisdiction_code,
                "month": record.month,
                "n": record.n,
                "seed": record.seed,
                "population": record.population,
                "drawn": drawn,
            })),
        },
    )?;
    state.store.insert_photo_sample(&record, entry).await?;
    let items = items(population, &drawn);
    Ok(to_wire(record, &place, items))
}

/// A recorded sample with its photos' reviews as they stand now; 404 outside reach.
pub async fn sample(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ScanPhotoSample> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let record = state
        .store
        .photo_sample(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let place = jurisdiction(state, actor, &record.jurisdiction_code).await?;
    let (from, to) = photo_sample::month_days(&record.month).map_err(invalid)?;
    let population = state.store.photos_to_sample(&place.path, from, to).await?;
    let items = items(population, &record.photo_ids);
    Ok(to_wire(record, &place, items))
}

/// A photo whose site the caller reaches (admin, supervisor in jurisdiction, the
/// site's clinic administrator when `roles` allows); 404 otherwise.
async fn reachable(
    state: &AppState,
    actor: &Actor,
    photo_id: Uuid,
    roles: &[Role],
) -> ApiResult<PhotoRef> {
    actor.require(roles)?;
    let photo = state
        .store
        .scan_photo_ref(photo_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site_id = photo.site_id.ok_or(ApiError::NotFound)?;
    let site = state
        .store
        .organization(site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor.check_reach(Placement {
        jurisdiction: &site.jurisdiction_path,
        organization_id: Some(site.id),
    })?;
    Ok(photo)
}

/// A scan photo's bytes, for those who may open its visit.
pub async fn image(
    state: &AppState,
    actor: &Actor,
    photo_id: Uuid,
) -> ApiResult<(PhotoRef, Vec<u8>)> {
    let photo = reachable(
        state,
        actor,
        photo_id,
        &[Role::Admin, Role::Supervisor, Role::ClinicAdmin],
    )
    .await?;
    let data = state
        .store
        .scan_photo_data(photo_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((photo, data))
}

/// The note as kept: a [`text::note`] of at most [`MAX_NOTE_CHARS`], required when
/// suspicious.
fn note_of(body: &ReviewScanPhoto) -> ApiResult<String> {
    let note = text::note("note", body.note.as_deref(), MAX_NOTE_CHARS)?;
    if body.verdict == PhotoVerdict::Suspicious && note.is_none() {
        return Err(ApiError::invalid(
            "note: required for a suspicious photo (what is wrong with it)",
        ));
    }
    Ok(note.unwrap_or_default())
}

/// Marks a photo `ok` or `suspicious` once (409 `photo_reviewed` after that), audited
/// as `scan_photo_review.create`; a suspicious photo raises `photo_suspicious` (high)
/// on its visit in the same transaction.
pub async fn review(
    state: &AppState,
    actor: &Actor,
    photo_id: Uuid,
    body: &ReviewScanPhoto,
) -> ApiResult<ScanPhotoReview> {
    let photo = reachable(state, actor, photo_id, &[Role::Admin, Role::Supervisor]).await?;
    let note = note_of(body)?;
    let me = state.store.user(actor.user_id).await?.map(|u| u.name);
    let now = state.now();
    let id = Uuid::new_v4();
    let raised = (body.verdict == PhotoVerdict::Suspicious).then(|| NewAnomaly {
        id: Uuid::new_v4(),
        kind: AnomalyKind::PhotoSuspicious,
        physician_id: photo.physician_id,
        site_id: photo.site_id,
        visit_id: photo.visit_id,
        event_ids: vec![photo_id],
        detected_at: now,
        detail: json!({
            "photo_id": photo_id,
            "review_id": id,
            "sha256": photo.sha256,
            "reviewed_by_name": me.clone().unwrap_or_default(),
            "review_note": note,
        }),
    });
    let review = ScanPhotoReview {
        id,
        photo_id,
        verdict: body.verdict,
        note,
        reviewed_by: actor.user_id,
        reviewed_by_name: me,
        reviewed_at: now,
        anomaly_id: raised.as_ref().map(|a| a.id),
    };
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "scan_photo_review.create",
            object_type: "scan_photo_review",
            object_id: id.to_string(),
            before: None,
            after: Some(&review),
        },
    )?;
    state
        .store
        .insert_photo_review(&review, raised.as_ref(), entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict {
                code: "photo_reviewed",
                detail: "this photo has already been reviewed".into(),
            },
            other => other.into(),
        })?;
    Ok(review)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(verdict: PhotoVerdict, note: Option<&str>) -> ReviewScanPhoto {
        ReviewScanPhoto {
            verdict,
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn a_suspicious_photo_needs_a_note_and_an_ok_one_does_not() {
        assert!(note_of(&body(PhotoVerdict::Suspicious, None)).is_err());
        assert!(note_of(&body(PhotoVerdict::Suspicious, Some(" "))).is_err());
        assert_eq!(
            note_of(&body(PhotoVerdict::Suspicious, Some(" 翻拍屏幕 "))).expect("ok"),
            "翻拍屏幕"
        );
        assert_eq!(note_of(&body(PhotoVerdict::Ok, None)).expect("ok"), "");
        let long = "长".repeat(MAX_NOTE_CHARS + 1);
        assert!(note_of(&body(PhotoVerdict::Ok, Some(&long))).is_err());
    }
}

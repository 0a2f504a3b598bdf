//! Anomalies as supervisors read and review them: the stored record with its kind's
//! labels, a plain sentence and labelled facts ([`crate::domain::anomaly_text`]), and
//! the names of the physician and site it is about; the review that confirms or
//! dismisses one; and a scan's findings in the same words for the physician's answer.

use mobile_api::{Anomaly, AnomalyFact, AnomalyReview, AnomalySummary, ReviewRequest};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::anomaly::Finding;
use crate::domain::anomaly_text::{self, AnomalyText, Names};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::anomalies::{AnomalyFilter, AnomalyRecord, ReviewRecord};

/// The longest review note kept, in characters.
const MAX_NOTE_CHARS: usize = 2000;

/// One page of anomalies matching `filter` (newest first), as the wire shows them.
pub async fn list(
    state: &AppState,
    filter: &AnomalyFilter<'_>,
    fetch: u32,
) -> ApiResult<Vec<Anomaly>> {
    let rows = state.store.list_anomalies(filter, fetch).await?;
    describe(state, rows).await
}

/// Confirms or dismisses an anomaly, once, as a supervisor within reach or an admin;
/// answers the anomaly as reviewed. The note (why) is required and kept. 404 for an
/// unknown anomaly or one out of reach (one without a site is for admins only); 409
/// `already_reviewed` for a second review.
pub async fn review(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    request: &ReviewRequest,
) -> ApiResult<Anomaly> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let (anomaly, site_path) = state.store.anomaly(id).await?.ok_or(ApiError::NotFound)?;
    if actor.scope != Scope::Everything {
        // An anomaly without a site belongs to no jurisdiction: admins only.
        let path = site_path.ok_or(ApiError::NotFound)?;
        actor.check_reach(Placement {
            jurisdiction: &path,
            organization_id: None,
        })?;
    }
    let note = crate::domain::text::note("note", Some(&request.note), MAX_NOTE_CHARS)?
        .ok_or_else(|| ApiError::invalid("note: must say why (not blank)"))?;
    let note = note.as_str();
    // The review only moves an open anomaly (the store refuses a second one), so the
    // anomaly as reviewed is known before the write and recorded with it.
    let now = crate::store::as_stored(state.now());
    let reviewed = AnomalyRecord {
        status: request.decision.resulting_status().to_owned(),
        review: Some(ReviewRecord {
            decision: request.decision,
            note: note.to_owned(),
            reviewer_id: actor.user_id,
            reviewed_at: now,
        }),
        ..anomaly
    };
    let after = describe(state, vec![reviewed])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "anomaly.review",
            object_type: "anomaly",
            object_id: id.to_string(),
            before: None,
            after: Some(&after),
        },
    )?;
    state
        .store
        .review_anomaly(id, request.decision, note, actor.user_id, now, audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(detail) => ApiError::Conflict {
                code: "already_reviewed",
                detail,
            },
            other => other.into(),
        })?;
    Ok(after)
}

/// The records as the wire shows them, with every name they mention looked up in
/// one query per table.
pub async fn describe(state: &AppState, records: Vec<AnomalyRecord>) -> ApiResult<Vec<Anomaly>> {
    let mut people: Vec<Uuid> = Vec::new();
    let mut sites: Vec<Uuid> = Vec::new();
    for record in &records {
        people.extend(record.physician_id);
        sites.extend(record.site_id);
        let (more_people, more_sites) = anomaly_text::mentioned(&record.detail);
        people.extend(more_people);
        sites.extend(more_sites);
    }
    let names = state.store.names_of(&people, &sites).await?;
    Ok(records.into_iter().map(|r| to_wire(r, &names)).collect())
}

/// One record in words, given the names it mentions.
pub fn to_wire(a: AnomalyRecord, names: &Names) -> Anomaly {
    let text = anomaly_text::render(&a.kind, &a.detail, names);
    Anomaly {
        id: a.id,
        detail: with_texts(a.detail, &text),
        kind: a.kind,
        severity: a.severity,
        status: a.status,
        physician_id: a.physician_id,
        site_id: a.site_id,
        visit_id: a.visit_id,
        event_ids: a.event_ids,
        detected_at: a.detected_at,
        review: a.review.map(|r| AnomalyReview {
            decision: r.decision,
            note: r.note,
            reviewer_id: r.reviewer_id,
            reviewed_at: r.reviewed_at,
        }),
        physician_name: a.physician_id.and_then(|id| names.people.get(&id).cloned()),
        site_name: a.site_id.and_then(|id| names.sites.get(&id).cloned()),
        facts: text
            .facts
            .iter()
            .map(|f| AnomalyFact {
                key: f.key.to_owned(),
                label_zh: f.label_zh.to_owned(),
                label_en: f.label_en.to_owned(),
                value_text: f.value_zh.clone(),
                value_en: f.value_en.clone(),
            })
            .collect(),
        label_zh: text.label_zh,
        label_en: text.label_en,
        summary_zh: text.summary_zh,
        summary_en: text.summary_en,
    }
}

/// The anomalies a scan raised, in the order of its `reasons`, as the sentences the
/// anomaly list will give them once stored (the stored detail is the finding's).
/// Rendered without the names of other people: a physician's answer says "another
/// physician" where a supervisor's list names them, and needs no lookup.
pub fn summaries(findings: &[Finding]) -> Vec<AnomalySummary> {
    findings
        .iter()
        .map(|finding| summary(finding.kind.as_str(), &finding.detail))
        .collect()
}

/// One anomaly in words for the physician it is about, from its kind and stored
/// facts, without the names of other people (see [`summaries`]).
pub fn summary(kind: &str, detail: &Value) -> AnomalySummary {
    let text = anomaly_text::render(kind, detail, &Names::default());
    AnomalySummary {
        kind: kind.to_owned(),
        label_zh: text.label_zh,
        label_en: text.label_en,
        summary_zh: text.summary_zh,
        summary_en: text.summary_en,
    }
}

/// The stored facts plus the texts older clients read from `detail` (`label_zh`,
/// `label_en`, `summary`, `summary_zh`), now the same sentences as the new fields.
fn with_texts(stored: Value, text: &AnomalyText) -> Value {
    let mut detail = match stored {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_owned(), other)]),
    };
    detail.insert("label_zh".into(), Value::String(text.label_zh.clone()));
    detail.insert("label_en".into(), Value::String(text.label_en.clone()));
    detail.insert("summary".into(), Value::String(text.summary_en.clone()));
    detail.insert("summary_zh".into(), Value::String(text.summary_zh.clone()));
    Value::Object(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_scans_findings_read_as_the_lists_sentences_without_other_peoples_names() {
        use crate::domain::anomaly::AnomalyKind;
        let other = Uuid::from_u128(0x11);
        let findings = [
            Finding {
                kind: AnomalyKind::MockLocation,
                detail: json!({"device_id": "phone-B"}),
            },
            Finding {
                kind: AnomalyKind::CodeShared,
                detail: json!({"other_physician_id": other, "same_device": false, "separation_m": 350.0}),
            },
        ];
        let summaries = summaries(&findings);
        let kinds: Vec<&str> = summaries.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["mock_location", "code_shared"]);
        assert_eq!(
            summaries[0].summary_zh,
            anomaly_text::render("mock_location", &findings[0].detail, &Names::default())
                .summary_zh
        );
        assert_eq!(summaries[0].label_zh, "模拟定位");
        assert_eq!(
            summaries[1].summary_zh,
            "同一签到码也被另一位医师使用，两处定位相距350米。"
        );
    }

    #[test]
    fn detail_keeps_its_facts_and_gains_the_same_sentences() {
        let names = Names::default();
        let text = anomaly_text::render(
            "short_visit",
            &json!({"minutes": 12, "min_minutes": 30}),
            &names,
        );
        let detail = with_texts(json!({"minutes": 12, "min_minutes": 30}), &text);
        assert_eq!(detail["minutes"], 12);
        assert_eq!(
            detail["summary_zh"],
            "签到后12分钟即签退，少于规定的30分钟。"
        );
        assert_eq!(detail["summary"], text.summary_en);
        assert_eq!(detail["label_zh"], "在岗时间过短");
        assert_eq!(
            with_texts(Value::Null, &text)["label_en"],
            "Visit too short"
        );
    }
}

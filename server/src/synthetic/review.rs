//! County supervisors reviewing the previous day's anomalies through the review use
//! case ([`crate::service::anomalies::review`]): most are decided (dismissed as a
//! false alarm or confirmed, in shares that depend on the kind), some are left open
//! for the console.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mobile_api::{ReviewDecision, ReviewRequest};
use uuid::Uuid;

use super::SyntheticError;
use super::plan::Plan;
use super::rng::Rng;
use super::simulate::Tally;
use super::world::World;
use crate::error::ApiError;
use crate::service::anomalies;
use crate::state::AppState;
use crate::store::anomalies::{AnomalyFilter, AnomalyRecord};

const PAGE: u32 = 500;

/// (share reviewed, share of reviews that dismiss, note when dismissed, note when confirmed)
fn policy(kind: &str) -> (f64, f64, &'static str, &'static str) {
    match kind {
        "missing_checkout" => (
            0.8,
            0.7,
            "经核实当日在岗，忘记签退",
            "无法证实在岗时间，不予认定",
        ),
        "mock_location" => (0.9, 0.2, "核实为系统误报", "使用虚拟定位，不予认定"),
        "late_sync" => (
            0.7,
            0.95,
            "村卫生室网络信号差，离线补传",
            "补传时间异常，不予认定",
        ),
        "outside_window_edge" => (0.8, 0.9, "提前到岗，予以认定", "不在约定时段，不予认定"),
        "new_device" => (
            0.8,
            0.85,
            "手机故障，临时借用同事手机",
            "设备来源不明，不予认定",
        ),
        "short_visit" => (0.7, 0.4, "临时召回医院处理急诊", "停留时间过短，不予认定"),
        "repeated_fix" => (0.9, 0.1, "经核实为定位缓存", "定位坐标重复，疑似作假"),
        "fix_at_fence_centre" => (0.9, 0.1, "经核实为定位缓存", "定位恰在单位坐标，疑似作假"),
        "requirement_missed" => (0.5, 0.3, "已补足服务时间", "未达到方案要求，予以通报"),
        _ => (0.6, 0.5, "经核实无异常", "经核实存在问题"),
    }
}

/// The decision for one anomaly: a function of the seed and what it is about, not
/// of its (random) id, so both seeding paths decide alike.
pub fn decide(seed: u64, anomaly: &AnomalyRecord) -> Option<(ReviewDecision, &'static str)> {
    let mut key = anomaly.physician_id.map_or(0, |id| id.as_u128()) as u64
        ^ (anomaly.detected_at.timestamp_millis() as u64).rotate_left(29);
    for byte in anomaly.kind.bytes() {
        key = key.rotate_left(5) ^ u64::from(byte);
    }
    let mut rng = Rng::derive(seed, "review", key);
    let (reviewed, dismissed, dismiss_note, confirm_note) = policy(&anomaly.kind);
    if !rng.chance(reviewed) {
        return None;
    }
    Some(if rng.chance(dismissed) {
        (ReviewDecision::Dismiss, dismiss_note)
    } else {
        (ReviewDecision::Confirm, confirm_note)
    })
}

/// The open anomalies of the province detected in `[from, before)`.
pub async fn open_anomalies(
    state: &AppState,
    world: &World,
    from: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Result<Vec<AnomalyRecord>, SyntheticError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let filter = AnomalyFilter {
            within: Some(&world.province_path),
            status: Some("open"),
            detected_from: Some(from),
            detected_before: Some(before),
            after,
            ..AnomalyFilter::default()
        };
        let page = state.store.list_anomalies(&filter, PAGE).await?;
        let full = page.len() == PAGE as usize;
        after = page.last().map(|a| (a.detected_at, a.id));
        all.extend(page);
        if !full {
            break;
        }
    }
    all.sort_by(|a, b| {
        (a.detected_at, &a.kind, a.physician_id).cmp(&(b.detected_at, &b.kind, b.physician_id))
    });
    Ok(all)
}

/// Reviews the anomalies detected in `[from, before)` as their county supervisors.
pub async fn review(
    state: &AppState,
    plan: &Plan,
    world: &World,
    from: DateTime<Utc>,
    before: DateTime<Utc>,
    tally: &mut Tally,
) -> Result<(), SyntheticError> {
    let county_of: HashMap<Uuid, usize> = plan
        .geography
        .sites
        .iter()
        .map(|s| (s.id, s.county))
        .collect();
    for anomaly in open_anomalies(state, world, from, before).await? {
        let Some((decision, note)) = decide(plan.spec.seed, &anomaly) else {
            continue;
        };
        let Some(actor) = anomaly
            .site_id
            .and_then(|site| county_of.get(&site))
            .and_then(|county| world.supervisor(plan, *county))
        else {
            continue;
        };
        let request = ReviewRequest {
            decision,
            note: note.to_owned(),
        };
        match anomalies::review(state, &actor, anomaly.id, &request).await {
            Ok(_) => tally.reviews += 1,
            Err(ApiError::Conflict { .. }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn anomaly(kind: &str, minute: i64) -> AnomalyRecord {
        AnomalyRecord {
            id: Uuid::new_v4(),
            kind: kind.into(),
            severity: "medium".into(),
            status: "open".into(),
            physician_id: Some(Uuid::from_u128(42)),
            site_id: Some(Uuid::from_u128(7)),
            visit_id: Some(Uuid::new_v4()),
            event_ids: vec![Uuid::new_v4()],
            detected_at: Utc
                .with_ymd_and_hms(2026, 3, 2, 16, 5, 0)
                .single()
                .expect("instant")
                + Duration::minutes(minute),
            detail: serde_json::json!({}),
            review: None,
        }
    }

    #[test]
    fn a_decision_depends_on_what_the_anomaly_is_about_not_on_its_id() {
        for minute in 0..50 {
            let a = anomaly("missing_checkout", minute);
            let b = anomaly("missing_checkout", minute);
            assert_ne!(a.id, b.id);
            assert_eq!(decide(3, &a), decide(3, &b));
        }
    }

    #[test]
    fn most_anomalies_are_reviewed_in_the_kinds_shares_and_some_stay_open() {
        let decisions: Vec<_> = (0..2_000)
            .map(|minute| decide(3, &anomaly("missing_checkout", minute)))
            .collect();
        let reviewed = decisions.iter().flatten().count();
        let dismissed = decisions
            .iter()
            .flatten()
            .filter(|(d, _)| *d == ReviewDecision::Dismiss)
            .count();
        assert!((1_500..1_700).contains(&reviewed), "{reviewed}");
        assert!((dismissed as f64 / reviewed as f64 - 0.7).abs() < 0.05);
        let mock_confirmed = (0..2_000)
            .filter_map(|minute| decide(3, &anomaly("mock_location", minute)))
            .filter(|(d, _)| *d == ReviewDecision::Confirm)
            .count();
        assert!(mock_confirmed > 1_300, "{mock_confirmed}");
    }
}

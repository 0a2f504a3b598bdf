//! Attempts written together (one group commit on either database): many physicians at
//! once, each with copies of one attempt and a rival attempt, are judged as if alone.
//! A batch that mixed them up (an attempt undone with its neighbour, a lock not held,
//! a savepoint released too early) would show here as a second visit, an answer that
//! differs from its retry, or a retry that is not the first answer.

use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkin::{Desk, accepted};
use crate::detectors::colleague;
use crate::helpers::*;

const PHYSICIANS: usize = 8;
const COPIES: usize = 3;

fn body(payload: &str, device: &str) -> Value {
    json!({
        "client_event_id": Uuid::new_v4(),
        "qr_payload": payload,
        "device_id": device,
        "location": {"lat": jitter(SITE_LAT + 0.0002), "lon": jitter_lon(SITE_LON), "accuracy_m": 12.0, "crs": "wgs84", "is_mock": false},
    })
}

#[tokio::test]
async fn attempts_of_many_physicians_written_together_each_keep_their_own_answer() {
    let desk = std::sync::Arc::new(Desk::open().await);
    let mut physicians = vec![desk.world.physician.client.clone()];
    for _ in 1..PHYSICIANS {
        physicians.push(colleague(&desk).await.client);
    }
    let code = desk.code().await;

    // Each physician: COPIES copies of one check-in (a phone retrying) and one rival
    // check-in of its own, all sent at once with everyone else's.
    let attempts: Vec<(usize, Value, Value)> = (0..PHYSICIANS)
        .map(|i| {
            let device = format!("phone-{i}");
            (i, body(&code, &device), body(&code, &device))
        })
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for (i, first, rival) in &attempts {
        let sends = std::iter::repeat_n(first, COPIES).chain([rival]);
        for (k, request) in sends.enumerate() {
            let i = *i;
            let (desk, client, request) = (desk.clone(), physicians[i].clone(), request.clone());
            set.spawn(async move {
                let answer = desk
                    .app
                    .send(
                        &client,
                        Method::POST,
                        "/api/v1/attendance/check-in",
                        Some(request),
                    )
                    .await;
                (i, k, answer)
            });
        }
    }
    let mut answers: Vec<(usize, usize, (StatusCode, Value))> = set.join_all().await;
    answers.sort_by_key(|(i, k, _)| (*i, *k));

    for (i, first, rival) in &attempts {
        let mine: Vec<&(StatusCode, Value)> = answers
            .iter()
            .filter(|(who, _, _)| who == i)
            .map(|(_, _, answer)| answer)
            .collect();
        let (copies, rival_answer) = (&mine[..COPIES], mine[COPIES]);
        for copy in copies {
            assert_eq!(*copy, copies[0], "physician {i}: copies of one attempt");
        }
        // Exactly one of the two attempts opened the visit; the other was refused.
        let opened: Vec<&(StatusCode, Value)> = [copies[0], rival_answer]
            .into_iter()
            .filter(|(status, _)| *status == StatusCode::CREATED)
            .collect();
        assert_eq!(opened.len(), 1, "physician {i}: {mine:?}");
        for (status, body) in [copies[0], rival_answer] {
            assert!(
                *status == StatusCode::CREATED || *status == StatusCode::UNPROCESSABLE_ENTITY,
                "physician {i}: {status} {body}"
            );
        }
        // Each stored answer is what a retry gets, once everything is committed.
        let client = &physicians[*i];
        for (request, answer) in [(first, copies[0]), (rival, rival_answer)] {
            let again = desk
                .app
                .send(
                    client,
                    Method::POST,
                    "/api/v1/attendance/check-in",
                    Some(request.clone()),
                )
                .await;
            assert_eq!(
                &again, answer,
                "physician {i}: a retry answers the first answer"
            );
        }
        let visits = client
            .my_visits(Some("2026-03-01"), Some("2026-03-31"))
            .await
            .expect("visits")
            .items;
        assert_eq!(visits.len(), 1, "physician {i}: one visit");
        assert_eq!(visits[0].status, VisitStatus::Open);
        let winner = accepted(opened[0].clone());
        assert_eq!(
            winner["visit_id"],
            json!(visits[0].id),
            "physician {i}: the visit is the one the accepted answer names"
        );
    }
}

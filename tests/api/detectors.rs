//! The history detectors through the real server: each fires on its case and stays
//! silent on the honest twin.

use chrono::Duration;
use mobile_api::*;
use serde_json::{Value, json};

use crate::checkin::{Desk, accepted, local};
use crate::helpers::*;

fn reasons(answer: &Value) -> Vec<String> {
    answer["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A second site ~150 km away (the world's other site) where the physician is assigned too.
async fn far_site(desk: &Desk) -> mobile_api::client::Client {
    let program = desk
        .app
        .admin
        .create_program(&CreateProgram {
            name: "福建省巡诊".into(),
            jurisdiction_code: "350000".into(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![],
        })
        .await
        .expect("program");
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: desk.world.physician.user.id,
            site_id: desk.world.other_site.id,
            program_id: program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "07:00".into(),
            window_end: "20:00".into(),
        })
        .await
        .expect("assignment");
    let kiosk = desk
        .app
        .admin
        .enroll_kiosk(desk.world.other_site.id, &EnrollKiosk::default())
        .await
        .expect("kiosk");
    desk.app.client(&kiosk.token)
}

async fn visit_then_far_check_in(gap: Duration) -> Vec<String> {
    let desk = Desk::open().await;
    let far = far_site(&desk).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(4));
    accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(gap);
    let code = far.kiosk_code().await.expect("code").payload;
    let mut body = desk.request(&code);
    body["location"]["lat"] = json!(jitter(24.90));
    body["location"]["lon"] = json!(118.62);
    reasons(&accepted(desk.check_in(&body).await))
}

#[tokio::test]
async fn arriving_150_km_away_ten_minutes_later_is_impossible_travel() {
    assert!(
        visit_then_far_check_in(Duration::minutes(10))
            .await
            .contains(&"impossible_travel".to_owned())
    );
}

#[tokio::test]
async fn arriving_150_km_away_two_hours_later_is_honest() {
    assert!(visit_then_far_check_in(Duration::hours(2)).await.is_empty());
}

async fn two_physicians_one_code(same_device: bool) -> Vec<String> {
    let desk = Desk::open().await;
    let colleague = desk
        .app
        .person(Role::Physician, Some(desk.world.hospital.id), None)
        .await;
    desk.app
        .admin
        .create_assignment(&CreateAssignment {
            physician_id: colleague.user.id,
            site_id: desk.world.site.id,
            program_id: desk.world.program.id,
            mode: AssignmentMode::Circuit,
            start_date: "2026-03-01".parse().expect("date"),
            end_date: "2026-03-31".parse().expect("date"),
            window_start: "08:00".into(),
            window_end: "17:30".into(),
        })
        .await
        .expect("assignment");
    let code = desk.code().await;
    accepted(desk.check_in(&desk.request(&code)).await);
    let mut theirs = desk.request(&code);
    if !same_device {
        theirs["device_id"] = json!("phone-of-colleague");
    }
    reasons(&accepted(
        desk.post(&colleague.client, "check-in", &theirs).await,
    ))
}

#[tokio::test]
async fn one_phone_checking_in_two_physicians_is_code_shared() {
    assert_eq!(
        two_physicians_one_code(true).await,
        vec!["code_shared".to_owned()]
    );
}

#[tokio::test]
async fn two_physicians_scanning_the_same_frame_on_their_own_phones_is_honest() {
    assert!(two_physicians_one_code(false).await.is_empty());
}

#[tokio::test]
async fn bit_identical_coordinates_are_a_repeated_fix_and_jittered_ones_are_not() {
    let desk = Desk::open().await;
    let first = desk.request(&desk.code().await);
    accepted(desk.check_in(&first).await);
    desk.app.clock.advance(Duration::hours(4));
    let mut out = desk.request(&desk.code().await);
    out["location"] = first["location"].clone();
    let answer = accepted(desk.check_out(&out).await);
    assert_eq!(reasons(&answer), vec!["repeated_fix".to_owned()]);

    desk.app.clock.set(local(3, 9, 0));
    let honest = accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    assert!(reasons(&honest).is_empty(), "{honest}");
}

#[tokio::test]
async fn leaving_ten_minutes_after_arriving_is_a_short_visit() {
    let desk = Desk::open().await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::minutes(10));
    let short = accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    assert_eq!(reasons(&short), vec!["short_visit".to_owned()]);

    desk.app.clock.set(local(3, 9, 0));
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    desk.app.clock.advance(Duration::hours(3));
    let long = accepted(desk.check_out(&desk.request(&desk.code().await)).await);
    assert!(reasons(&long).is_empty(), "{long}");
}

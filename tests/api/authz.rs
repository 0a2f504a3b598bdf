//! The authorization matrix: every administration endpoint x every role x inside and
//! outside the caller's jurisdiction.

use mobile_api::client::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// The callers of the matrix. "Inside" objects sit in 漳平市 (under 龙岩市, the
/// supervisor's city); the other supervisor's city is 泉州市.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    Supervisor,
    OtherSupervisor,
    HospitalAdmin,
    ClinicAdmin,
    Physician,
    Kiosk,
    Nobody,
}

use Caller::*;

const CALLERS: [Caller; 8] = [
    Admin,
    Supervisor,
    OtherSupervisor,
    HospitalAdmin,
    ClinicAdmin,
    Physician,
    Kiosk,
    Nobody,
];

fn client<'a>(world: &'a World, app: &'a TestApp, kiosk: &'a Client, caller: Caller) -> &'a Client {
    match caller {
        Admin => &app.admin,
        Supervisor => &world.supervisor.client,
        OtherSupervisor => &world.other_supervisor.client,
        HospitalAdmin => &world.hospital_admin.client,
        ClinicAdmin => &world.clinic_admin.client,
        Physician => &world.physician.client,
        Kiosk => kiosk,
        Nobody => &app.anonymous,
    }
}

/// One row: how to make the request (fresh per caller) and what each caller gets.
struct Row {
    name: &'static str,
    expected: fn(Caller) -> u16,
}

async fn request_for(
    app: &TestApp,
    world: &World,
    row: &str,
    n: usize,
) -> (Method, String, Option<Value>) {
    let site = world.site.id;
    match row {
        "POST jurisdictions" => (
            Method::POST,
            "/api/v1/jurisdictions".into(),
            Some(
                json!({"code": format!("3508{:02}", 20 + n), "name": "新区", "level": "county", "parent_code": world.city}),
            ),
        ),
        "GET jurisdiction" => (
            Method::GET,
            format!("/api/v1/jurisdictions/{}", world.county),
            None,
        ),
        "POST organizations" => (
            Method::POST,
            "/api/v1/organizations".into(),
            Some(
                json!({"name": "村卫生室", "kind": "village_clinic", "jurisdiction_code": world.county,
                        "geofence": circle(25.3, 117.4, 100.0)}),
            ),
        ),
        "GET organization" => (Method::GET, format!("/api/v1/organizations/{site}"), None),
        "PATCH organization" => (
            Method::PATCH,
            format!("/api/v1/organizations/{site}"),
            Some(json!({"name": format!("溪南镇卫生院{n}")})),
        ),
        "POST users" => (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"role": "physician", "name": "新医生", "phone": unique_phone(), "password": PASSWORD,
                        "organization_id": world.hospital.id}),
            ),
        ),
        "GET user" => (
            Method::GET,
            format!("/api/v1/users/{}", world.physician.user.id),
            None,
        ),
        "POST programs" => (
            Method::POST,
            "/api/v1/programs".into(),
            Some(json!({"name": "方案", "jurisdiction_code": world.county,
                        "requirements": [{"period": "month", "min_days": 1}]})),
        ),
        "GET program" => (
            Method::GET,
            format!("/api/v1/programs/{}", world.program.id),
            None,
        ),
        "POST assignments" => (
            Method::POST,
            "/api/v1/assignments".into(),
            Some(
                json!({"physician_id": world.physician.user.id, "site_id": site, "program_id": world.program.id,
                        "mode": "circuit", "start_date": "2026-04-01", "end_date": "2026-06-30",
                        "window_start": "08:00", "window_end": "12:00"}),
            ),
        ),
        "GET assignment" => (
            Method::GET,
            format!("/api/v1/assignments/{}", world.assignment.id),
            None,
        ),
        "POST kiosks" => (
            Method::POST,
            format!("/api/v1/organizations/{site}/kiosks"),
            Some(json!({"label": "大厅"})),
        ),
        "DELETE kiosk" => {
            let kiosk = app
                .admin
                .enroll_kiosk(site, &mobile_api::EnrollKiosk::default())
                .await
                .expect("kiosk to revoke");
            (
                Method::DELETE,
                format!("/api/v1/kiosks/{}", kiosk.kiosk_id),
                None,
            )
        }
        other => panic!("unknown row {other}"),
    }
}

/// Admin and the supervisor of the city act; the other city's supervisor sees nothing
/// (404); the rest of the roles may not (403); no token is 401.
fn supervisors_only(c: Caller, ok: u16) -> u16 {
    match c {
        Admin | Supervisor => ok,
        OtherSupervisor => 404,
        Nobody => 401,
        _ => 403,
    }
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "POST jurisdictions",
            expected: |c| supervisors_only(c, 201),
        },
        Row {
            name: "GET jurisdiction",
            expected: |c| supervisors_only(c, 200),
        },
        Row {
            name: "POST organizations",
            expected: |c| supervisors_only(c, 201),
        },
        Row {
            name: "GET organization",
            expected: |c| match c {
                ClinicAdmin => 200,
                HospitalAdmin => 404,
                c => supervisors_only(c, 200),
            },
        },
        Row {
            name: "PATCH organization",
            expected: |c| supervisors_only(c, 200),
        },
        Row {
            name: "POST users",
            expected: |c| match c {
                HospitalAdmin => 201,
                c => supervisors_only(c, 201),
            },
        },
        Row {
            name: "GET user",
            expected: |c| match c {
                // The physician of the world reads themselves.
                HospitalAdmin | Physician => 200,
                ClinicAdmin => 404,
                c => supervisors_only(c, 200),
            },
        },
        Row {
            name: "POST programs",
            expected: |c| supervisors_only(c, 201),
        },
        Row {
            name: "GET program",
            expected: |c| supervisors_only(c, 200),
        },
        Row {
            name: "POST assignments",
            expected: |c| match c {
                HospitalAdmin => 201,
                c => supervisors_only(c, 201),
            },
        },
        Row {
            name: "GET assignment",
            expected: |c| match c {
                HospitalAdmin | ClinicAdmin | Physician => 200,
                c => supervisors_only(c, 200),
            },
        },
        Row {
            name: "POST kiosks",
            expected: |c| match c {
                ClinicAdmin => 201,
                c => supervisors_only(c, 201),
            },
        },
        Row {
            name: "DELETE kiosk",
            expected: |c| match c {
                ClinicAdmin => 204,
                c => supervisors_only(c, 204),
            },
        },
    ]
}

#[tokio::test]
async fn every_admin_endpoint_answers_every_role_as_specified() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let kiosk = app.client(&world.kiosk.token);
    let mut failures = Vec::new();
    let mut n = 0;
    for row in rows() {
        for caller in CALLERS {
            n += 1;
            let (method, path, body) = request_for(&app, &world, row.name, n).await;
            let (status, answer) = app
                .send(client(&world, &app, &kiosk, caller), method, &path, body)
                .await;
            let expected = (row.expected)(caller);
            if status.as_u16() != expected {
                failures.push(format!(
                    "{} as {caller:?}: expected {expected}, got {status} {answer}",
                    row.name
                ));
            } else if !status.is_success() && answer["code"].as_str().is_none() {
                failures.push(format!(
                    "{} as {caller:?}: {status} without a problem code",
                    row.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_supervisor_cannot_create_an_admin_or_a_province() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let sup = &world.supervisor.client;
    let admin =
        json!({"role": "admin", "name": "x", "phone": unique_phone(), "password": PASSWORD});
    let (status, _) = app
        .send(sup, Method::POST, "/api/v1/users", Some(admin))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let province = json!({"code": "360000", "name": "江西省", "level": "province"});
    let (status, _) = app
        .send(sup, Method::POST, "/api/v1/jurisdictions", Some(province))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_hospital_admin_cannot_assign_another_hospitals_physician() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let other_hospital = app
        .organization(
            "泉州医院",
            mobile_api::OrganizationKind::Hospital,
            &world.other_county,
            None,
        )
        .await;
    let stranger = app
        .person(mobile_api::Role::Physician, Some(other_hospital.id), None)
        .await;
    let body = json!({"physician_id": stranger.user.id, "site_id": world.site.id, "program_id": world.program.id,
                      "mode": "circuit", "start_date": "2026-04-01", "end_date": "2026-06-30",
                      "window_start": "08:00", "window_end": "12:00"});
    let result = app
        .send(
            &world.hospital_admin.client,
            Method::POST,
            "/api/v1/assignments",
            Some(body),
        )
        .await;
    assert_problem(result, StatusCode::NOT_FOUND, "not_found");
}

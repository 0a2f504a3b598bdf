//! Complaints (患者投诉) through the real server: recorded by a clinic against its own
//! site, handled by the supervisor, listed by scope with filters, exported as the
//! register with its totals, and audited.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::clinic::Clinic;
use crate::helpers::*;

pub async fn record(
    c: &Clinic,
    by: &mobile_api::client::Client,
    body: Value,
) -> (StatusCode, Value) {
    c.app
        .send(by, Method::POST, "/api/v1/complaints", Some(body))
        .await
}

pub async fn handle(
    c: &Clinic,
    by: &mobile_api::client::Client,
    id: &str,
    body: Value,
) -> (StatusCode, Value) {
    c.app
        .send(
            by,
            Method::POST,
            &format!("/api/v1/complaints/{id}/handling"),
            Some(body),
        )
        .await
}

fn who<'a>(c: &'a Clinic, name: &str) -> &'a mobile_api::client::Client {
    match name {
        "hospital" => &c.world.hospital_admin.client,
        "clinic" => c.clinic(),
        "other_supervisor" => &c.world.other_supervisor.client,
        "other_clinic" => &c.other_clinic_admin.client,
        _ => &c.world.supervisor.client,
    }
}

/// How many complaints `client` lists with `query`.
async fn count(c: &Clinic, client: &mobile_api::client::Client, query: &str) -> usize {
    let path = format!("/api/v1/complaints?{query}");
    let (status, body) = c.app.send(client, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").len()
}

#[tokio::test]
async fn a_complaint_is_recorded_handled_listed_by_scope_and_exported() {
    let c = Clinic::open().await;
    let w = &c.world;
    let body = json!({
        "physician_id": w.physician.user.id,
        "site_id": w.site.id,
        "received_on": "2026-03-01",
        "channel": "hotline_12345",
        "complainant": " 王某 ",
        "content": "接诊时态度生硬",
    });
    // The clinic records against its own site; another clinic and the hospital may not.
    let (status, first) = record(&c, c.clinic(), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "received");
    assert_eq!(first["substantiated"], "undetermined");
    assert_eq!(first["channel_zh"], "12345");
    assert_eq!(first["complainant"], "王某");
    assert_eq!(first["site_name"], "溪南镇卫生院");
    assert_problem(
        record(&c, &c.other_clinic_admin.client, body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        record(&c, &w.hospital_admin.client, body.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Bad input names the field and stores nothing.
    for (field, bad) in [
        ("content", json!({"content": "  "})),
        ("received_on", json!({"received_on": "2026-03-03"})),
        (
            "physician_id",
            json!({"physician_id": w.supervisor.user.id}),
        ),
        ("channel", json!({"channel": "fax"})),
    ] {
        let mut b = body.clone();
        for (k, v) in bad.as_object().expect("object") {
            b[k] = v.clone();
        }
        let problem = assert_problem(
            record(&c, c.clinic(), b).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        );
        assert!(
            problem["detail"].as_str().unwrap_or("").contains(field),
            "{problem}"
        );
    }
    // The supervisor records a second one, by letter, without a complainant.
    let (status, second) = record(
        &c,
        &w.supervisor.client,
        json!({"physician_id": w.physician.user.id, "site_id": w.site.id,
               "received_on": "2026-02-20", "channel": "letter", "content": "未按时出诊"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert!(second["complainant"].is_null());

    // Handling: the supervisor substantiates and closes the first; then it is final.
    let id = first["id"].as_str().expect("id");
    assert_problem(
        handle(
            &c,
            c.clinic(),
            id,
            json!({"status": "closed", "substantiated": "yes", "handling_note": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        handle(
            &c,
            &w.other_supervisor.client,
            id,
            json!({"status": "closed", "substantiated": "yes", "handling_note": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        handle(
            &c,
            &w.supervisor.client,
            id,
            json!({"status": "received", "substantiated": "yes", "handling_note": "x"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    let (status, handled) = handle(
        &c,
        &w.supervisor.client,
        id,
        json!({"status": "closed", "substantiated": "yes", "handling_note": "已约谈，医师书面检讨"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{handled}");
    assert_eq!(
        (
            handled["status"].clone(),
            handled["substantiated_zh"].clone()
        ),
        (json!("closed"), json!("属实"))
    );
    assert_eq!(handled["handled_by"], json!(w.supervisor.user.id));
    assert_problem(
        handle(
            &c,
            &w.supervisor.client,
            id,
            json!({"status": "handling", "substantiated": "no", "handling_note": "改"}),
        )
        .await,
        StatusCode::CONFLICT,
        "complaint_closed",
    );

    // Lists by scope: the hospital reads its physician's, the other county's
    // supervisor and clinic nothing; filters narrow.
    assert_eq!(count(&c, who(&c, "supervisor"), "").await, 2);
    assert_eq!(count(&c, who(&c, "hospital"), "").await, 2);
    assert_eq!(count(&c, who(&c, "clinic"), "").await, 2);
    assert_eq!(count(&c, who(&c, "other_supervisor"), "").await, 0);
    assert_eq!(count(&c, who(&c, "other_clinic"), "").await, 0);
    assert_eq!(count(&c, who(&c, "supervisor"), "status=closed").await, 1);
    assert_eq!(
        count(&c, who(&c, "supervisor"), "from=2026-03-01&to=2026-03-31").await,
        1
    );
    assert_eq!(
        count(
            &c,
            who(&c, "supervisor"),
            &format!("physician_id={}", w.clinic_admin.user.id)
        )
        .await,
        0
    );
    assert_problem(
        c.app
            .send(
                &w.supervisor.client,
                Method::GET,
                "/api/v1/complaints?status=open",
                None,
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // One complaint: the other county's supervisor gets 404; the hospital reads it.
    let one = format!("/api/v1/complaints/{id}");
    assert_eq!(
        c.app
            .send(&w.other_supervisor.client, Method::GET, &one, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, read) = c
        .app
        .send(&w.hospital_admin.client, Method::GET, &one, None)
        .await;
    assert_eq!(
        (status, read["handling_note"].clone()),
        (StatusCode::OK, json!("已约谈，医师书面检讨"))
    );
    // The physician has no business here.
    assert_eq!(
        c.app
            .send(&w.physician.client, Method::GET, "/api/v1/complaints", None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // The register as XLSX: title, headers, two lines and the totals.
    let response = w
        .supervisor
        .client
        .request(Method::GET, "/api/v1/complaints?format=xlsx")
        .send()
        .await
        .expect("xlsx");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = book.worksheet_range("投诉登记表").expect("sheet");
    let cell = |r: u32, col: u32| sheet.get_value((r, col)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 0), Data::String("患者投诉登记表".into()));
    assert_eq!(cell(2, 0), Data::String("受理日期".into()));
    assert_eq!(cell(2, 10), Data::String("件数".into()));
    assert_eq!(cell(3, 4), Data::String("12345".into()));
    assert_eq!(cell(5, 0), Data::String("合计".into()));
    assert_eq!(cell(5, 10), Data::Float(2.0));
    assert_eq!(cell(5, 11), Data::Float(1.0));

    // Both writes and the handling are in the audit chain.
    let (status, audit) = c
        .app
        .send(
            &c.app.admin,
            Method::GET,
            "/api/v1/audit?object_type=complaint",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "complaint.create").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"complaint.handle"), "{actions:?}");
}

//! Service endpoints, the OpenAPI document, error shape, body limits, migrations.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_does() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send(&app.anonymous, Method::GET, "/healthz", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.send(&app.anonymous, Method::GET, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database_ok"], true);
    let expected = if app.db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .anonymous
        .request(Method::GET, "/healthz")
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let response = app
        .anonymous
        .request(Method::GET, "/healthz")
        .send()
        .await
        .expect("answers");
    let generated = response.headers()["x-request-id"].to_str().expect("ascii");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
}

#[tokio::test]
async fn unknown_paths_are_problem_documents() {
    let app = TestApp::spawn().await;
    let response = app
        .anonymous
        .request(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(70 * 1024);
    let result = app
        .send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"phone": big, "password": "p"})),
        )
        .await;
    assert_problem(result, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn malformed_json_is_a_400_invalid_request() {
    let app = TestApp::spawn().await;
    let response = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body("{\"phone\": ")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "invalid_request");
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named_in_the_detail() {
    let app = TestApp::spawn().await;
    let body = assert_problem(
        app.send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"phone": 13800000000u64, "password": "x"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["detail"].as_str().unwrap_or("").contains("phone"),
        "{body}"
    );
    let body = assert_problem(
        app.send(
            &app.anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"phone": "13800000000"})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["detail"].as_str().unwrap_or("").contains("password"),
        "{body}"
    );
}

#[tokio::test]
async fn the_served_openapi_document_matches_the_checked_in_one() {
    let app = TestApp::spawn().await;
    let (status, served) = app
        .send(&app.anonymous, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(served["openapi"].as_str().unwrap_or("").starts_with("3."));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/openapi.json");
    let generated = serde_json::to_string_pretty(&xiaxiang_server::http::openapi_document())
        .expect("serialises")
        + "\n";
    if std::env::var("XIAXIANG_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write schemas/openapi.json");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schemas/openapi.json is stale: run `XIAXIANG_UPDATE_OPENAPI=1 cargo test -p xiaxiang-tests --test api openapi`"
    );
    let checked_in: serde_json::Value = serde_json::from_str(&checked_in).expect("json");
    assert_eq!(served, checked_in);
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract_paths() {
    let doc = serde_json::to_value(xiaxiang_server::http::openapi_document()).expect("json");
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/jurisdictions",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/users",
        "/api/v1/programs",
        "/api/v1/assignments",
        "/api/v1/organizations/{id}/kiosks",
        "/api/v1/kiosks/{kiosk_id}",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
}

#[tokio::test]
async fn migrations_are_applied_once_and_survive_a_restart() {
    let mut app = TestApp::spawn().await;
    let store = xiaxiang_server::store::Store::connect(&app.db.url(), 2)
        .await
        .expect("connects");
    let (shipped, _) = xiaxiang_server::store::shipped_migrations();
    assert_eq!(store.applied_migrations().await.expect("reads"), shipped);
    store.close().await;
    app.restart().await;
    let (status, _) = app
        .send(&app.admin, Method::GET, "/api/v1/jurisdictions", None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Every operation of the document lists what the middleware, the token check and the
/// body extractors answer (the common answers of `http::openapi::CommonResponses`),
/// and every parameter is where the server reads it.
#[tokio::test]
async fn the_openapi_document_lists_the_common_answers_of_every_operation() {
    let doc = serde_json::to_value(xiaxiang_server::http::openapi_document()).expect("json");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let responses = op["responses"].as_object().expect("responses");
            let has = |status: &str| responses.contains_key(status);
            assert!(has("503"), "{method} {path}: no 503");
            let authenticated = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if authenticated {
                assert!(has("401") && has("403"), "{method} {path}: no 401/403");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(has(status), "{method} {path}: body but no {status}");
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap_or("");
                match param["in"].as_str() {
                    Some("path") => assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: `{name}` is no path parameter"
                    ),
                    Some("query") => {}
                    other => panic!("{method} {path}: `{name}` in {other:?}"),
                }
            }
        }
    }
    assert!(operations > 100, "{operations} operations");
}

/// The bounds the document gives for `limit` are the ones the server enforces:
/// the documented maximum is answered, one past it and zero are 400s.
#[tokio::test]
async fn the_openapi_document_page_limits_are_the_servers() {
    let app = TestApp::spawn().await;
    let doc = serde_json::to_value(xiaxiang_server::http::openapi_document()).expect("json");
    let mut checked = 0;
    for path in [
        "/api/v1/jurisdictions",
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/anomalies",
        "/api/v1/audit",
    ] {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let limit = params
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap_or_else(|| panic!("{path}: no limit"));
        assert_eq!(limit["in"], "query", "{path}");
        assert_eq!(limit["schema"]["minimum"], 1, "{path}");
        let max = limit["schema"]["maximum"].as_u64().expect("maximum");
        assert_eq!(
            max,
            u64::from(xiaxiang_server::http::MAX_PAGE_SIZE),
            "{path}"
        );
        for (value, expected) in [
            (max, StatusCode::OK),
            (max + 1, StatusCode::BAD_REQUEST),
            (0, StatusCode::BAD_REQUEST),
        ] {
            let (status, body) = app
                .send(
                    &app.admin,
                    Method::GET,
                    &format!("{path}?limit={value}"),
                    None,
                )
                .await;
            assert_eq!(status, expected, "{path}?limit={value}: {body}");
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
    // The administrative code of the path is 6 digits, as documented.
    let code = &doc["paths"]["/api/v1/jurisdictions/{code}"]["get"]["parameters"][0];
    // (`\s` spelled out as what the server trims, server::http::openapi::WHITESPACE.)
    let ws =
        "[\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
    assert_eq!(code["schema"]["pattern"], format!("^{ws}*[0-9]{{6}}{ws}*$"));
    let (status, _) = app
        .send(&app.admin, Method::GET, "/api/v1/jurisdictions/0", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// An empty `cursor=` is the first page, as an empty filter is no filter (the
/// document's cursor is any string; schemathesis sends `cursor=`), on every kind of
/// cursor the lists use; a cursor the server did not issue is still a 400.
#[tokio::test]
async fn an_empty_cursor_is_the_first_page_of_every_list() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/jurisdictions",
        "/api/v1/organizations",
        "/api/v1/programs",
        "/api/v1/users",
        "/api/v1/physicians",
        "/api/v1/assignments",
        "/api/v1/anomalies",
        "/api/v1/visits",
        "/api/v1/inspections",
        "/api/v1/audit",
    ] {
        let (first, _) = app.send(&app.admin, Method::GET, path, None).await;
        assert_eq!(first, StatusCode::OK, "{path}");
        let (status, body) = app
            .send(&app.admin, Method::GET, &format!("{path}?cursor="), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}?cursor=: {body}");
        let (status, body) = app
            .send(
                &app.admin,
                Method::GET,
                &format!("{path}?cursor=%21%21"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?cursor=!!: {body}");
        assert_eq!(body["code"], "invalid_request", "{path}");
    }
}

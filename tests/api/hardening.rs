//! Abuse limits through the real server: per-account and per-address rate limits on
//! check-in and login (429 with `Retry-After`), JSON depth and body size limits, and
//! graceful shutdown of a real process on SIGTERM.

use mobile_api::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::checkin::{Desk, accepted, refused};
use crate::helpers::*;
use crate::process::{ServerProcess, env_of};

/// Asserts a 429 with `code` and a `Retry-After` of one minute at most.
async fn assert_throttled(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/problem+json")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], code, "{body}");
}

async fn post_check_in(desk: &Desk, body: &Value) -> reqwest::Response {
    desk.world
        .physician
        .client
        .request(Method::POST, "/api/v1/attendance/check-in")
        .json(body)
        .send()
        .await
        .expect("answers")
}

#[tokio::test]
async fn check_ins_past_the_per_account_limit_answer_429_rate_limited() {
    let desk = Desk::open_with(|c| c.rate_checkin_per_account = 2).await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    refused(
        desk.check_in(&desk.request(&desk.next_code().await)).await,
        "already_checked_in",
    );
    // The third within the minute is refused before it is judged or stored.
    let third = desk.request(&desk.next_code().await);
    assert_throttled(post_check_in(&desk, &third).await, "rate_limited").await;
    // Check-out shares the physician's budget.
    let (status, body) = desk.check_out(&desk.request(&desk.next_code().await)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Nothing of the throttled attempts was stored: one visit, still open.
    let visits = desk.visits().await;
    assert_eq!(visits.len(), 1);
    assert!(visits[0].checked_out_at.is_none());
}

#[tokio::test]
async fn check_ins_past_the_per_address_limit_answer_429_for_every_account() {
    let desk = Desk::open_with(|c| {
        c.rate_checkin_per_ip = 3;
        c.rate_checkin_per_account = 100;
    })
    .await;
    accepted(desk.check_in(&desk.request(&desk.code().await)).await);
    for _ in 0..2 {
        refused(
            desk.check_in(&desk.request(&desk.next_code().await)).await,
            "already_checked_in",
        );
    }
    assert_throttled(
        post_check_in(&desk, &desk.request(&desk.next_code().await)).await,
        "rate_limited",
    )
    .await;
    // Another physician from the same address is throttled too: the limit is the address's.
    let other = desk
        .app
        .person(Role::Physician, Some(desk.world.hospital.id), None)
        .await;
    let response = other
        .client
        .request(Method::POST, "/api/v1/attendance/presence")
        .json(&desk.request(&desk.next_code().await))
        .send()
        .await
        .expect("answers");
    assert_throttled(response, "rate_limited").await;
}

#[tokio::test]
async fn login_attempts_past_the_per_address_limit_answer_429_even_with_the_right_password() {
    let app = TestApp::builder()
        .config(|c| {
            c.rate_login_per_ip = 3;
            c.login_max_failures_per_ip = 100;
        })
        .spawn()
        .await;
    let admin = app.config.bootstrap_admin.clone().expect("bootstrap admin");
    let body = json!({"phone": admin.phone, "password": admin.password});
    // Spawning logged the admin in once; two more attempts fit in the minute.
    for _ in 0..2 {
        let (status, answer) = app
            .send(
                &app.anonymous,
                Method::POST,
                "/api/v1/auth/login",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let response = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_throttled(response, "too_many_attempts").await;
    // No proxy is trusted: a forwarded address changes nothing.
    let forged = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", "198.51.100.7")
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_throttled(forged, "too_many_attempts").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_logins_count_against_the_forwarded_client_address() {
    let app = TestApp::builder()
        .config(|c| {
            c.rate_login_per_ip = 2;
            c.login_max_failures_per_ip = 100;
            // The tests connect from 127.0.0.1: here that is the proxy.
            c.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network")];
        })
        .spawn()
        .await;
    let admin = app.config.bootstrap_admin.clone().expect("bootstrap admin");
    let body = json!({"phone": admin.phone, "password": admin.password});
    let login_from = |forwarded_for: &'static str| {
        app.anonymous
            .request(Method::POST, "/api/v1/auth/login")
            .header("x-forwarded-for", forwarded_for)
            .json(&body)
            .send()
    };
    for _ in 0..2 {
        let response = login_from("198.51.100.7").await.expect("answers");
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_throttled(
        login_from("198.51.100.7").await.expect("answers"),
        "too_many_attempts",
    )
    .await;
    // Another client behind the same proxy has a count of its own.
    let other = login_from("203.0.113.9").await.expect("answers");
    assert_eq!(other.status(), StatusCode::OK);
    // A client cannot escape by prepending an address: the proxy's hop is what counts.
    assert_throttled(
        login_from("192.0.2.55, 198.51.100.7")
            .await
            .expect("answers"),
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn a_deeply_nested_body_is_a_400_naming_the_depth() {
    let app = TestApp::spawn().await;
    let nested = format!(
        r#"{{"phone":"13800000000","password":"x","device_id":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    let response = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .expect("answers");
    let result = (
        response.status(),
        response.json::<Value>().await.expect("problem"),
    );
    let problem = assert_problem(result, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("depth"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let body = json!({"phone": "13800000000", "password": "p".repeat(70 * 1024)});
    let response = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/problem+json")
    );
    let result = (
        response.status(),
        response.json::<Value>().await.expect("problem"),
    );
    assert_problem(result, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

/// How many requests the process is serving now, from its own `/metrics` (this scrape
/// included).
async fn in_flight(process: &ServerProcess) -> u64 {
    let text = reqwest::get(format!("{}/metrics", process.address))
        .await
        .expect("scrape answers")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("xiaxiang_http_requests_in_flight "))
        .and_then(|value| value.trim().parse().ok())
        .expect("in-flight gauge")
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_login_finish_then_exits_zero_and_refuses_connections() {
    let app = TestApp::builder().at(chrono::Utc::now()).spawn().await;
    let log = std::env::temp_dir().join(format!("xiaxiang-sigterm-{}.log", uuid::Uuid::new_v4()));
    // Costly password hashing in the process, so a login takes a while there.
    let mut env = env_of(&app);
    env.retain(|(name, _)| !name.starts_with("CHECKIN_ARGON2_"));
    env.push(("CHECKIN_ARGON2_MEMORY_KIB".into(), "32768".into()));
    env.push(("CHECKIN_ARGON2_ITERATIONS".into(), "16".into()));
    let mut process = ServerProcess::start(&env, &log).await;
    // A user created through the process gets the process's costly hash.
    let phone = unique_phone();
    let password = "a-slow-password-1";
    let (status, created) = app
        .send(
            &process.client(app.admin.token().expect("admin token")),
            Method::POST,
            "/api/v1/users",
            Some(
                json!({"role": "admin", "name": "慢管理员", "phone": phone, "password": password}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let address = process.address.clone();
    let login = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{address}/api/v1/auth/login"))
            .json(&json!({"phone": phone, "password": password}))
            .send()
            .await
    });
    // Wait until the login is being served (the scrape itself is the other one).
    let mut polls = 0;
    while in_flight(&process).await < 2 {
        polls += 1;
        assert!(polls < 2000, "the login never showed as in flight");
        assert!(
            !login.is_finished(),
            "the login finished before it was seen in flight"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let status = process.terminate().await;
    let response = login
        .await
        .expect("task")
        .expect("the in-flight login is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.expect("tokens");
    assert!(tokens["access_token"].is_string());
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", process.address))
        .send()
        .await;
    assert!(
        refused.as_ref().is_err_and(reqwest::Error::is_connect),
        "a new connection after shutdown: {refused:?}"
    );
    let _ = std::fs::remove_file(&log);
}

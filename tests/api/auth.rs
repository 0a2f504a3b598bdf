//! Login, refresh rotation, logout, rate limits and token tampering.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

async fn physician(app: &TestApp) -> (String, User) {
    app.jurisdiction("350000", "福建省", JurisdictionLevel::Province, None)
        .await;
    let org = app
        .organization("医院", OrganizationKind::Hospital, "350000", None)
        .await;
    let phone = unique_phone();
    let user = app
        .admin
        .create_user(&CreateUser {
            role: Role::Physician,
            name: "张医生".into(),
            phone: phone.clone(),
            password: PASSWORD.into(),
            organization_id: Some(org.id),
            jurisdiction_code: None,
            title: Some("主治医师".into()),
            specialty: Some("内科".into()),
            gender: Some(Gender::Male),
            discipline: None,
            practice_since_year: None,
        })
        .await
        .expect("created");
    app.set_own_password(&phone, PASSWORD).await;
    (phone, user)
}

fn login_body(phone: &str, password: &str) -> LoginRequest {
    LoginRequest {
        phone: phone.into(),
        password: password.into(),
        device_id: None,
    }
}

#[tokio::test]
async fn login_answers_tokens_and_the_user() {
    let app = TestApp::spawn().await;
    let (phone, user) = physician(&app).await;
    let tokens = app
        .anonymous
        .login(&login_body(&phone, PASSWORD))
        .await
        .expect("login");
    assert_eq!(tokens.user.id, user.id);
    assert_eq!(tokens.user.role, Role::Physician);
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0 && !tokens.refresh_token.is_empty());
    let me = app
        .client(&tokens.access_token)
        .get_user(user.id)
        .await
        .expect("reads self");
    assert_eq!(me.phone, phone);
}

#[tokio::test]
async fn wrong_password_and_unknown_phone_answer_alike() {
    let app = TestApp::spawn().await;
    let (phone, _) = physician(&app).await;
    let wrong = app
        .anonymous
        .login(&login_body(&phone, "not-the-password"))
        .await
        .unwrap_err();
    let unknown = app
        .anonymous
        .login(&login_body(&unique_phone(), PASSWORD))
        .await
        .unwrap_err();
    for error in [&wrong, &unknown] {
        assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(error.code(), Some("invalid_credentials"));
    }
    assert_eq!(wrong.to_string(), unknown.to_string());
}

#[tokio::test]
async fn repeated_failures_for_a_phone_are_throttled_with_retry_after() {
    let app = TestApp::spawn().await;
    let (phone, _) = physician(&app).await;
    for _ in 0..5 {
        let error = app
            .anonymous
            .login(&login_body(&phone, "wrong-password"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("invalid_credentials"));
    }
    let response = app
        .anonymous
        .request(Method::POST, "/api/v1/auth/login")
        .json(&login_body(&phone, PASSWORD))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "too_many_attempts");
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_phones() {
    let app = TestApp::builder()
        .config(|c| c.login_max_failures_per_ip = 3)
        .spawn()
        .await;
    for _ in 0..3 {
        let error = app
            .anonymous
            .login(&login_body(&unique_phone(), "whatever-pass"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("invalid_credentials"));
    }
    let error = app
        .anonymous
        .login(&login_body(&unique_phone(), "whatever-pass"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("too_many_attempts"));
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_replay_revokes_the_family() {
    let app = TestApp::spawn().await;
    let (phone, _) = physician(&app).await;
    let first = app
        .anonymous
        .login(&login_body(&phone, PASSWORD))
        .await
        .expect("login");
    let second = app
        .anonymous
        .refresh(&first.refresh_token)
        .await
        .expect("first use works");
    assert_ne!(second.refresh_token, first.refresh_token);
    let replay = app
        .anonymous
        .refresh(&first.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(replay.status(), Some(StatusCode::UNAUTHORIZED));
    // The replay revoked the whole family, including the token handed out in between.
    let after = app
        .anonymous
        .refresh(&second.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(after.code(), Some("invalid_token"));
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_family() {
    let app = TestApp::spawn().await;
    let (phone, _) = physician(&app).await;
    let tokens = app
        .anonymous
        .login(&login_body(&phone, PASSWORD))
        .await
        .expect("login");
    app.anonymous
        .logout(&tokens.refresh_token)
        .await
        .expect("logout");
    let error = app
        .anonymous
        .refresh(&tokens.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("invalid_token"));
}

#[tokio::test]
async fn an_access_token_expires_on_the_servers_clock() {
    let app = TestApp::spawn().await;
    let (phone, user) = physician(&app).await;
    let tokens = app
        .anonymous
        .login(&login_body(&phone, PASSWORD))
        .await
        .expect("login");
    let client = app.client(&tokens.access_token);
    client.get_user(user.id).await.expect("fresh token works");
    app.clock
        .advance(Duration::seconds(tokens.expires_in as i64 + 1));
    let error = client.get_user(user.id).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(error.code(), Some("invalid_token"));
}

fn claims(app: &TestApp, user: &User, aud: &str, exp_offset: i64) -> Value {
    let now = app.clock_now();
    json!({
        "sub": user.id, "role": "admin", "iss": "xiaxiang", "aud": aud,
        "iat": now, "exp": now + exp_offset, "jti": Uuid::new_v4(),
    })
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for TestApp {
    fn clock_now(&self) -> i64 {
        use xiaxiang_server::domain::clock::Clock;
        self.clock.now().timestamp()
    }
}

fn sign(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("signs")
}

async fn status_with_token(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.send(
        &app.client(token),
        Method::GET,
        "/api/v1/jurisdictions",
        None,
    )
    .await
}

#[tokio::test]
async fn tampered_tokens_are_refused_with_401() {
    let app = TestApp::spawn().await;
    let (_, user) = physician(&app).await;
    let good = sign(&app.jwt_secret, &claims(&app, &user, "xiaxiang-api", 600));
    let (status, _) = status_with_token(&app, &good).await;
    assert_eq!(status, StatusCode::OK, "the control token must work");

    let cases: Vec<(&str, String)> = vec![
        (
            "wrong key",
            sign(
                "another-secret-that-is-long-enough-1234",
                &claims(&app, &user, "xiaxiang-api", 600),
            ),
        ),
        (
            "wrong audience",
            sign(&app.jwt_secret, &claims(&app, &user, "someone-else", 600)),
        ),
        (
            "expired",
            sign(&app.jwt_secret, &claims(&app, &user, "xiaxiang-api", -10)),
        ),
        ("alg none", {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let body = URL_SAFE_NO_PAD.encode(claims(&app, &user, "xiaxiang-api", 600).to_string());
            format!("{header}.{body}.")
        }),
        ("payload swapped under a valid signature", {
            let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
            let mut forged = claims(&app, &user, "xiaxiang-api", 600);
            forged["sub"] = json!(Uuid::new_v4());
            parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
            parts.join(".")
        }),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (name, token) in cases {
        let (status, body) = status_with_token(&app, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["code"], "invalid_token", "{name}");
    }
    let (status, body) = app
        .send(&app.anonymous, Method::GET, "/api/v1/jurisdictions", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn the_bootstrap_admin_is_created_once() {
    let mut app = TestApp::spawn().await;
    app.restart().await;
    // Still exactly one admin able to log in; a restart did not fail on the existing phone.
    let (status, _) = app
        .send(&app.admin, Method::GET, "/api/v1/jurisdictions", None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

//! The physician's mobile page (医师手机签到页) at `/m/`: one static page over the JSON
//! API, and the QR decoder it falls back to where the browser has no `BarcodeDetector`.

use std::sync::OnceLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::http::inline_page::{inline_block, sha256_source};
use crate::state::AppState;

/// The page: inline CSS and JS only; it keeps its tokens, its device id and its queue of
/// offline scans in `localStorage` and talks to the API of the server that served it.
const MOBILE_PAGE: &str = include_str!("mobile_page.html");

/// jsQR 1.4.0 (Apache-2.0), vendored unchanged: see `server/static/vendor/jsqr/README.md`.
const JSQR: &str = include_str!("../../static/vendor/jsqr/jsQR.js");

/// The page uses the camera and the position, nothing else, and only for itself.
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// The routes of the page. None is in the OpenAPI document: they are a page and its
/// one script, not the API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/m", get(|| async { Redirect::permanent("/m/") }))
        .route("/m/", get(page))
        .route("/m/vendor/jsQR.js", get(jsqr))
}

/// `GET /m/`: the physician's page.
pub async fn page() -> Response {
    let headers = [
        (
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (CONTENT_SECURITY_POLICY, content_security_policy().clone()),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            PERMISSIONS_POLICY,
            HeaderValue::from_static("camera=(self), geolocation=(self), microphone=()"),
        ),
    ];
    (headers, MOBILE_PAGE).into_response()
}

/// `GET /m/vendor/jsQR.js`: the QR decoder, loaded by the page only when it needs it.
pub async fn jsqr() -> Response {
    let headers = [
        (
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        ),
        // The file changes only with a new server build; a day's caching saves a
        // village phone 250 KB per scan without keeping an old copy for long.
        (
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, JSQR).into_response()
}

/// The policy: the page's own inline script and style pinned by hash, scripts of this
/// origin (the vendored decoder; API answers are JSON, which `nosniff` never runs),
/// fetches to this origin, and nothing else.
fn content_security_policy() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let script = inline_block(MOBILE_PAGE, "script").map_or_else(String::new, sha256_source);
        let style = inline_block(MOBILE_PAGE, "style").map_or_else(String::new, sha256_source);
        let policy = format!(
            "default-src 'none'; script-src {script} 'self'; style-src {style}; \
             img-src data: blob:; media-src blob: mediastream:; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        );
        // The policy is ASCII by construction (keywords and base64).
        HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_but_the_vendored_decoder() {
        for external in [
            "<script src",
            "href=\"http",
            "src=\"http",
            "url(",
            "@import",
            "<link",
            "<iframe",
        ] {
            assert!(
                !MOBILE_PAGE.contains(external),
                "the mobile page must not load {external:?}"
            );
        }
        assert!(MOBILE_PAGE.contains("'/m/vendor/jsQR.js'"));
        assert_eq!(
            MOBILE_PAGE.matches("<script>").count(),
            1,
            "one inline script"
        );
        assert_eq!(
            MOBILE_PAGE.matches("<style>").count(),
            1,
            "one inline style"
        );
        assert!(
            !MOBILE_PAGE.contains("innerHTML"),
            "text goes in through textContent"
        );
    }

    #[test]
    fn the_policy_pins_the_inline_script_and_style_by_hash() {
        let policy = content_security_policy()
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
        let script = inline_block(MOBILE_PAGE, "script").expect("script");
        assert!(policy.contains(&format!("script-src {} 'self'", sha256_source(script))));
        let style = inline_block(MOBILE_PAGE, "style").expect("style");
        assert!(policy.contains(&format!("style-src {};", sha256_source(style))));
    }

    #[test]
    fn every_refusal_code_of_the_contract_is_explained_in_both_languages() {
        let script = inline_block(MOBILE_PAGE, "script").expect("script");
        for code in [
            "code_invalid",
            "code_expired",
            "code_reused",
            "wrong_site",
            "no_assignment",
            "outside_window",
            "outside_geofence",
            "poor_accuracy",
            "no_open_visit",
            "already_checked_in",
        ] {
            let entry = format!("    {code}: ['");
            let line = script
                .lines()
                .find(|line| line.starts_with(&entry))
                .unwrap_or_else(|| panic!("no words for {code}"));
            // ['中文', 'English'] on one line.
            assert!(line.contains("', '") || line.contains("', \""), "{line}");
            assert!(
                line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{line}"
            );
        }
    }

    #[test]
    fn every_activity_kind_can_be_logged() {
        for kind in [
            "outpatient",
            "inpatient",
            "ward_round",
            "teaching",
            "lecture",
            "case_discussion",
            "training",
            "surgery",
            "teleconsultation",
            "health_education",
        ] {
            assert!(
                MOBILE_PAGE.contains(&format!("'{kind}'")),
                "activity kind {kind} missing"
            );
        }
    }

    #[test]
    fn the_decoder_is_the_vendored_jsqr_bundle() {
        assert!(JSQR.starts_with("(function webpackUniversalModuleDefinition(root, factory) {"));
        assert!(JSQR.contains("root[\"jsQR\"] = factory();"));
    }
}

//! The physician's mobile page (医师手机签到页) at `/m/`: the second entry of `web/`
//! (built into `web/dist/m/` and embedded with the console), its service worker and
//! web app manifest, and the QR decoder it falls back to where the browser has no
//! `BarcodeDetector`.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::http::console_assets::{Dist, content_type, missing_build, tile_source};
use crate::state::AppState;

/// jsQR 1.4.0 (Apache-2.0), vendored unchanged: see `server/static/vendor/jsqr/README.md`.
const JSQR: &str = include_str!("../../static/vendor/jsqr/jsQR.js");

/// The page uses the camera and the position, nothing else, and only for itself.
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// The routes of the page. None is in the OpenAPI document: they are a page, its
/// assets and its worker, not the API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/m", get(|| async { Redirect::permanent("/m/") }))
        .route("/m/", get(page))
        .route(
            "/m/index.html",
            get(|| async { Redirect::permanent("/m/") }),
        )
        .route("/m/assets/{*path}", get(asset))
        .route("/m/sw.js", get(service_worker))
        .route("/m/manifest.webmanifest", get(manifest))
        .route("/m/icon.svg", get(icon))
        .route("/m/vendor/jsQR.js", get(jsqr))
}

/// `GET /m/`: the physician's page. Never cached by HTTP (it names the current hashed
/// assets); the service worker keeps its own copy for opening offline.
pub async fn page() -> Response {
    match Dist::get("m/index.html") {
        Some(file) => respond(file.data, "text/html; charset=utf-8", "no-cache"),
        None => missing_build(),
    }
}

/// `GET /m/assets/{*path}`: one hashed asset of the page, immutable.
pub async fn asset(Path(path): Path<String>) -> Response {
    // rust-embed looks names up in its own table: `..` or an absolute path finds nothing.
    match Dist::get(&format!("m/assets/{path}")) {
        Some(file) => respond(
            file.data,
            content_type(&path),
            "public, max-age=31536000, immutable",
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /m/sw.js`: the service worker. `no-cache` so a new server's worker is found at
/// the browser's next update check (browsers cap a worker's HTTP caching at a day anyway).
pub async fn service_worker() -> Response {
    match Dist::get("m/sw.js") {
        Some(file) => respond(file.data, "text/javascript; charset=utf-8", "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /m/manifest.webmanifest`: what an installed page is called and how it opens.
pub async fn manifest() -> Response {
    match Dist::get("m/manifest.webmanifest") {
        Some(file) => respond(file.data, "application/manifest+json", "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /m/icon.svg`: the installed page's icon.
pub async fn icon() -> Response {
    match Dist::get("m/icon.svg") {
        Some(file) => respond(file.data, "image/svg+xml", "public, max-age=86400"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
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

fn respond(body: Cow<'static, [u8]>, content_type: &'static str, cache: &'static str) -> Response {
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (CACHE_CONTROL, HeaderValue::from_static(cache)),
        (CONTENT_SECURITY_POLICY, content_security_policy().clone()),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            PERMISSIONS_POLICY,
            HeaderValue::from_static("camera=(self), geolocation=(self), microphone=()"),
        ),
    ];
    (headers, body).into_response()
}

/// The policy: scripts and styles of this origin only (no inline script), the camera's
/// stream and frames as `blob:`/`mediastream:`, fetches and the worker from this origin.
/// The map draws no tiles by default; an operator's base map (`CHECKIN_MAP_TILE_URL`)
/// adds its tile server to `img-src`, as on the console.
fn content_security_policy() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let tiles = std::env::var("CHECKIN_MAP_TILE_URL")
            .ok()
            .and_then(|url| tile_source(&url));
        HeaderValue::from_str(&policy(tiles.as_deref()))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    })
}

fn policy(tiles: Option<&str>) -> String {
    let tiles = tiles.map(|t| format!(" {t}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; \
         img-src 'self' data: blob:{tiles}; media-src blob: mediastream:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded(path: &str) -> String {
        let file = Dist::get(path).unwrap_or_else(|| panic!("web/dist/{path} is embedded"));
        String::from_utf8(file.data.into_owned()).expect("utf-8")
    }

    #[test]
    fn the_page_loads_only_its_own_hashed_assets() {
        let html = embedded("m/index.html");
        assert!(html.contains("src=\"/m/assets/"), "{html}");
        assert!(html.contains("href=\"/m/manifest.webmanifest\""), "{html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
        assert!(!html.contains("<style"), "no inline style: {html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no other origin: {html}"
        );
        let named: Vec<&str> = html
            .split("/m/assets/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!named.is_empty());
        for name in named {
            assert!(Dist::get(&format!("m/assets/{name}")).is_some(), "{name}");
        }
    }

    #[test]
    fn the_worker_and_the_manifest_are_embedded() {
        let sw = embedded("m/sw.js");
        assert!(sw.contains("/m/"), "the worker caches the page");
        let manifest: serde_json::Value =
            serde_json::from_str(&embedded("m/manifest.webmanifest")).expect("json");
        assert_eq!(manifest["scope"], "/m/");
        assert_eq!(manifest["start_url"], "/m/");
    }

    #[test]
    fn the_policy_allows_nothing_inline_and_no_other_origin() {
        let policy = policy(None);
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
        assert!(policy.contains("worker-src 'self'"), "{policy}");
        assert!(!policy.contains('*'), "{policy}");
    }

    #[test]
    fn a_configured_base_map_adds_only_its_tile_server_to_img_src() {
        let policy = policy(Some("https://*.tianditu.gov.cn"));
        assert!(
            policy.contains("img-src 'self' data: blob: https://*.tianditu.gov.cn;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
    }

    #[test]
    fn the_decoder_is_the_vendored_jsqr_bundle() {
        assert!(JSQR.starts_with("(function webpackUniversalModuleDefinition(root, factory) {"));
        assert!(JSQR.contains("root[\"jsQR\"] = factory();"));
    }
}

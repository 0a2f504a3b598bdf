//! The supervisor console's front-end: the Vue application built from `web/` into
//! `web/dist/` and embedded in the binary at compile time (debug builds too), so the
//! server needs neither Node nor the files on disk at run time.
//!
//! `/console/` answers the index (never cached: it names the current hashed assets),
//! `/console/assets/*` the hashed files (cached for a year), and `/console` redirects to
//! `/console/`. Every answer carries the console's strict policy: scripts and styles
//! from this origin only, no inline script, fetches to this origin only.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::Embed;

/// `web/dist/`: the console at its root, the phone page under `m/` (see `mobile.rs`).
#[derive(Embed)]
#[folder = "../web/dist/"]
pub(crate) struct Dist;

/// Scripts, styles, fonts and images from this origin only; `data:` images for the
/// few icons Element Plus's stylesheet inlines, `blob:` images for the scan photos the
/// console fetches with its token (same-origin object URLs). The map draws no tiles by default, so
/// no other origin is needed; an operator's base map (`CHECKIN_MAP_TILE_URL`) adds its
/// tile server to `img-src`, and nothing else.
fn content_security_policy() -> &'static HeaderValue {
    static CSP: OnceLock<HeaderValue> = OnceLock::new();
    CSP.get_or_init(|| {
        let tiles = std::env::var("CHECKIN_MAP_TILE_URL")
            .ok()
            .and_then(|url| tile_source(&url));
        let policy = policy_with_tiles(tiles.as_deref());
        HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(BASE_POLICY))
    })
}

const BASE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

fn policy_with_tiles(tiles: Option<&str>) -> String {
    match tiles {
        Some(source) => BASE_POLICY.replacen(
            "img-src 'self' data: blob:",
            &format!("img-src 'self' data: blob: {source}"),
            1,
        ),
        None => BASE_POLICY.to_owned(),
    }
}

/// The CSP source of a tile URL template: its scheme and host, a templated label
/// (`t{s}.example.cn`) widened to `*`. None for anything that is not http(s).
pub(crate) fn tile_source(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let host: Vec<String> = host
        .split('.')
        .map(|label| {
            if label.contains('{') {
                "*".to_owned()
            } else {
                label.to_owned()
            }
        })
        .collect();
    let host = host.join(".");
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | ':'));
    valid.then(|| format!("{scheme}://{host}"))
}

/// `GET /console`: the application lives at `/console/` (its assets are named from there).
pub async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

/// `GET /console/`: the application's index.
pub async fn index() -> Response {
    match Dist::get("index.html") {
        Some(file) => respond(file.data, "text/html; charset=utf-8", "no-cache"),
        None => missing_build(),
    }
}

/// `GET /console/assets/{*path}`: one hashed asset, immutable.
pub async fn asset(Path(path): Path<String>) -> Response {
    // rust-embed looks names up in its own table: `..` or an absolute path finds nothing.
    match Dist::get(&format!("assets/{path}")) {
        Some(file) => respond(
            file.data,
            content_type(&path),
            "public, max-age=31536000, immutable",
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn respond(body: Cow<'static, [u8]>, content_type: &'static str, cache: &'static str) -> Response {
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (CACHE_CONTROL, HeaderValue::from_static(cache)),
        (CONTENT_SECURITY_POLICY, content_security_policy().clone()),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    (headers, body).into_response()
}

/// A binary built from a tree without `web/dist/index.html` (it is committed, so this
/// means a broken checkout): say so instead of a blank page.
pub(crate) fn missing_build() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "The console was built without web/dist; run `cd web && npm ci && npm run build`.",
    )
        .into_response()
}

/// The media type of what Vite emits; anything else is served as opaque bytes.
pub(crate) fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("webmanifest") => "application/manifest+json",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("json") => "application/json",
        Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_embedded_and_loads_nothing_inline_or_foreign() {
        let index = Dist::get("index.html").expect("web/dist/index.html is embedded");
        let html = std::str::from_utf8(&index.data).expect("utf-8");
        assert!(html.contains("src=\"/console/assets/"), "{html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
        assert!(!html.contains("<style"), "no inline style: {html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no other origin: {html}"
        );
    }

    #[test]
    fn every_asset_the_index_names_is_embedded() {
        let index = Dist::get("index.html").expect("index");
        let html = std::str::from_utf8(&index.data).expect("utf-8");
        let named: Vec<&str> = html
            .split("/console/assets/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!named.is_empty());
        for name in named {
            assert!(Dist::get(&format!("assets/{name}")).is_some(), "{name}");
        }
    }

    #[test]
    fn the_policy_allows_nothing_inline_and_no_other_origin() {
        let policy = policy_with_tiles(None);
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        assert!(policy.contains("default-src 'none'"));
        assert!(policy.contains("script-src 'self'"));
        assert!(policy.contains("connect-src 'self'"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_configured_base_map_adds_only_its_tile_server_to_img_src() {
        assert_eq!(
            tile_source(
                "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
            ),
            Some("https://*.tianditu.gov.cn".to_owned())
        );
        assert_eq!(
            tile_source("http://10.0.0.5:8081/tiles/{z}/{x}/{y}.png"),
            Some("http://10.0.0.5:8081".to_owned())
        );
        assert_eq!(tile_source("javascript:alert(1)"), None);
        assert_eq!(tile_source("https://evil.example'; script-src *"), None);
        let policy = policy_with_tiles(Some("https://*.tianditu.gov.cn"));
        assert!(
            policy.contains("img-src 'self' data: blob: https://*.tianditu.gov.cn;"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'self';"), "{policy}");
    }

    #[test]
    fn assets_get_their_media_type() {
        assert_eq!(
            content_type("index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}

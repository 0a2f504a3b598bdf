//! Renders kiosk payloads as QR codes in SVG, for a clinic's wall screen or a printed sheet.
//!
//! The SVG is drawn by hand from the module matrix rather than with
//! `qrcode`'s own renderer so that its exact shape is ours to guarantee (and
//! to decode in tests): a white background `rect` and one black `path` made of
//! `M{x} {y}h{n}v1h-{n}z` runs, one unit per module, inside a `viewBox` that
//! includes the quiet zone. With no fixed `width`/`height` it scales to
//! whatever box the page gives it, and `shape-rendering="crispEdges"` keeps
//! module edges sharp at any size.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the symbol, as the QR specification requires; without
/// them scanners struggle to find the finder patterns against a busy wall.
pub const QUIET_ZONE: usize = 4;

/// Why a payload could not become a QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// More data than the largest QR code holds at error-correction level M.
    #[error("payload is too long for a QR code")]
    TooLong,
    /// Any other refusal by the encoder.
    #[error("payload cannot be encoded as a QR code")]
    Unencodable,
}

impl From<qrcode::types::QrError> for QrError {
    fn from(error: qrcode::types::QrError) -> Self {
        match error {
            qrcode::types::QrError::DataTooLong => QrError::TooLong,
            _ => QrError::Unencodable,
        }
    }
}

/// The QR symbol for `payload` at error-correction level M (about 15%
/// recoverable: enough for glare or a smudged sheet without growing the code
/// much), without quiet zone.
///
/// Returns the width in modules and the modules row by row, `true` = dark.
pub fn modules(payload: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|color| color == Color::Dark)
        .collect();
    Ok((code.width(), dark))
}

/// An SVG document showing `payload` as a QR code: black on white, with a
/// 4-module quiet zone, scalable through its `viewBox` (one user unit per
/// module).
pub fn svg(payload: &str) -> Result<String, QrError> {
    let (width, dark) = modules(payload)?;
    let size = width + 2 * QUIET_ZONE;
    let mut out = String::with_capacity(256 + dark.len() * 4);
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = write!(
        out,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">"#,
            r##"<rect x="0" y="0" width="{size}" height="{size}" fill="#ffffff"/>"##,
            r##"<path fill="#000000" d=""##,
        ),
        size = size
    );
    if width > 0 {
        for (y, row) in dark.chunks(width).enumerate() {
            // One subpath per horizontal run of dark modules keeps the
            // document several times smaller than one square per module.
            let mut x = 0;
            while x < width {
                if !row[x] {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < width && row[x] {
                    x += 1;
                }
                let run = x - start;
                let _ = write!(
                    out,
                    "M{} {}h{run}v1h-{run}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE
                );
            }
        }
    }
    out.push_str(r#""/></svg>"#);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kiosk_code::{SiteSecret, issue_rotating};
    use chrono::DateTime;
    use uuid::Uuid;

    /// Pixels per module when rasterising.
    const SCALE: usize = 4;

    /// A module grid read back from an SVG produced by [`svg`].
    struct Raster {
        /// Side of the SVG in modules, quiet zone included.
        size: usize,
        /// Row-major, `true` = dark.
        dark: Vec<bool>,
    }

    fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let start = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        let len = tag[start..].find('"').expect("attribute closes");
        &tag[start..start + len]
    }

    fn number(text: &str) -> (i64, &str) {
        let end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(text.len());
        let value = text[..end].parse().expect("a number");
        (value, &text[end..])
    }

    /// Parses exactly the shapes `svg` emits and paints them onto a module
    /// grid; anything else fails the test, so a renderer change cannot
    /// silently skip part of the image.
    fn rasterise_modules(svg: &str) -> Raster {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        let open = &svg[..svg.find('>').expect("svg tag closes")];
        let view_box: Vec<usize> = attr(open, "viewBox")
            .split(' ')
            .map(|n| n.parse().expect("viewBox number"))
            .collect();
        assert_eq!(view_box.len(), 4);
        assert_eq!(view_box[..2], [0, 0]);
        assert_eq!(view_box[2], view_box[3], "square");
        let size = view_box[2];

        let rect_start = svg.find("<rect ").expect("background rect");
        let rect = &svg[rect_start..rect_start + svg[rect_start..].find("/>").expect("rect")];
        assert_eq!(attr(rect, "fill"), "#ffffff");
        assert_eq!(attr(rect, "width"), size.to_string());
        assert_eq!(attr(rect, "height"), size.to_string());
        assert_eq!(svg.matches("<rect ").count(), 1);

        let path_start = svg.find("<path ").expect("module path");
        let path = &svg[path_start..path_start + svg[path_start..].find("/>").expect("path")];
        assert_eq!(attr(path, "fill"), "#000000");
        assert_eq!(svg.matches("<path ").count(), 1);
        assert!(rect_start < path_start, "background is painted first");

        let mut dark = vec![false; size * size];
        let mut d = attr(path, "d");
        while !d.is_empty() {
            let rest = d.strip_prefix('M').expect("subpath starts with M");
            let (x, rest) = number(rest);
            let rest = rest.strip_prefix(' ').expect("space between x and y");
            let (y, rest) = number(rest);
            let rest = rest.strip_prefix('h').expect("h");
            let (run, rest) = number(rest);
            let rest = rest.strip_prefix("v1h").expect("v1h");
            let (back, rest) = number(rest);
            d = rest.strip_prefix('z').expect("z");
            assert!(run > 0 && back == -run, "closed run");
            let (x, y, run) = (x as usize, y as usize, run as usize);
            assert!(y < size && x + run <= size, "inside the viewBox");
            for cell in &mut dark[y * size + x..y * size + x + run] {
                *cell = true;
            }
        }
        Raster { size, dark }
    }

    /// Decodes an SVG the way a phone would see it: as greyscale pixels.
    fn decode_svg(svg: &str) -> String {
        let raster = rasterise_modules(svg);
        let side = raster.size * SCALE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            if raster.dark[(y / SCALE) * raster.size + x / SCALE] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code found");
        let (_meta, content) = grids[0].decode().expect("QR decodes");
        content
    }

    fn real_payload() -> String {
        let secret = SiteSecret::from_bytes([3u8; 32]);
        let site = Uuid::from_u128(0x0193_5f2a_7c41_7e0b_9a6d_1f2e_3d4c_5b6a);
        let now = DateTime::from_timestamp(1_700_000_040, 0).expect("in range");
        issue_rotating(site, &secret, now, 30).payload
    }

    #[test]
    fn svg_of_an_issued_code_decodes_back_to_its_payload() {
        let payload = real_payload();
        let svg = svg(&payload).expect("renders");
        assert_eq!(decode_svg(&svg), payload);
    }

    #[test]
    fn svg_of_other_text_decodes_back_too() {
        for text in ["x", "https://example.invalid/check-in?c=1", "下乡签到"] {
            assert_eq!(decode_svg(&svg(text).expect("renders")), text);
        }
    }

    #[test]
    fn svg_matches_the_module_matrix_with_a_four_module_quiet_zone() {
        let payload = real_payload();
        let (width, modules) = modules(&payload).expect("encodes");
        let raster = rasterise_modules(&svg(&payload).expect("renders"));
        assert_eq!(raster.size, width + 2 * QUIET_ZONE);
        for y in 0..raster.size {
            for x in 0..raster.size {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let expected = inside && modules[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)];
                assert_eq!(raster.dark[y * raster.size + x], expected, "({x}, {y})");
            }
        }
    }

    #[test]
    fn svg_scales_crisply_without_a_fixed_size() {
        let svg = svg(&real_payload()).expect("renders");
        let open = &svg[..svg.find('>').expect("svg tag")];
        assert!(open.contains(r#"shape-rendering="crispEdges""#));
        assert!(open.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(open.contains("viewBox="));
        assert!(!open.contains(" width="), "size is left to the page");
        assert!(!open.contains(" height="), "size is left to the page");
    }

    #[test]
    fn modules_use_error_correction_level_m() {
        // Version 1 holds 14 bytes at level M and 17 at level L: 15 bytes only
        // fit version 1 at L, so level M must move it to version 2 (25 modules).
        assert_eq!(modules("abcdefghijklmn").expect("encodes").0, 21);
        assert_eq!(modules("abcdefghijklmno").expect("encodes").0, 25);
    }

    #[test]
    fn issued_payload_fits_a_small_qr_version() {
        // A small version keeps modules large enough to scan from a distance.
        let (width, modules) = modules(&real_payload()).expect("encodes");
        assert_eq!(modules.len(), width * width);
        assert!(width <= 37, "version 5 or lower, got width {width}");
    }

    #[test]
    fn oversized_payload_is_too_long() {
        assert_eq!(svg(&"x".repeat(5_000)), Err(QrError::TooLong));
        assert_eq!(modules(&"x".repeat(5_000)), Err(QrError::TooLong));
    }

    #[test]
    fn a_code_link_with_a_long_address_and_the_longest_payload_stays_scannable() {
        // The longest payload parse accepts from issue_* is 72 characters; a county's
        // host name with a port is about as long as real addresses get.
        let longest = format!(
            "XX1.{}.r.-{}.{}",
            "A".repeat(22),
            "9".repeat(19),
            "B".repeat(22)
        );
        assert_eq!(longest.len(), 72);
        let realistic = [
            "https://192.168.1.20:8443",
            "https://wsjkw.zhangping.longyan.gov.cn:8443",
        ];
        for base in realistic {
            let url = crate::domain::kiosk_code::code_url(base, &longest);
            let (width, _) = modules(&url).expect("encodes");
            let version = (width - 17) / 4;
            let side = width + 2 * QUIET_ZONE;
            // The kiosk's box on a 1280x720 screen is 662 px; the printed card's 140 mm.
            println!(
                "{} chars -> version {version}, {width} modules (+quiet {side}): {:.1} px/module on the kiosk, {:.2} mm/module printed",
                url.len(),
                662.0 / side as f64,
                140.0 / side as f64
            );
            assert!(version <= 7, "{url}: version {version}");
            assert_eq!(decode_svg(&svg(&url).expect("renders")), url);
        }
    }
}

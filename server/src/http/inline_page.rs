//! Pages that carry their script and style inline (the kiosk's wall screen, the phone
//! page): their Content-Security-Policy pins each inline block by its SHA-256.

/// The text between `<tag>` and `</tag>`: the page has exactly one of each.
pub(crate) fn inline_block<'a>(page: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = page.find(&open)? + open.len();
    let end = start + page[start..].find(&close)?;
    Some(&page[start..end])
}

/// A CSP source expression that allows exactly `text` inline.
pub(crate) fn sha256_source(text: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use sha2::{Digest, Sha256};
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_block_is_the_text_between_its_tags() {
        assert_eq!(inline_block("a<b>x</b>c", "b"), Some("x"));
        assert_eq!(inline_block("a<b>x", "b"), None);
        assert_eq!(
            sha256_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}

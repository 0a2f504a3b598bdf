//! The shapes of free text the API takes, one rule each. The document states each
//! with a `format` the OpenAPI `Modify` expands into its pattern
//! (`http/openapi.rs`): [`text`] is `text-N`, [`note`] is `note-N`, [`optional_line`]
//! is `opt-line-N` (one line, `organization::parse_name`, is `line-N`).
//!
//! Every shape is trimmed (Unicode `White_Space`, as `str::trim`), counted in
//! characters, and refuses control characters: a line refuses all of them, a text
//! all but the newline.

use thiserror::Error;

/// Why a text was refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("{field}: required")]
    Required { field: String },
    #[error("{field}: at most {max} characters")]
    TooLong { field: String, max: usize },
    #[error("{field}: control characters are not allowed")]
    Control { field: String },
}

/// Text that may span lines: trimmed, 1 to `max` characters, no control character
/// but the newline.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, TextError> {
    checked(field, raw.trim(), max, true).and_then(|t| {
        t.ok_or_else(|| TextError::Required {
            field: field.to_owned(),
        })
    })
}

/// An optional [`text`]: absent or blank is no text.
pub fn note(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    checked(field, raw.map_or("", str::trim), max, true)
}

/// An optional single line (a title, a specialty): absent or blank is none;
/// otherwise at most `max` characters and no control character.
pub fn optional_line(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, TextError> {
    checked(field, raw.map_or("", str::trim), max, false)
}

fn checked(
    field: &str,
    trimmed: &str,
    max: usize,
    newlines: bool,
) -> Result<Option<String>, TextError> {
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong {
            field: field.to_owned(),
            max,
        });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(newlines && c == '\n'))
    {
        return Err(TextError::Control {
            field: field.to_owned(),
        });
    }
    Ok(Some(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_trimmed_counted_in_characters_and_keeps_its_newlines() {
        assert_eq!(
            text("reason", "  出诊\n改期 ", 5),
            Ok("出诊\n改期".to_owned())
        );
        assert_eq!(text("reason", "一二三四五", 5), Ok("一二三四五".to_owned()));
        assert!(matches!(
            text("reason", "一二三四五六", 5),
            Err(TextError::TooLong { max: 5, .. })
        ));
        assert!(matches!(
            text("reason", " \u{3000}\n", 5),
            Err(TextError::Required { .. })
        ));
        assert!(matches!(
            text("reason", "a\tb", 5),
            Err(TextError::Control { .. })
        ));
    }

    #[test]
    fn a_blank_note_is_no_note_and_a_given_one_is_a_text() {
        assert_eq!(note("note", None, 10), Ok(None));
        assert_eq!(note("note", Some("  "), 10), Ok(None));
        assert_eq!(
            note("note", Some(" ok\nok "), 10),
            Ok(Some("ok\nok".into()))
        );
        assert!(note("note", Some("\u{7}"), 10).is_err());
        assert!(note("note", Some(&"x".repeat(11)), 10).is_err());
    }

    #[test]
    fn an_optional_line_refuses_every_control_character() {
        assert_eq!(
            optional_line("title", Some(" 主治医师 "), 100),
            Ok(Some("主治医师".into()))
        );
        assert_eq!(optional_line("title", Some(""), 100), Ok(None));
        assert!(optional_line("title", Some("主治\n医师"), 100).is_err());
        assert!(optional_line("title", Some(&"医".repeat(101)), 100).is_err());
    }
}

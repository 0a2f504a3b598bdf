//! The answers every operation of a kind can give, added in one place over the built
//! document instead of in each `#[utoipa::path]`: what the middleware, the extractors
//! and the token check answer before (or around) any handler.
//!
//! - every operation: 503 `timeout` (its budget ran out, `enforce_budget`) or
//!   `storage_unavailable` (`watch_storage`);
//! - an operation with a security requirement: 401 `unauthorized` / `invalid_token`
//!   (the `Actor` extractor) and 403 `forbidden` / `password_change_required`;
//! - an operation with parameters: 400 `invalid_request` (a malformed id or query);
//! - an operation with a body: 400 `invalid_request`, 413 `payload_too_large` (the
//!   64 KiB body limit, or the photo and import limits) and 415
//!   `unsupported_media_type` (`AppJson` and the raw-body extractors).
//!
//! An operation's own description of a status (e.g. its 403 or 422 codes) is kept.
//!
//! It also states two reading rules of the server the attributes cannot:
//!
//! - whitespace is what Rust's `str::trim` (Unicode `White_Space`) removes, so every
//!   `\s` / `\S` of a pattern becomes that explicit class ([`WHITESPACE`]): regex
//!   engines disagree on `\s` (Python's admits U+001C..U+001F, ECMA's U+FEFF);
//! - a member of `format: iana-time-zone` gets the time zone names as its `enum`;
//! - a string with a `format` the server reads strictly (`date`, `date-time`, `uuid`)
//!   gets that shape as a `pattern` too ([`format_pattern`]);
//! - a member of `format: decimal-u64` (a draw's seed) gets the pattern of what
//!   `u64::from_str` reads;
//! - a body whose members depend on each other where JSON Schema can say so gets the
//!   rule as `allOf`/`anyOf` ([`CROSS_MEMBER_RULES`]);
//! - a member of `format: line-N` (a name, a label, a recipient: what
//!   `organization::parse_name` reads) gets the pattern of "1 to N characters once
//!   trimmed, no control characters" ([`line_pattern`]), in place of a length
//!   (the untrimmed text may be longer);
//! - an optional query parameter with a `format` (a UUID, a date, an instant) is a
//!   filter, and an empty or blank value means "no filter" (`extract::given`), so its
//!   schema also admits a blank string.

use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// The `components.responses` this adds, by status: (name, description).
const COMMON: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "`invalid_request`: a malformed id, query or body; `detail` names the field",
    ),
    (
        "401",
        "Unauthorized",
        "`unauthorized` (no bearer token) or `invalid_token` (expired, revoked or forged)",
    ),
    (
        "403",
        "Forbidden",
        "`forbidden` (the role may not do this) or `password_change_required` \
         (set your own password first, `POST /api/v1/auth/password`)",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over its limit",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not of a media type the operation takes",
    ),
    (
        "503",
        "Unavailable",
        "`timeout` (the request's time budget ran out; nothing was changed) or \
         `storage_unavailable` (the database cannot be reached)",
    ),
];

/// Adds the common problem answers to every operation of the document.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description) in COMMON {
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(problem(description)));
        }
        for item in openapi.paths.paths.values_mut() {
            let path_has_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_common(operation, path_has_parameters);
            }
        }
        // The reading rules, over the document as JSON (patterns and parameters sit at
        // every depth; utoipa's types have no visitor).
        if let Ok(mut value) = serde_json::to_value(&*openapi) {
            state_cross_member_rules(&mut value);
            state_reading_rules(&mut value);
            if let Ok(document) = serde_json::from_value(value) {
                *openapi = document;
            }
        }
    }
}

/// The `format` of a member that names an IANA time zone: the document lists the
/// names the server knows (`chrono_tz`, what `parse_timezone` reads) as its `enum`.
pub const TIME_ZONE_FORMAT: &str = "iana-time-zone";

/// Rules between members of one body, by component: (schema name, the alternatives
/// one of which the body must also match, as JSON).
const CROSS_MEMBER_RULES: &[(&str, &str)] = &[
    (
        // `survey::check_outcome`: a rating exactly when the person was reached.
        "RecordSurveyCall",
        r##"[
        {"type": "object", "required": ["reached", "rating"],
         "properties": {"reached": {"type": "boolean", "enum": [true]},
                        "rating": {"$ref": "#/components/schemas/SurveyRating"}}},
        {"type": "object", "required": ["reached"],
         "properties": {"reached": {"type": "boolean", "enum": [false]},
                        "rating": {"type": "null"}}}
    ]"##,
    ),
    (
        // `users::update`: `0` clears the year; any other is from 1950 on.
        "UpdateUser",
        r##"[
        {"type": "object", "properties": {"practice_since_year": {"type": "integer", "enum": [0]}}},
        {"type": "object", "properties": {"practice_since_year": {"type": ["integer", "null"], "minimum": 1950}}}
    ]"##,
    ),
    (
        // `assignments::change`: a new window is given whole or not at all.
        "ChangeAssignment",
        r##"[
        {"type": "object", "required": ["window_start", "window_end"],
         "properties": {"window_start": {"type": "string"}, "window_end": {"type": "string"}}},
        {"type": "object",
         "properties": {"window_start": {"type": "null"}, "window_end": {"type": "null"}}}
    ]"##,
    ),
    (
        // `clinic::reason_of`: a dispute says why.
        "ClinicConfirmationRequest",
        r##"[
        {"type": "object", "properties": {"verdict": {"type": "string", "enum": ["confirmed"]}}},
        {"type": "object", "required": ["reason"],
         "properties": {"verdict": {"type": "string", "enum": ["disputed"]},
                        "reason": {"type": "string", "pattern": "\\S"}}}
    ]"##,
    ),
    (
        // `photo_reviews::note_of`: a suspicious photo says what is wrong.
        "ReviewScanPhoto",
        r##"[
        {"type": "object", "properties": {"verdict": {"type": "string", "enum": ["ok"]}}},
        {"type": "object", "required": ["note"],
         "properties": {"verdict": {"type": "string", "enum": ["suspicious"]},
                        "note": {"type": "string", "pattern": "\\S"}}}
    ]"##,
    ),
    (
        // `inspection::validate`: each physician named once (utoipa has no
        // `uniqueItems` attribute).
        "CreateInspection",
        r##"[
        {"type": "object",
         "properties": {"present_physician_ids": {"type": "array", "uniqueItems": true},
                        "absent_physician_ids": {"type": "array", "uniqueItems": true}}}
    ]"##,
    ),
    (
        // `ReportKind::allows`: the monthly report is filed for a month, the county
        // table for a year, the compliance report for a month, quarter or half year;
        // only the monthly report for a site.
        "CreateFiling",
        r##"[
        {"type": "object",
         "properties": {"report_kind": {"type": "string", "enum": ["monthly"]},
                        "period": {"type": "string", "pattern": "^\\s*[0-9]{4}-[0-9]{2}\\s*$"}}},
        {"type": "object",
         "properties": {"report_kind": {"type": "string", "enum": ["compliance"]},
                        "period": {"type": "string", "pattern": "^\\s*[0-9]{4}-[0-9QH][0-9]\\s*$"},
                        "site_id": {"type": "null"}}},
        {"type": "object",
         "properties": {"report_kind": {"type": "string", "enum": ["county_statistics"]},
                        "period": {"type": "string", "pattern": "^\\s*[0-9]{4}\\s*$"},
                        "site_id": {"type": "null"}}}
    ]"##,
    ),
];

/// Wraps each schema of [`CROSS_MEMBER_RULES`] as `allOf: [schema, anyOf: rule]`.
fn state_cross_member_rules(document: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, rule) in CROSS_MEMBER_RULES {
        let (Some(schema), Ok(alternatives)) =
            (schemas.get_mut(*name), serde_json::from_str::<Value>(rule))
        else {
            continue;
        };
        let original = schema.take();
        *schema = json!({ "allOf": [original, { "anyOf": alternatives }] });
    }
}

/// The `format` of a kiosk's pinned network as `PATCH /kiosks/{id}` reads it: an
/// IPv4 address or its `/24`, an IPv6 address or its `/64`, `current`, or blank.
pub const NETWORK_FORMAT: &str = "kiosk-network";

static NETWORK: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// [`NETWORK_FORMAT`] as a pattern: the address forms `std::net::IpAddr` parses (IPv6
/// with `::` anywhere and a trailing IPv4 part), as `network::parse_network` takes them.
fn network_pattern() -> String {
    const H: &str = "[0-9a-fA-F]{1,4}";
    const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    let v4 = format!("{OCTET}(\\.{OCTET}){{3}}");
    // `left` groups before `::`, as a pattern.
    let left = |n: usize| match n {
        0 => String::new(),
        1 => H.to_owned(),
        n => format!("{H}(:{H}){{{}}}", n - 1),
    };
    let mut forms = vec![format!("({H}:){{7}}{H}"), format!("({H}:){{6}}{v4}")];
    for before in 0..8 {
        let after = 7 - before;
        let right = match after {
            0 => String::new(),
            1 => format!("({H})?"),
            n => format!("({H}(:{H}){{0,{}}})?", n - 1),
        };
        forms.push(format!("{}::{right}", left(before)));
    }
    for before in 0..6 {
        let after = 5 - before;
        let middle = if after == 0 {
            String::new()
        } else {
            format!("({H}:){{0,{after}}}")
        };
        forms.push(format!("{}::{middle}{v4}", left(before)));
    }
    let v6 = forms.join("|");
    format!("^\\s*({v4}(/24)?|({v6})(/64)?|current)?\\s*$")
}

/// The `format` of a decimal below 2^64 as `u64::from_str` reads it once trimmed.
pub const DECIMAL_U64_FORMAT: &str = "decimal-u64";

/// [`DECIMAL_U64_FORMAT`] as a pattern: up to 19 digits, or 20 up to 18446744073709551615.
const DECIMAL_U64: &str = "^\\s*\\+?0*([0-9]{1,19}|1[0-7][0-9]{18}|18[0-3][0-9]{17}|184[0-3][0-9]{16}|1844[0-5][0-9]{15}|18446[0-6][0-9]{14}|184467[0-3][0-9]{13}|1844674[0-3][0-9]{12}|184467440[0-6][0-9]{10}|1844674407[0-2][0-9]{9}|18446744073[0-6][0-9]{8}|1844674407370[0-8][0-9]{6}|18446744073709[0-4][0-9]{5}|184467440737095[0-4][0-9]{4}|18446744073709550[0-9]{3}|18446744073709551[0-5][0-9]{2}|1844674407370955160[0-9]|1844674407370955161[0-4]|18446744073709551615)\\s*$";

/// The `format` prefix of one line of text, `line-200`: trimmed, 1 to 200 characters,
/// no control characters (`char::is_control`, Unicode `Cc`).
pub const LINE_FORMAT: &str = "line-";

/// The `format` prefix of text that may span lines, `text-2000`: trimmed, 1 to 2000
/// characters, no control characters but newlines (`complaints::text_of`).
pub const TEXT_FORMAT: &str = "text-";

/// The `format` prefix of an optional note, `note-500`: like [`TEXT_FORMAT`] but a
/// blank note is no note.
pub const NOTE_FORMAT: &str = "note-";

/// The `format` prefix of an optional single line, `opt-line-100` (a title, a
/// specialty: `text::optional_line`): like [`LINE_FORMAT`] but a blank line is none.
pub const OPTIONAL_LINE_FORMAT: &str = "opt-line-";

/// The pattern of a `line-N`, `opt-line-N`, `text-N` or `note-N` format; `None` for
/// other formats.
fn text_format_pattern(format: &str) -> Option<String> {
    let (max, newlines, blank) = if let Some(n) = format.strip_prefix(LINE_FORMAT) {
        (n, false, false)
    } else if let Some(n) = format.strip_prefix(OPTIONAL_LINE_FORMAT) {
        (n, false, true)
    } else if let Some(n) = format.strip_prefix(TEXT_FORMAT) {
        (n, true, false)
    } else {
        (format.strip_prefix(NOTE_FORMAT)?, true, true)
    };
    Some(text_pattern(max.parse().ok()?, newlines, blank))
}

/// The pattern of `format: line-N` (before [`explicit_whitespace`]): blanks around a
/// first and a last character that are neither blank nor control, and at most `max`
/// characters from the first to the last, none of them control characters.
pub fn line_pattern(max: usize) -> String {
    text_pattern(max, false, false)
}

/// Trimmed text of 1 to `max` characters (0 too when `blank`), without control
/// characters (but newlines when `newlines`).
fn text_pattern(max: usize, newlines: bool, blank: bool) -> String {
    let control = if newlines {
        "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f"
    } else {
        "\\x00-\\x1f\\x7f-\\x9f"
    };
    let edge = format!("[^\\s{control}]");
    let inner = format!("[^{control}]");
    let text = if max <= 1 {
        edge
    } else {
        format!("{edge}({inner}{{0,{}}}{edge})?", max - 2)
    };
    let optional = if blank { "?" } else { "" };
    format!("^\\s*({text}){optional}\\s*$")
}

/// What `str::trim` removes (`char::is_whitespace`, Unicode `White_Space`), as the
/// inside of a regex character class.
pub const WHITESPACE: &str =
    "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// `\s` and `\S` of a pattern as explicit classes of [`WHITESPACE`] (inside a class
/// `[...]`, `\s` becomes its members).
fn explicit_whitespace(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('s') if in_class => out.push_str(WHITESPACE),
                Some('s') => {
                    out.push('[');
                    out.push_str(WHITESPACE);
                    out.push(']');
                }
                Some('S') if !in_class => {
                    out.push_str("[^");
                    out.push_str(WHITESPACE);
                    out.push(']');
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Walks the document: rewrites every `pattern`, and lets a blank value through every
/// optional query filter with a `format`.
fn state_reading_rules(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(members) => {
            if members.get("format").and_then(Value::as_str) == Some(TIME_ZONE_FORMAT) {
                let nullable = matches!(members.get("type"),
                    Some(Value::Array(types)) if types.iter().any(|t| t == "null"));
                let mut names: Vec<Value> = chrono_tz::TZ_VARIANTS
                    .iter()
                    .map(|tz| Value::from(tz.name()))
                    .collect();
                if nullable {
                    names.push(Value::Null);
                }
                members.insert("enum".to_owned(), Value::Array(names));
            }
            if let Some(shape) = format_pattern(members) {
                members.insert("pattern".to_owned(), Value::from(shape));
            }
            if let Some(shape) = members
                .get("format")
                .and_then(Value::as_str)
                .and_then(text_format_pattern)
            {
                members.insert("pattern".to_owned(), Value::from(shape));
                members.remove("minLength");
                members.remove("maxLength");
            }
            if let Some(Value::String(pattern)) = members.get_mut("pattern") {
                *pattern = explicit_whitespace(pattern);
            }
            let optional_query = members.get("in").and_then(Value::as_str) == Some("query")
                && members.get("required").and_then(Value::as_bool) != Some(true);
            if optional_query && let Some(schema) = members.get_mut("schema") {
                admit_blank(schema);
            }
            for member in members.values_mut() {
                state_reading_rules(member);
            }
        }
        Value::Array(items) => {
            for item in items {
                state_reading_rules(item);
            }
        }
        _ => {}
    }
}

/// The shape of a `format` the server reads strictly, as a pattern: JSON Schema 2020-12
/// makes `format` an annotation, so without it a validator (or a generator) takes `""`
/// for a date. `None` when the schema is no such string or already has a pattern.
fn format_pattern(schema: &serde_json::Map<String, serde_json::Value>) -> Option<&'static str> {
    use serde_json::Value;
    let is_string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    if !is_string || schema.contains_key("pattern") {
        return None;
    }
    match schema.get("format").and_then(Value::as_str)? {
        "date" => Some("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
        "date-time" => Some(
            "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
        ),
        // `u64::from_str` after trimming: an optional `+`, any leading zeros, a value
        // below 2^64 (a draw's seed).
        DECIMAL_U64_FORMAT => Some(DECIMAL_U64),
        NETWORK_FORMAT => Some(NETWORK.get_or_init(network_pattern).as_str()),
        "uuid" => {
            Some("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        }
        _ => None,
    }
}

/// A string schema with a `format` becomes "that, or blank".
fn admit_blank(schema: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
    let has_format = schema.get("format").is_some();
    if !(is_string && has_format) {
        return;
    }
    let blank = json!({ "type": "string", "pattern": format!("^[{WHITESPACE}]*$") });
    let original = schema.take();
    *schema = json!({ "anyOf": [original, blank] });
}

fn add_common(operation: &mut Operation, path_has_parameters: bool) {
    let authenticated = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let has_parameters =
        path_has_parameters || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut statuses = vec!["503"];
    if authenticated {
        statuses.extend(["401", "403"]);
    }
    if has_body || has_parameters {
        statuses.push("400");
    }
    if has_body {
        statuses.extend(["413", "415"]);
    }
    let responses = &mut operation.responses.responses;
    for status in statuses {
        let Some((_, name, _)) = COMMON.iter().find(|(s, _, _)| *s == status) else {
            continue;
        };
        match responses.get_mut(status) {
            None => {
                responses.insert(
                    status.to_owned(),
                    RefOr::Ref(Ref::from_response_name(*name)),
                );
            }
            // The operation's own answer for this status, without words: say which.
            Some(RefOr::T(response)) if response.description.is_empty() => {
                if let Some((_, _, description)) = COMMON.iter().find(|(s, _, _)| *s == status) {
                    response.description = (*description).to_owned();
                }
            }
            Some(_) => {}
        }
    }
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_classes_are_spelled_out_inside_and_outside_classes() {
        let ws = WHITESPACE;
        assert_eq!(
            explicit_whitespace("^\\s*x\\s*$"),
            format!("^[{ws}]*x[{ws}]*$")
        );
        assert_eq!(explicit_whitespace("\\S"), format!("[^{ws}]"));
        assert_eq!(explicit_whitespace("[^\\s,]"), format!("[^{ws},]"));
        assert_eq!(explicit_whitespace("^[0-9]{6}\\d$"), "^[0-9]{6}\\d$");
    }

    #[test]
    fn the_network_pattern_is_what_parse_network_reads() {
        use crate::domain::network::parse_network;
        let pattern = regex::Regex::new(&explicit_whitespace(&network_pattern())).expect("valid");
        for sample in [
            "203.0.113.7",
            " 203.0.113.0/24 ",
            "203.0.113.0/25",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "2001:db8::1",
            "2001:db8:1:2::/64",
            "2001:db8::/48",
            "::",
            "::1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "::ffff:1.2.3.4",
            "64:ff9b::1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "12345::",
            "fe80::1%eth0",
            "gggg::",
        ] {
            assert_eq!(
                pattern.is_match(sample),
                parse_network(sample).is_some(),
                "{sample:?}"
            );
        }
        for admitted in ["current", "", "  "] {
            assert!(pattern.is_match(admitted), "{admitted:?}");
        }
    }

    #[test]
    fn the_served_phone_pattern_is_what_the_survey_reads() {
        use crate::domain::survey::ServedPhone;
        let document = serde_json::to_value(crate::http::openapi_document()).expect("json");
        let pattern = document
            .pointer("/components/schemas/SurveyPersonInput/properties/phone/pattern")
            .and_then(serde_json::Value::as_str)
            .expect("a phone pattern");
        let pattern = regex::Regex::new(pattern).expect("valid");
        for sample in [
            "13800131234",
            " 138-0013-1234 ",
            "+86 138 0013 1234",
            "(+86)13800131234",
            "8613800131234",
            "0597-7512345",
            "(0597)7512345",
            "059775123456",
            "05977512345678",
            "12800131234",
            "1380013123",
            "0097-7512345",
            "860597751234",
            "138\u{3000}00131234",
            "138.0013.1234",
            "",
        ] {
            assert_eq!(
                pattern.is_match(sample),
                ServedPhone::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn the_decimal_pattern_is_what_u64_parses() {
        let pattern = regex::Regex::new(&explicit_whitespace(DECIMAL_U64)).expect("valid");
        for sample in [
            "0",
            " 42 ",
            "+7",
            "007",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551609",
            "18446744073709551620",
            "9999999999999999999",
            "10000000000000000000",
            "99999999999999999999",
            "00018446744073709551615",
            "-1",
            "",
            "+",
            "1 2",
        ] {
            assert_eq!(
                pattern.is_match(sample),
                sample.trim().parse::<u64>().is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn a_line_pattern_admits_exactly_what_parse_name_takes() {
        use crate::domain::organization::parse_name;
        let pattern =
            regex::Regex::new(&explicit_whitespace(&line_pattern(200))).expect("a valid pattern");
        let long = "名".repeat(200);
        let samples = [
            "漳平市医院".to_owned(),
            "  漳平市医院 ".to_owned(),
            "a".to_owned(),
            "a b".to_owned(),
            "\u{3000}a\u{3000}b\u{3000}".to_owned(),
            "a\tb".to_owned(),
            "a\nb".to_owned(),
            "a\u{1c}".to_owned(),
            "a\u{85}b".to_owned(),
            "a\u{7f}".to_owned(),
            "\u{0}".to_owned(),
            "".to_owned(),
            "   ".to_owned(),
            "\t\n".to_owned(),
            long.clone(),
            format!("  {long}\n"),
            format!("{long}x"),
            format!("x{long}"),
            format!("{}\u{1c}", "名".repeat(198)),
        ];
        for sample in samples {
            assert_eq!(
                pattern.is_match(&sample),
                parse_name(&sample).is_ok(),
                "{sample:?}"
            );
        }
        let one = regex::Regex::new(&explicit_whitespace(&line_pattern(1))).expect("valid");
        assert!(one.is_match(" a "));
        assert!(!one.is_match("ab"));
    }

    #[test]
    fn text_note_and_optional_line_patterns_admit_what_the_text_rules_take() {
        use crate::domain::text;
        let pattern = |format: &str| {
            regex::Regex::new(&explicit_whitespace(
                &text_format_pattern(format).expect("a text format"),
            ))
            .expect("valid")
        };
        let (as_text, as_note, as_line) = (
            pattern("text-20"),
            pattern("note-20"),
            pattern("opt-line-20"),
        );
        for sample in [
            "诊室漏雨",
            " 第一行\n第二行 ",
            "a\tb",
            "a\rb",
            "a\u{1}",
            "a\u{85}b",
            "",
            " \n ",
            "一二三四五六七八九十一二三四五六七八九十",
            "一二三四五六七八九十一二三四五六七八九十一",
        ] {
            let taken = text::text("content", sample, 20).is_ok();
            assert_eq!(as_text.is_match(sample), taken, "{sample:?}");
            assert_eq!(
                as_note.is_match(sample),
                text::note("content", Some(sample), 20).is_ok(),
                "{sample:?}"
            );
            assert_eq!(
                as_line.is_match(sample),
                text::optional_line("content", Some(sample), 20).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn the_class_is_what_trim_removes() {
        let members: Vec<char> = (0u32..0x3001)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        for c in members {
            let escaped = format!("\\u{:04x}", c as u32);
            let listed = WHITESPACE.contains(&escaped)
                || WHITESPACE.contains(&format!("\\x{:02x}", c as u32))
                || match c {
                    '\t' => WHITESPACE.contains("\\t"),
                    '\n' => WHITESPACE.contains("\\n"),
                    '\r' => WHITESPACE.contains("\\r"),
                    ' ' => WHITESPACE.contains(' '),
                    '\u{2001}'..='\u{2009}' => WHITESPACE.contains("\\u2000-\\u200a"),
                    _ => false,
                };
            assert!(listed, "{c:?} is trimmed but not in WHITESPACE");
        }
        assert!(
            !'\u{1c}'.is_whitespace(),
            "U+001C is not trimmed, so not listed"
        );
    }
}

//! The OpenAPI document and the server agree on both sides of each boundary: for a
//! table of (operation, field, value), the served document's schema of the field admits
//! the value exactly when the server takes it (no 400), and refuses it exactly when the
//! server answers 400 `invalid_request` naming the field. The table's last column says
//! which side of the boundary the value is on, so a rule dropped from either side fails.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Where the field's schema sits in the document.
#[derive(Clone, Copy)]
enum Field {
    /// A member of a body's component, possibly nested: ("Location", "lat").
    Member(&'static str, &'static str),
    /// A query parameter of an operation: (path template, method, name).
    Query(&'static str, &'static str, &'static str),
}

/// Follows a local `$ref`.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    }
}

/// Whether `schema` admits `value`: the keywords the document's field schemas use.
fn admits(document: &Value, schema: &Value, value: &Value) -> bool {
    let schema = resolve(document, schema);
    let all = |key: &str, pick: &dyn Fn(&[Value]) -> bool| {
        schema
            .get(key)
            .and_then(Value::as_array)
            .is_none_or(|items| pick(items))
    };
    if !all("anyOf", &|items| {
        items.iter().any(|s| admits(document, s, value))
    }) || !all("oneOf", &|items| {
        items.iter().filter(|s| admits(document, s, value)).count() == 1
    }) || !all("allOf", &|items| {
        items.iter().all(|s| admits(document, s, value))
    }) {
        return false;
    }
    match schema.get("type") {
        Some(Value::String(name)) if !type_matches(name, value) => return false,
        Some(Value::Array(names))
            if !names
                .iter()
                .filter_map(Value::as_str)
                .any(|n| type_matches(n, value)) =>
        {
            return false;
        }
        _ => {}
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return false;
    }
    if let Some(text) = value.as_str() {
        let chars = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|min| chars < min)
            || schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| chars > max)
        {
            return false;
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let regex = regex::Regex::new(pattern).expect("the document's pattern compiles");
            if !regex.is_match(text) {
                return false;
            }
        }
    }
    if let Some(number) = value.as_f64() {
        let bound = |key: &str, outside: &dyn Fn(f64) -> bool| {
            schema.get(key).and_then(Value::as_f64).is_some_and(outside)
        };
        if bound("minimum", &|min| number < min)
            || bound("maximum", &|max| number > max)
            || bound("exclusiveMinimum", &|min| number <= min)
            || bound("multipleOf", &|step| (number / step).fract() != 0.0)
        {
            return false;
        }
    }
    true
}

fn field_schema(document: &Value, field: Field) -> &Value {
    let found = match field {
        // A component with rules between its members is `allOf: [members, rules]`.
        Field::Member(component, member) => document
            .pointer(&format!("/components/schemas/{component}"))
            .map(|schema| resolve(document, schema))
            .map(|schema| schema.pointer("/allOf/0").unwrap_or(schema))
            .and_then(|schema| schema.pointer(&format!("/properties/{member}"))),
        Field::Query(path, method, name) => document["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .map(|parameter| &parameter["schema"]),
    };
    found.unwrap_or_else(|| panic!("the document describes {}", describe(field)))
}

fn describe(field: Field) -> String {
    match field {
        Field::Member(component, member) => format!("{component}.{member}"),
        Field::Query(path, method, name) => format!("{method} {path} ?{name}"),
    }
}

/// One row: the request to send with the value in place, and where the value sits.
struct Row {
    field: Field,
    /// The name the server's `detail` gives the field.
    detail: &'static str,
    value: Value,
    admitted: bool,
}

fn row(field: Field, detail: &'static str, value: Value, admitted: bool) -> Row {
    Row {
        field,
        detail,
        value,
        admitted,
    }
}

/// The names of `line-N`: 1 to N characters once trimmed, no control characters.
fn line_rows(component: &'static str, member: &'static str, max: usize) -> Vec<Row> {
    let field = Field::Member(component, member);
    let full = "名".repeat(max);
    vec![
        row(field, member, json!(full.clone()), true),
        row(field, member, json!(format!("  {full}\u{3000}")), true),
        row(field, member, json!(format!("{full}x")), false),
        row(field, member, json!(" a "), true),
        row(field, member, json!("a\u{1}b"), false),
        row(field, member, json!("a\nb"), false),
        row(field, member, json!("\u{3000} "), false),
    ]
}

/// Checks each row against the document and the server; `send` makes the request
/// for a row's field and value and answers what the server said.
async fn check<F, Fut>(document: &Value, rows: Vec<Row>, mut send: F)
where
    F: FnMut(usize, Field, Value) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    for (i, row) in rows.into_iter().enumerate() {
        let what = format!("{} = {}", describe(row.field), row.value);
        let documented = admits(document, field_schema(document, row.field), &row.value);
        assert_eq!(documented, row.admitted, "the document on {what}");
        let (status, body) = send(i, row.field, row.value.clone()).await;
        if row.admitted {
            assert_ne!(
                status,
                StatusCode::BAD_REQUEST,
                "the server on {what}: {body}"
            );
            assert!(
                status.as_u16() < 500,
                "the server on {what}: {status} {body}"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "the server on {what}: {body}"
            );
            assert_eq!(body["code"], "invalid_request", "{what}: {body}");
            let detail = body["detail"].as_str().unwrap_or("");
            assert!(
                detail.contains(row.detail),
                "the server on {what} names {}: {body}",
                row.detail
            );
        }
    }
}

#[tokio::test]
async fn the_document_and_the_server_agree_on_names_and_labels() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (status, document) = app
        .send(&app.anonymous, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let admin = &app.admin;

    check(
        &document,
        line_rows("CreateJurisdiction", "name", 200),
        |i, _, name| {
            let code = format!("3508{:02}", 82 + i);
            app.send(
                admin,
                Method::POST,
                "/api/v1/jurisdictions",
                Some(json!({"code": code, "name": name, "level": "county", "parent_code": world.city})),
            )
        },
    )
    .await;
    let site = format!("/api/v1/organizations/{}", world.site.id);
    check(
        &document,
        line_rows("UpdateOrganization", "name", 200),
        |_, _, name| app.send(admin, Method::PATCH, &site, Some(json!({ "name": name }))),
    )
    .await;
    let kiosks = format!("/api/v1/organizations/{}/kiosks", world.site.id);
    check(
        &document,
        line_rows("EnrollKiosk", "label", 200),
        |_, _, label| {
            app.send(
                admin,
                Method::POST,
                &kiosks,
                Some(json!({ "label": label })),
            )
        },
    )
    .await;
    check(
        &document,
        line_rows("CreateUser", "name", 200),
        |_, _, name| {
            let body = json!({"role": "physician", "name": name, "phone": unique_phone(),
            "password": PASSWORD, "organization_id": world.hospital.id});
            app.send(admin, Method::POST, "/api/v1/users", Some(body))
        },
    )
    .await;
    check(
        &document,
        line_rows("CreateFilingObligation", "recipient", 100),
        |_, _, recipient| {
            let body = json!({"template": "zhangping_monthly", "jurisdiction_code": world.county,
                "recipient": recipient});
            app.send(
                admin,
                Method::POST,
                "/api/v1/filing-calendar/obligations",
                Some(body),
            )
        },
    )
    .await;
}

#[tokio::test]
async fn the_document_and_the_server_agree_on_numbers_networks_and_dates() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (_, document) = app
        .send(&app.anonymous, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let admin = &app.admin;

    // A check-in's shape is judged before its code: a value the document admits meets
    // 422 `code_invalid` (the payload is no kiosk's), one it refuses 400.
    let lat = Field::Member("Location", "lat");
    let lon = Field::Member("Location", "lon");
    let accuracy = Field::Member("Location", "accuracy_m");
    let rows = vec![
        row(lat, "location.lat", json!(90), true),
        row(lat, "location.lat", json!(-90.0), true),
        row(lat, "location.lat", json!(90.000_01), false),
        row(lat, "location.lat", json!(-91), false),
        row(lon, "location.lon", json!(180), true),
        row(lon, "location.lon", json!(-180.5), false),
        row(accuracy, "location.accuracy_m", json!(100_000), true),
        row(accuracy, "location.accuracy_m", json!(100_000.5), false),
        row(accuracy, "location.accuracy_m", json!(-0.1), false),
    ];
    let physician = &world.physician.client;
    check(&document, rows, |_, field, value| {
        let mut location = json!({"lat": SITE_LAT, "lon": SITE_LON, "accuracy_m": 10});
        if let Field::Member(_, member) = field {
            location[member] = value;
        }
        let body = json!({"client_event_id": Uuid::new_v4(), "qr_payload": "XX1.not-a-code",
            "device_id": "boundary-phone", "location": location});
        app.send(
            physician,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(body),
        )
    })
    .await;

    let device = Field::Member("AttendanceRequest", "device_id");
    let rows = vec![
        row(device, "device_id", json!("x".repeat(200)), true),
        row(
            device,
            "device_id",
            json!(format!(" {} ", "x".repeat(200))),
            true,
        ),
        row(device, "device_id", json!("x".repeat(201)), false),
        row(device, "device_id", json!("phone\u{7f}"), false),
        row(device, "device_id", json!("  "), false),
    ];
    check(&document, rows, |_, _, device_id| {
        let body = json!({"client_event_id": Uuid::new_v4(), "qr_payload": "XX1.not-a-code",
            "device_id": device_id,
            "location": {"lat": SITE_LAT, "lon": SITE_LON, "accuracy_m": 10}});
        app.send(
            physician,
            Method::POST,
            "/api/v1/attendance/check-in",
            Some(body),
        )
    })
    .await;

    let pinned = Field::Member("UpdateKiosk", "pinned_network");
    let rows = vec![
        row(pinned, "pinned_network", json!("203.0.113.0/24"), true),
        row(pinned, "pinned_network", json!(" 203.0.113.9 "), true),
        row(pinned, "pinned_network", json!("203.0.113.0/25"), false),
        row(pinned, "pinned_network", json!("203.0.113.256"), false),
        row(pinned, "pinned_network", json!("2001:db8:1:2::/64"), true),
        row(pinned, "pinned_network", json!("2001:db8::/48"), false),
        row(pinned, "pinned_network", json!("::ffff:203.0.113.9"), true),
        row(pinned, "pinned_network", json!(""), true),
        row(pinned, "pinned_network", json!(null), true),
        row(pinned, "pinned_network", json!("elsewhere"), false),
    ];
    let kiosk = format!("/api/v1/kiosks/{}", world.kiosk.kiosk_id);
    check(&document, rows, |_, _, network| {
        app.send(
            admin,
            Method::PATCH,
            &kiosk,
            Some(json!({ "pinned_network": network })),
        )
    })
    .await;

    let seed = Field::Member("CreateInspectionPlan", "seed");
    let rows = vec![
        row(seed, "seed", json!("18446744073709551615"), true),
        row(seed, "seed", json!(" +0042 "), true),
        row(seed, "seed", json!("18446744073709551616"), false),
        row(seed, "seed", json!("-1"), false),
        row(seed, "seed", json!(""), false),
    ];
    check(&document, rows, |_, _, seed| {
        let body = json!({"jurisdiction_code": world.county, "period": "2026-Q2", "sites": 1,
            "seed": seed});
        app.send(admin, Method::POST, "/api/v1/inspection-plans", Some(body))
    })
    .await;

    let from = Field::Query("/api/v1/organizations/{id}/daily-codes", "get", "from");
    let rows = vec![
        row(from, "from", json!("2026-03-02"), true),
        row(from, "from", json!(""), true),
        row(from, "from", json!(" "), true),
        row(from, "from", json!("2026-13-01"), false),
        row(from, "from", json!("2026-03-02T00:00:00Z"), false),
    ];
    let codes = format!("/api/v1/organizations/{}/daily-codes", world.site.id);
    let app = &app;
    check(&document, rows, |_, _, from| {
        let path = format!(
            "{codes}?from={}",
            from.as_str().unwrap_or("").replace(' ', "%20")
        );
        async move { app.send(admin, Method::GET, &path, None).await }
    })
    .await;
}

/// `opt-line-N`: blank is none, else 1 to N characters of one line.
fn optional_line_rows(component: &'static str, member: &'static str, max: usize) -> Vec<Row> {
    let field = Field::Member(component, member);
    vec![
        row(field, member, json!("医".repeat(max)), true),
        row(
            field,
            member,
            json!(format!(" {} ", "医".repeat(max))),
            true,
        ),
        row(field, member, json!("医".repeat(max + 1)), false),
        row(field, member, json!(""), true),
        row(field, member, json!("主治\n医师"), false),
        row(field, member, json!("主治\u{1}"), false),
    ]
}

/// `note-N`: blank is none, else 1 to N characters, newlines but no other control
/// characters.
fn note_rows(component: &'static str, member: &'static str, max: usize) -> Vec<Row> {
    let field = Field::Member(component, member);
    vec![
        row(field, member, json!("字".repeat(max)), true),
        row(field, member, json!("字".repeat(max + 1)), false),
        row(field, member, json!(" 第一行\n第二行 "), true),
        row(field, member, json!("  "), true),
        row(field, member, json!("a\tb"), false),
        row(field, member, json!("a\u{7f}"), false),
    ]
}

#[tokio::test]
async fn the_document_and_the_server_agree_on_titles_notes_years_and_minimums() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    let (_, document) = app
        .send(&app.anonymous, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let admin = &app.admin;
    let app = &app;

    let physician = format!("/api/v1/users/{}", world.physician.user.id);
    for member in ["title", "specialty"] {
        check(
            &document,
            optional_line_rows("UpdateUser", member, 100),
            |_, _, value| {
                app.send(
                    admin,
                    Method::PATCH,
                    &physician,
                    Some(json!({ member: value })),
                )
            },
        )
        .await;
    }
    let year = Field::Member("UpdateUser", "practice_since_year");
    let rows = vec![
        row(year, "practice_since_year", json!(1950), true),
        row(year, "practice_since_year", json!(0), true),
        row(year, "practice_since_year", json!(-1), false),
    ];
    check(&document, rows, |_, _, value| {
        app.send(
            admin,
            Method::PATCH,
            &physician,
            Some(json!({ "practice_since_year": value })),
        )
    })
    .await;

    check(
        &document,
        note_rows("RequestDeviceMove", "note", 500),
        |_, _, note| {
            let body = json!({"device_id": "boundary-new-phone", "note": note});
            app.send(
                &world.physician.client,
                Method::POST,
                "/api/v1/me/device-move-requests",
                Some(body),
            )
        },
    )
    .await;

    let calendar = "/api/v1/holiday-calendars/2031";
    let day = |name: Value| json!([{"date": "2031-01-01", "kind": "holiday", "name": name}]);
    check(
        &document,
        note_rows("SetHolidayCalendar", "source", 200),
        |_, _, source| {
            let body = json!({"source": source, "days": day(json!("元旦"))});
            app.send(admin, Method::PUT, calendar, Some(body))
        },
    )
    .await;
    check(
        &document,
        line_rows("CalendarDay", "name", 50),
        |_, _, name| {
            let body = json!({ "days": day(name) });
            app.send(admin, Method::PUT, calendar, Some(body))
        },
    )
    .await;

    let narrative = Field::Member("CreateFiling", "problems");
    let rows = vec![
        row(narrative, "problems", json!("问".repeat(4000)), true),
        row(narrative, "problems", json!("问".repeat(4001)), false),
    ];
    check(&document, rows, |_, _, problems| {
        let body = json!({"report_kind": "monthly", "period": "2026-01",
            "jurisdiction_code": world.county, "problems": problems});
        app.send(admin, Method::POST, "/api/v1/filings", Some(body))
    })
    .await;

    let facts_year = Field::Member("SetCountyFacts", "year");
    let rows = vec![
        row(facts_year, "year", json!(2000), true),
        row(facts_year, "year", json!(2100), true),
        row(facts_year, "year", json!(1999), false),
        row(facts_year, "year", json!(2101), false),
    ];
    check(&document, rows, |_, _, year| {
        let body = json!({"jurisdiction_code": world.county, "year": year});
        app.send(
            admin,
            Method::PUT,
            "/api/v1/reports/county-statistics/facts",
            Some(body),
        )
    })
    .await;

    let min_days = Field::Member("Requirement", "min_days");
    let rows = vec![
        row(min_days, "min_days", json!(0.5), true),
        row(min_days, "min_days", json!(3), true),
        row(min_days, "min_days", json!(1.25), false),
        row(min_days, "min_days", json!(0), false),
    ];
    check(&document, rows, |i, _, days| {
        let body = json!({"name": format!("边界方案{i}"), "jurisdiction_code": world.county,
            "requirements": [{"period": "month", "min_days": days}]});
        app.send(admin, Method::POST, "/api/v1/programs", Some(body))
    })
    .await;

    let observed_at = {
        use xiaxiang_server::domain::clock::Clock;
        app.clock.now()
    };
    let lat = Field::Member("InspectorFix", "lat");
    let accuracy = Field::Member("InspectorFix", "accuracy_m");
    let rows = vec![
        row(lat, "lat", json!(90), true),
        row(lat, "lat", json!(90.5), false),
        row(accuracy, "accuracy_m", json!(10_000), true),
        row(accuracy, "accuracy_m", json!(10_000.5), false),
    ];
    check(&document, rows, |_, field, value| {
        let mut fix = json!({"lat": SITE_LAT, "lon": SITE_LON, "accuracy_m": 10});
        if let Field::Member(_, member) = field {
            fix[member] = value;
        }
        let body = json!({"site_id": world.site.id, "kind": "unannounced",
            "observed_at": observed_at, "inspector_fix": fix});
        app.send(admin, Method::POST, "/api/v1/inspections", Some(body))
    })
    .await;
}

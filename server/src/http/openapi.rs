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
    }
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

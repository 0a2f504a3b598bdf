//! Administration use cases: the jurisdiction tree, organizations with their fences,
//! people, programmes, assignments and kiosks. Who may do what, within which reach, and
//! the audit entry each change is written with.
//!
//! Each resource has its requests (`create`, `get`, `update`, `list`) and, for what the
//! simulator and the demo also create, the step that writes a checked object with its
//! audit entry (`record_*`): requests end in it, so a seeded row and its entry are
//! written exactly as a request would write them.

pub mod assignments;
pub mod calendars;
pub mod jurisdictions;
pub mod kiosks;
pub mod organizations;
pub mod programs;
pub mod users;

use crate::error::ApiError;

/// A domain validation error becomes a 400 whose detail names the field.
pub(crate) fn invalid(error: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(error.to_string())
}

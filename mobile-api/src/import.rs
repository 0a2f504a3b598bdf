//! The personnel-table import: 支援人员安排情况表 (CSV or XLSX) in, physicians and
//! assignments out.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AssignmentMode;

/// `Content-Type` of a CSV personnel table (UTF-8 with or without BOM, or GB18030).
pub const CSV_CONTENT_TYPE: &str = "text/csv";
/// `Content-Type` of an XLSX personnel table (the first worksheet is read).
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What the table does not say: under which program, how and when its rows serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ImportAssignmentsQuery {
    /// The program (方案) every row is assigned under; its jurisdiction bounds the sites.
    pub program_id: Uuid,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Local `HH:MM` at the site; default `08:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_start: Option<String>,
    /// Local `HH:MM` at the site; default `17:30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_end: Option<String>,
    /// The uploaded file's name, kept with the import for the record (at most 255
    /// characters, one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = "opt-line-255"))]
    pub filename: Option<String>,
    /// An administrator's written reason for importing rows the programme's rules
    /// refuse (破格派出); stored on each such assignment and audited. At most 1000
    /// characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(format = "note-1000"))]
    pub eligibility_override: Option<String>,
}

/// A physician the import created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedUser {
    /// The first row of the sheet that names this physician.
    pub row: u32,
    pub user_id: Uuid,
    pub name: String,
    pub phone: String,
    /// Given once, in the answer to the first import, for the hospital to hand out;
    /// never stored in clear and absent from a replayed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

/// The assignment one row of the sheet stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedAssignment {
    pub row: u32,
    pub assignment_id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
}

/// The outcome of an import. A replay (the same file with the same parameters again)
/// answers the first outcome with `replayed: true` and without the initial passwords.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportResult {
    pub import_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Personnel rows read from the sheet.
    pub rows: u32,
    pub created_users: Vec<ImportedUser>,
    pub created_assignments: Vec<ImportedAssignment>,
    /// Rows whose assignment (same physician, site, program and dates) already existed.
    pub existing_assignments: Vec<ImportedAssignment>,
    pub replayed: bool,
}

/// One reason a personnel table was refused, in the problem's `extra.errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportIssue {
    /// The row number as the spreadsheet shows it (the first row is 1).
    pub row: u32,
    /// `hospital`, `name`, `gender`, `specialty`, `title`, `phone` or `site`.
    pub column: String,
    pub reason: String,
    /// The same reason in Chinese, for the console's clerks.
    #[serde(default)]
    pub reason_zh: String,
}

/// `POST /assignments/import/preview`: what the import of this table would do, with
/// nothing written: every bad row and column, or the physicians it would create and
/// the assignments it would make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPreview {
    /// No bad row: the import would go through.
    pub ok: bool,
    /// Personnel rows read.
    pub rows: u32,
    /// Every bad cell, by row (as the spreadsheet numbers them) and column.
    pub errors: Vec<ImportIssue>,
    /// Physicians without an account yet, who would be created.
    pub new_physicians: Vec<PreviewPhysician>,
    /// One assignment per good row.
    pub assignments: Vec<PreviewAssignment>,
    /// This file with these parameters was imported before: importing answers that
    /// first outcome again.
    pub already_imported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewPhysician {
    pub row: u32,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewAssignment {
    pub row: u32,
    pub phone: String,
    pub site_id: Uuid,
    /// Whether the physician has an account already.
    pub existing_physician: bool,
}

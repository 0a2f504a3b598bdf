//! Satisfaction surveys (满意度测评): rounds, the people served registered by the
//! receiving clinics (names and phones masked everywhere but the call sheet), the
//! sample drawn from a recorded seed, calls and the report.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Body of `POST /api/v1/survey-rounds`: a period (`period`, or `from` and `to`) and a
/// scope (a jurisdiction, optionally one programme).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateSurveyRound {
    /// The jurisdiction (usually a county) whose receiving sites' people are surveyed.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^\\s*[0-9]{6}\\s*$", example = "350881")
    )]
    pub jurisdiction_code: String,
    /// Narrows the round to one programme (方案) of that jurisdiction or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_id: Option<Uuid>,
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY` (2000 to 2100); or leave it out (or blank) and
    /// give `from` and `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^\\s*((20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?)?\\s*$",
            example = "2026-Q1"
        )
    )]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// How many to draw (1 to 2000); default 80 (漳平 "抽取80个受益群众").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2000))]
    pub sample_size: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyRoundStatus {
    /// People may be registered.
    Open,
    /// The sample is drawn; calls are recorded.
    Drawn,
    /// Finished; names and phones are erased once the retention has passed.
    Closed,
}

/// A survey round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyRound {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub program_id: Option<Uuid>,
    pub program_name: Option<String>,
    /// `2026-03`, `2026-Q1`, `2026`, or `2026-03-05至2026-04-04`.
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sample_size: u32,
    pub status: SurveyRoundStatus,
    /// The seed of the draw (decimal), once drawn.
    pub seed: Option<String>,
    pub registered: u32,
    pub drawn: u32,
    /// Drawn people called at least once.
    pub called: u32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the names and phones of a closed round are erased.
    pub erase_after: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyRoundList {
    pub items: Vec<SurveyRound>,
}

/// One person served, as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPersonInput {
    /// 1 to 40 characters.
    #[cfg_attr(feature = "openapi", schema(format = "line-40"))]
    pub name: String,
    /// A mainland mobile (`13800131234`, `+86` allowed) or a landline with its area
    /// code (`0597-7512345`); spaces, dashes and brackets between the digits.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^\\s*[ ()-]*((\\+[ ()-]*8[ ()-]*6[ ()-]*)?(1[ ()-]*[3-9][ ()-]*([0-9][ ()-]*){9}|0[ ()-]*[1-9][ ()-]*([0-9][ ()-]*){8,10})|8[ ()-]*6[ ()-]*1[ ()-]*[3-9][ ()-]*([0-9][ ()-]*){9})\\s*$"
        )
    )]
    pub phone: String,
    /// The day the person was served, within the round's period.
    pub service_date: NaiveDate,
    /// The receiving site; a clinic administrator's own site by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<Uuid>,
    /// The physician who served them: one with an assignment at the site covering
    /// the service date.
    pub physician_id: Uuid,
}

/// Body of `POST /api/v1/survey-rounds/{id}/people`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterSurveyPeople {
    /// 1 to 1000 people; all are registered or none.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub people: Vec<SurveyPersonInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyRating {
    /// 满意
    Satisfied,
    /// 基本满意
    Basic,
    /// 不满意
    Unsatisfied,
}

/// A registered person, masked (`张*`, `138****1234`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPerson {
    pub id: Uuid,
    pub round_id: Uuid,
    pub name_masked: String,
    pub phone_masked: String,
    pub service_date: NaiveDate,
    pub site_id: Uuid,
    pub site_name: String,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub registered_at: DateTime<Utc>,
    /// 1 for the first drawn; absent when not drawn.
    pub draw_order: Option<u32>,
    pub attempts: u32,
    /// The latest call's outcome.
    pub reached: Option<bool>,
    pub rating: Option<SurveyRating>,
    pub note: Option<String>,
    pub last_called_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPeopleList {
    pub items: Vec<SurveyPerson>,
}

/// The answer of a draw (or of a repeated draw from a given seed on a drawn round).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyDraw {
    pub round: SurveyRound,
    pub seed: String,
    /// People registered when drawn.
    pub candidates: u32,
    /// The drawn people's ids, in draw order.
    pub sample: Vec<Uuid>,
    /// True when this repeated an earlier draw from `seed` without changing anything.
    pub repeated: bool,
    /// For a repetition: whether it gave the recorded sample.
    pub matches_recorded: Option<bool>,
}

/// A line of the call sheet: a drawn person with the name and phone revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyCall {
    pub person: SurveyPerson,
    /// The full name and phone; absent once erased.
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// `GET /api/v1/survey-rounds/{id}/calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyCallSheet {
    pub round: SurveyRound,
    pub items: Vec<SurveyCall>,
}

/// Body of `POST /api/v1/survey-rounds/{id}/calls/{person_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordSurveyCall {
    pub reached: bool,
    /// Required when reached, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<SurveyRating>,
    /// At most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
}

/// Counts of a physician, a site or the county in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyTallyRow {
    pub site_id: Option<Uuid>,
    pub site_name: Option<String>,
    pub physician_id: Option<Uuid>,
    pub physician_name: Option<String>,
    pub drawn: u32,
    /// Drawn people called at least once.
    pub called: u32,
    pub reached: u32,
    pub satisfied: u32,
    pub basic: u32,
    pub unsatisfied: u32,
    /// 满意率 in percent, one decimal: (满意 + 基本满意) / 接通; absent when nobody was reached.
    pub rate_percent: Option<f64>,
}

/// `GET /api/v1/survey-rounds/{id}/report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyReport {
    pub round: SurveyRound,
    pub by_physician: Vec<SurveyTallyRow>,
    pub by_site: Vec<SurveyTallyRow>,
    pub total: SurveyTallyRow,
    /// How the rate is computed, in words.
    pub rate_definition: String,
}

/// A physician a registration may name: assigned at the site during the round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPhysician {
    pub physician_id: Uuid,
    pub physician_name: String,
    pub site_id: Uuid,
    pub site_name: String,
}

/// `GET /api/v1/survey-rounds/{id}/physicians`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPhysicianList {
    pub items: Vec<SurveyPhysician>,
}

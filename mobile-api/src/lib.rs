//! Xiaxiang's public wire types (the JSON of `/api/v1`) and, behind the
//! `client` feature, a typed async client for phone apps and tests.
//!
//! This crate carries no server code: no sqlx, no axum. The server derives its
//! OpenAPI document from these types (feature `openapi`).

pub mod activity;
pub mod admin;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod clinic;
pub mod console;
pub mod eligibility;
pub mod filing;
pub mod import;
pub mod inspection;
pub mod inspection_plan;
pub mod kiosk;
pub mod page;
pub mod problem;
pub mod promotion;
pub mod report;
pub mod scan_photo_review;
pub mod sites;
pub mod supervision;
pub mod survey;
pub mod visits;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
mod client_activity;
#[cfg(feature = "client")]
mod client_import;
#[cfg(feature = "client")]
mod client_inspection;
#[cfg(feature = "client")]
pub mod client_reports;
#[cfg(feature = "client")]
mod client_sites;
#[cfg(feature = "client")]
mod client_supervision;

pub use activity::*;
pub use admin::*;
pub use attendance::*;
pub use audit::*;
pub use auth::*;
pub use clinic::*;
pub use console::*;
pub use eligibility::*;
pub use filing::*;
pub use import::*;
pub use inspection::*;
pub use inspection_plan::*;
pub use kiosk::*;
pub use page::Page;
pub use problem::Problem;
pub use promotion::*;
pub use report::*;
pub use scan_photo_review::*;
pub use sites::*;
pub use supervision::*;
pub use survey::*;
pub use visits::*;

/// Reads a nested struct only from a JSON object, as the document describes it: serde's
/// derive would also read a struct from an array of its members in order (`[null,
/// null]`). `#[serde(default, deserialize_with = "mobile_api::object")]`.
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(D::Error::custom("expected an object"));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

/// [`object`] for an optional member: `null` is absent.
pub fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => serde_json::from_value(value)
            .map(Some)
            .map_err(D::Error::custom),
        _ => Err(D::Error::custom("expected an object")),
    }
}

//! Xiaxiang's public wire types (the JSON of `/api/v1`) and, behind the
//! `client` feature, a typed async client for phone apps and tests.
//!
//! This crate carries no server code: no sqlx, no axum. The server derives its
//! OpenAPI document from these types (feature `openapi`).

pub mod admin;
pub mod attendance;
pub mod auth;
pub mod kiosk;
pub mod page;
pub mod problem;

#[cfg(feature = "client")]
pub mod client;

pub use admin::*;
pub use attendance::*;
pub use auth::*;
pub use kiosk::*;
pub use page::Page;
pub use problem::Problem;

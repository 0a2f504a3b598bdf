//! Xiaxiang server: proves physicians served where they were sent.
//!
//! `app` wires the HTTP router; `domain` holds the rules (no HTTP, no SQL);
//! `store` holds all SQL; `http` maps requests to the domain and back.

pub mod app;
pub mod auth;
pub mod cache;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod import;
pub mod metrics;
pub mod qr;
pub mod render;
pub mod scheduler;
pub mod service;
pub mod state;
pub mod store;
pub mod synthetic;
pub mod telemetry;

pub use app::App;
pub use config::Config;

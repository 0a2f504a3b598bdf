//! Xiaxiang server: proves physicians served where they were sent.
//!
//! `app` wires the HTTP router; `http` extracts a request, calls one use case in
//! `service` and wraps its answer; `service` reads facts from `store` (all SQL), asks
//! `domain` (the rules: no HTTP, no SQL) and writes the outcome. ARCHITECTURE.md at
//! the repository root is the map.

pub mod app;
pub mod auth;
pub mod cache;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod import;
pub mod iploc;
pub mod metrics;
pub mod pii;
pub mod qr;
pub mod render;
pub mod scheduler;
pub mod service;
pub mod state;
pub mod store;
pub mod synthetic;
pub mod telemetry;
pub mod tls;

pub use app::App;
pub use config::Config;

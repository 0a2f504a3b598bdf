//! End-to-end tests: each test starts a real server on a random port (SQLite by default;
//! PostgreSQL and Redis when `XIAXIANG_TEST_POSTGRES_URL` / `XIAXIANG_TEST_REDIS_URL` are
//! set) and drives it over HTTP with the `mobile-api` client.

mod helpers;
mod process;

mod accounts;
mod activities;
mod admin;
mod audit;
mod auth;
mod authz;
mod checkin;
mod clinic;
mod code_links;
mod console_admin;
mod console_api;
mod contention;
mod crash;
mod detectors;
mod device_moves;
mod eligibility;
mod filings;
mod fraud_scenarios;
mod hardening;
mod import;
mod import_bombs;
mod inspection_plans;
mod inspection_records;
mod inspections;
mod kiosk;
mod lifecycle;
mod login_limits;
mod metrics;
mod multi_process;
mod network;
mod redis_outage;
mod report_forms;
mod reports;
mod rules;
mod scan_photos;
mod service;
mod sites;
mod storage_faults;
mod supervision;
mod synthetic;
mod tls;
mod workload;

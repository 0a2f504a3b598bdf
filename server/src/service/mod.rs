//! Use cases that read facts from the store, ask the domain for a decision and write
//! the outcome. HTTP handlers call these; they know nothing of HTTP themselves.

pub mod admin;
pub mod anomalies;
pub mod appeals;
pub mod attendance;
pub mod audit;
pub mod clinic;
pub mod complaints;
pub mod coverage;
pub mod dashboard;
pub mod devices;
pub mod filings;
pub mod import;
pub mod inspection_plans;
pub mod inspection_records;
pub mod inspections;
pub mod ledger;
pub mod login;
pub mod page;
pub mod photo_reviews;
pub mod photos;
pub mod physicians;
pub mod promotion;
pub mod reports;
pub mod sessions;
pub mod sites;
pub mod surveys;
pub mod visit_review;
pub mod visits;

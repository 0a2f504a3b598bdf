//! The rules of physician outreach attendance. No HTTP, no SQL; time comes in as arguments
//! or through [`clock::Clock`].
//!
//! The closed vocabularies of the contract (roles, organization kinds, modes…) are reused
//! from `mobile_api` rather than copied: they are the same words on both sides.

pub mod access;
pub mod activity;
pub mod address_block;
pub mod anomaly;
pub mod anomaly_text;
pub mod assignment;
pub mod assignment_terms;
pub mod attendance;
pub mod audit;
pub mod clock;
pub mod coords;
pub mod coverage;
pub mod credit_ledger;
pub mod crediting;
pub mod dashboard;
pub mod detectors;
pub mod device;
pub mod eligibility;
pub mod fence_size;
pub mod filing;
pub mod geofence;
pub mod inspection;
pub mod inspection_evidence;
pub mod inspection_plan;
pub mod jurisdiction;
pub mod kiosk_code;
pub mod network;
pub mod organization;
pub mod personnel;
pub mod photo;
pub mod photo_sample;
pub mod plausibility;
pub mod program;
pub mod promotion;
pub mod reports;
pub mod requirements;
pub mod site_index;
pub mod survey;
pub mod text;
pub mod user;
pub mod visit_credit;
pub mod window;
pub mod workdays;

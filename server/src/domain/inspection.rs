//! Cross-checking an inspection (暗访 / 现场核查) against attendance: a physician the
//! supervisor did not find while a visit at the site was open raises
//! `inspection_absent`; one found at work with no open visit there raises
//! `inspection_unrecorded`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::anomaly::AnomalyKind;

/// The most physicians one list of an inspection may name.
pub const MAX_PHYSICIANS: usize = 200;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// One visit as far as "was it open at that instant" cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitSpan {
    pub id: Uuid,
    pub site_id: Uuid,
    pub checked_in_at: DateTime<Utc>,
    /// The check-out, or else the end of the visit's local day (when it is closed
    /// without one); `None` when unknown, which counts as still open.
    pub ended_at: Option<DateTime<Utc>>,
}

impl VisitSpan {
    /// Open at `at`: checked in at or before it and not yet ended.
    pub fn open_at(&self, at: DateTime<Utc>) -> bool {
        self.checked_in_at <= at && self.ended_at.is_none_or(|end| end > at)
    }
}

/// What the supervisor recorded at one site at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub site_id: Uuid,
    pub observed_at: DateTime<Utc>,
    pub present: &'a [Uuid],
    pub absent: &'a [Uuid],
}

/// An anomaly the cross-check raises.
#[derive(Debug, Clone, PartialEq)]
pub struct Discrepancy {
    pub physician_id: Uuid,
    pub kind: AnomalyKind,
    /// The visit it concerns (whose credit then waits for review), if any.
    pub visit_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

/// Why an inspection body was refused. `Display` starts with the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectionError {
    #[error("{field}: at most {MAX_PHYSICIANS} physicians")]
    TooMany { field: &'static str },
    #[error("{field}: {id} is listed twice")]
    Duplicate { field: &'static str, id: Uuid },
    #[error("absent_physician_ids: {0} is also listed as present")]
    BothPresentAndAbsent(Uuid),
    #[error("note: at most {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
}

/// Checks the lists and the note: bounded, no repeats, nobody both present and absent.
pub fn validate(present: &[Uuid], absent: &[Uuid], note: &str) -> Result<(), InspectionError> {
    for (field, list) in [
        ("present_physician_ids", present),
        ("absent_physician_ids", absent),
    ] {
        if list.len() > MAX_PHYSICIANS {
            return Err(InspectionError::TooMany { field });
        }
        let mut seen = HashSet::new();
        if let Some(id) = list.iter().find(|id| !seen.insert(**id)) {
            return Err(InspectionError::Duplicate { field, id: *id });
        }
    }
    let present: HashSet<&Uuid> = present.iter().collect();
    if let Some(id) = absent.iter().find(|id| present.contains(id)) {
        return Err(InspectionError::BothPresentAndAbsent(*id));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(InspectionError::NoteTooLong);
    }
    Ok(())
}

/// Which anomalies an inspection raises, given each named physician's visits around
/// `observed_at` (a physician missing from `visits` has none).
///
/// Only visits at the inspected site count as being there: an absent physician with a
/// visit open at another site is where their record says, so nothing is raised; a
/// present physician whose open visit is at another site raises `inspection_unrecorded`
/// on that visit, since the record puts them somewhere they were not.
pub fn cross_check(
    observation: &Observation<'_>,
    visits: &HashMap<Uuid, Vec<VisitSpan>>,
) -> Vec<Discrepancy> {
    let at = observation.observed_at;
    let open_visits = |physician: &Uuid| -> Vec<VisitSpan> {
        visits
            .get(physician)
            .map(|vs| vs.iter().copied().filter(|v| v.open_at(at)).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for physician in observation.absent {
        let open = open_visits(physician);
        if let Some(visit) = open.iter().find(|v| v.site_id == observation.site_id) {
            out.push(Discrepancy {
                physician_id: *physician,
                kind: AnomalyKind::InspectionAbsent,
                visit_id: Some(visit.id),
                detail: json!({
                    "site_id": observation.site_id,
                    "observed_at": at,
                    "checked_in_at": visit.checked_in_at,
                }),
            });
        }
    }
    for physician in observation.present {
        let open = open_visits(physician);
        if open.iter().any(|v| v.site_id == observation.site_id) {
            continue;
        }
        let elsewhere = open.first();
        out.push(Discrepancy {
            physician_id: *physician,
            kind: AnomalyKind::InspectionUnrecorded,
            visit_id: elsewhere.map(|v| v.id),
            detail: json!({
                "site_id": observation.site_id,
                "observed_at": at,
                "open_visit_site_id": elsewhere.map(|v| v.site_id),
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .expect("valid")
    }

    fn visit(site: Uuid, from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> VisitSpan {
        VisitSpan {
            id: Uuid::new_v4(),
            site_id: site,
            checked_in_at: from,
            ended_at: to,
        }
    }

    struct Scene {
        site: Uuid,
        doctor: Uuid,
    }

    fn scene() -> Scene {
        Scene {
            site: Uuid::new_v4(),
            doctor: Uuid::new_v4(),
        }
    }

    fn check(
        s: &Scene,
        present: bool,
        at: DateTime<Utc>,
        visits: Vec<VisitSpan>,
    ) -> Vec<Discrepancy> {
        let named = [s.doctor];
        let observation = Observation {
            site_id: s.site,
            observed_at: at,
            present: if present { &named } else { &[] },
            absent: if present { &[] } else { &named },
        };
        let map = HashMap::from([(s.doctor, visits)]);
        cross_check(&observation, &map)
    }

    #[test]
    fn an_absent_physician_with_an_open_visit_raises_inspection_absent_on_it() {
        let s = scene();
        let v = visit(s.site, t(1, 0), None);
        let raised = check(&s, false, t(3, 0), vec![v]);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].kind, AnomalyKind::InspectionAbsent);
        assert_eq!(raised[0].visit_id, Some(v.id));
        assert_eq!(raised[0].physician_id, s.doctor);
    }

    #[test]
    fn an_absent_physician_who_checked_out_before_raises_nothing() {
        let s = scene();
        let v = visit(s.site, t(1, 0), Some(t(2, 0)));
        assert!(check(&s, false, t(3, 0), vec![v]).is_empty());
        // Checked out exactly at the observation: gone.
        let v = visit(s.site, t(1, 0), Some(t(3, 0)));
        assert!(check(&s, false, t(3, 0), vec![v]).is_empty());
        // Checked in after the observation: not there yet.
        let v = visit(s.site, t(4, 0), None);
        assert!(check(&s, false, t(3, 0), vec![v]).is_empty());
        assert!(check(&s, false, t(3, 0), vec![]).is_empty());
    }

    #[test]
    fn an_absent_physician_recorded_at_another_site_raises_nothing() {
        let s = scene();
        let v = visit(Uuid::new_v4(), t(1, 0), None);
        assert!(check(&s, false, t(3, 0), vec![v]).is_empty());
    }

    #[test]
    fn a_present_physician_with_no_open_visit_raises_inspection_unrecorded() {
        let s = scene();
        let earlier = visit(s.site, t(0, 0), Some(t(1, 0)));
        let raised = check(&s, true, t(3, 0), vec![earlier]);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].kind, AnomalyKind::InspectionUnrecorded);
        assert_eq!(raised[0].visit_id, None);
    }

    #[test]
    fn a_present_physician_with_an_open_visit_raises_nothing() {
        let s = scene();
        let v = visit(s.site, t(1, 0), Some(t(3, 0) + Duration::seconds(1)));
        assert!(check(&s, true, t(3, 0), vec![v]).is_empty());
        // Checked in at the very instant counts.
        let v = visit(s.site, t(3, 0), None);
        assert!(check(&s, true, t(3, 0), vec![v]).is_empty());
    }

    #[test]
    fn a_present_physician_recorded_at_another_site_is_unrecorded_on_that_visit() {
        let s = scene();
        let other = Uuid::new_v4();
        let v = visit(other, t(1, 0), None);
        let raised = check(&s, true, t(3, 0), vec![v]);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].kind, AnomalyKind::InspectionUnrecorded);
        assert_eq!(raised[0].visit_id, Some(v.id));
        assert_eq!(
            raised[0].detail["open_visit_site_id"],
            json!(other.to_string())
        );
    }

    #[test]
    fn lists_are_bounded_unique_and_disjoint() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        assert_eq!(validate(&[a], &[b], "ok"), Ok(()));
        assert_eq!(validate(&[], &[], ""), Ok(()));
        assert_eq!(
            validate(&[a, a], &[], ""),
            Err(InspectionError::Duplicate {
                field: "present_physician_ids",
                id: a
            })
        );
        assert_eq!(
            validate(&[a], &[a], ""),
            Err(InspectionError::BothPresentAndAbsent(a))
        );
        let many: Vec<Uuid> = (0..=MAX_PHYSICIANS).map(|_| Uuid::new_v4()).collect();
        let err = validate(&[], &many, "").unwrap_err();
        assert!(
            err.to_string().starts_with("absent_physician_ids:"),
            "{err}"
        );
        let long = "字".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(validate(&[], &[], &long), Err(InspectionError::NoteTooLong));
    }
}

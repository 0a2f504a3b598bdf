//! The two seeding paths against each other: the bulk path must store what the
//! service path stores, row for row (ids aside, which are random in both).

use chrono::NaiveDate;

use super::plan::{FaultRates, Plan, Spec};
use super::simulate::{Options, Path, seed, seed_with};
use crate::auth::password::PasswordCost;
use crate::config::Config;
use crate::store::testing::{indexes, job_runs, requirement_missed, seeded_rows};

fn spec() -> Spec {
    // Faults far above their real rates, so every kind of row appears in three weeks.
    let often = FaultRates {
        forgotten_checkout: 0.1,
        short_visit: 0.05,
        mock_location: 0.05,
        outside_fence_first: 0.1,
        poor_accuracy_first: 0.05,
        late_upload: 0.1,
        double_scan: 0.08,
        spare_device: 0.05,
        early_arrival: 0.1,
        replayed_fix: 0.05,
    };
    Spec {
        counties: 2,
        physicians: 16,
        days: 21,
        end_date: NaiveDate::from_ymd_opt(2026, 3, 15).expect("date"),
        seed: 77,
        province_prefix: 39,
        province_name: "海岚省".into(),
        password: "synthetic-pass-1".into(),
        faults: often,
    }
}

struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new() -> TempDb {
        let dir = std::env::temp_dir().join(format!("xiaxiang-synthetic-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDb(dir)
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.join("x.db").display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(db: &TempDb) -> Config {
    Config {
        database_url: db.url(),
        password_cost: PasswordCost {
            memory_kib: 256,
            iterations: 1,
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn the_bulk_path_stores_what_the_service_path_stores() {
    let plan = Plan::generate(&spec()).expect("plan");
    let (service_db, bulk_db) = (TempDb::new(), TempDb::new());
    let quiet = &mut |_: &str| {};
    let service = seed(&config(&service_db), &plan, Path::Service, quiet)
        .await
        .expect("service path");
    // Requirement periods judged week by week on both paths, as the service path does.
    let weekly = Options {
        judge_requirements: true,
        ..Options::new(Path::Bulk)
    };
    let bulk = seed_with(&config(&bulk_db), &plan, weekly, quiet)
        .await
        .expect("bulk path");
    assert_eq!(service.tally, bulk.tally);
    assert!(service.tally.events > 150, "{:?}", service.tally);
    for kind in [
        "mock_location",
        "new_device",
        "outside_window_edge",
        "short_visit",
        "fix_at_fence_centre",
    ] {
        assert!(
            service.tally.reasons.contains_key(kind),
            "no {kind}: {:?}",
            service.tally
        );
    }
    for code in ["outside_geofence", "poor_accuracy"] {
        assert!(
            service.tally.refused.contains_key(code),
            "no {code}: {:?}",
            service.tally
        );
    }
    assert!(
        service.tally.auto_closed > 0 && service.tally.reviews > 0 && service.tally.activities > 0
    );
    assert!(service.tally.requirements_missed > 0, "{:?}", service.tally);
    let service_rows = seeded_rows(&service_db.url()).await;
    let bulk_rows = seeded_rows(&bulk_db.url()).await;
    for ((table, a), (_, b)) in service_rows.iter().zip(&bulk_rows) {
        assert!(!a.is_empty(), "{table}: nothing written");
        let first_difference = a.iter().zip(b).find(|(x, y)| x != y);
        assert!(
            a.len() == b.len() && first_difference.is_none(),
            "{table}: {} vs {} rows; first difference {first_difference:?}",
            a.len(),
            b.len()
        );
    }
}

#[tokio::test]
async fn a_load_with_indexes_built_after_it_stores_the_same_rows_and_schema() {
    let plan = Plan::generate(&spec()).expect("plan");
    let quiet = &mut |_: &str| {};
    for judge_requirements in [false, true] {
        let (plain_db, deferred_db) = (TempDb::new(), TempDb::new());
        let plain = Options {
            judge_requirements,
            ..Options::new(Path::Bulk)
        };
        let deferred = Options {
            defer_indexes: true,
            ..plain
        };
        let a = seed_with(&config(&plain_db), &plan, plain, quiet)
            .await
            .expect("indexes in place");
        let b = seed_with(&config(&deferred_db), &plan, deferred, quiet)
            .await
            .expect("indexes after the load");
        assert_eq!(a.tally, b.tally);
        assert!(
            a.tally.events > 150 && a.tally.activities > 0,
            "{:?}",
            a.tally
        );
        assert_eq!(a.tally.requirements_missed > 0, judge_requirements);
        let (a_rows, b_rows) = (
            seeded_rows(&plain_db.url()).await,
            seeded_rows(&deferred_db.url()).await,
        );
        assert_eq!(a_rows.len(), b_rows.len());
        for ((table, a), (_, b)) in a_rows.iter().zip(&b_rows) {
            assert!(
                !a.is_empty() || *table == "job_runs",
                "{table}: nothing written"
            );
            assert_eq!(a, b, "{table}");
        }
        // The same indexes, with the same definitions, are there afterwards.
        let (a_indexes, b_indexes) = (
            indexes(&plain_db.url()).await,
            indexes(&deferred_db.url()).await,
        );
        assert!(
            a_indexes
                .iter()
                .any(|i| i.starts_with("attendance_events_code|")),
            "{a_indexes:?}"
        );
        assert_eq!(a_indexes, b_indexes);
    }
}

#[tokio::test]
async fn seeding_the_same_province_twice_is_refused() {
    let plan = Plan::generate(&Spec {
        days: 2,
        physicians: 2,
        ..spec()
    })
    .expect("plan");
    let db = TempDb::new();
    let quiet = &mut |_: &str| {};
    seed(&config(&db), &plan, Path::Service, quiet)
        .await
        .expect("first");
    let again = seed(&config(&db), &plan, Path::Bulk, quiet).await;
    assert!(matches!(again, Err(super::SyntheticError::AlreadySeeded(code)) if code == "390000"));
}

#[tokio::test]
async fn the_bulk_path_leaves_requirement_periods_to_the_servers_first_tick() {
    let plan = Plan::generate(&spec()).expect("plan");
    let db = TempDb::new();
    let summary = seed(&config(&db), &plan, Path::Bulk, &mut |_: &str| {})
        .await
        .expect("bulk path");
    assert_eq!(summary.tally.requirements_missed, 0);
    assert!(job_runs(&db.url()).await.is_empty());
    // The server starting the next morning catches up on every ended period.
    let morning = crate::domain::crediting::start_of_local_day(
        plan.spec.end_date + chrono::Duration::days(1),
        crate::domain::organization::DEFAULT_TIMEZONE,
    ) + chrono::Duration::hours(8);
    let (_clock, shared) = super::manual_clock(morning);
    let state = super::offline_state(&config(&db), shared)
        .await
        .expect("state");
    let report = crate::scheduler::run_once(&state).await.expect("tick");
    assert!(
        report.periods_judged > 0 && report.requirements_missed > 0,
        "{report:?}"
    );
}

#[tokio::test]
async fn ticks_from_the_watermark_judge_what_one_catch_up_tick_judges() {
    use chrono::Duration;

    use crate::domain::crediting::start_of_local_day;
    use crate::domain::organization::DEFAULT_TIMEZONE;
    use crate::scheduler::run_once;

    // Ten weeks: several weeks and two month ends (January, February) come due.
    let plan = Plan::generate(&Spec { days: 70, ..spec() }).expect("plan");
    let (ticked_db, caught_up_db) = (TempDb::new(), TempDb::new());
    let quiet = &mut |_: &str| {};
    for db in [&ticked_db, &caught_up_db] {
        seed(&config(db), &plan, Path::Bulk, quiet)
            .await
            .expect("bulk path");
    }
    let first = start_of_local_day(plan.spec.first_day(), DEFAULT_TIMEZONE);
    let end = start_of_local_day(plan.spec.end_date + Duration::days(5), DEFAULT_TIMEZONE)
        + Duration::hours(8);

    // One server, restarted now and then, and a second one ticking beside it, over
    // the whole time at irregular intervals (a few at the same instant).
    let (clock, shared) = super::manual_clock(first);
    let mut a = super::offline_state(&config(&ticked_db), shared.clone())
        .await
        .expect("state");
    let b = super::offline_state(&config(&ticked_db), shared.clone())
        .await
        .expect("state");
    let (mut at, mut step, mut judged_by_ticks) = (first, 0i64, 0);
    while at < end {
        step += 1;
        at = (at + Duration::minutes((step * 617) % 2_900 + 1)).min(end);
        clock.set(at);
        if step % 9 == 0 {
            a.store.close().await;
            a = super::offline_state(&config(&ticked_db), shared.clone())
                .await
                .expect("restarted");
        }
        if step % 5 == 0 {
            let (ra, rb) = tokio::join!(run_once(&a), run_once(&b));
            judged_by_ticks += ra.expect("tick").periods_judged + rb.expect("tick").periods_judged;
        } else {
            judged_by_ticks += run_once(&a).await.expect("tick").periods_judged;
        }
    }
    assert!(step > 40, "{step} ticks");
    // Nothing left at the end, and a tick with nothing due judges nothing.
    assert_eq!(run_once(&b).await.expect("tick").periods_judged, 0);
    a.store.close().await;
    b.store.close().await;

    // The same data, the server started once at the end: one catch-up tick.
    let (_clock, shared) = super::manual_clock(end);
    let once = super::offline_state(&config(&caught_up_db), shared)
        .await
        .expect("state");
    let caught_up = run_once(&once).await.expect("tick");
    once.store.close().await;

    assert!(caught_up.periods_judged > 20, "{caught_up:?}");
    assert_eq!(judged_by_ticks, caught_up.periods_judged);
    let periods = |runs: Vec<String>| -> Vec<String> {
        runs.into_iter()
            .filter(|r| r.starts_with("requirement_missed|"))
            .collect()
    };
    let ticked_runs = periods(job_runs(&ticked_db.url()).await);
    let caught_up_runs = periods(job_runs(&caught_up_db.url()).await);
    assert_eq!(ticked_runs.len(), caught_up.periods_judged);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(ticked_runs), sorted(caught_up_runs));
    // The same periods missed, with the same figures.
    let ticked_missed = sorted(requirement_missed(&ticked_db.url()).await);
    let caught_up_missed = sorted(requirement_missed(&caught_up_db.url()).await);
    assert!(!caught_up_missed.is_empty());
    assert_eq!(ticked_missed, caught_up_missed);
}

/// The compliance reports of `periods` from the ledger and from the raw events, as
/// JSON; panics on the first that differs. Answers the count of rows with credit.
async fn compliance_from_both_sources(
    state: &crate::state::AppState,
    periods: &[&str],
    moment: &str,
) -> usize {
    use crate::service::reports::{DaySource, ReportScope, compliance_report_from};
    let mut credited = 0;
    for period in periods {
        let scope = ReportScope::everything();
        let ledger = compliance_report_from(state, &scope, period, DaySource::Ledger)
            .await
            .expect("from the ledger");
        let events = compliance_report_from(state, &scope, period, DaySource::Events)
            .await
            .expect("from the events");
        credited += events.rows.iter().filter(|r| r.credited > 0.0).count();
        let (ledger, events) = (
            serde_json::to_value(&ledger).expect("json"),
            serde_json::to_value(&events).expect("json"),
        );
        assert!(ledger == events, "{moment}, {period}: the reports differ");
    }
    credited
}

#[tokio::test]
async fn the_ledger_agrees_with_the_events_of_a_province() {
    use chrono::Duration;
    use mobile_api::{ReviewDecision, ReviewRequest};

    use crate::domain::access::{Actor, Role, Scope};
    use crate::domain::activity::ActivityRecord;
    use crate::domain::credit_ledger::month_sums_of;
    use crate::domain::crediting::start_of_local_day;
    use crate::domain::organization::DEFAULT_TIMEZONE;
    use crate::domain::requirements::ActivityKind;
    use crate::service::ledger;
    use crate::store::anomalies::{AnomalyFilter, VisitFilter};

    // Six weeks over two month ends; the last days' anomalies left open for review.
    let plan = Plan::generate(&Spec { days: 45, ..spec() }).expect("plan");
    let db = TempDb::new();
    let options = Options {
        unreviewed_days: 4,
        ..Options::new(Path::Bulk)
    };
    seed_with(&config(&db), &plan, options, &mut |_: &str| {})
        .await
        .expect("bulk path");
    let end = start_of_local_day(plan.spec.end_date + Duration::days(1), DEFAULT_TIMEZONE)
        + Duration::hours(8);
    let (_clock, shared) = super::manual_clock(end);
    let state = super::offline_state(&config(&db), shared)
        .await
        .expect("state");
    let periods = ["2026-01", "2026-02", "2026-03", "2026-Q1", "2026-H1"];

    // Nothing refreshed yet: every assignment is stale, the reports read the events.
    assert!(state.store.ledger_stale_count().await.expect("marks") > 0);
    let credited = compliance_from_both_sources(&state, &periods, "all stale").await;
    assert!(credited > 5, "{credited} rows with credit");

    // Refreshed: the reports read the ledger only.
    assert!(ledger::refresh_all(&state).await.expect("refresh") > 0);
    assert_eq!(state.store.ledger_stale_count().await.expect("marks"), 0);
    compliance_from_both_sources(&state, &periods, "refreshed").await;

    // Reviews of the open anomalies, confirmed and dismissed in turn (a dismissed
    // missing check-out grants credit), and activities logged and amended.
    let reviewer = plan.supervisor_of(0).expect("a supervisor").id;
    let admin = Actor {
        user_id: reviewer,
        role: Role::Admin,
        scope: Scope::Everything,
    };
    let open = state
        .store
        .list_anomalies(
            &AnomalyFilter {
                status: Some("open"),
                ..AnomalyFilter::default()
            },
            500,
        )
        .await
        .expect("open anomalies");
    let on_visits: Vec<_> = open.iter().filter(|a| a.visit_id.is_some()).collect();
    assert!(
        on_visits.len() > 3,
        "{} open anomalies on visits",
        on_visits.len()
    );
    for (i, anomaly) in on_visits.iter().enumerate() {
        let decision = if i % 3 == 0 {
            ReviewDecision::Confirm
        } else {
            ReviewDecision::Dismiss
        };
        let request = ReviewRequest {
            decision,
            note: "账本核对".to_owned(),
        };
        crate::service::anomalies::review(&state, &admin, anomaly.id, &request)
            .await
            .expect("review");
        if i == 0 {
            // One assignment marked: the reports read its events by id, the others'
            // ledger rows (with many marked they read the scope's events).
            compliance_from_both_sources(&state, &periods, "after one review").await;
        }
    }
    let visits = state
        .store
        .list_visits(&VisitFilter::default(), 400)
        .await
        .expect("visits");
    assert!(visits.len() > 20, "{} visits", visits.len());
    for (i, visit) in visits.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        let kind = match i % 3 {
            0 => ActivityKind::Outpatient,
            1 => ActivityKind::WardRound,
            _ => ActivityKind::Training,
        };
        for count in [u32::try_from(i % 7).unwrap_or(0), 3] {
            state
                .store
                .insert_activity(&ActivityRecord {
                    id: uuid::Uuid::new_v4(),
                    visit_id: visit.id,
                    physician_id: visit.physician_id,
                    kind,
                    count,
                    note: None,
                    supersedes_id: None,
                    recorded_at: state.now(),
                })
                .await
                .expect("activity");
        }
    }
    assert!(state.store.ledger_stale_count().await.expect("marks") > 0);
    // Marked days read from the events, the rest from the ledger.
    compliance_from_both_sources(&state, &periods, "after the changes").await;

    // Refreshing the marked days gives the ledger recomputing everything gives.
    ledger::refresh_all(&state).await.expect("refresh");
    compliance_from_both_sources(&state, &periods, "refreshed again").await;
    let kept = state.store.ledger_all().await.expect("ledger");
    let month_sums = state.store.ledger_month_sums_all().await.expect("months");
    assert_eq!(
        month_sums,
        month_sums_of(&kept),
        "month sums kept by refreshes"
    );
    state.store.ledger_mark_all_stale().await.expect("mark");
    ledger::refresh_all(&state).await.expect("recompute");
    let recomputed = state.store.ledger_all().await.expect("ledger");
    assert!(recomputed.len() > 5, "{} assignments", recomputed.len());
    assert_eq!(
        state.store.ledger_month_sums_all().await.expect("months"),
        month_sums,
        "month sums recomputed"
    );
    let differing: Vec<_> = recomputed
        .iter()
        .filter(|(id, ledger)| kept.get(id) != Some(*ledger))
        .map(|(id, _)| id)
        .collect();
    assert!(differing.is_empty(), "ledgers differ for {differing:?}");
    assert_eq!(kept.len(), recomputed.len());

    // What every day of an assignment depends on: a programme's thresholds and a
    // site's time zone. Each marks the whole of its assignments.
    let program = plan.programs.first().expect("a programme").id;
    let thresholds = mobile_api::UpdateProgram {
        half_day_minutes: Some(120),
        full_day_minutes: Some(300),
        ..Default::default()
    };
    crate::service::admin::programs::update(&state, &admin, program, thresholds)
        .await
        .expect("new thresholds");
    assert!(state.store.ledger_stale_count().await.expect("marks") > 0);
    compliance_from_both_sources(&state, &periods, "after new thresholds").await;
    ledger::refresh_all(&state).await.expect("refresh");
    let credited = *recomputed.keys().next().expect("an assignment with credit");
    let site = state
        .store
        .assignment(credited)
        .await
        .expect("assignment")
        .expect("there")
        .site_id;
    let zone = mobile_api::UpdateOrganization {
        timezone: Some("Asia/Urumqi".to_owned()),
        ..Default::default()
    };
    crate::service::admin::organizations::update(&state, &admin, site, zone)
        .await
        .expect("new time zone");
    assert!(state.store.ledger_stale_count().await.expect("marks") > 0);
    compliance_from_both_sources(&state, &periods, "after a new time zone").await;
    ledger::refresh_all(&state).await.expect("refresh");
    compliance_from_both_sources(&state, &periods, "refreshed after the settings").await;
    let kept = state.store.ledger_all().await.expect("ledger");
    state.store.ledger_mark_all_stale().await.expect("mark");
    ledger::refresh_all(&state).await.expect("recompute");
    assert!(
        kept == state.store.ledger_all().await.expect("ledger"),
        "the ledger after the settings changed differs from a recomputation"
    );
    assert_eq!(
        state.store.ledger_month_sums_all().await.expect("months"),
        month_sums_of(&kept),
        "month sums after the settings changed"
    );
    state.store.close().await;
}

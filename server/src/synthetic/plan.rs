//! Who is where under which programme: the whole synthetic province as data, a pure
//! function of the [`Spec`] (same seed, same plan), before anything is written.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use uuid::Uuid;

use super::geography::{self, Geography};
use super::names;
use super::rng::Rng;
use crate::domain::assignment::Mode;
use crate::domain::coords::Crs;
use crate::domain::organization::OrganizationKind;
use crate::domain::requirements::{ProgramTemplate, templates};
use crate::domain::user::{Gender, Role};
use crate::domain::window::DailyWindow;

/// How often things go wrong, per planned visit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRates {
    /// Never scans out: the visit is closed at midnight with `missing_checkout`.
    pub forgotten_checkout: f64,
    /// Leaves 10-25 minutes after arriving (`short_visit`).
    pub short_visit: f64,
    /// The phone reports a mock location (`mock_location`).
    pub mock_location: f64,
    /// A first scan from the road or the car park, refused `outside_geofence`, then a
    /// retry from inside.
    pub outside_fence_first: f64,
    /// A first scan with a vague fix, refused `poor_accuracy`, then a retry.
    pub poor_accuracy_first: f64,
    /// The check-out is queued offline and uploaded 20 min to 3 h later (`late_sync`).
    pub late_upload: f64,
    /// The check-in is sent twice within seconds (refused `code_reused` or
    /// `already_checked_in`).
    pub double_scan: f64,
    /// A borrowed or spare phone for the day (`new_device`).
    pub spare_device: f64,
    /// Arrives 5-28 minutes before the window opens (`outside_window_edge`).
    pub early_arrival: f64,
    /// A location spoofer sends the clinic's own coordinates (`fix_at_fence_centre`).
    pub replayed_fix: f64,
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            forgotten_checkout: 0.025,
            short_visit: 0.008,
            mock_location: 0.004,
            outside_fence_first: 0.02,
            poor_accuracy_first: 0.01,
            late_upload: 0.02,
            double_scan: 0.01,
            spare_device: 0.003,
            early_arrival: 0.02,
            replayed_fix: 0.001,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub counties: u32,
    pub physicians: u32,
    /// Days simulated, ending with `end_date`.
    pub days: u32,
    pub end_date: NaiveDate,
    pub seed: u64,
    /// The province code's two leading digits (`39` gives `390000`); also part of every
    /// synthetic phone number, so two provinces can share a database.
    pub province_prefix: u8,
    pub province_name: String,
    /// The password of every synthetic login.
    pub password: String,
    pub faults: FaultRates,
}

impl Spec {
    pub fn first_day(&self) -> NaiveDate {
        self.end_date - Duration::days(i64::from(self.days.max(1)) - 1)
    }
}

/// How a posting's physician comes to the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostingKind {
    /// 1-3 full days a month at a township or community centre (漳平/丰泽 programmes).
    MonthlyCircuit,
    /// Three half-days a week at a community centre (中站 circuit).
    CommunityHalfDays,
    /// County-to-township resident posting, every working day (福建 县级派驻乡级).
    TownshipDispatch,
    /// Resident posting with outpatient half-days and ward rounds (中站 驻点).
    ResidentDispatch,
    /// Twice a week at a village clinic (福建 村级巡诊).
    VillageCircuit,
    /// Every working day at a village clinic (福建 村级派驻).
    VillageDispatch,
    /// 4-6 days a month with teaching and a monthly training (光山 资源下沉).
    GroupSinking,
}

impl PostingKind {
    pub const ALL: [PostingKind; 7] = [
        PostingKind::MonthlyCircuit,
        PostingKind::CommunityHalfDays,
        PostingKind::TownshipDispatch,
        PostingKind::ResidentDispatch,
        PostingKind::VillageCircuit,
        PostingKind::VillageDispatch,
        PostingKind::GroupSinking,
    ];
    /// Shares among physicians' main postings.
    const WEIGHTS: [f64; 7] = [0.22, 0.12, 0.14, 0.08, 0.22, 0.10, 0.12];

    pub fn mode(self) -> Mode {
        match self {
            PostingKind::TownshipDispatch
            | PostingKind::ResidentDispatch
            | PostingKind::VillageDispatch => Mode::Dispatch,
            _ => Mode::Circuit,
        }
    }

    /// The programme template it serves under.
    pub fn template_key(self, rng: &mut Rng) -> &'static str {
        match self {
            PostingKind::MonthlyCircuit if rng.chance(0.5) => "zhangping-2022",
            PostingKind::MonthlyCircuit => "fengze-2023",
            PostingKind::CommunityHalfDays => "zhongzhan-2021-circuit",
            PostingKind::TownshipDispatch => "fujian-2023-township-dispatch",
            PostingKind::ResidentDispatch => "zhongzhan-2021-resident",
            PostingKind::VillageCircuit => "fujian-2023-village-circuit",
            PostingKind::VillageDispatch => "fujian-2023-village-dispatch",
            PostingKind::GroupSinking => "guangshan-2021",
        }
    }

    fn site_kind(self) -> OrganizationKind {
        match self {
            PostingKind::CommunityHalfDays => OrganizationKind::CommunityHealthCenter,
            PostingKind::VillageCircuit | PostingKind::VillageDispatch => {
                OrganizationKind::VillageClinic
            }
            _ => OrganizationKind::TownshipHealthCenter,
        }
    }

    /// The assignment's daily window (start, end).
    fn window(self) -> (NaiveTime, NaiveTime) {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        match self {
            PostingKind::CommunityHalfDays => (t(8, 0), t(18, 0)),
            PostingKind::TownshipDispatch
            | PostingKind::ResidentDispatch
            | PostingKind::VillageDispatch => (t(7, 30), t(18, 0)),
            PostingKind::VillageCircuit => (t(8, 0), t(17, 0)),
            PostingKind::MonthlyCircuit | PostingKind::GroupSinking => (t(8, 0), t(17, 30)),
        }
    }
}

/// One programme created from a template.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramPlan {
    pub id: Uuid,
    pub key: &'static str,
    pub name: String,
    pub template: ProgramTemplate,
}

/// A login that is not a physician: province admin, supervisors, hospital admins.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffPlan {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
    pub phone: String,
    pub jurisdiction_code: Option<String>,
    pub organization: Option<usize>,
    /// For a county supervisor: the county.
    pub county: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhysicianPlan {
    pub id: Uuid,
    pub name: String,
    pub phone: String,
    pub gender: Gender,
    pub title: &'static str,
    pub specialty: &'static str,
    pub county: usize,
    /// The supporting hospital (site index) the physician works at.
    pub hospital: usize,
    pub device_id: String,
    pub spare_device_id: String,
    /// What the phone's map SDK reports in.
    pub crs: Crs,
    /// Chance of turning up on a planned day.
    pub reliability: f64,
    /// Typical minutes after the window opens when they arrive.
    pub arrival_offset_min: f64,
}

/// One assignment (对口支援安排) and how its physician keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingPlan {
    pub id: Uuid,
    pub physician: usize,
    pub site: usize,
    pub program: usize,
    pub kind: PostingKind,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window: DailyWindow,
    /// For weekly patterns: the weekdays (Monday = 0) they come.
    pub weekdays: Vec<u32>,
    /// For half-day patterns: morning sessions (else afternoon).
    pub mornings: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec: Spec,
    pub geography: Geography,
    pub programs: Vec<ProgramPlan>,
    pub staff: Vec<StaffPlan>,
    pub physicians: Vec<PhysicianPlan>,
    pub postings: Vec<PostingPlan>,
}

/// Why a spec cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("counties: must be between 1 and {max}")]
    Counties { max: usize },
    #[error("physicians: must be between 1 and 9,000,000")]
    Physicians,
    #[error("days: must be between 1 and 1,700")]
    Days,
    #[error("province prefix: must be between 10 and 99")]
    Prefix,
}

/// The phone of the `serial`-th login of the province: `10` + prefix + 7 digits.
/// Mainland mobile numbers start 13-19, so these never reach a real person.
pub fn synthetic_phone(prefix: u8, serial: u32) -> String {
    format!("10{prefix:02}{serial:07}")
}

/// The first phone serial given to physicians (staff use those below).
pub const PHYSICIAN_SERIAL_BASE: u32 = 1_000_000;

/// A programme name for the province from a template's: the template names the
/// circular's own place, the synthetic province puts its own name in front instead.
pub fn program_name(province: &str, template: &ProgramTemplate) -> String {
    let name = template.name;
    let stem = name
        .char_indices()
        .take(4)
        .find(|(_, c)| matches!(c, '省' | '市' | '区' | '县'))
        .map_or(name, |(i, c)| &name[i + c.len_utf8()..]);
    format!("{province}{stem}")
}

impl Plan {
    pub fn generate(spec: &Spec) -> Result<Plan, PlanError> {
        let counties = spec.counties as usize;
        if !(1..=geography::MAX_COUNTIES).contains(&counties) {
            return Err(PlanError::Counties {
                max: geography::MAX_COUNTIES,
            });
        }
        if !(1..=9_000_000).contains(&spec.physicians) {
            return Err(PlanError::Physicians);
        }
        if !(1..=1_700).contains(&spec.days) {
            return Err(PlanError::Days);
        }
        if !(10..=99).contains(&spec.province_prefix) {
            return Err(PlanError::Prefix);
        }
        let mut rng = Rng::derive(spec.seed, "geography", 0);
        let geography = geography::generate(
            &mut rng,
            spec.province_prefix,
            &spec.province_name,
            counties,
        );
        let mut rng = Rng::derive(spec.seed, "programs", 0);
        let programs: Vec<ProgramPlan> = templates()
            .into_iter()
            .map(|template| ProgramPlan {
                id: rng.uuid(),
                key: template.key,
                name: program_name(&spec.province_name, &template),
                template,
            })
            .collect();
        let staff = staff(spec, &geography);
        let (physicians, postings) = people(spec, &geography, &programs);
        Ok(Plan {
            spec: spec.clone(),
            geography,
            programs,
            staff,
            physicians,
            postings,
        })
    }

    /// The posting whose programme has `key`.
    pub fn program_index(&self, key: &str) -> Option<usize> {
        self.programs.iter().position(|p| p.key == key)
    }

    /// The county supervisor (审核人) of a county.
    pub fn supervisor_of(&self, county: usize) -> Option<&StaffPlan> {
        self.staff
            .iter()
            .find(|s| s.role == Role::Supervisor && s.county == Some(county))
    }

    /// The province's administrator: creates everything, in the audit log too.
    pub fn admin(&self) -> Option<&StaffPlan> {
        self.staff.iter().find(|s| s.role == Role::Admin)
    }
}

fn staff(spec: &Spec, geography: &Geography) -> Vec<StaffPlan> {
    let mut rng = Rng::derive(spec.seed, "staff", 0);
    let prefix = spec.province_prefix;
    let mut serial = 0;
    let mut next_phone = || {
        serial += 1;
        synthetic_phone(prefix, serial - 1)
    };
    let mut staff = vec![StaffPlan {
        id: rng.uuid(),
        role: Role::Admin,
        name: format!("{}（合成数据管理员）", names::person_name(&mut rng)),
        phone: next_phone(),
        jurisdiction_code: None,
        organization: None,
        county: None,
    }];
    staff.push(StaffPlan {
        id: rng.uuid(),
        role: Role::Supervisor,
        name: names::person_name(&mut rng),
        phone: next_phone(),
        jurisdiction_code: Some(geography.province_code.clone()),
        organization: None,
        county: None,
    });
    for city in &geography.cities {
        staff.push(StaffPlan {
            id: rng.uuid(),
            role: Role::Supervisor,
            name: names::person_name(&mut rng),
            phone: next_phone(),
            jurisdiction_code: Some(city.code.clone()),
            organization: None,
            county: None,
        });
    }
    for (index, county) in geography.counties.iter().enumerate() {
        staff.push(StaffPlan {
            id: rng.uuid(),
            role: Role::Supervisor,
            name: names::person_name(&mut rng),
            phone: next_phone(),
            jurisdiction_code: Some(county.code.clone()),
            organization: None,
            county: Some(index),
        });
        if let Some(hospital) = hospital_of(geography, index) {
            staff.push(StaffPlan {
                id: rng.uuid(),
                role: Role::HospitalAdmin,
                name: names::person_name(&mut rng),
                phone: next_phone(),
                jurisdiction_code: None,
                organization: Some(hospital),
                county: None,
            });
        }
    }
    staff
}

fn hospital_of(geography: &Geography, county: usize) -> Option<usize> {
    geography
        .sites
        .iter()
        .position(|s| s.county == county && s.kind == OrganizationKind::Hospital)
}

fn people(
    spec: &Spec,
    geography: &Geography,
    programs: &[ProgramPlan],
) -> (Vec<PhysicianPlan>, Vec<PostingPlan>) {
    let first = spec.first_day();
    // Postings start on a Monday, so the first week is a whole one, when the span
    // allows it.
    let monday =
        first + Duration::days(i64::from((7 - first.weekday().num_days_from_monday()) % 7));
    let posting_start = if monday + Duration::days(6) <= spec.end_date {
        monday
    } else {
        first
    };
    // Postings run a year, and past the simulated span when that is longer: the
    // programmes are annual, and a demo's assignments still cover today.
    let end = (first + Duration::days(364)).max(spec.end_date + Duration::days(180));
    let mut physicians = Vec::new();
    let mut postings = Vec::new();
    // Round-robin over each county's sites of a kind, so work spreads evenly.
    let mut next_site: std::collections::HashMap<(usize, u8), usize> =
        std::collections::HashMap::new();
    for i in 0..spec.physicians as usize {
        let mut rng = Rng::derive(spec.seed, "physician", i as u64);
        let county = i % geography.counties.len();
        let Some(hospital) = hospital_of(geography, county) else {
            continue;
        };
        let title = names::title(&mut rng);
        let mut kind = PostingKind::ALL[rng.weighted(&PostingKind::WEIGHTS)];
        // The circulars send mid-level titles and above on resident postings.
        if kind.mode() == Mode::Dispatch && !names::is_mid_level_or_above(title) {
            kind = PostingKind::VillageCircuit;
        }
        let crs = match rng.weighted(&[0.5, 0.4, 0.1]) {
            0 => Crs::Wgs84,
            1 => Crs::Gcj02,
            _ => Crs::Bd09,
        };
        let platform = if rng.chance(0.7) { "android" } else { "ios" };
        let physician = PhysicianPlan {
            id: rng.uuid(),
            name: names::person_name(&mut rng),
            phone: synthetic_phone(spec.province_prefix, PHYSICIAN_SERIAL_BASE + i as u32),
            gender: names::gender(&mut rng),
            title,
            specialty: names::specialty(&mut rng),
            county,
            hospital,
            device_id: format!("{platform}-{}", rng.hex(8)),
            spare_device_id: format!("{platform}-{}", rng.hex(8)),
            crs,
            reliability: rng.range_f64(0.88, 0.99),
            arrival_offset_min: rng.range_f64(5.0, 30.0),
        };
        let index = physicians.len();
        physicians.push(physician);
        let mut kinds = vec![kind];
        if kind.mode() == Mode::Circuit && rng.chance(0.15) {
            kinds.push(PostingKind::MonthlyCircuit);
        }
        for (n, kind) in kinds.into_iter().enumerate() {
            let candidates: Vec<usize> = geography
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| s.county == county && s.kind == kind.site_kind())
                .map(|(i, _)| i)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let turn = next_site
                .entry((county, kind.site_kind() as u8))
                .or_insert(0);
            let site = candidates[(*turn + n) % candidates.len()];
            *turn += 1;
            let key = kind.template_key(&mut rng);
            let Some(program) = programs.iter().position(|p| p.key == key) else {
                continue;
            };
            let (start, close) = kind.window();
            let Ok(window) = DailyWindow::new(start, close) else {
                continue;
            };
            postings.push(PostingPlan {
                id: rng.uuid(),
                physician: index,
                site,
                program,
                kind,
                start_date: posting_start,
                end_date: end,
                window,
                weekdays: weekly_days(kind, &mut rng),
                mornings: rng.chance(0.6),
            });
        }
    }
    (physicians, postings)
}

/// The fixed weekdays (Monday = 0) of weekly patterns.
fn weekly_days(kind: PostingKind, rng: &mut Rng) -> Vec<u32> {
    match kind {
        PostingKind::CommunityHalfDays => {
            let options: [[u32; 3]; 3] = [[0, 2, 4], [0, 1, 3], [1, 2, 4]];
            rng.pick(&options).to_vec()
        }
        PostingKind::VillageCircuit => {
            let options: [[u32; 2]; 4] = [[1, 3], [0, 3], [1, 4], [0, 2]];
            rng.pick(&options).to_vec()
        }
        PostingKind::TownshipDispatch
        | PostingKind::ResidentDispatch
        | PostingKind::VillageDispatch => vec![0, 1, 2, 3, 4],
        PostingKind::MonthlyCircuit | PostingKind::GroupSinking => Vec::new(),
    }
}

/// The working days of a month a monthly pattern comes on: `count` distinct
/// Monday-to-Friday dates, drawn from the posting's own stream for that month.
pub fn monthly_days(
    seed: u64,
    posting: usize,
    year: i32,
    month: u32,
    count: usize,
) -> Vec<NaiveDate> {
    let mut working: Vec<NaiveDate> = (1..=31)
        .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let mut rng = Rng::derive(
        seed,
        "month",
        (posting as u64) << 20 | (year as u64 * 12 + u64::from(month)),
    );
    let mut chosen = Vec::new();
    while chosen.len() < count && !working.is_empty() {
        let i = rng.below(working.len() as u64) as usize;
        chosen.push(working.swap_remove(i));
    }
    chosen.sort();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn spec(seed: u64) -> Spec {
        Spec {
            counties: 3,
            physicians: 40,
            days: 30,
            end_date: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
            seed,
            province_prefix: 39,
            province_name: "海岚省".into(),
            password: "synthetic-pass".into(),
            faults: FaultRates::default(),
        }
    }

    #[test]
    fn the_same_seed_plans_the_same_province_and_another_seed_another() {
        let a = Plan::generate(&spec(1)).expect("plan");
        let b = Plan::generate(&spec(1)).expect("plan");
        let c = Plan::generate(&spec(2)).expect("plan");
        assert_eq!(a, b);
        assert_ne!(a.physicians, c.physicians);
        assert_ne!(a.geography, c.geography);
    }

    #[test]
    fn every_physician_has_a_posting_in_their_county_under_a_programme() {
        let plan = Plan::generate(&spec(3)).expect("plan");
        assert_eq!(plan.physicians.len(), 40);
        for (i, physician) in plan.physicians.iter().enumerate() {
            let mine: Vec<&PostingPlan> =
                plan.postings.iter().filter(|p| p.physician == i).collect();
            assert!(!mine.is_empty(), "{} has no posting", physician.name);
            for posting in mine {
                let site = &plan.geography.sites[posting.site];
                assert_eq!(site.county, physician.county);
                assert_eq!(site.kind, posting.kind.site_kind());
                assert!(
                    posting.start_date <= plan.spec.end_date
                        && posting.end_date > plan.spec.end_date
                );
                if posting.kind.mode() == Mode::Dispatch {
                    assert!(names::is_mid_level_or_above(physician.title));
                }
            }
        }
    }

    #[test]
    fn phones_are_unique_and_never_a_mobile_number() {
        let plan = Plan::generate(&spec(4)).expect("plan");
        let phones: Vec<&String> = plan
            .staff
            .iter()
            .map(|s| &s.phone)
            .chain(plan.physicians.iter().map(|p| &p.phone))
            .collect();
        let distinct: std::collections::HashSet<&&String> = phones.iter().collect();
        assert_eq!(distinct.len(), phones.len());
        for phone in phones {
            assert!(phone.starts_with("1039") && phone.len() == 11, "{phone}");
            assert!(crate::domain::user::Phone::parse(phone).is_ok());
        }
    }

    #[test]
    fn programme_names_carry_the_province_instead_of_the_circulars_place() {
        for template in templates() {
            let name = program_name("海岚省", &template);
            assert!(name.starts_with("海岚省"), "{name}");
            for place in ["漳平", "丰泽", "中站", "福建", "光山"] {
                assert!(!name.contains(place), "{name}");
            }
        }
    }

    #[test]
    fn monthly_days_are_distinct_working_days_of_that_month() {
        let days = monthly_days(1, 7, 2026, 2, 3);
        assert_eq!(days.len(), 3);
        assert!(days.windows(2).all(|w| w[0] < w[1]));
        for d in &days {
            assert_eq!(d.month(), 2);
            assert!(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
        }
        assert_eq!(days, monthly_days(1, 7, 2026, 2, 3));
    }

    #[test]
    fn bad_specs_are_refused() {
        let mut s = spec(1);
        s.counties = 0;
        assert!(matches!(
            Plan::generate(&s),
            Err(PlanError::Counties { .. })
        ));
        let mut s = spec(1);
        s.days = 0;
        assert_eq!(Plan::generate(&s), Err(PlanError::Days));
    }
}

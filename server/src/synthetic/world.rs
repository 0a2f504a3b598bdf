//! Writes the plan's world (jurisdictions, organizations with fences and kiosks,
//! programmes, users, assignments) through the administration service's recording
//! steps, the ones its requests end in: the same rows and an audit entry per object,
//! by the province's admin. The plan's objects are valid by construction and keep
//! the ids the plan gave them, so the checks a request runs first are not repeated.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SyntheticError;
use super::plan::Plan;
use crate::auth::password;
use crate::domain::access::{Actor, Scope};
use crate::domain::assignment::Assignment;
use crate::domain::crediting::Thresholds;
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionCode, JurisdictionPath, Level};
use crate::domain::kiosk_code::SiteSecret;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::program::Program;
use crate::domain::requirements::Requirement;
use crate::domain::user::{Phone, Role, User};
use crate::service::admin::{assignments, jurisdictions, kiosks, organizations, programs, users};
use crate::state::AppState;
use crate::store::organizations::NewOrganization;

/// What the simulation needs to know about the written world.
pub struct World {
    /// Each site's kiosk secret (`None` for sites without a fence).
    pub secrets: Vec<Option<SiteSecret>>,
    pub province_path: JurisdictionPath,
    pub county_paths: Vec<JurisdictionPath>,
    /// The province's admin, the actor of every setup change.
    pub admin: Actor,
    /// Rows written, by table.
    pub rows: HashMap<&'static str, u64>,
}

impl World {
    /// A county supervisor as the review handler sees them.
    pub fn supervisor(&self, plan: &Plan, county: usize) -> Option<Actor> {
        let staff = plan.supervisor_of(county)?;
        Some(Actor {
            user_id: staff.id,
            role: Role::Supervisor,
            scope: Scope::Jurisdiction(self.county_paths.get(county)?.clone()),
        })
    }
}

fn code(text: &str) -> Result<JurisdictionCode, SyntheticError> {
    JurisdictionCode::parse(text).map_err(|e| SyntheticError::Invalid(e.to_string()))
}

fn phone(text: &str) -> Result<Phone, SyntheticError> {
    Phone::parse(text).map_err(|e| SyntheticError::Invalid(e.to_string()))
}

/// Writes every object of `plan`; `progress` hears what is being written.
pub async fn write(
    state: &AppState,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<World, SyntheticError> {
    let geography = &plan.geography;
    let store = &state.store;
    let province_code = code(&geography.province_code)?;
    if store.jurisdiction(&province_code).await?.is_some() {
        return Err(SyntheticError::AlreadySeeded(
            geography.province_code.clone(),
        ));
    }
    let now: DateTime<Utc> = state.now();
    let mut rows: HashMap<&'static str, u64> = HashMap::new();
    let hash = password::hash(plan.spec.password.clone(), state.config.password_cost)
        .await
        .map_err(|e| SyntheticError::Hashing(e.to_string()))?;
    let admin_plan = plan
        .admin()
        .ok_or_else(|| SyntheticError::Invalid("no admin planned".into()))?;
    let admin = Actor {
        user_id: admin_plan.id,
        role: Role::Admin,
        scope: Scope::Everything,
    };

    // The admin first, so every later change has its actor.
    let new_user = |id, role, name: &str, phone_text: &str| -> Result<User, SyntheticError> {
        Ok(User {
            id,
            role,
            name: name.to_owned(),
            phone: phone(phone_text)?,
            organization_id: None,
            jurisdiction_code: None,
            title: None,
            specialty: None,
            gender: None,
            practice_since_year: None,
            discipline: None,
            created_at: now,
            deactivated_at: None,
        })
    };
    let admin_user = new_user(
        admin_plan.id,
        Role::Admin,
        &admin_plan.name,
        &admin_plan.phone,
    )?;
    users::record_created(state, &admin, &admin_user, &hash, false).await?;
    *rows.entry("users").or_default() += 1;

    progress("jurisdictions");
    let province = Jurisdiction {
        code: province_code.clone(),
        name: geography.province_name.clone(),
        level: Level::Province,
        parent_code: None,
        path: JurisdictionPath::root(&province_code),
    };
    let mut jurisdictions_written = vec![province.clone()];
    let mut city_paths = Vec::new();
    for city in &geography.cities {
        let c = code(&city.code)?;
        let j = Jurisdiction {
            code: c.clone(),
            name: city.name.clone(),
            level: Level::City,
            parent_code: Some(province_code.clone()),
            path: province.path.child(&c),
        };
        city_paths.push(j.path.clone());
        jurisdictions_written.push(j);
    }
    let mut county_paths = Vec::new();
    for county in &geography.counties {
        let c = code(&county.code)?;
        let parent = &geography.cities[county.city];
        let j = Jurisdiction {
            code: c.clone(),
            name: county.name.clone(),
            level: Level::County,
            parent_code: Some(code(&parent.code)?),
            path: city_paths[county.city].child(&c),
        };
        county_paths.push(j.path.clone());
        jurisdictions_written.push(j);
    }
    for j in jurisdictions_written {
        jurisdictions::record_created(state, &admin, &j, now).await?;
        *rows.entry("jurisdictions").or_default() += 1;
    }

    progress("organizations, fences and kiosks");
    let mut secrets = Vec::with_capacity(geography.sites.len());
    for site in &geography.sites {
        let county = &geography.counties[site.county];
        let county_code = code(&county.code)?;
        let fence = match &site.fence {
            Some(_) => Some(
                site.geofence()
                    .ok_or_else(|| SyntheticError::Invalid(format!("fence of {}", site.name)))?,
            ),
            None => None,
        };
        let secret = SiteSecret::generate().map_err(|e| SyntheticError::Invalid(e.to_string()))?;
        let new = NewOrganization {
            id: site.id,
            name: &site.name,
            kind: site.kind,
            jurisdiction_code: &county_code,
            timezone: DEFAULT_TIMEZONE,
            max_accuracy_m: site.max_accuracy_m,
            geofence: fence.as_ref(),
            kiosk_secret: &secret,
            created_by: admin.user_id,
        };
        organizations::record_created(state, &admin, &new, &county_paths[site.county], now).await?;
        *rows.entry("organizations").or_default() += 1;
        if site.fence.is_some() && site.code_kind == crate::domain::kiosk_code::CodeKind::Rotating {
            // The wall screen: enrolled like `POST /organizations/{id}/kiosks`; its token
            // is not needed, the simulation mints codes with the site's secret.
            let kiosk_id = Uuid::from_u128(site.id.as_u128() ^ 0x6b69_6f73_6b00);
            kiosks::record_enrolled(state, &admin, kiosk_id, site.id, Some("门诊大厅"), now)
                .await?;
            *rows.entry("kiosks").or_default() += 1;
        }
        secrets.push(site.fence.is_some().then_some(secret));
    }

    progress("programmes");
    for program_plan in &plan.programs {
        let t = &program_plan.template;
        let requirements = t
            .requirements
            .iter()
            .cloned()
            .map(Requirement::from_spec)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
        let program = Program {
            id: program_plan.id,
            name: program_plan.name.clone(),
            jurisdiction_code: province_code.clone(),
            thresholds: Thresholds::new(t.half_day_minutes, t.full_day_minutes)
                .map_err(|e| SyntheticError::Invalid(e.to_string()))?,
            requirements,
            eligibility: Default::default(),
            created_at: now,
            scan_photo: mobile_api::ScanPhotoMode::Off,
        };
        programs::record_created(state, &admin, &program, now).await?;
        *rows.entry("programs").or_default() += 1;
    }

    progress("users");
    for staff in plan.staff.iter().filter(|s| s.role != Role::Admin) {
        let mut user = new_user(staff.id, staff.role, &staff.name, &staff.phone)?;
        user.jurisdiction_code = staff.jurisdiction_code.as_deref().map(code).transpose()?;
        user.organization_id = staff.organization.map(|i| geography.sites[i].id);
        users::record_created(state, &admin, &user, &hash, false).await?;
        *rows.entry("users").or_default() += 1;
    }
    for (i, physician) in plan.physicians.iter().enumerate() {
        let mut user = new_user(
            physician.id,
            Role::Physician,
            &physician.name,
            &physician.phone,
        )?;
        user.organization_id = Some(geography.sites[physician.hospital].id);
        user.title = Some(physician.title.to_owned());
        user.specialty = Some(physician.specialty.to_owned());
        user.gender = Some(physician.gender);
        users::record_created(state, &admin, &user, &hash, false).await?;
        *rows.entry("users").or_default() += 1;
        if i % 1000 == 999 {
            progress(&format!("users: {} physicians", i + 1));
        }
    }

    progress("assignments");
    for posting in &plan.postings {
        let assignment = Assignment {
            id: posting.id,
            physician_id: plan.physicians[posting.physician].id,
            site_id: geography.sites[posting.site].id,
            program_id: plan.programs[posting.program].id,
            mode: posting.kind.mode(),
            start_date: posting.start_date,
            end_date: posting.end_date,
            window: posting.window,
            created_at: now,
        };
        assignments::record_created(state, &admin, &assignment).await?;
        *rows.entry("assignments").or_default() += 1;
    }
    let audited: u64 = rows.values().sum();
    rows.insert("audit_log", audited);
    Ok(World {
        secrets,
        province_path: province.path,
        county_paths,
        admin,
        rows,
    })
}

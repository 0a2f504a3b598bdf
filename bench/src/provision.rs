//! Provisioning through the public API as an admin: jurisdictions, a hospital, sites
//! with circle or polygon fences and one kiosk each, a program, physicians with one
//! assignment each (window 00:00-23:59 from yesterday), then every physician's login.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Days, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::args::Args;

const PROVINCE: &str = "350000";
const CITY: &str = "350800";
/// Sites per county: counties 350801, 350802, ... hold this many sites each.
const SITES_PER_COUNTY: usize = 20;
/// The physicians' password: cheap to type, long enough for the server's rule.
const PASSWORD: &str = "loadgen-password";

/// A receiving site, where its fence is and the kiosk that shows its code.
#[derive(Debug, Clone)]
pub struct Site {
    pub id: Uuid,
    pub lat: f64,
    pub lon: f64,
    pub kiosk: Client,
}

/// A logged-in physician posted to one site, with the phone they always use.
#[derive(Debug, Clone)]
pub struct Physician {
    pub client: Client,
    pub site: usize,
    pub device_id: String,
}

/// What the measured phases need.
pub struct World {
    pub sites: Vec<Site>,
    pub physicians: Vec<Physician>,
}

/// The fence centre of site `index`: a grid over western Fujian, 1 km apart.
fn site_centre(index: usize) -> (f64, f64) {
    let row = (index / 100) as f64;
    let column = (index % 100) as f64;
    (25.0 + row * 0.009, 117.0 + column * 0.01)
}

/// Even sites get a 150 m circle, odd ones a square of about 200 m.
fn fence(index: usize) -> Value {
    let (lat, lon) = site_centre(index);
    if index.is_multiple_of(2) {
        return json!({"type": "circle", "center": {"lat": lat, "lon": lon}, "radius_m": 150.0, "crs": "wgs84"});
    }
    let (dlat, dlon) = (0.0009, 0.001);
    json!({"type": "Polygon", "crs": "wgs84", "coordinates": [[
        [lon - dlon, lat - dlat], [lon + dlon, lat - dlat],
        [lon + dlon, lat + dlat], [lon - dlon, lat + dlat], [lon - dlon, lat - dlat],
    ]]})
}

fn county_of(site: usize) -> String {
    format!("3508{:02}", 1 + site / SITES_PER_COUNTY)
}

/// A jurisdiction, or nothing when an earlier run created it already.
async fn ensure_jurisdiction(
    admin: &Client,
    code: &str,
    level: JurisdictionLevel,
    parent: Option<&str>,
) -> Result<()> {
    let body = CreateJurisdiction {
        code: code.to_owned(),
        name: format!("压测{code}"),
        level,
        parent_code: parent.map(str::to_owned),
    };
    match admin.create_jurisdiction(&body).await {
        Ok(_) => Ok(()),
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 409) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("jurisdiction {code}")),
    }
}

/// Runs `make(i)` for `0..count` with at most `concurrency` in flight, in order.
async fn in_parallel<T, F, Fut>(count: usize, concurrency: usize, make: F) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let permit = permits.clone().acquire_owned().await?;
        let future = make(index);
        tasks.spawn(async move {
            let result = future.await;
            drop(permit);
            result.map(|value| (index, value))
        });
    }
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, value) = joined??;
        results[index] = Some(value);
    }
    Ok(results.into_iter().flatten().collect())
}

/// Creates everything the run needs and logs every physician in.
pub async fn provision(args: &Args) -> Result<World> {
    let anonymous = Client::new(args.url.clone());
    let login = anonymous
        .login(&LoginRequest {
            phone: args.admin_phone.clone(),
            password: args.admin_password.clone(),
            device_id: None,
        })
        .await
        .context("admin login")?;
    let admin = anonymous.with_token(login.access_token);

    ensure_jurisdiction(&admin, PROVINCE, JurisdictionLevel::Province, None).await?;
    ensure_jurisdiction(&admin, CITY, JurisdictionLevel::City, Some(PROVINCE)).await?;
    for county in 0..args.sites.div_ceil(SITES_PER_COUNTY) {
        let code = county_of(county * SITES_PER_COUNTY);
        ensure_jurisdiction(&admin, &code, JurisdictionLevel::County, Some(CITY)).await?;
    }
    // Names and phones unique to this run, so runs can share a database.
    let run = Uuid::new_v4().as_u128() % 1000;
    let hospital = admin
        .create_organization(&CreateOrganization {
            name: format!("压测医院{run:03}"),
            kind: OrganizationKind::Hospital,
            jurisdiction_code: county_of(0),
            geofence: None,
            timezone: None,
            max_accuracy_m: None,
        })
        .await
        .context("hospital")?;
    let program = admin
        .create_program(&CreateProgram {
            name: format!("压测方案{run:03}"),
            jurisdiction_code: CITY.to_owned(),
            half_day_minutes: None,
            full_day_minutes: None,
            requirements: vec![Requirement {
                period: RequirementPeriod::Month,
                min_days: Some(4.0),
                min_half_days: None,
                min_visits: None,
                min_days_served: None,
                min_working_days: None,
                min_activity_count: None,
                activity: None,
                min_consecutive_months: None,
            }],
            eligibility: Default::default(),
        })
        .await
        .context("program")?;

    let sites = in_parallel(args.sites, args.concurrency, |index| {
        let admin = admin.clone();
        async move {
            let site = admin
                .create_organization(&CreateOrganization {
                    name: format!("压测卫生院{run:03}-{index}"),
                    kind: OrganizationKind::TownshipHealthCenter,
                    jurisdiction_code: county_of(index),
                    geofence: Some(fence(index)),
                    timezone: None,
                    max_accuracy_m: None,
                })
                .await
                .with_context(|| format!("site {index}"))?;
            let kiosk = admin
                .enroll_kiosk(site.id, &EnrollKiosk::default())
                .await
                .with_context(|| format!("kiosk of site {index}"))?;
            let (lat, lon) = site_centre(index);
            Ok(Site {
                id: site.id,
                lat,
                lon,
                kiosk: admin.with_token(kiosk.token),
            })
        }
    })
    .await?;
    println!("provisioned {} sites with kiosks", sites.len());

    let yesterday = Utc::now().date_naive() - Days::new(1);
    let end = yesterday + Days::new(60);
    let site_ids: Vec<Uuid> = sites.iter().map(|s| s.id).collect();
    let site_count = sites.len().max(1);
    let physicians = in_parallel(args.physicians, args.concurrency, |index| {
        let admin = admin.clone();
        let anonymous = anonymous.clone();
        let site = index % site_count;
        let site_id = site_ids.get(site).copied();
        let (hospital_id, program_id) = (hospital.id, program.id);
        async move {
            let site_id = site_id.context("no sites")?;
            let phone = format!("17{run:03}{index:06}");
            let user = admin
                .create_user(&CreateUser {
                    role: Role::Physician,
                    name: format!("压测医师{index}"),
                    phone: phone.clone(),
                    password: PASSWORD.to_owned(),
                    organization_id: Some(hospital_id),
                    jurisdiction_code: None,
                    title: None,
                    specialty: None,
                    gender: None,
                    discipline: None,
                    practice_since_year: None,
                })
                .await
                .with_context(|| format!("physician {index}"))?;
            admin
                .create_assignment(&CreateAssignment {
                    physician_id: user.id,
                    site_id,
                    program_id,
                    mode: AssignmentMode::Circuit,
                    start_date: yesterday,
                    end_date: end,
                    window_start: "00:00".to_owned(),
                    window_end: "23:59".to_owned(),
                    eligibility_override: None,
                })
                .await
                .with_context(|| format!("assignment of physician {index}"))?;
            let device_id = format!("loadgen-phone-{run:03}-{index}");
            let token = anonymous
                .login(&LoginRequest {
                    phone,
                    password: PASSWORD.to_owned(),
                    device_id: Some(device_id.clone()),
                })
                .await
                .with_context(|| format!("login of physician {index}"))?;
            let client = anonymous.with_token(token.access_token);
            // A user an administrator created sets their own password first (the
            // token stays valid).
            if token.must_change_password {
                let changed = client
                    .request(reqwest::Method::POST, "/api/v1/auth/password")
                    .json(&ChangePassword {
                        current_password: PASSWORD.to_owned(),
                        new_password: format!("{PASSWORD}-own"),
                    })
                    .send()
                    .await
                    .with_context(|| format!("password of physician {index}"))?;
                anyhow::ensure!(
                    changed.status().is_success(),
                    "password of physician {index}: {}",
                    changed.status()
                );
            }
            Ok(Physician {
                client,
                site,
                device_id,
            })
        }
    })
    .await?;
    println!("provisioned and logged in {} physicians", physicians.len());
    Ok(World { sites, physicians })
}

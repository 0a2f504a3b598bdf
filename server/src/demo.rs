//! `server --demo`: a demo jurisdiction (a city with two counties, modelled on the
//! circulars: county hospitals, 乡镇卫生院, 社区卫生服务中心, 村卫生室), fixed demo
//! logins, a kiosk link, an assignment covering today, and a month of synthetic
//! history, created once and kept across restarts. Every person and place is fictional.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Duration, NaiveTime, Utc};
use uuid::Uuid;

use crate::App;
use crate::auth::password;
use crate::config::Config;
use crate::domain::access::{Actor, Scope};
use crate::domain::assignment::Assignment;
use crate::domain::clock::SystemClock;
use crate::domain::jurisdiction::JurisdictionCode;
use crate::domain::organization::{DEFAULT_TIMEZONE, OrganizationKind};
use crate::domain::user::{Phone, Role, User};
use crate::domain::window::{DailyWindow, local_date};
use crate::service::admin::{assignments, kiosks, users};
use crate::state::AppState;
use crate::synthetic::geography::FenceShape;
use crate::synthetic::plan::{FaultRates, Plan, Spec};
use crate::synthetic::simulate::{Options, Path, seed_with};
use crate::synthetic::{SyntheticError, yesterday};

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "xiaxiang-demo";
/// The demo province's code prefix (`380000`) and name.
pub const DEMO_PREFIX: u8 = 38;
pub const DEMO_PROVINCE: &str = "云岚省";
const DEMO_SEED: u64 = 2026;
/// Days of history before today.
const HISTORY_DAYS: u32 = 30;
/// The last days of history whose anomalies the supervisors have not reviewed yet,
/// so the visitor finds open ones (mock locations, missing check-outs) to review.
const UNREVIEWED_DAYS: u32 = 10;

/// The fixed demo logins, in the order they are printed.
const ADMIN_PHONE: &str = "10000000001";
const SUPERVISOR_PHONE: &str = "10000000002";
const HOSPITAL_ADMIN_PHONE: &str = "10000000003";
const PHYSICIAN_PHONES: [&str; 2] = ["10000000004", "10000000005"];

/// One login to print.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLogin {
    pub role: &'static str,
    pub phone: String,
    pub name: String,
    pub note: String,
}

/// What a person needs to try the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    pub logins: Vec<DemoLogin>,
    pub kiosk_token: String,
    pub site_name: String,
    /// Centre of the demo site's fence (WGS-84) and its radius.
    pub fence_lat: f64,
    pub fence_lon: f64,
    pub fence_radius_m: f64,
    /// Whether this start created the history (false on later starts).
    pub created: bool,
}

/// The demo's plan: small, fixed seed, history ending yesterday; the first two
/// physicians get the fixed demo phones.
pub fn demo_plan(now: chrono::DateTime<Utc>) -> Result<Plan, SyntheticError> {
    let spec = Spec {
        counties: 2,
        physicians: 10,
        days: HISTORY_DAYS,
        end_date: yesterday(now),
        seed: DEMO_SEED,
        province_prefix: DEMO_PREFIX,
        province_name: DEMO_PROVINCE.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        // More mock locations and forgotten check-outs than a real county sees, so
        // the demo's month shows both (the latest still open for review).
        faults: FaultRates {
            mock_location: 0.08,
            forgotten_checkout: 0.08,
            ..FaultRates::default()
        },
    };
    let mut plan = Plan::generate(&spec)?;
    for (physician, phone) in plan.physicians.iter_mut().zip(PHYSICIAN_PHONES) {
        phone.clone_into(&mut physician.phone);
    }
    // The first demo physician starts fresh today (their first phone is bound to
    // them, so a first check-in from /m/ is plainly accepted); the second one
    // brings the history.
    plan.postings.retain(|p| p.physician != 0);
    Ok(plan)
}

/// Where the demo listens unless `CHECKIN_LISTEN` says otherwise: every interface,
/// so a phone on the same network can reach it.
pub const DEMO_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 8080);
/// Where the demo keeps its self-signed certificate.
pub const DEMO_TLS_DIR: &str = "./data/tls";

/// Builds the server, prepares the demo, prints how to use it, and serves until
/// `shutdown`. Without `CHECKIN_LISTEN` (`listen_given`) it listens on every
/// interface; without `CHECKIN_TLS_CERT`/`KEY` it serves HTTPS with a self-signed
/// certificate made on first start, since phones only give a page camera and
/// location over HTTPS.
pub async fn serve(
    mut config: Config,
    listen_given: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<ExitCode> {
    if !listen_given {
        config.listen = DEMO_LISTEN;
    }
    let lan = crate::tls::lan_addresses();
    let self_signed = config.tls.is_none();
    if self_signed {
        config.tls = Some(crate::tls::demo_certificate(
            std::path::Path::new(DEMO_TLS_DIR),
            &lan,
        )?);
    }
    let app = App::build(config.clone(), Arc::new(SystemClock)).await?;
    let address = app.local_addr()?;
    let demo = prepare(app.state(), &config).await?;
    let links = Links {
        scheme: if app.is_https() { "https" } else { "http" },
        address,
        // A wildcard listener of one family answers that family's addresses only.
        lan: if address.ip().is_unspecified() {
            lan.into_iter()
                .filter(|ip| ip.is_ipv4() == address.is_ipv4())
                .collect()
        } else {
            Vec::new()
        },
        self_signed: self_signed.then(|| format!("{DEMO_TLS_DIR}/demo-cert.pem")),
    };
    println!("{}", instructions(&demo, &links));
    app.run_until(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// Where the demo can be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    pub scheme: &'static str,
    pub address: SocketAddr,
    /// This machine's LAN addresses, when listening on all of them.
    pub lan: Vec<std::net::IpAddr>,
    /// The self-signed certificate's file, when the demo made one.
    pub self_signed: Option<String>,
}

/// Creates what is missing (history once; logins, the demo assignment and the kiosk
/// when absent) and signs a fresh kiosk token.
pub async fn prepare(state: &AppState, config: &Config) -> Result<Demo, SyntheticError> {
    let now = state.now();
    let plan = demo_plan(now)?;
    let province = JurisdictionCode::parse(&plan.geography.province_code)
        .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let created = state.store.jurisdiction(&province).await?.is_none();
    if created {
        println!(
            "creating the demo: {} with a month of synthetic history ...",
            DEMO_PROVINCE
        );
        let options = Options {
            unreviewed_days: UNREVIEWED_DAYS,
            ..Options::new(Path::Service)
        };
        seed_with(config, &plan, options, &mut |line| println!("  {line}")).await?;
    }
    let hash = password::hash(DEMO_PASSWORD.to_owned(), state.config.password_cost)
        .await
        .map_err(|e| SyntheticError::Hashing(e.to_string()))?;
    let city = &plan.geography.cities[0];
    let hospital = plan
        .geography
        .sites
        .iter()
        .find(|s| s.county == 0 && s.kind == OrganizationKind::Hospital)
        .ok_or_else(|| SyntheticError::Invalid("demo county without hospital".into()))?;

    let admin = ensure_user(
        state,
        None,
        Role::Admin,
        "演示管理员",
        ADMIN_PHONE,
        &hash,
        |_| {},
    )
    .await?;
    let actor = Actor {
        user_id: admin.id,
        role: Role::Admin,
        scope: Scope::Everything,
    };
    let city_code =
        JurisdictionCode::parse(&city.code).map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let supervisor = ensure_user(
        state,
        Some(&actor),
        Role::Supervisor,
        "演示督导员",
        SUPERVISOR_PHONE,
        &hash,
        |u| {
            u.jurisdiction_code = Some(city_code.clone());
        },
    )
    .await?;
    let hospital_id = hospital.id;
    let hospital_admin = ensure_user(
        state,
        Some(&actor),
        Role::HospitalAdmin,
        "演示医院管理员",
        HOSPITAL_ADMIN_PHONE,
        &hash,
        |u| {
            u.organization_id = Some(hospital_id);
        },
    )
    .await?;

    // The try-it-yourself site: the first township health centre with a round fence.
    let (site_index, site) = plan
        .geography
        .sites
        .iter()
        .enumerate()
        .find(|(_, s)| {
            s.kind == OrganizationKind::TownshipHealthCenter
                && matches!(s.fence, Some(FenceShape::Circle { .. }))
        })
        .or_else(|| {
            plan.geography
                .sites
                .iter()
                .enumerate()
                .find(|(_, s)| s.kind == OrganizationKind::TownshipHealthCenter)
        })
        .ok_or_else(|| SyntheticError::Invalid("demo without township health centre".into()))?;
    let radius = match site.fence {
        Some(FenceShape::Circle { radius_m }) => radius_m,
        Some(FenceShape::Rectangle { half_w, half_h, .. }) => half_w.min(half_h),
        None => 0.0,
    };
    let physician = &plan.physicians[0];
    let program = plan
        .program_index("fujian-2023-township-dispatch")
        .unwrap_or(0);
    ensure_open_assignment(state, &actor, &plan, site_index, program).await?;
    let kiosk_token = kiosk_token(state, &actor, site.id).await?;

    let mut logins = vec![
        DemoLogin {
            role: "admin",
            phone: ADMIN_PHONE.into(),
            name: admin.name,
            note: "everything".into(),
        },
        DemoLogin {
            role: "supervisor",
            phone: SUPERVISOR_PHONE.into(),
            name: supervisor.name,
            note: format!("{} and its counties", city.name),
        },
        DemoLogin {
            role: "hospital_admin",
            phone: HOSPITAL_ADMIN_PHONE.into(),
            name: hospital_admin.name,
            note: hospital.name.clone(),
        },
    ];
    for (i, p) in plan.physicians.iter().take(2).enumerate() {
        let note = if i == 0 {
            format!("resident at {} from today, open 00:00-23:59", site.name)
        } else {
            format!(
                "{} physician with a month of history",
                plan.geography.counties[p.county].name
            )
        };
        logins.push(DemoLogin {
            role: "physician",
            phone: p.phone.clone(),
            name: p.name.clone(),
            note,
        });
    }
    tracing::info!(physician = %physician.id, site = %site.id, "demo ready");
    Ok(Demo {
        logins,
        kiosk_token,
        site_name: site.name.clone(),
        fence_lat: site.center.lat,
        fence_lon: site.center.lon,
        fence_radius_m: radius,
        created,
    })
}

/// The user with `phone`, created (and audited) when absent.
async fn ensure_user(
    state: &AppState,
    actor: Option<&Actor>,
    role: Role,
    name: &str,
    phone: &str,
    hash: &str,
    place: impl FnOnce(&mut User),
) -> Result<User, SyntheticError> {
    let parsed = Phone::parse(phone).map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    if let Some(existing) = state.store.user_by_phone(&parsed).await? {
        return Ok(existing);
    }
    let mut user = User {
        id: Uuid::new_v4(),
        role,
        name: name.to_owned(),
        phone: parsed,
        organization_id: None,
        jurisdiction_code: None,
        title: None,
        specialty: None,
        gender: None,
        practice_since_year: None,
        discipline: None,
        created_at: state.now(),
        deactivated_at: None,
    };
    place(&mut user);
    let actor = actor.cloned().unwrap_or(Actor {
        user_id: user.id,
        role,
        scope: Scope::Everything,
    });
    users::record_created(state, &actor, &user, hash, false).await?;
    Ok(user)
}

/// An all-day assignment of the first demo physician at the demo site covering
/// today, created when none does.
async fn ensure_open_assignment(
    state: &AppState,
    actor: &Actor,
    plan: &Plan,
    site: usize,
    program: usize,
) -> Result<(), SyntheticError> {
    let physician = &plan.physicians[0];
    let site_id = plan.geography.sites[site].id;
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    let window = DailyWindow::new(
        NaiveTime::MIN,
        NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN),
    )
    .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let existing = state.store.assignments_at(physician.id, site_id).await?;
    if existing
        .iter()
        .any(|a| a.window == window && a.start_date <= today && today <= a.end_date)
    {
        return Ok(());
    }
    let assignment = Assignment {
        id: Uuid::new_v4(),
        physician_id: physician.id,
        site_id,
        program_id: plan.programs[program].id,
        mode: crate::domain::assignment::Mode::Dispatch,
        start_date: today,
        end_date: today + Duration::days(365),
        window,
        created_at: state.now(),
    };
    assignments::record_created(state, actor, &assignment).await?;
    Ok(())
}

/// The demo kiosk of `site` (enrolled once, with a fixed id) and a fresh token for it.
async fn kiosk_token(
    state: &AppState,
    actor: &Actor,
    site_id: Uuid,
) -> Result<String, SyntheticError> {
    let kiosk_id = Uuid::from_u128(site_id.as_u128() ^ 0x6465_6d6f);
    let now = state.now();
    match state.store.kiosk(kiosk_id).await? {
        Some(kiosk) if !kiosk.revoked => {}
        Some(_) => {
            return Err(SyntheticError::Invalid(
                "the demo kiosk was revoked; use a fresh database for the demo".into(),
            ));
        }
        None => {
            kiosks::record_enrolled(state, actor, kiosk_id, site_id, Some("演示大屏"), now).await?;
        }
    }
    kiosks::sign_token(state, kiosk_id, site_id, now)
        .map_err(|e| SyntheticError::Invalid(e.to_string()))
}

/// The base URL people can open on this machine: a wildcard listen address is
/// shown as `localhost` (a name the demo certificate holds).
pub fn base_url(scheme: &str, address: SocketAddr) -> String {
    if address.ip().is_unspecified() || address.ip().is_loopback() {
        return format!("{scheme}://localhost:{}", address.port());
    }
    format!("{scheme}://{address}")
}

/// The text printed once the demo is ready: the site and logins, then the links last
/// (on this machine, then from a phone on the same network).
pub fn instructions(demo: &Demo, links: &Links) -> String {
    let base = base_url(links.scheme, links.address);
    let mut out = String::new();
    out.push_str(&format!(
        "\nXiaxiang demo: {DEMO_PROVINCE} (fictional people and places){}\n",
        if demo.created { ", created now" } else { "" }
    ));
    out.push_str(&format!(
        "  site     {}: fence {:.0} m around lat {:.6}, lon {:.6} (WGS-84); on a computer set\n           the browser's location a few metres from there (Chrome DevTools > Sensors)\n",
        demo.site_name, demo.fence_radius_m, demo.fence_lat, demo.fence_lon
    ));
    out.push_str(&format!("  logins (password {DEMO_PASSWORD}):\n"));
    for login in &demo.logins {
        out.push_str(&format!(
            "    {:<15} {}  {}  ({})\n",
            login.role, login.phone, login.name, login.note
        ));
    }
    if let Some(cert) = &links.self_signed {
        out.push_str(&format!(
            "  HTTPS with a self-signed certificate ({cert}): the browser warns once;\n           choose Advanced > Proceed (高级 > 继续访问)\n"
        ));
    }
    out.push_str("  on this computer:\n");
    let block = |out: &mut String, base: &str| {
        out.push_str(&format!("    phone    {base}/m/\n"));
        out.push_str(&format!(
            "    kiosk    {base}/kiosk#token={}\n",
            demo.kiosk_token
        ));
        out.push_str(&format!("    console  {base}/console\n"));
    };
    block(&mut out, &base);
    if !links.lan.is_empty() {
        out.push_str("  from a phone on the same network (Wi-Fi):\n");
        for ip in &links.lan {
            let address = SocketAddr::new(*ip, links.address.port());
            block(&mut out, &format!("{}://{address}", links.scheme));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_plan_is_the_same_on_every_start_but_for_its_dates() {
        let day = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("instant");
        let a = demo_plan(day).expect("plan");
        let b = demo_plan(day + Duration::days(9)).expect("plan");
        assert_eq!(a.physicians, b.physicians);
        assert_eq!(a.geography, b.geography);
        assert_eq!(a.physicians[0].phone, PHYSICIAN_PHONES[0]);
        assert_eq!(a.physicians[1].phone, PHYSICIAN_PHONES[1]);
        assert_eq!(a.geography.cities.len(), 1);
        assert_eq!(a.geography.counties.len(), 2);
    }

    #[test]
    fn wildcard_addresses_are_shown_as_localhost() {
        let address: SocketAddr = "0.0.0.0:8080".parse().expect("address");
        assert_eq!(base_url("https", address), "https://localhost:8080");
        let address: SocketAddr = "192.168.1.20:8443".parse().expect("address");
        assert_eq!(base_url("http", address), "http://192.168.1.20:8443");
    }

    #[test]
    fn the_links_come_last_with_the_lan_addresses_for_a_phone() {
        let demo = Demo {
            logins: vec![DemoLogin {
                role: "admin",
                phone: ADMIN_PHONE.into(),
                name: "演示管理员".into(),
                note: "everything".into(),
            }],
            kiosk_token: "tok".into(),
            site_name: "某卫生院".into(),
            fence_lat: 25.0,
            fence_lon: 117.0,
            fence_radius_m: 150.0,
            created: true,
        };
        let links = Links {
            scheme: "https",
            address: DEMO_LISTEN,
            lan: vec!["192.168.1.20".parse().expect("ip")],
            self_signed: Some("./data/tls/demo-cert.pem".into()),
        };
        let text = instructions(&demo, &links);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[lines.len() - 4..],
            [
                "  from a phone on the same network (Wi-Fi):",
                "    phone    https://192.168.1.20:8080/m/",
                "    kiosk    https://192.168.1.20:8080/kiosk#token=tok",
                "    console  https://192.168.1.20:8080/console",
            ]
        );
        assert!(text.contains("    phone    https://localhost:8080/m/\n"));
        assert!(text.contains("self-signed certificate (./data/tls/demo-cert.pem)"));
    }
}

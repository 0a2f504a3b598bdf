//! `server seed-synthetic`: the command line of the generator.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};

use super::plan::{FaultRates, Plan, Spec};
use super::simulate::{Path, seed};
use super::yesterday;
use crate::config::Config;
use crate::domain::user::{Role, check_password_policy};

/// Fills `DATABASE_URL` with a synthetic province and days of simulated service.
///
/// Run it while no server's scheduler works on the same database: the simulated
/// days lie in the past, and a running scheduler would close the simulation's open
/// visits.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Counties: each gets a county hospital, a health bureau, a community health
    /// centre, 3-6 township health centres and 2-3 village clinics per township.
    #[arg(long)]
    pub counties: u32,
    /// Supporting physicians, spread over the counties' hospitals.
    #[arg(long)]
    pub physicians: u32,
    /// Days to simulate, ending with --end-date.
    #[arg(long)]
    pub days: u32,
    /// Seed of the generator: the same seed gives the same province and days.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last simulated day (YYYY-MM-DD); default yesterday in Asia/Shanghai.
    #[arg(long)]
    pub end_date: Option<NaiveDate>,
    /// `service` (every scan through the attendance service, as the server does) or
    /// `bulk` (same rules, batched writes; for millions of events).
    #[arg(long, default_value = "service")]
    pub path: Path,
    /// Two leading digits of the province's code (39 gives 390000); also in every
    /// synthetic phone number, so several provinces can share a database.
    #[arg(long, default_value_t = 39)]
    pub province_prefix: u8,
    /// The province's (fictional) name.
    #[arg(long, default_value = "海岚省")]
    pub province_name: String,
    /// Password of every synthetic login.
    #[arg(
        long,
        env = "XIAXIANG_SYNTHETIC_PASSWORD",
        default_value = "synthetic-pass-1"
    )]
    pub password: String,
}

impl SeedArgs {
    pub fn spec(&self) -> Spec {
        Spec {
            counties: self.counties,
            physicians: self.physicians,
            days: self.days,
            end_date: self.end_date.unwrap_or_else(|| yesterday(Utc::now())),
            seed: self.seed,
            province_prefix: self.province_prefix,
            province_name: self.province_name.clone(),
            password: self.password.clone(),
            faults: FaultRates::default(),
        }
    }
}

/// Runs the command: plans, seeds, prints progress and the summary.
pub async fn run(config: Config, args: SeedArgs) -> anyhow::Result<ExitCode> {
    check_password_policy(&args.password).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
    let spec = args.spec();
    let plan = Plan::generate(&spec)?;
    println!(
        "planning {} ({}): {} counties, {} sites, {} physicians, {} assignments, {} .. {} (seed {})",
        plan.geography.province_name,
        plan.geography.province_code,
        plan.geography.counties.len(),
        plan.geography.sites.len(),
        plan.physicians.len(),
        plan.postings.len(),
        spec.first_day(),
        spec.end_date,
        spec.seed,
    );
    let summary = seed(&config, &plan, args.path, &mut |line| println!("  {line}")).await?;
    println!("{summary}");
    let login = |role: Role| {
        plan.staff
            .iter()
            .find(|s| s.role == role)
            .map(|s| s.phone.clone())
    };
    println!("logins (password {:?}):", spec.password);
    if let Some(phone) = login(Role::Admin) {
        println!("  admin               {phone}");
    }
    if let Some(phone) = login(Role::Supervisor) {
        println!("  province supervisor {phone}");
    }
    if let Some(p) = plan.physicians.first() {
        println!("  physician           {} ({})", p.phone, p.name);
    }
    Ok(ExitCode::SUCCESS)
}

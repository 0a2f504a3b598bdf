//! Command-line options of the load generator.

use clap::Parser;

/// Provisions sites and physicians on a running server through its public API, then
/// measures `GET /healthz` alone and check-in + check-out pairs alone, each for
/// `--duration` seconds, and prints throughput, latency percentiles and the ratio.
#[derive(Debug, Clone, Parser)]
#[command(name = "loadgen", version)]
pub struct Args {
    /// The server, e.g. `http://127.0.0.1:8080`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Phone of an admin (e.g. the bootstrap admin).
    #[arg(long, env = "CHECKIN_BOOTSTRAP_ADMIN_PHONE")]
    pub admin_phone: String,
    /// That admin's password.
    #[arg(long, env = "CHECKIN_BOOTSTRAP_ADMIN_PASSWORD")]
    pub admin_password: String,
    /// Receiving sites (clinics) to create, each with a fence and a kiosk.
    #[arg(long, default_value_t = 200)]
    pub sites: usize,
    /// Physicians to create, spread over the sites, one assignment each.
    #[arg(long, default_value_t = 2000)]
    pub physicians: usize,
    /// Seconds each measured phase lasts.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Requests in flight at once, in provisioning and in each phase.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Which phases to run: `healthz`, `checkin` or `both`.
    #[arg(long, default_value = "both", value_parser = ["healthz", "checkin", "both"])]
    pub phases: String,
    /// The durable-write floor (`../shared/bench/floor`), e.g. `http://127.0.0.1:18900`:
    /// when set, a phase between healthz and check-in drives its `POST /floor` with the
    /// same check-in bodies, workers and duration, with an HS256 token minted here.
    #[arg(long)]
    pub floor_url: Option<String>,
    /// The floor's HS256 key (its built-in one unless changed there).
    #[arg(long, default_value = "floor-secret-floor-secret-floor-secret!!")]
    pub floor_key: String,
}

impl Args {
    pub fn runs_healthz(&self) -> bool {
        self.phases != "checkin"
    }

    pub fn runs_checkin(&self) -> bool {
        self.phases != "healthz"
    }
}

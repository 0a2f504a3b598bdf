//! Configuration from environment variables (see README's table).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;

use crate::auth::password::PasswordCost;
use crate::domain::fence_size::FenceLimits;

/// Where the default SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/xiaxiang.db";

#[derive(Clone)]
pub struct Config {
    /// `CHECKIN_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `DATABASE_URL`: `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// `REDIS_URL`: shared cache for several processes; in-process cache without it.
    pub redis_url: Option<String>,
    /// `CHECKIN_REDIS_PREFIX`: namespace of this deployment's keys, default `xiaxiang:`.
    pub redis_prefix: String,
    /// `CHECKIN_QR_PERIOD_SECONDS`, default 30.
    pub qr_period_seconds: u32,
    /// `CHECKIN_BOOTSTRAP_ADMIN_PHONE` / `CHECKIN_BOOTSTRAP_ADMIN_PASSWORD`.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// `CHECKIN_JWT_SECRET`: when absent a key is generated once and kept in the database,
    /// so that every process sharing the database signs alike.
    pub jwt_secret: Option<String>,
    /// `CHECKIN_ACCESS_TOKEN_TTL_SECONDS`, default 900.
    pub access_token_ttl: Duration,
    /// `CHECKIN_REFRESH_TOKEN_TTL_SECONDS`, default 30 days.
    pub refresh_token_ttl: Duration,
    /// `CHECKIN_LOGIN_MAX_FAILURES` per phone within the window, default 5.
    pub login_max_failures_per_phone: u32,
    /// `CHECKIN_LOGIN_MAX_FAILURES_PER_IP` within the window, default 20.
    pub login_max_failures_per_ip: u32,
    /// `CHECKIN_LOGIN_FAILURE_WINDOW_SECONDS`, default 900.
    pub login_failure_window: Duration,
    /// `CHECKIN_DB_MAX_CONNECTIONS`, default 16.
    pub db_max_connections: u32,
    /// `CHECKIN_ARGON2_MEMORY_KIB` / `CHECKIN_ARGON2_ITERATIONS`: password hashing cost.
    pub password_cost: PasswordCost,
    /// `CHECKIN_SCHEDULER_INTERVAL_SECONDS`, default 60: how often this process runs the
    /// time-driven work (closing visits, expiring presence checks, requirement
    /// periods). `0` turns it off here; some other process sharing the database must
    /// then run it. At most 86400.
    pub scheduler_interval: Duration,
    /// `CHECKIN_RATE_CHECKIN_PER_IP`: check-in, check-out and presence requests per
    /// minute from one client address, default 600 (a township's phones often share
    /// one carrier NAT address). `0` turns the limit off.
    pub rate_checkin_per_ip: u32,
    /// `CHECKIN_RATE_CHECKIN_PER_ACCOUNT`: the same per physician, default 30.
    pub rate_checkin_per_account: u32,
    /// `CHECKIN_RATE_LOGIN_PER_IP`: login attempts per minute from one address,
    /// successful or not, default 60.
    pub rate_login_per_ip: u32,
    /// `CHECKIN_REQUEST_TIMEOUT_SECONDS`, default 30: longer requests answer 503 `timeout`.
    pub request_timeout: Duration,
    /// `CHECKIN_REPORT_TIMEOUT_SECONDS`, default 300: the budget of reports, service
    /// records and imports instead.
    pub report_timeout: Duration,
    /// `CHECKIN_METRICS_TOKEN`: when set, `/metrics` wants `Authorization: Bearer <it>`.
    pub metrics_token: Option<String>,
    /// `CHECKIN_TRUSTED_PROXIES`: the reverse proxies in front of the server, as
    /// addresses or networks (`10.0.0.0/8`), comma-separated; none by default. A
    /// request from one of them counts against the client address its
    /// `X-Forwarded-For` names; from anyone else that header is ignored.
    pub trusted_proxies: Vec<IpNet>,
    /// `CHECKIN_IP_DB`: an IP database placing client addresses (a MaxMind DB or an
    /// ip2region `xdb` file, or a folder of them), read at start-up; none by default
    /// (no `network_far_away` then). Never looked up online.
    pub ip_db: Option<std::path::PathBuf>,
    /// `CHECKIN_MAX_FENCE_AREA_KM2` (default 80) and `CHECKIN_MAX_FENCE_EXTENT_M`
    /// (default 10000): the largest fence an administrator may set on a site.
    pub fence_limits: FenceLimits,
    /// The console's base map: `CHECKIN_MAP_TILE_URL`, `CHECKIN_MAP_TILE_CRS`,
    /// `CHECKIN_MAP_TILE_ATTRIBUTION`. No tiles by default (works offline).
    pub map: MapTiles,
    /// `CHECKIN_IPV6_PREFIX_LEN`, default 64, between 32 and 128: how many leading
    /// bits of an IPv6 client address the per-address limits count as one client.
    /// An IPv6 subscriber gets a whole /64 (or more) and can pick any address in it,
    /// so counting single addresses would let one client escape the limits.
    pub ipv6_prefix_len: u8,
    /// The anomaly rules' thresholds (README "Anomaly thresholds").
    pub detection: Detection,
    /// `CHECKIN_PUBLIC_URL`: the address phones reach this server at
    /// (`https://checkin.example.cn`), put in the links the QR codes carry. Without
    /// it, the scheme and host of the request that asked for the code.
    pub public_url: Option<String>,
    /// `CHECKIN_TLS_CERT` / `CHECKIN_TLS_KEY`: PEM files; with both set the server
    /// speaks HTTPS itself (plain HTTP without them).
    pub tls: Option<TlsFiles>,
    /// `CHECKIN_INSPECTION_PHOTO_MAX_BYTES`, default 5 MiB, between 1 KiB and
    /// [`INSPECTION_PHOTO_HARD_MAX_BYTES`]: the largest inspection photo accepted (413
    /// above it).
    pub inspection_photo_max_bytes: usize,
    /// `CHECKIN_PII_KEY`: 32 bytes in base64 sealing survey names and phones at rest;
    /// when absent a key is generated once and kept in the database (`server_secrets`),
    /// like the JWT key. Set it (and keep it outside the database backups) in production.
    pub pii_key: Option<String>,
    /// `CHECKIN_SURVEY_RETENTION_DAYS`, default 90 (0 to 3650): how long a closed survey
    /// round keeps its names and phones before the scheduler erases them.
    pub survey_retention_days: u32,
}

/// The certificate chain and private key the server serves HTTPS with, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// `CHECKIN_QR_PERIOD_SECONDS` default. Measured (docs/anomalies-fraud.md): a code is
/// fresh for its step and the next, plus the live grace, so a relay is caught from
/// 2 x period + 10 s on; at 15 s that is 40 s (at 30 s it was 70 s), while honest scans
/// reaching the server 12 s late from phones with clocks 30 s off stay clean. 10 s
/// would catch relays from 30 s but leaves a kiosk on a flaky network no missed refresh.
pub const DEFAULT_QR_PERIOD_SECONDS: u32 = 15;

/// The most any setting lets an inspection photo weigh (the route's body limit).
pub const INSPECTION_PHOTO_HARD_MAX_BYTES: usize = 20 * 1024 * 1024;

/// Every anomaly rule's threshold, each from its `CHECKIN_*` variable (README table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// `CHECKIN_ACCURACY_FLOOR_M`, default 3: a better claimed accuracy is implausible.
    pub accuracy_floor_m: f64,
    /// `CHECKIN_CENTRE_PIN_M`, default 1: a fix this close to the fence centre is pinned.
    pub centre_pin_m: f64,
    /// `CHECKIN_MAX_FIX_AGE_SECONDS`, default 60: an older fix than this at the scan is stale.
    pub max_fix_age_seconds: i64,
    /// `CHECKIN_COARSE_ACCURACY_M`, default 20: fixes this coarse may repeat exactly.
    pub coarse_accuracy_m: f64,
    /// `CHECKIN_NEAR_REPEAT_M`, default 1: the physician's fix of another day this close repeats.
    pub near_repeat_m: f64,
    /// `CHECKIN_QUIET_EDGE_MINUTES`, default 15: this early or late is ordinary.
    pub quiet_edge_minutes: i64,
    /// `CHECKIN_EDGE_GRACE_MINUTES`, default 30: beyond the quiet edge and up to this,
    /// accepted with `outside_window_edge`; beyond it, refused.
    pub edge_grace_minutes: i64,
    /// `CHECKIN_LATE_SYNC_MINUTES`, default 5: an upload later than this after its scan
    /// raises `late_sync` (unless a consistent offline upload).
    pub late_sync_minutes: i64,
    /// `CHECKIN_IMPOSSIBLE_SPEED_KMH`, default 150.
    pub impossible_speed_kmh: f64,
    /// `CHECKIN_CODE_SHARE_SEPARATION_M`, default 1000.
    pub code_share_separation_m: f64,
    /// `CHECKIN_SHORT_VISIT_MINUTES`, default 30.
    pub short_visit_minutes: i64,
    /// `CHECKIN_GROUP_WINDOW_SECONDS`, default 20: scans of a site this close are together.
    pub group_window_seconds: i64,
    /// `CHECKIN_PAIRED_SITES`, default 3: two accounts together at this many sites are paired.
    pub paired_sites: i64,
    /// `CHECKIN_KIOSK_ACTIVE_MINUTES`, default 10: a kiosk that fetched its code this
    /// recently is active; its network is the site's network for scans.
    pub kiosk_active_minutes: i64,
    /// `CHECKIN_KIOSK_OVERLAP_MINUTES`, default 10: a kiosk fetching from two networks
    /// within this span is used from both at once (`kiosk_second_network`).
    pub kiosk_overlap_minutes: i64,
    /// `CHECKIN_KIOSK_CONTACT_SECONDS`, default 60: a kiosk's contact is written at most
    /// this often per network and process.
    pub kiosk_contact_seconds: i64,
    /// `CHECKIN_SCAN_PHOTO_MAX_BYTES`, default 1 MiB: the largest scan photo accepted.
    pub scan_photo_max_bytes: i64,
    /// `CHECKIN_DEVICE_SELF_MOVE_DAYS`, default 90: a self-service move
    /// (`POST /api/v1/me/device-move-requests` with `self_service`, or the older
    /// `PUT /api/v1/me/device`) is granted at once when the physician made none within
    /// this many days through either path, else becomes a request (or, through the
    /// older path, 409 `device_move_too_soon`). It replaces `CHECKIN_DEVICE_MOVE_DAYS`.
    pub device_self_move_days: i64,
}

impl Default for Detection {
    fn default() -> Self {
        use crate::domain::{attendance, detectors, plausibility, window};
        Detection {
            accuracy_floor_m: plausibility::DEFAULT_ACCURACY_FLOOR_M,
            centre_pin_m: plausibility::DEFAULT_CENTRE_PIN_M,
            max_fix_age_seconds: plausibility::DEFAULT_MAX_FIX_AGE_SECONDS,
            coarse_accuracy_m: detectors::DEFAULT_COARSE_ACCURACY_M,
            near_repeat_m: detectors::DEFAULT_NEAR_REPEAT_M,
            quiet_edge_minutes: attendance::DEFAULT_QUIET_EDGE_MINUTES,
            edge_grace_minutes: window::DEFAULT_EDGE_GRACE_MINUTES,
            late_sync_minutes: 5,
            impossible_speed_kmh: detectors::IMPOSSIBLE_SPEED_KMH,
            code_share_separation_m: detectors::CODE_SHARE_SEPARATION_M,
            short_visit_minutes: detectors::SHORT_VISIT_MINUTES,
            group_window_seconds: detectors::DEFAULT_GROUP_WINDOW_SECONDS,
            paired_sites: detectors::DEFAULT_PAIRED_SITES,
            kiosk_active_minutes: 10,
            kiosk_overlap_minutes: 10,
            kiosk_contact_seconds: 60,
            scan_photo_max_bytes: crate::domain::photo::DEFAULT_MAX_BYTES,
            device_self_move_days: crate::domain::device::DEFAULT_DEVICE_SELF_MOVE_DAYS,
        }
    }
}

impl Detection {
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Detection, ConfigError> {
        let d = Detection::default();
        let metres = |name: &'static str, default: f64| -> Result<f64, ConfigError> {
            let v: f64 = parse_or(name, get(name), default)?;
            if !v.is_finite() || v < 0.0 {
                return Err(ConfigError {
                    name,
                    value: v.to_string(),
                    reason: "must be a number of at least 0".into(),
                });
            }
            Ok(v)
        };
        // A photo's limit: 1 KiB to 16 MiB (the route's transport ceiling).
        let photo_bytes = |default: i64| -> Result<i64, ConfigError> {
            let name = "CHECKIN_SCAN_PHOTO_MAX_BYTES";
            let v: i64 = parse_or(name, get(name), default)?;
            if !(1024..=16 * 1024 * 1024).contains(&v) {
                return Err(ConfigError {
                    name,
                    value: v.to_string(),
                    reason: "must be between 1024 and 16777216".into(),
                });
            }
            Ok(v)
        };
        let count = |name: &'static str, default: i64| -> Result<i64, ConfigError> {
            let v: i64 = parse_or(name, get(name), default)?;
            if !(0..=1_000_000).contains(&v) {
                return Err(ConfigError {
                    name,
                    value: v.to_string(),
                    reason: "must be between 0 and 1000000".into(),
                });
            }
            Ok(v)
        };
        Ok(Detection {
            accuracy_floor_m: metres("CHECKIN_ACCURACY_FLOOR_M", d.accuracy_floor_m)?,
            centre_pin_m: metres("CHECKIN_CENTRE_PIN_M", d.centre_pin_m)?,
            max_fix_age_seconds: count("CHECKIN_MAX_FIX_AGE_SECONDS", d.max_fix_age_seconds)?,
            coarse_accuracy_m: metres("CHECKIN_COARSE_ACCURACY_M", d.coarse_accuracy_m)?,
            near_repeat_m: metres("CHECKIN_NEAR_REPEAT_M", d.near_repeat_m)?,
            quiet_edge_minutes: count("CHECKIN_QUIET_EDGE_MINUTES", d.quiet_edge_minutes)?,
            edge_grace_minutes: count("CHECKIN_EDGE_GRACE_MINUTES", d.edge_grace_minutes)?,
            late_sync_minutes: count("CHECKIN_LATE_SYNC_MINUTES", d.late_sync_minutes)?,
            impossible_speed_kmh: metres("CHECKIN_IMPOSSIBLE_SPEED_KMH", d.impossible_speed_kmh)?,
            code_share_separation_m: metres(
                "CHECKIN_CODE_SHARE_SEPARATION_M",
                d.code_share_separation_m,
            )?,
            short_visit_minutes: count("CHECKIN_SHORT_VISIT_MINUTES", d.short_visit_minutes)?,
            group_window_seconds: count("CHECKIN_GROUP_WINDOW_SECONDS", d.group_window_seconds)?,
            paired_sites: count("CHECKIN_PAIRED_SITES", d.paired_sites)?,
            kiosk_active_minutes: count("CHECKIN_KIOSK_ACTIVE_MINUTES", d.kiosk_active_minutes)?,
            kiosk_overlap_minutes: count("CHECKIN_KIOSK_OVERLAP_MINUTES", d.kiosk_overlap_minutes)?,
            kiosk_contact_seconds: count("CHECKIN_KIOSK_CONTACT_SECONDS", d.kiosk_contact_seconds)?,
            scan_photo_max_bytes: photo_bytes(d.scan_photo_max_bytes)?,
            device_self_move_days: count("CHECKIN_DEVICE_SELF_MOVE_DAYS", d.device_self_move_days)?,
        })
    }
}

/// Which datum a tile server draws in. Fences and fixes are stored in WGS-84; on
/// GCJ-02 tiles the console shifts every shape for display so they line up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TileCrs {
    /// WGS-84, or CGCS2000 which differs from it by centimetres (天地图).
    #[default]
    Wgs84,
    /// The GCJ-02 offset datum of 高德 (AMap) and 腾讯 tiles.
    Gcj02,
}

impl TileCrs {
    pub fn as_str(self) -> &'static str {
        match self {
            TileCrs::Wgs84 => "wgs84",
            TileCrs::Gcj02 => "gcj02",
        }
    }
}

/// A base-map tile source for the console; nothing secret (the browser fetches it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapTiles {
    /// A URL template with `{z}`, `{x}` and `{y}`; `None`: no base map.
    pub tile_url: Option<String>,
    pub tile_crs: TileCrs,
    pub attribution: Option<String>,
}

impl MapTiles {
    /// Checks what the variables say: an http(s) template naming `{z}`, `{x}` and
    /// `{y}`, and a known datum.
    fn parse(
        url: Option<String>,
        crs: Option<String>,
        attribution: Option<String>,
    ) -> Result<MapTiles, ConfigError> {
        let tile_crs = match crs.as_deref().map(|c| c.trim().to_ascii_lowercase()) {
            None => TileCrs::Wgs84,
            Some(c) if c == "wgs84" || c == "cgcs2000" => TileCrs::Wgs84,
            Some(c) if c == "gcj02" => TileCrs::Gcj02,
            Some(other) => {
                return Err(ConfigError {
                    name: "CHECKIN_MAP_TILE_CRS",
                    value: other,
                    reason: "must be wgs84 (also for CGCS2000, e.g. 天地图) or gcj02 (e.g. 高德)"
                        .into(),
                });
            }
        };
        let tile_url = url.map(|u| u.trim().to_owned());
        if let Some(u) = &tile_url {
            let bad = |reason: &str| ConfigError {
                name: "CHECKIN_MAP_TILE_URL",
                value: u.clone(),
                reason: reason.into(),
            };
            if !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/')) {
                return Err(bad("must be an http(s) URL or a path on this server"));
            }
            if let Some(missing) = ["{z}", "{x}", "{y}"].iter().find(|p| !u.contains(*p)) {
                return Err(bad(&format!(
                    "must contain {missing} (a tile URL template)"
                )));
            }
            if u.chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            {
                return Err(bad("must not contain spaces, quotes or angle brackets"));
            }
        }
        Ok(MapTiles {
            tile_url,
            tile_crs,
            attribution: attribution.map(|a| a.trim().to_owned()),
        })
    }
}

#[derive(Clone)]
pub struct BootstrapAdmin {
    pub phone: String,
    pub password: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("qr_period_seconds", &self.qr_period_seconds)
            .field("bootstrap_admin", &self.bootstrap_admin.is_some())
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("rate_checkin_per_ip", &self.rate_checkin_per_ip)
            .field("rate_checkin_per_account", &self.rate_checkin_per_account)
            .field("rate_login_per_ip", &self.rate_login_per_ip)
            .field("request_timeout", &self.request_timeout)
            .field("report_timeout", &self.report_timeout)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field("ip_db", &self.ip_db)
            .field("fence_limits", &self.fence_limits)
            .field("map", &self.map)
            .field("ipv6_prefix_len", &self.ipv6_prefix_len)
            .field("detection", &self.detection)
            .field("public_url", &self.public_url)
            .field("tls", &self.tls)
            .field("pii_key", &self.pii_key.as_ref().map(|_| "<set>"))
            .field("survey_retention_days", &self.survey_retention_days)
            .finish_non_exhaustive()
    }
}

/// Hides the password in `scheme://user:password@host`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} = {value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            redis_url: None,
            redis_prefix: "xiaxiang:".to_owned(),
            qr_period_seconds: DEFAULT_QR_PERIOD_SECONDS,
            bootstrap_admin: None,
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_max_failures_per_phone: 5,
            login_max_failures_per_ip: 20,
            login_failure_window: Duration::from_secs(900),
            db_max_connections: 16,
            password_cost: PasswordCost::default(),
            scheduler_interval: Duration::from_secs(60),
            rate_checkin_per_ip: 600,
            rate_checkin_per_account: 30,
            rate_login_per_ip: 60,
            request_timeout: Duration::from_secs(30),
            report_timeout: Duration::from_secs(300),
            metrics_token: None,
            trusted_proxies: Vec::new(),
            ip_db: None,
            fence_limits: FenceLimits::default(),
            map: MapTiles::default(),
            ipv6_prefix_len: 64,
            detection: Detection::default(),
            public_url: None,
            tls: None,
            inspection_photo_max_bytes: 5 * 1024 * 1024,
            pii_key: None,
            survey_retention_days: 90,
        }
    }
}

/// Settings no longer read, with what replaced each: a deployment that still sets one
/// is told so in the log at start instead of silently getting the new default.
const RETIRED_SETTINGS: &[(&str, &str)] = &[(
    "CHECKIN_DEVICE_MOVE_DAYS",
    "CHECKIN_DEVICE_SELF_MOVE_DAYS (one limit for PUT /me/device and self-service moves)",
)];

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        for (name, instead) in RETIRED_SETTINGS {
            if std::env::var_os(name).is_some() {
                tracing::warn!(
                    setting = name,
                    instead,
                    "retired setting is set and ignored"
                );
            }
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let defaults = Config::default();
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let bootstrap_admin = match (
            get("CHECKIN_BOOTSTRAP_ADMIN_PHONE"),
            get("CHECKIN_BOOTSTRAP_ADMIN_PASSWORD"),
        ) {
            (Some(phone), Some(password)) => Some(BootstrapAdmin { phone, password }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError {
                    name: "CHECKIN_BOOTSTRAP_ADMIN_PASSWORD",
                    value: String::new(),
                    reason: "required when CHECKIN_BOOTSTRAP_ADMIN_PHONE is set".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    name: "CHECKIN_BOOTSTRAP_ADMIN_PHONE",
                    value: String::new(),
                    reason: "required when CHECKIN_BOOTSTRAP_ADMIN_PASSWORD is set".into(),
                });
            }
        };
        let qr_period_seconds = parse_or(
            "CHECKIN_QR_PERIOD_SECONDS",
            get("CHECKIN_QR_PERIOD_SECONDS"),
            DEFAULT_QR_PERIOD_SECONDS,
        )?;
        if !(5..=3600).contains(&qr_period_seconds) {
            return Err(ConfigError {
                name: "CHECKIN_QR_PERIOD_SECONDS",
                value: qr_period_seconds.to_string(),
                reason: "must be between 5 and 3600".into(),
            });
        }
        let inspection_photo_max_bytes = parse_or(
            "CHECKIN_INSPECTION_PHOTO_MAX_BYTES",
            get("CHECKIN_INSPECTION_PHOTO_MAX_BYTES"),
            defaults.inspection_photo_max_bytes,
        )?;
        if !(1024..=INSPECTION_PHOTO_HARD_MAX_BYTES).contains(&inspection_photo_max_bytes) {
            return Err(ConfigError {
                name: "CHECKIN_INSPECTION_PHOTO_MAX_BYTES",
                value: inspection_photo_max_bytes.to_string(),
                reason: format!("must be between 1024 and {INSPECTION_PHOTO_HARD_MAX_BYTES}"),
            });
        }
        let scheduler_interval_secs = parse_or(
            "CHECKIN_SCHEDULER_INTERVAL_SECONDS",
            get("CHECKIN_SCHEDULER_INTERVAL_SECONDS"),
            defaults.scheduler_interval.as_secs(),
        )?;
        if scheduler_interval_secs > 86_400 {
            return Err(ConfigError {
                name: "CHECKIN_SCHEDULER_INTERVAL_SECONDS",
                value: scheduler_interval_secs.to_string(),
                reason: "must be between 0 (off) and 86400".into(),
            });
        }
        if let Some(secret) = get("CHECKIN_JWT_SECRET")
            && secret.len() < 32
        {
            return Err(ConfigError {
                name: "CHECKIN_JWT_SECRET",
                value: "<hidden>".into(),
                reason: "must be at least 32 characters".into(),
            });
        }
        let timeout = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            let secs = parse_or(name, get(name), default.as_secs())?;
            if !(1..=3600).contains(&secs) {
                return Err(ConfigError {
                    name,
                    value: secs.to_string(),
                    reason: "must be between 1 and 3600".into(),
                });
            }
            Ok(Duration::from_secs(secs))
        };
        let request_timeout = timeout("CHECKIN_REQUEST_TIMEOUT_SECONDS", defaults.request_timeout)?;
        let report_timeout = timeout("CHECKIN_REPORT_TIMEOUT_SECONDS", defaults.report_timeout)?;
        // Bounded above too, so that a slip of the keyboard cannot switch the check off.
        let fence_limit =
            |name: &'static str, default: f64, max: f64| -> Result<f64, ConfigError> {
                let value: f64 = parse_or(name, get(name), default)?;
                if !(value > 0.0 && value <= max) {
                    return Err(ConfigError {
                        name,
                        value: value.to_string(),
                        reason: format!("must be greater than 0 and at most {max}"),
                    });
                }
                Ok(value)
            };
        let fence_limits = FenceLimits {
            max_area_km2: fence_limit(
                "CHECKIN_MAX_FENCE_AREA_KM2",
                defaults.fence_limits.max_area_km2,
                10_000.0,
            )?,
            max_extent_m: fence_limit(
                "CHECKIN_MAX_FENCE_EXTENT_M",
                defaults.fence_limits.max_extent_m,
                200_000.0,
            )?,
        };
        let ipv6_prefix_len = parse_or(
            "CHECKIN_IPV6_PREFIX_LEN",
            get("CHECKIN_IPV6_PREFIX_LEN"),
            defaults.ipv6_prefix_len,
        )?;
        // Shorter than /32 would lump a whole provider's customers together.
        if !(32..=128).contains(&ipv6_prefix_len) {
            return Err(ConfigError {
                name: "CHECKIN_IPV6_PREFIX_LEN",
                value: ipv6_prefix_len.to_string(),
                reason: "must be between 32 and 128".into(),
            });
        }
        Ok(Config {
            listen: parse_or("CHECKIN_LISTEN", get("CHECKIN_LISTEN"), defaults.listen)?,
            database_url: get("DATABASE_URL").unwrap_or(defaults.database_url),
            redis_url: get("REDIS_URL"),
            redis_prefix: get("CHECKIN_REDIS_PREFIX").unwrap_or(defaults.redis_prefix),
            qr_period_seconds,
            bootstrap_admin,
            jwt_secret: get("CHECKIN_JWT_SECRET"),
            access_token_ttl: Duration::from_secs(parse_or(
                "CHECKIN_ACCESS_TOKEN_TTL_SECONDS",
                get("CHECKIN_ACCESS_TOKEN_TTL_SECONDS"),
                defaults.access_token_ttl.as_secs(),
            )?),
            refresh_token_ttl: Duration::from_secs(parse_or(
                "CHECKIN_REFRESH_TOKEN_TTL_SECONDS",
                get("CHECKIN_REFRESH_TOKEN_TTL_SECONDS"),
                defaults.refresh_token_ttl.as_secs(),
            )?),
            login_max_failures_per_phone: parse_or(
                "CHECKIN_LOGIN_MAX_FAILURES",
                get("CHECKIN_LOGIN_MAX_FAILURES"),
                defaults.login_max_failures_per_phone,
            )?,
            login_max_failures_per_ip: parse_or(
                "CHECKIN_LOGIN_MAX_FAILURES_PER_IP",
                get("CHECKIN_LOGIN_MAX_FAILURES_PER_IP"),
                defaults.login_max_failures_per_ip,
            )?,
            login_failure_window: Duration::from_secs(parse_or(
                "CHECKIN_LOGIN_FAILURE_WINDOW_SECONDS",
                get("CHECKIN_LOGIN_FAILURE_WINDOW_SECONDS"),
                defaults.login_failure_window.as_secs(),
            )?),
            db_max_connections: parse_or(
                "CHECKIN_DB_MAX_CONNECTIONS",
                get("CHECKIN_DB_MAX_CONNECTIONS"),
                defaults.db_max_connections,
            )?,
            password_cost: PasswordCost {
                memory_kib: parse_or(
                    "CHECKIN_ARGON2_MEMORY_KIB",
                    get("CHECKIN_ARGON2_MEMORY_KIB"),
                    defaults.password_cost.memory_kib,
                )?,
                iterations: parse_or(
                    "CHECKIN_ARGON2_ITERATIONS",
                    get("CHECKIN_ARGON2_ITERATIONS"),
                    defaults.password_cost.iterations,
                )?,
            },
            scheduler_interval: Duration::from_secs(scheduler_interval_secs),
            rate_checkin_per_ip: parse_or(
                "CHECKIN_RATE_CHECKIN_PER_IP",
                get("CHECKIN_RATE_CHECKIN_PER_IP"),
                defaults.rate_checkin_per_ip,
            )?,
            rate_checkin_per_account: parse_or(
                "CHECKIN_RATE_CHECKIN_PER_ACCOUNT",
                get("CHECKIN_RATE_CHECKIN_PER_ACCOUNT"),
                defaults.rate_checkin_per_account,
            )?,
            rate_login_per_ip: parse_or(
                "CHECKIN_RATE_LOGIN_PER_IP",
                get("CHECKIN_RATE_LOGIN_PER_IP"),
                defaults.rate_login_per_ip,
            )?,
            request_timeout,
            report_timeout,
            metrics_token: get("CHECKIN_METRICS_TOKEN"),
            trusted_proxies: parse_networks(
                "CHECKIN_TRUSTED_PROXIES",
                get("CHECKIN_TRUSTED_PROXIES"),
            )?,
            ip_db: get("CHECKIN_IP_DB")
                .filter(|p| !p.trim().is_empty())
                .map(std::path::PathBuf::from),
            fence_limits,
            map: MapTiles::parse(
                get("CHECKIN_MAP_TILE_URL"),
                get("CHECKIN_MAP_TILE_CRS"),
                get("CHECKIN_MAP_TILE_ATTRIBUTION"),
            )?,
            ipv6_prefix_len,
            detection: Detection::from_lookup(get)?,
            public_url: parse_public_url(get("CHECKIN_PUBLIC_URL"))?,
            tls: parse_tls(get("CHECKIN_TLS_CERT"), get("CHECKIN_TLS_KEY"))?,
            inspection_photo_max_bytes,
            pii_key: get("CHECKIN_PII_KEY").filter(|k| !k.trim().is_empty()),
            survey_retention_days: {
                let days: u32 = parse_or(
                    "CHECKIN_SURVEY_RETENTION_DAYS",
                    get("CHECKIN_SURVEY_RETENTION_DAYS"),
                    defaults.survey_retention_days,
                )?;
                if days > 3650 {
                    return Err(ConfigError {
                        name: "CHECKIN_SURVEY_RETENTION_DAYS",
                        value: days.to_string(),
                        reason: "must be between 0 and 3650".into(),
                    });
                }
                days
            },
        })
    }
}

/// `CHECKIN_PUBLIC_URL`: an `http(s)://host[:port][/path]` origin without query or
/// fragment; a trailing `/` is dropped so that `…/m/` can be appended.
fn parse_public_url(value: Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let fine = rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && rest
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '#' && c != '?')
    });
    if !fine {
        return Err(ConfigError {
            name: "CHECKIN_PUBLIC_URL",
            value,
            reason: "must be an http:// or https:// address without ? or # (e.g. https://checkin.example.cn)".into(),
        });
    }
    Ok(Some(value.trim_end_matches('/').to_owned()))
}

/// `CHECKIN_TLS_CERT` and `CHECKIN_TLS_KEY`: both or neither.
fn parse_tls(cert: Option<String>, key: Option<String>) -> Result<Option<TlsFiles>, ConfigError> {
    let cert = cert.filter(|v| !v.trim().is_empty());
    let key = key.filter(|v| !v.trim().is_empty());
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        })),
        (Some(cert), None) => Err(ConfigError {
            name: "CHECKIN_TLS_KEY",
            value: String::new(),
            reason: format!("required when CHECKIN_TLS_CERT is set ({cert})"),
        }),
        (None, Some(key)) => Err(ConfigError {
            name: "CHECKIN_TLS_CERT",
            value: String::new(),
            reason: format!("required when CHECKIN_TLS_KEY is set ({key})"),
        }),
    }
}

/// A comma-separated list of addresses (`192.0.2.7`, `::1`) and networks
/// (`10.0.0.0/8`, `fd00::/8`).
fn parse_networks(name: &'static str, value: Option<String>) -> Result<Vec<IpNet>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError {
                    name,
                    value: entry.to_owned(),
                    reason: "not an IP address or network (such as 10.0.0.0/8)".into(),
                })
        })
        .collect()
}

fn parse_or<T>(name: &'static str, value: Option<String>, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match value {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            value: raw.clone(),
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn empty_environment_gives_the_embedded_defaults() {
        let config = config_from(&[]).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.qr_period_seconds, 15);
        assert!(config.redis_url.is_none() && config.bootstrap_admin.is_none());
    }

    #[test]
    fn the_scan_photo_limit_defaults_to_one_mebibyte_and_is_bounded() {
        let config = config_from(&[]).expect("defaults are valid");
        assert_eq!(config.detection.scan_photo_max_bytes, 1024 * 1024);
        let set = config_from(&[("CHECKIN_SCAN_PHOTO_MAX_BYTES", "2097152")]).expect("valid");
        assert_eq!(set.detection.scan_photo_max_bytes, 2 * 1024 * 1024);
        for bad in ["12", "99999999", "lots"] {
            let err = config_from(&[("CHECKIN_SCAN_PHOTO_MAX_BYTES", bad)]).unwrap_err();
            assert_eq!(err.name, "CHECKIN_SCAN_PHOTO_MAX_BYTES");
        }
    }

    #[test]
    fn a_bad_listen_address_names_the_variable() {
        let err = config_from(&[("CHECKIN_LISTEN", "nowhere")]).unwrap_err();
        assert_eq!(err.name, "CHECKIN_LISTEN");
    }

    #[test]
    fn bootstrap_phone_without_password_is_refused() {
        let err = config_from(&[("CHECKIN_BOOTSTRAP_ADMIN_PHONE", "13800000000")]).unwrap_err();
        assert_eq!(err.name, "CHECKIN_BOOTSTRAP_ADMIN_PASSWORD");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        assert!(config_from(&[("CHECKIN_JWT_SECRET", "short")]).is_err());
    }

    #[test]
    fn qr_period_out_of_range_is_refused() {
        assert!(config_from(&[("CHECKIN_QR_PERIOD_SECONDS", "1")]).is_err());
        let config = config_from(&[("CHECKIN_QR_PERIOD_SECONDS", "60")]).expect("valid");
        assert_eq!(config.qr_period_seconds, 60);
    }

    #[test]
    fn trusted_proxies_are_addresses_and_networks_and_none_by_default() {
        assert!(
            config_from(&[])
                .expect("defaults")
                .trusted_proxies
                .is_empty()
        );
        let config = config_from(&[("CHECKIN_TRUSTED_PROXIES", " 10.0.0.0/8, 127.0.0.1 ,::1,")])
            .expect("valid");
        let names: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        let error = config_from(&[("CHECKIN_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")])
            .expect_err("a host name is not an address");
        assert_eq!(error.name, "CHECKIN_TRUSTED_PROXIES");
        assert_eq!(error.value, "proxy.local");
        let error =
            config_from(&[("CHECKIN_TRUSTED_PROXIES", "10.0.0.0/33")]).expect_err("no such prefix");
        assert_eq!(error.value, "10.0.0.0/33");
    }

    #[test]
    fn the_ipv6_prefix_defaults_to_64_and_stays_between_32_and_128() {
        assert_eq!(config_from(&[]).expect("defaults").ipv6_prefix_len, 64);
        let detection = config_from(&[
            ("CHECKIN_ACCURACY_FLOOR_M", "2.5"),
            ("CHECKIN_PAIRED_SITES", "4"),
        ])
        .expect("detection")
        .detection;
        assert_eq!(detection.accuracy_floor_m, 2.5);
        assert_eq!(detection.paired_sites, 4);
        assert_eq!(detection.quiet_edge_minutes, 15);
        assert!(config_from(&[("CHECKIN_NEAR_REPEAT_M", "-1")]).is_err());
        assert!(config_from(&[("CHECKIN_GROUP_WINDOW_SECONDS", "soon")]).is_err());
        let config = config_from(&[("CHECKIN_IPV6_PREFIX_LEN", "56")]).expect("valid");
        assert_eq!(config.ipv6_prefix_len, 56);
        for bad in ["31", "129", "-1", "sixty-four"] {
            let err = config_from(&[("CHECKIN_IPV6_PREFIX_LEN", bad)]).expect_err(bad);
            assert_eq!(err.name, "CHECKIN_IPV6_PREFIX_LEN");
        }
        assert!(config_from(&[("CHECKIN_IPV6_PREFIX_LEN", "128")]).is_ok());
    }

    #[test]
    fn the_scheduler_interval_defaults_to_a_minute_and_zero_turns_it_off() {
        let config = config_from(&[]).expect("defaults");
        assert_eq!(config.scheduler_interval, Duration::from_secs(60));
        let off = config_from(&[("CHECKIN_SCHEDULER_INTERVAL_SECONDS", "0")]).expect("valid");
        assert_eq!(off.scheduler_interval, Duration::ZERO);
        let err = config_from(&[("CHECKIN_SCHEDULER_INTERVAL_SECONDS", "90000")]).unwrap_err();
        assert_eq!(err.name, "CHECKIN_SCHEDULER_INTERVAL_SECONDS");
        assert!(config_from(&[("CHECKIN_SCHEDULER_INTERVAL_SECONDS", "-1")]).is_err());
    }

    #[test]
    fn fence_limits_default_to_the_largest_circle_and_must_be_positive_and_bounded() {
        let config = config_from(&[]).expect("defaults");
        assert_eq!(config.fence_limits, FenceLimits::default());
        let set = config_from(&[
            ("CHECKIN_MAX_FENCE_AREA_KM2", "2.5"),
            ("CHECKIN_MAX_FENCE_EXTENT_M", "3000"),
        ])
        .expect("valid");
        assert_eq!(
            set.fence_limits,
            FenceLimits {
                max_area_km2: 2.5,
                max_extent_m: 3000.0
            }
        );
        for (name, value) in [
            ("CHECKIN_MAX_FENCE_AREA_KM2", "0"),
            ("CHECKIN_MAX_FENCE_AREA_KM2", "-1"),
            ("CHECKIN_MAX_FENCE_AREA_KM2", "NaN"),
            ("CHECKIN_MAX_FENCE_AREA_KM2", "inf"),
            ("CHECKIN_MAX_FENCE_AREA_KM2", "1e9"),
            ("CHECKIN_MAX_FENCE_EXTENT_M", "ten"),
            ("CHECKIN_MAX_FENCE_EXTENT_M", "0"),
        ] {
            let err = config_from(&[(name, value)]).expect_err(value);
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn abuse_limits_have_defaults_and_timeouts_are_bounded() {
        let config = config_from(&[]).expect("defaults");
        assert_eq!(config.rate_checkin_per_ip, 600);
        assert_eq!(config.rate_checkin_per_account, 30);
        assert_eq!(config.rate_login_per_ip, 60);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(config.report_timeout, Duration::from_secs(300));
        let err = config_from(&[("CHECKIN_REQUEST_TIMEOUT_SECONDS", "0")]).unwrap_err();
        assert_eq!(err.name, "CHECKIN_REQUEST_TIMEOUT_SECONDS");
        let err = config_from(&[("CHECKIN_RATE_LOGIN_PER_IP", "-5")]).unwrap_err();
        assert_eq!(err.name, "CHECKIN_RATE_LOGIN_PER_IP");
    }

    #[test]
    fn debug_output_hides_the_metrics_token() {
        let config = config_from(&[("CHECKIN_METRICS_TOKEN", "scrape-secret-42")]).expect("ok");
        assert_eq!(config.metrics_token.as_deref(), Some("scrape-secret-42"));
        assert!(!format!("{config:?}").contains("scrape-secret-42"));
    }

    #[test]
    fn debug_output_hides_database_password() {
        let config =
            config_from(&[("DATABASE_URL", "postgres://app:hunter2pass@db/x")]).expect("ok");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2pass"), "{shown}");
    }

    #[test]
    fn a_map_tile_template_is_checked_at_start_up() {
        let config = config_from(&[]).expect("no map is fine");
        assert_eq!(config.map, MapTiles::default());
        let tianditu =
            "https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}";
        let config = config_from(&[
            ("CHECKIN_MAP_TILE_URL", tianditu),
            ("CHECKIN_MAP_TILE_ATTRIBUTION", "天地图"),
        ])
        .expect("valid");
        assert_eq!(config.map.tile_url.as_deref(), Some(tianditu));
        assert_eq!(config.map.tile_crs, TileCrs::Wgs84);
        assert_eq!(config.map.attribution.as_deref(), Some("天地图"));
        let amap = config_from(&[
            (
                "CHECKIN_MAP_TILE_URL",
                "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
            ),
            ("CHECKIN_MAP_TILE_CRS", "GCJ02"),
        ])
        .expect("valid");
        assert_eq!(amap.map.tile_crs, TileCrs::Gcj02);
        for (name, value) in [
            ("CHECKIN_MAP_TILE_URL", "https://tiles.example/{z}/{x}.png"),
            (
                "CHECKIN_MAP_TILE_URL",
                "ftp://tiles.example/{z}/{x}/{y}.png",
            ),
            ("CHECKIN_MAP_TILE_CRS", "bd09"),
        ] {
            let err = config_from(&[(name, value)]).expect_err(value);
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn public_url_is_an_http_origin_without_fragment_and_loses_its_trailing_slash() {
        assert_eq!(config_from(&[]).expect("defaults").public_url, None);
        let config =
            config_from(&[("CHECKIN_PUBLIC_URL", "https://checkin.example.cn/")]).expect("valid");
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://checkin.example.cn")
        );
        let config =
            config_from(&[("CHECKIN_PUBLIC_URL", "http://192.168.1.20:8443/xx")]).expect("valid");
        assert_eq!(
            config.public_url.as_deref(),
            Some("http://192.168.1.20:8443/xx")
        );
        for bad in [
            "checkin.example.cn",
            "ftp://x",
            "https://",
            "https://x/#c=",
            "https://x/?a=1",
            "https://a b",
        ] {
            let error = config_from(&[("CHECKIN_PUBLIC_URL", bad)]).expect_err(bad);
            assert_eq!(error.name, "CHECKIN_PUBLIC_URL");
        }
    }

    #[test]
    fn tls_wants_both_the_certificate_and_the_key() {
        assert_eq!(config_from(&[]).expect("defaults").tls, None);
        let config = config_from(&[
            ("CHECKIN_TLS_CERT", "/etc/xx/cert.pem"),
            ("CHECKIN_TLS_KEY", "/etc/xx/key.pem"),
        ])
        .expect("valid");
        assert_eq!(
            config.tls,
            Some(TlsFiles {
                cert: "/etc/xx/cert.pem".into(),
                key: "/etc/xx/key.pem".into(),
            })
        );
        let error = config_from(&[("CHECKIN_TLS_CERT", "/etc/xx/cert.pem")]).expect_err("no key");
        assert_eq!(error.name, "CHECKIN_TLS_KEY");
        let error = config_from(&[("CHECKIN_TLS_KEY", "/etc/xx/key.pem")]).expect_err("no cert");
        assert_eq!(error.name, "CHECKIN_TLS_CERT");
    }
}

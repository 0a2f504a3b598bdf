//! Logging and tracing set up once per process.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), JSON lines
/// when `CHECKIN_LOG_FORMAT=json`, human-readable otherwise.
pub fn init() {
    init_with_default("info,sqlx=warn,tower_http=info");
}

/// [`init`] with another filter when `RUST_LOG` is not set (`--demo` logs warnings only).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("CHECKIN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

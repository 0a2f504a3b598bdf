//! `server`: runs the Xiaxiang HTTP server (default) or one of its maintenance commands.

use std::sync::Arc;

use clap::Parser;
use xiaxiang_server::domain::clock::SystemClock;
use xiaxiang_server::{App, Config, telemetry};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Xiaxiang: geofenced check-in for physician outreach"
)]
struct Cli {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    telemetry::init();
    let config = Config::from_env()?;
    tracing::info!(?config, "starting");
    let app = App::build(config, Arc::new(SystemClock)).await?;
    let address = app.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Xiaxiang listening on http://{address}");
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

//! `server`: runs the Xiaxiang HTTP server (default) or one of its maintenance commands.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use xiaxiang_server::domain::clock::SystemClock;
use xiaxiang_server::service::audit::{ChainReport, verify};
use xiaxiang_server::store::Store;
use xiaxiang_server::{App, Config, telemetry};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Xiaxiang: geofenced check-in for physician outreach"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Serve with a demo jurisdiction, demo logins and a month of synthetic history
    /// (created once, kept across restarts); prints the logins and links.
    #[arg(long, global = true)]
    demo: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Audit log maintenance.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Fill the database with a synthetic province and simulated days of check-ins.
    SeedSynthetic(xiaxiang_server::synthetic::cli::SeedArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the audit hash chain and that every audited row names its entry; exits 1
    /// and names the first broken link and the rows changed without an entry.
    Verify,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if cli.demo {
        // Quiet while the demo seeds, so its links are the last thing printed.
        telemetry::init_with_default("warn");
    } else {
        telemetry::init();
    }
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve if cli.demo => {
            let listen_given = std::env::var_os("CHECKIN_LISTEN").is_some();
            xiaxiang_server::demo::serve(config, listen_given, shutdown_signal()).await
        }
        Command::Serve => serve(config).await,
        Command::Audit {
            action: AuditCommand::Verify,
        } => audit_verify(config).await,
        Command::SeedSynthetic(args) => xiaxiang_server::synthetic::cli::run(config, args).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    tracing::info!(?config, "starting");
    let app = App::build(config, Arc::new(SystemClock)).await?;
    let address = app.local_addr()?;
    tracing::info!(%address, "listening");
    let scheme = if app.is_https() { "https" } else { "http" };
    println!("Xiaxiang listening on {scheme}://{address}");
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(config: Config) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url, 2).await?;
    let report = verify(&store).await?;
    store.close().await;
    match &report.chain {
        ChainReport::Intact { entries } => println!("audit chain intact: {entries} entries"),
        ChainReport::Broken { checked, at } => {
            println!("audit chain BROKEN after {checked} good entries: {at}");
        }
    }
    if report.unrecorded.is_empty() {
        println!("every audited row names its audit entry");
    } else {
        println!("CHANGES WITHOUT AN AUDIT ENTRY:");
        for change in &report.unrecorded {
            println!("  {change}");
        }
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

//! `loadgen`: provisions a world on a running Xiaxiang server, then measures
//! `GET /healthz` and check-in + check-out pairs and prints the figures.

mod args;
mod drive;
mod fix;
mod provision;
mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Parser;

use crate::args::Args;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let world = Arc::new(provision::provision(&args).await?);
    println!("provisioning took {:.1} s", started.elapsed().as_secs_f64());
    let duration = Duration::from_secs(args.duration);

    let mut healthz_rate = None;
    if args.runs_healthz() {
        let begun = Instant::now();
        let stats = drive::healthz(&world, args.concurrency, duration).await?;
        let elapsed = begun.elapsed();
        print!("{}", stats.report("GET /healthz", elapsed));
        healthz_rate = Some(stats.rate(elapsed));
    }
    if args.runs_checkin() {
        let begun = Instant::now();
        let stats = drive::pairs(world.clone(), args.concurrency, duration).await?;
        let elapsed = begun.elapsed();
        let attendance = stats.attendance();
        print!("{}", stats.check_in.report("POST check-in", elapsed));
        print!("{}", stats.check_out.report("POST check-out", elapsed));
        print!("{}", attendance.report("check-in + check-out", elapsed));
        println!(
            "pairs completed: {} = {:.0} pairs/s; kiosk code fetches: {}; waits for a new code step: {}",
            stats.pairs,
            stats.pairs as f64 / elapsed.as_secs_f64().max(1e-9),
            stats.code_fetches,
            stats.waits,
        );
        if stats.waits > 0 {
            println!(
                "note: workers waited for code steps; the rate is bound by --physicians / CHECKIN_QR_PERIOD_SECONDS, not by the server"
            );
        }
        if let Some(healthz) = healthz_rate {
            println!(
                "ratio (check-in + check-out req/s) / (healthz req/s) = {:.3}; check-in alone: {:.3}",
                attendance.rate(elapsed) / healthz.max(1e-9),
                stats.check_in.rate(elapsed) / healthz.max(1e-9),
            );
        }
    }
    Ok(())
}

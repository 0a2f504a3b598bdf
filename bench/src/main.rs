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
    let mut floor = None;
    if let Some(url) = &args.floor_url {
        let begun = Instant::now();
        let stats = drive::floor(
            world.clone(),
            url,
            &args.floor_key,
            args.concurrency,
            duration,
        )
        .await?;
        let elapsed = begun.elapsed();
        print!(
            "{}",
            stats.report("POST /floor (durable-write floor)", elapsed)
        );
        floor = Some((stats.rate(elapsed), stats));
    }
    let mut attendance_summary = None;
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
        attendance_summary = Some((attendance.rate(elapsed), attendance, stats.waits));
    }
    print!(
        "{}",
        summary(
            &args,
            healthz_rate,
            floor.as_ref(),
            attendance_summary.as_ref()
        )
    );
    Ok(())
}

/// The run in a few lines: the rates, the ratios against the floor and healthz, the
/// latencies, whether every answer was 201, the machine's load; then one row for the
/// table in BENCHMARKS.md.
fn summary(
    args: &Args,
    healthz: Option<f64>,
    floor: Option<&(f64, stats::PhaseStats)>,
    attendance: Option<&(f64, stats::PhaseStats, u64)>,
) -> String {
    let rate = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.0}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
        _ => "-".to_owned(),
    };
    let ms = |s: Option<&stats::PhaseStats>, q: f64| {
        s.map_or("-".to_owned(), |s| format!("{:.2}", s.ms_at(q)))
    };
    let floor_rate = floor.map(|f| f.0);
    let attendance_rate = attendance.map(|a| a.0);
    let all_201 =
        floor.is_none_or(|f| f.1.all_created()) && attendance.is_none_or(|a| a.1.all_created());
    let waits = attendance.map_or(0, |a| a.2);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "-".to_owned());
    let mut text = String::from("== summary ==\n");
    text.push_str(&format!(
        "in flight: {}; load average (1 min) at the end: {load}\n",
        args.concurrency
    ));
    text.push_str(&format!("healthz: {} req/s\n", rate(healthz)));
    text.push_str(&format!(
        "floor: {} req/s, p50 {} ms, p99 {} ms\n",
        rate(floor_rate),
        ms(floor.map(|f| &f.1), 0.5),
        ms(floor.map(|f| &f.1), 0.99)
    ));
    text.push_str(&format!(
        "check-in + check-out: {} req/s, p50 {} ms, p99 {} ms\n",
        rate(attendance_rate),
        ms(attendance.map(|a| &a.1), 0.5),
        ms(attendance.map(|a| &a.1), 0.99)
    ));
    text.push_str(&format!(
        "ratio check-in/floor: {}; check-in/healthz: {}; floor/healthz: {}\n",
        ratio(attendance_rate, floor_rate),
        ratio(attendance_rate, healthz),
        ratio(floor_rate, healthz)
    ));
    text.push_str(&format!(
        "every answer 201: {}{}\n",
        if all_201 { "yes" } else { "no" },
        if waits > 0 {
            " (but workers waited for code steps)"
        } else {
            ""
        }
    ));
    text.push_str(&format!(
        "row: | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        args.concurrency,
        rate(healthz),
        rate(floor_rate),
        rate(attendance_rate),
        ms(attendance.map(|a| &a.1), 0.5),
        ms(attendance.map(|a| &a.1), 0.99),
        ratio(attendance_rate, floor_rate),
        ratio(attendance_rate, healthz),
        load
    ));
    text
}

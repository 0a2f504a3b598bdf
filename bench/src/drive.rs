//! The measured phases: `GET /healthz` alone, and check-in + check-out pairs alone,
//! each driven by `concurrency` workers until the deadline.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Utc;
use mobile_api::{AttendanceRequest, KioskCode};
use reqwest::{Method, Response};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::fix::Jitter;
use crate::provision::{Physician, Site, World};
use crate::stats::PhaseStats;

/// How far from the fence centre fixes fall: inside every fence the loadgen draws.
const SPREAD_M: f64 = 8.0;

/// The outcome label of an answer: `201 accepted`, `201 flagged <reasons>`,
/// `422 already_checked_in`, ...; the body is read to the end either way.
async fn label(response: Response) -> String {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() {
        match body["verdict"].as_str() {
            Some("flagged") => format!("{} flagged {}", status.as_u16(), body["reasons"]),
            Some(verdict) => format!("{} {verdict}", status.as_u16()),
            None => status.as_u16().to_string(),
        }
    } else {
        match body["code"].as_str() {
            Some(code) => format!("{} {code}", status.as_u16()),
            None => status.as_u16().to_string(),
        }
    }
}

/// `GET /healthz` from `concurrency` workers for `duration`.
pub async fn healthz(world: &World, concurrency: usize, duration: Duration) -> Result<PhaseStats> {
    let Some(site) = world.sites.first() else {
        anyhow::bail!("no sites");
    };
    let deadline = Instant::now() + duration;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let client = site.kiosk.clone();
        workers.spawn(async move {
            let mut stats = PhaseStats::default();
            while Instant::now() < deadline {
                let started = Instant::now();
                let outcome = match client.request(Method::GET, "/healthz").send().await {
                    Ok(response) => {
                        let status = response.status().as_u16().to_string();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => "transport".to_owned(),
                };
                stats.record(started.elapsed(), outcome);
            }
            stats
        });
    }
    let mut total = PhaseStats::default();
    while let Some(stats) = workers.join_next().await {
        total.merge(&stats?);
    }
    Ok(total)
}

/// Each site's current rotating code, fetched through its kiosk once per step.
struct Codes {
    current: Vec<Mutex<Option<KioskCode>>>,
    fetches: AtomicU64,
}

impl Codes {
    fn new(sites: usize) -> Codes {
        Codes {
            current: (0..sites).map(|_| Mutex::new(None)).collect(),
            fetches: AtomicU64::new(0),
        }
    }

    async fn of(&self, index: usize, site: &Site) -> Result<KioskCode> {
        let slot = self
            .current
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("site {index}"))?;
        let cached = slot
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone();
        if let Some(code) = cached
            && Utc::now() < code.valid_until
        {
            return Ok(code);
        }
        let code = site.kiosk.kiosk_code().await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        *slot.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(code.clone());
        Ok(code)
    }
}

/// Figures of the check-in phase.
#[derive(Default)]
pub struct PairStats {
    pub check_in: PhaseStats,
    pub check_out: PhaseStats,
    pub pairs: u64,
    /// Times a worker had to wait for a site's next code step because its physician
    /// had used the current one: the run is then bound by physicians, not the server.
    pub waits: u64,
    pub code_fetches: u64,
}

impl PairStats {
    fn merge(&mut self, other: &PairStats) {
        self.check_in.merge(&other.check_in);
        self.check_out.merge(&other.check_out);
        self.pairs += other.pairs;
        self.waits += other.waits;
    }

    /// Check-ins and check-outs together.
    pub fn attendance(&self) -> PhaseStats {
        let mut both = self.check_in.clone();
        both.merge(&self.check_out);
        both
    }
}

fn request(
    physician: &Physician,
    code: &KioskCode,
    jitter: &mut Jitter,
    site: &Site,
) -> AttendanceRequest {
    AttendanceRequest {
        client_event_id: Uuid::new_v4(),
        qr_payload: code.payload.clone(),
        device_id: physician.device_id.clone(),
        location: jitter.fix_near(site.lat, site.lon, SPREAD_M),
        scanned_at: None,
        offline: false,
    }
}

async fn post(physician: &Physician, action: &str, body: &AttendanceRequest) -> (Duration, String) {
    let started = Instant::now();
    let sent = physician
        .client
        .request(Method::POST, &format!("/api/v1/attendance/{action}"))
        .json(body)
        .send()
        .await;
    let outcome = match sent {
        Ok(response) => label(response).await,
        Err(_) => "transport".to_owned(),
    };
    (started.elapsed(), outcome)
}

/// Where a physician is in their check-in, check-out cycle.
#[derive(Debug, Clone, Copy)]
struct Turn {
    physician: usize,
    /// The code step they used last: a rotating code serves one scan per physician.
    last_step: Option<i64>,
    /// A visit is open: the next scan is a check-out.
    open: bool,
}

/// Check-in + check-out pairs from `concurrency` workers for `duration`. Physicians
/// take turns from one queue; each turn is one scan on the site's current code step,
/// which a physician may use once, so one physician scans at most once per step.
pub async fn pairs(world: Arc<World>, concurrency: usize, duration: Duration) -> Result<PairStats> {
    let queue: Arc<Mutex<VecDeque<Turn>>> = Arc::new(Mutex::new(
        (0..world.physicians.len())
            .map(|physician| Turn {
                physician,
                last_step: None,
                open: false,
            })
            .collect(),
    ));
    let codes = Arc::new(Codes::new(world.sites.len()));
    let deadline = Instant::now() + duration;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (world, queue, codes) = (world.clone(), queue.clone(), codes.clone());
        // A seed per worker and run: equal fixes would raise `repeated_fix`.
        let seed = Uuid::new_v4().as_u64_pair().0;
        workers.spawn(async move {
            let mut stats = PairStats::default();
            let mut jitter = Jitter::seeded(seed);
            while Instant::now() < deadline {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .pop_front();
                let Some(turn) = next else {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                };
                let turn = scan(&world, &codes, turn, deadline, &mut jitter, &mut stats).await?;
                queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push_back(turn);
            }
            anyhow::Ok(stats)
        });
    }
    let mut total = PairStats::default();
    while let Some(stats) = workers.join_next().await {
        total.merge(&stats??);
    }
    total.code_fetches = codes.fetches.load(Ordering::Relaxed);
    Ok(total)
}

/// One physician's next scan on their site's current code: a check-in, or the
/// check-out of their open visit. Answers their next turn.
async fn scan(
    world: &World,
    codes: &Codes,
    turn: Turn,
    deadline: Instant,
    jitter: &mut Jitter,
    stats: &mut PairStats,
) -> Result<Turn> {
    let physician = &world.physicians[turn.physician];
    let site = &world.sites[physician.site];
    let mut code = codes.of(physician.site, site).await?;
    if turn.last_step.is_some_and(|last| last >= code.step) {
        stats.waits += 1;
        let wait = (code.valid_until - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
        code = codes.of(physician.site, site).await?;
        if turn.last_step.is_some_and(|last| last >= code.step) {
            return Ok(turn);
        }
    }
    let body = request(physician, &code, jitter, site);
    let next = Turn {
        last_step: Some(code.step),
        ..turn
    };
    if turn.open {
        let (latency, outcome) = post(physician, "check-out", &body).await;
        let closed = outcome.starts_with("201") || outcome.ends_with("no_open_visit");
        if outcome.starts_with("201") {
            stats.pairs += 1;
        }
        stats.check_out.record(latency, outcome);
        Ok(Turn {
            open: !closed,
            ..next
        })
    } else {
        let (latency, outcome) = post(physician, "check-in", &body).await;
        let opened = outcome.starts_with("201") || outcome.ends_with("already_checked_in");
        stats.check_in.record(latency, outcome);
        Ok(Turn {
            open: opened,
            ..next
        })
    }
}

/// The durable-write floor's `POST /floor` from `concurrency` workers for
/// `duration`, with the same bodies a check-in phase sends (each site's current
/// code, a fresh `client_event_id`, the physician's device, a fix near the fence
/// centre) and an HS256 token per physician minted with `key`.
pub async fn floor(
    world: Arc<World>,
    url: &str,
    key: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<PhaseStats> {
    let codes = Codes::new(world.sites.len());
    let mut site_codes = Vec::with_capacity(world.sites.len());
    for (index, site) in world.sites.iter().enumerate() {
        site_codes.push(codes.of(index, site).await?);
    }
    let key = jsonwebtoken::EncodingKey::from_secret(key.as_bytes());
    let base = mobile_api::client::Client::new(url);
    let clients = world
        .physicians
        .iter()
        .map(|physician| {
            let claims = serde_json::json!({ "sub": physician.device_id });
            let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key)?;
            Ok(base.with_token(token))
        })
        .collect::<Result<Vec<_>>>()?;
    let (clients, site_codes) = (Arc::new(clients), Arc::new(site_codes));
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (world, clients, site_codes, next) = (
            world.clone(),
            clients.clone(),
            site_codes.clone(),
            next.clone(),
        );
        let seed = Uuid::new_v4().as_u64_pair().0;
        workers.spawn(async move {
            let mut stats = PhaseStats::default();
            let mut jitter = Jitter::seeded(seed);
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed) as usize % clients.len().max(1);
                let (Some(physician), Some(client)) =
                    (world.physicians.get(index), clients.get(index))
                else {
                    anyhow::bail!("no physicians");
                };
                let site = &world.sites[physician.site];
                let body = request(physician, &site_codes[physician.site], &mut jitter, site);
                let started = Instant::now();
                let sent = client
                    .request(Method::POST, "/floor")
                    .json(&body)
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(response) => label(response).await,
                    Err(_) => "transport".to_owned(),
                };
                stats.record(started.elapsed(), outcome);
            }
            anyhow::Ok(stats)
        });
    }
    let mut total = PhaseStats::default();
    while let Some(stats) = workers.join_next().await {
        total.merge(&stats??);
    }
    Ok(total)
}

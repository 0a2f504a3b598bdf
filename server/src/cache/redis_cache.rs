//! Redis-backed cache shared by several server processes.
//!
//! A dead or slow Redis must not slow check-ins down, so every call is bounded and a
//! failure opens a circuit breaker:
//!
//! * the connection is made lazily ([`ConnectionManager::new_lazy_with_config`]): the
//!   server starts while Redis is down and connects once it answers;
//! * each connection attempt and each response times out after [`CALL_TIMEOUT`], and
//!   the whole call (reconnection included) is cut off after that too;
//! * after a failure this process stops calling Redis for [`BACKOFF`]; meanwhile every
//!   call answers from this process's [`MemoryCache`] (counters and markers get
//!   per-process, values are missed more often: the database answers). Then one call
//!   probes Redis while the others keep to memory; its success closes the breaker;
//! * `ping` (readiness) always tries, so `/readyz` sees Redis come back, and a
//!   successful ping closes the breaker at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Pipeline};

use super::{CacheError, Hits, MemoryCache};

/// Longest a Redis call (connecting included) may take.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(200);
/// How long after a failure this process leaves Redis alone.
pub const BACKOFF: Duration = Duration::from_millis(1_500);

#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    fallback: MemoryCache,
    prefix: String,
    breaker: Arc<Breaker>,
}

/// Open (Redis skipped) until a point in time; counts the failures that opened it.
struct Breaker {
    epoch: Instant,
    open_until_ms: AtomicU64,
    failures: AtomicU64,
}

impl Breaker {
    fn new() -> Breaker {
        Breaker {
            epoch: Instant::now(),
            open_until_ms: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn is_open(&self) -> bool {
        self.now_ms() < self.open_until_ms.load(Ordering::Relaxed)
    }

    /// Whether this call may go to Redis: always while closed; once the back-off is
    /// over, only the one call that claims the probe.
    fn admit(&self) -> bool {
        let until = self.open_until_ms.load(Ordering::Relaxed);
        if until == 0 {
            return true;
        }
        let now = self.now_ms();
        now >= until
            && self
                .open_until_ms
                .compare_exchange(
                    until,
                    now + BACKOFF.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Opens the breaker for [`BACKOFF`]; true when it was closed (worth a log line).
    fn trip(&self) -> bool {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let until = self.now_ms() + BACKOFF.as_millis() as u64;
        let before = self.open_until_ms.swap(until, Ordering::Relaxed);
        before <= self.now_ms()
    }

    fn close(&self) {
        if self.open_until_ms.load(Ordering::Relaxed) != 0 {
            self.open_until_ms.store(0, Ordering::Relaxed);
        }
    }
}

impl RedisCache {
    /// Sets up the connection without making it: fails only on a malformed URL.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisCache, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(100));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| CacheError(e.to_string()))?;
        Ok(RedisCache {
            connection,
            fallback: MemoryCache::default(),
            prefix: prefix.to_owned(),
            breaker: Arc::new(Breaker::new()),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Whether calls go to Redis right now (false while the breaker is open).
    pub fn is_available(&self) -> bool {
        !self.breaker.is_open()
    }

    /// How many calls failed since start.
    pub fn failures(&self) -> u64 {
        self.breaker.failures.load(Ordering::Relaxed)
    }

    /// Runs `pipe` unless the breaker is open, within [`CALL_TIMEOUT`]; a failure opens
    /// the breaker.
    async fn run<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, CacheError> {
        if !self.breaker.admit() {
            return Err(CacheError("redis skipped after a recent failure".into()));
        }
        self.attempt(pipe).await
    }

    async fn attempt<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T, CacheError> {
        let mut connection = self.connection.clone();
        let outcome = tokio::time::timeout(CALL_TIMEOUT, pipe.query_async(&mut connection)).await;
        let error = match outcome {
            Ok(Ok(value)) => {
                self.breaker.close();
                return Ok(value);
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {} ms", CALL_TIMEOUT.as_millis()),
        };
        if self.breaker.trip() {
            tracing::warn!(%error, backoff_ms = BACKOFF.as_millis() as u64,
                "redis unavailable; using this process's memory");
        }
        Err(CacheError(error))
    }

    pub async fn hit(&self, key: &str, window: Duration) -> Hits {
        let key = self.key(key);
        let window_ms = window.as_millis().min(i64::MAX as u128) as i64;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .incr(&key, 1u64)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window_ms)
            .arg("NX")
            .ignore()
            .pttl(&key);
        match self.run::<(u64, i64)>(&pipe).await {
            Ok((count, ttl_ms)) => Hits {
                count,
                resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
            },
            Err(_) => self.fallback.hit(&key, window),
        }
    }

    /// One script, so the read and the decrement are one step: `DECR` keeps the key's
    /// time to live, and a key that expired is not brought back without one.
    pub async fn release(&self, key: &str) {
        const RELEASE: &str = "local n = tonumber(redis.call('GET', KEYS[1])) \
            if n and n > 0 then return redis.call('DECR', KEYS[1]) end return 0";
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("EVAL").arg(RELEASE).arg(1).arg(&key).ignore();
        if self.run::<()>(&pipe).await.is_err() {
            self.fallback.release(&key);
        }
    }

    pub async fn peek(&self, key: &str) -> Hits {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.get(&key).pttl(&key);
        match self.run::<(Option<u64>, i64)>(&pipe).await {
            Ok((count, ttl_ms)) => Hits {
                count: count.unwrap_or(0),
                resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
            },
            Err(_) => self.fallback.peek(&key),
        }
    }

    pub async fn clear(&self, key: &str) {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.del(&key).ignore();
        let _ = self.run::<()>(&pipe).await;
        self.fallback.clear(&key);
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.get(&key);
        match self.run::<(Option<String>,)>(&pipe).await {
            Ok((value,)) => value,
            Err(_) => self.fallback.get(&key),
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(&key)
            .arg(value)
            .arg("PX")
            .arg(ttl_ms(ttl))
            .ignore();
        if self.run::<()>(&pipe).await.is_err() {
            self.fallback.set(&key, value, ttl);
        }
    }

    pub async fn set_once(&self, key: &str, value: &str, ttl: Duration) -> bool {
        let key = self.key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(&key)
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl));
        match self.run::<(Option<String>,)>(&pipe).await {
            Ok((stored,)) => stored.is_some(),
            Err(_) => self.fallback.set_once(&key, value, ttl),
        }
    }

    pub async fn schedule(&self, schedule: &str, member: &str, due_ms: i64) {
        let key = self.key(&format!("schedule:{schedule}"));
        let mut pipe = redis::pipe();
        pipe.zadd(&key, member, due_ms).ignore();
        // Nothing to fall back to: the scheduler's full database sweep finds it.
        let _ = self.run::<()>(&pipe).await;
    }

    pub async fn due(
        &self,
        schedule: &str,
        up_to_ms: i64,
        limit: usize,
    ) -> Result<Vec<String>, CacheError> {
        let key = self.key(&format!("schedule:{schedule}"));
        let mut pipe = redis::pipe();
        pipe.cmd("ZRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(up_to_ms)
            .arg("LIMIT")
            .arg(0)
            .arg(limit);
        self.run::<(Vec<String>,)>(&pipe).await.map(|(due,)| due)
    }

    pub async fn unschedule(&self, schedule: &str, member: &str) {
        let key = self.key(&format!("schedule:{schedule}"));
        let mut pipe = redis::pipe();
        pipe.zrem(&key, member).ignore();
        let _ = self.run::<()>(&pipe).await;
    }

    /// Asks Redis even while the breaker is open; an answer closes it.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut pipe = redis::pipe();
        pipe.cmd("PING");
        let (_pong,): (String,) = self.attempt(&pipe).await?;
        Ok(())
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_on_failure_and_then_admits_one_probe() {
        let breaker = Breaker::new();
        assert!(
            breaker.admit() && breaker.admit(),
            "closed: every call goes"
        );
        assert!(breaker.trip(), "the first failure is worth a log line");
        assert!(breaker.is_open());
        assert!(!breaker.admit(), "open: calls keep to memory");
        assert!(!breaker.trip(), "a failure while open is not logged again");
        assert_eq!(breaker.failures.load(Ordering::Relaxed), 2);
        // The back-off is over: one probe, the others wait for its outcome.
        std::thread::sleep(Duration::from_millis(5));
        breaker.open_until_ms.store(1, Ordering::Relaxed);
        assert!(breaker.admit(), "the probe");
        assert!(!breaker.admit(), "the calls beside the probe");
        breaker.close();
        assert!(!breaker.is_open());
        assert!(breaker.admit());
    }
}

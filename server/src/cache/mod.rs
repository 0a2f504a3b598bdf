//! The fast path shared by requests and processes: counters with a time window (login
//! rate limits), values with a time to live (stored check-in answers, kiosk codes),
//! set-once markers (used kiosk codes) and schedules (presence-check deadlines).
//! In-process by default, Redis when `REDIS_URL` is set (see [`keys`] for every key).
//!
//! Never the source of truth: every answer here is either advisory (rate limits), a
//! copy of something the database holds and re-checks with a constraint (answers,
//! code uses), or a hint that a periodic database sweep backs up (deadlines). A miss
//! or a failure always falls through to the database, so losing the cache, or Redis,
//! loses nothing. How Redis failures are bounded: [`redis_cache`].

pub mod keys;
mod memory;
pub mod redis_cache;

use std::time::Duration;

pub use memory::MemoryCache;
pub use redis_cache::RedisCache;

/// The cache in use. An enum rather than a trait object: two back ends, no dynamic dispatch.
#[derive(Clone)]
pub enum Cache {
    Memory(MemoryCache),
    Redis(RedisCache),
}

#[derive(Debug, thiserror::Error)]
#[error("cache: {0}")]
pub struct CacheError(pub String);

/// A counter's value and how long until its window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub count: u64,
    pub resets_in: Duration,
}

impl Cache {
    pub fn memory() -> Cache {
        Cache::Memory(MemoryCache::default())
    }

    /// A Redis cache; connects lazily, so a Redis that is down at boot only makes the
    /// server start degraded. Fails on a malformed URL.
    pub async fn redis(url: &str, prefix: &str) -> Result<Cache, CacheError> {
        Ok(Cache::Redis(RedisCache::connect(url, prefix).await?))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Cache::Memory(_) => "memory",
            Cache::Redis(_) => "redis",
        }
    }

    /// Whether other processes see what this one writes right now: Redis with its
    /// circuit breaker closed.
    pub fn is_shared(&self) -> bool {
        match self {
            Cache::Memory(_) => false,
            Cache::Redis(r) => r.is_available(),
        }
    }

    /// Shared-back-end failures since start (0 in-process): whoever relies on the
    /// shared cache having seen every write compares this before and after.
    pub fn failures(&self) -> u64 {
        match self {
            Cache::Memory(_) => 0,
            Cache::Redis(r) => r.failures(),
        }
    }

    /// Adds one to `key`'s counter (a fixed window of `window` from the first hit) and
    /// answers the new count: one atomic step, so concurrent hits (from any process
    /// sharing the back end) each see a different count, and a limit checked on that
    /// count lets exactly its number through however many arrive at once.
    pub async fn hit(&self, key: &str, window: Duration) -> Hits {
        match self {
            Cache::Memory(m) => m.hit(key, window),
            Cache::Redis(r) => r.hit(key, window).await,
        }
    }

    /// Takes back one hit of `key`'s counter, within its window: for a hit that
    /// reserved a place (see the login's attempts) and turned out not to count.
    /// Nothing when the counter is gone or at zero.
    pub async fn release(&self, key: &str) {
        match self {
            Cache::Memory(m) => m.release(key),
            Cache::Redis(r) => r.release(key).await,
        }
    }

    /// The counter without adding to it.
    pub async fn peek(&self, key: &str) -> Hits {
        match self {
            Cache::Memory(m) => m.peek(key),
            Cache::Redis(r) => r.peek(key).await,
        }
    }

    /// Removes `key` (a counter or a value).
    pub async fn clear(&self, key: &str) {
        match self {
            Cache::Memory(m) => m.clear(key),
            Cache::Redis(r) => r.clear(key).await,
        }
    }

    /// The value stored under `key`, if it has not expired (None also when unsure).
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Cache::Memory(m) => m.get(key),
            Cache::Redis(r) => r.get(key).await,
        }
    }

    /// Stores `value` under `key` for `ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        match self {
            Cache::Memory(m) => m.set(key, value, ttl),
            Cache::Redis(r) => r.set(key, value, ttl).await,
        }
    }

    /// Stores `value` under `key` for `ttl` unless something is there (`SET NX PX`);
    /// true when this call stored it.
    pub async fn set_once(&self, key: &str, value: &str, ttl: Duration) -> bool {
        match self {
            Cache::Memory(m) => m.set_once(key, value, ttl),
            Cache::Redis(r) => r.set_once(key, value, ttl).await,
        }
    }

    /// Puts `member` in `schedule`, due at `due_ms` (unix milliseconds); scheduling a
    /// member again moves it.
    pub async fn schedule(&self, schedule: &str, member: &str, due_ms: i64) {
        match self {
            Cache::Memory(m) => m.schedule(schedule, member, due_ms),
            Cache::Redis(r) => r.schedule(schedule, member, due_ms).await,
        }
    }

    /// Up to `limit` members of `schedule` due at or before `up_to_ms`, earliest first;
    /// an error when the shared back end did not answer.
    pub async fn due(
        &self,
        schedule: &str,
        up_to_ms: i64,
        limit: usize,
    ) -> Result<Vec<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.due(schedule, up_to_ms, limit)),
            Cache::Redis(r) => r.due(schedule, up_to_ms, limit).await,
        }
    }

    /// Takes `member` out of `schedule`.
    pub async fn unschedule(&self, schedule: &str, member: &str) {
        match self {
            Cache::Memory(m) => m.unschedule(schedule, member),
            Cache::Redis(r) => r.unschedule(schedule, member).await,
        }
    }

    /// Whether the shared back end answers (always true in-process).
    pub async fn ping(&self) -> Result<(), CacheError> {
        match self {
            Cache::Memory(_) => Ok(()),
            Cache::Redis(r) => r.ping().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The caches to test: memory always, Redis when `XIAXIANG_TEST_REDIS_URL` is set.
    async fn caches() -> Vec<Cache> {
        let mut caches = vec![Cache::memory()];
        if let Some(url) = std::env::var("XIAXIANG_TEST_REDIS_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            let prefix = format!("unit-{}:", uuid::Uuid::new_v4().simple());
            let redis = Cache::redis(&url, &prefix).await.expect("redis url");
            redis.ping().await.expect("XIAXIANG_TEST_REDIS_URL answers");
            caches.push(redis);
        }
        caches
    }

    #[tokio::test]
    async fn values_expire_and_set_once_sets_once_on_every_back_end() {
        for cache in caches().await {
            let name = cache.backend_name();
            assert_eq!(cache.get("v").await, None, "{name}");
            cache.set("v", "one", Duration::from_millis(300)).await;
            assert_eq!(cache.get("v").await.as_deref(), Some("one"), "{name}");
            assert!(
                !cache.set_once("v", "two", Duration::from_secs(60)).await,
                "{name}"
            );
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(cache.get("v").await, None, "{name}");
            assert!(
                cache.set_once("m", "1", Duration::from_secs(60)).await,
                "{name}"
            );
            assert!(
                !cache.set_once("m", "1", Duration::from_secs(60)).await,
                "{name}"
            );
            cache.clear("m").await;
            assert!(
                cache.set_once("m", "1", Duration::from_secs(60)).await,
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn counters_count_on_every_back_end() {
        for cache in caches().await {
            let name = cache.backend_name();
            let window = Duration::from_secs(60);
            assert_eq!(cache.hit("c", window).await.count, 1, "{name}");
            assert_eq!(cache.hit("c", window).await.count, 2, "{name}");
            let peeked = cache.peek("c").await;
            assert_eq!(peeked.count, 2, "{name}");
            assert!(peeked.resets_in <= window, "{name}");
            cache.clear("c").await;
            assert_eq!(cache.peek("c").await.count, 0, "{name}");
        }
    }

    #[tokio::test]
    async fn a_released_hit_is_taken_back_within_the_window_on_every_back_end() {
        for cache in caches().await {
            let name = cache.backend_name();
            let window = Duration::from_secs(60);
            cache.hit("r", window).await;
            cache.hit("r", window).await;
            cache.release("r").await;
            let left = cache.peek("r").await;
            assert_eq!(left.count, 1, "{name}");
            assert!(
                left.resets_in > Duration::ZERO && left.resets_in <= window,
                "{name}: the window is kept"
            );
            cache.release("r").await;
            cache.release("r").await;
            assert_eq!(cache.peek("r").await.count, 0, "{name}: never below zero");
            assert_eq!(cache.hit("r", window).await.count, 1, "{name}");
            // A counter that does not exist stays absent.
            cache.release("never-hit").await;
            assert_eq!(cache.hit("never-hit", window).await.count, 1, "{name}");
        }
    }

    #[tokio::test]
    async fn concurrent_hits_each_see_their_own_count_on_every_back_end() {
        for cache in caches().await {
            let name = cache.backend_name();
            let hits = (0..40).map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.hit("race", Duration::from_secs(60)).await })
            });
            let mut counts = Vec::new();
            for hit in hits {
                counts.push(hit.await.expect("task").count);
            }
            counts.sort_unstable();
            assert_eq!(counts, (1..=40).collect::<Vec<u64>>(), "{name}");
        }
    }

    #[tokio::test]
    async fn schedules_answer_due_members_on_every_back_end() {
        for cache in caches().await {
            let name = cache.backend_name();
            cache.schedule("s", "b", 2_000).await;
            cache.schedule("s", "a", 1_000).await;
            cache.schedule("s", "c", 3_000).await;
            assert_eq!(
                cache.due("s", 999, 10).await.expect("due"),
                Vec::<String>::new()
            );
            assert_eq!(
                cache.due("s", 2_500, 10).await.expect("due"),
                vec!["a", "b"],
                "{name}"
            );
            assert_eq!(
                cache.due("s", 9_999, 1).await.expect("due"),
                vec!["a"],
                "{name}"
            );
            cache.unschedule("s", "a").await;
            assert_eq!(
                cache.due("s", 9_999, 10).await.expect("due"),
                vec!["b", "c"],
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_dead_redis_falls_back_to_memory_fast_and_reports_not_ready() {
        // Nothing listens on port 1.
        let cache = Cache::redis("redis://127.0.0.1:1/", "dead:")
            .await
            .expect("a lazy connection starts without redis");
        assert!(cache.ping().await.is_err());
        assert!(!cache.is_shared(), "the breaker opened");
        assert!(cache.failures() >= 1);
        // Calls answer from this process's memory meanwhile.
        assert!(cache.set_once("m", "1", Duration::from_secs(60)).await);
        assert!(!cache.set_once("m", "1", Duration::from_secs(60)).await);
        assert_eq!(cache.hit("c", Duration::from_secs(60)).await.count, 1);
        assert_eq!(cache.hit("c", Duration::from_secs(60)).await.count, 2);
        cache.set("v", "x", Duration::from_secs(60)).await;
        assert_eq!(cache.get("v").await.as_deref(), Some("x"));
        assert!(
            cache.due("s", 0, 10).await.is_err(),
            "no schedule without redis"
        );
    }
}

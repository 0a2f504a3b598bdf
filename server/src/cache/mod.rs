//! The fast path shared by requests: counters with a time window (rate limits) and
//! set-once markers. In-process by default, Redis when `REDIS_URL` is set.
//!
//! Never the source of truth: every answer here is either advisory (rate limits) or
//! re-checked by a database constraint, so losing the cache loses nothing.

mod memory;
mod redis_cache;

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

    pub async fn redis(url: &str, prefix: &str) -> Result<Cache, CacheError> {
        Ok(Cache::Redis(RedisCache::connect(url, prefix).await?))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Cache::Memory(_) => "memory",
            Cache::Redis(_) => "redis",
        }
    }

    /// Adds one to `key`'s counter (a fixed window of `window` from the first hit).
    pub async fn hit(&self, key: &str, window: Duration) -> Hits {
        match self {
            Cache::Memory(m) => m.hit(key, window),
            Cache::Redis(r) => r.hit(key, window).await,
        }
    }

    /// The counter without adding to it.
    pub async fn peek(&self, key: &str) -> Hits {
        match self {
            Cache::Memory(m) => m.peek(key),
            Cache::Redis(r) => r.peek(key).await,
        }
    }

    pub async fn clear(&self, key: &str) {
        match self {
            Cache::Memory(m) => m.clear(key),
            Cache::Redis(r) => r.clear(key).await,
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

//! Redis-backed cache shared by several server processes. When Redis fails, each call
//! falls back to this process's memory: limits get per-process, nothing is lost.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{CacheError, Hits, MemoryCache};

#[derive(Clone)]
pub struct RedisCache {
    connection: ConnectionManager,
    fallback: MemoryCache,
    prefix: String,
}

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisCache, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError(e.to_string()))?;
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|e| CacheError(e.to_string()))?;
        Ok(RedisCache {
            connection,
            fallback: MemoryCache::default(),
            prefix: prefix.to_owned(),
        })
    }

    pub async fn hit(&self, key: &str, window: Duration) -> Hits {
        let key = format!("{}{key}", self.prefix);
        let mut connection = self.connection.clone();
        let window_ms = window.as_millis().min(i64::MAX as u128) as i64;
        let result: redis::RedisResult<(u64, i64)> = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window_ms)
            .arg("NX")
            .ignore()
            .pttl(&key)
            .query_async(&mut connection)
            .await;
        match result {
            Ok((count, ttl_ms)) => Hits {
                count,
                resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
            },
            Err(error) => {
                tracing::warn!(%error, "redis unavailable; counting in process");
                self.fallback.hit(&key, window)
            }
        }
    }

    pub async fn peek(&self, key: &str) -> Hits {
        let key = format!("{}{key}", self.prefix);
        let mut connection = self.connection.clone();
        let result: redis::RedisResult<(Option<u64>, i64)> = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut connection)
            .await;
        match result {
            Ok((count, ttl_ms)) => Hits {
                count: count.unwrap_or(0),
                resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
            },
            Err(error) => {
                tracing::warn!(%error, "redis unavailable; reading process counters");
                self.fallback.peek(&key)
            }
        }
    }

    pub async fn clear(&self, key: &str) {
        let key = format!("{}{key}", self.prefix);
        let mut connection = self.connection.clone();
        let result: redis::RedisResult<()> = connection.del(&key).await;
        if let Err(error) = result {
            tracing::warn!(%error, "redis unavailable; clearing process counter only");
        }
        self.fallback.clear(&key);
    }

    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut connection = self.connection.clone();
        let pong: redis::RedisResult<String> =
            redis::cmd("PING").query_async(&mut connection).await;
        pong.map(|_| ()).map_err(|e| CacheError(e.to_string()))
    }
}

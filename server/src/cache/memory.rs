//! In-process cache for a single server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Hits;

#[derive(Clone, Default)]
pub struct MemoryCache {
    counters: Arc<Mutex<HashMap<String, (u64, Instant)>>>,
}

/// Past this many keys, expired ones are swept on the next write.
const SWEEP_AT: usize = 10_000;

impl MemoryCache {
    pub fn hit(&self, key: &str, window: Duration) -> Hits {
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        if counters.len() >= SWEEP_AT {
            counters.retain(|_, (_, until)| *until > now);
        }
        let entry = counters.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Hits {
            count: entry.0,
            resets_in: entry.1.saturating_duration_since(now),
        }
    }

    pub fn peek(&self, key: &str) -> Hits {
        let now = Instant::now();
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        match counters.get(key) {
            Some((count, until)) if *until > now => Hits {
                count: *count,
                resets_in: until.saturating_duration_since(now),
            },
            _ => Hits {
                count: 0,
                resets_in: Duration::ZERO,
            },
        }
    }

    pub fn clear(&self, key: &str) {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_count_within_the_window_and_reset_after() {
        let cache = MemoryCache::default();
        let window = Duration::from_millis(50);
        assert_eq!(cache.hit("k", window).count, 1);
        assert_eq!(cache.hit("k", window).count, 2);
        assert_eq!(cache.peek("k").count, 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.peek("k").count, 0);
        assert_eq!(cache.hit("k", window).count, 1);
        cache.clear("k");
        assert_eq!(cache.peek("k").count, 0);
    }
}

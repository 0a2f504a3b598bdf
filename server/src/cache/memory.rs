//! In-process cache for a single server, and the fallback of the Redis back end.
//!
//! Three maps behind one mutex each: window counters, values with a time to live
//! (set-once markers are values too), and schedules (member -> due time in unix
//! milliseconds). Memory is bounded: once a map has doubled since its last sweep
//! (and holds at least [`SWEEP_AT`] keys) expired entries are swept on the next
//! write, so a sweep costs O(1) a write however many keys are live; a map that still
//! holds [`MAX_KEYS`] after a sweep is emptied (it is a cache: the database answers
//! whatever is lost).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Hits;

#[derive(Clone, Default)]
pub struct MemoryCache {
    counters: Arc<Mutex<Expiring<u64>>>,
    values: Arc<Mutex<Expiring<String>>>,
    schedules: Arc<Mutex<HashMap<String, HashMap<String, i64>>>>,
}

/// The fewest keys at which expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// A map that still holds this many keys after a sweep is emptied.
const MAX_KEYS: usize = 200_000;
/// Past this many members a schedule is emptied (the periodic database sweep refills
/// nothing: it does the work itself).
const SCHEDULE_MAX: usize = 100_000;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryCache {
    pub fn hit(&self, key: &str, window: Duration) -> Hits {
        let now = Instant::now();
        let mut counters = lock(&self.counters);
        counters.make_room(now);
        let entry = counters
            .map
            .entry(key.to_owned())
            .or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Hits {
            count: entry.0,
            resets_in: entry.1.saturating_duration_since(now),
        }
    }

    /// Takes one back from a live counter above zero.
    pub fn release(&self, key: &str) {
        let now = Instant::now();
        let mut counters = lock(&self.counters);
        if let Some((count, until)) = counters.map.get_mut(key)
            && *until > now
        {
            *count = count.saturating_sub(1);
        }
    }

    pub fn peek(&self, key: &str) -> Hits {
        let now = Instant::now();
        let counters = lock(&self.counters);
        match counters.map.get(key) {
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
        lock(&self.counters).map.remove(key);
        lock(&self.values).map.remove(key);
    }

    /// The value under `key`, unless it expired.
    pub fn get(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        let values = lock(&self.values);
        match values.map.get(key) {
            Some((value, until)) if *until > now => Some(value.clone()),
            _ => None,
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing what was there.
    pub fn set(&self, key: &str, value: &str, ttl: Duration) {
        let now = Instant::now();
        let mut values = lock(&self.values);
        values.make_room(now);
        values
            .map
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
    }

    /// Stores `value` under `key` for `ttl` unless a live value is there; true when
    /// this call stored it.
    pub fn set_once(&self, key: &str, value: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut values = lock(&self.values);
        if values.map.get(key).is_some_and(|(_, until)| *until > now) {
            return false;
        }
        values.make_room(now);
        values
            .map
            .insert(key.to_owned(), (value.to_owned(), now + ttl));
        true
    }

    /// Puts `member` in `schedule`, due at `due_ms` (unix milliseconds).
    pub fn schedule(&self, schedule: &str, member: &str, due_ms: i64) {
        let mut schedules = lock(&self.schedules);
        let members = schedules.entry(schedule.to_owned()).or_default();
        if members.len() >= SCHEDULE_MAX {
            members.clear();
        }
        members.insert(member.to_owned(), due_ms);
    }

    /// Up to `limit` members of `schedule` due at or before `up_to_ms`, earliest first.
    pub fn due(&self, schedule: &str, up_to_ms: i64, limit: usize) -> Vec<String> {
        let schedules = lock(&self.schedules);
        let Some(members) = schedules.get(schedule) else {
            return Vec::new();
        };
        let mut due: Vec<(i64, &String)> = members
            .iter()
            .filter(|(_, at)| **at <= up_to_ms)
            .map(|(member, at)| (*at, member))
            .collect();
        due.sort();
        due.into_iter()
            .take(limit)
            .map(|(_, member)| member.clone())
            .collect()
    }

    /// Takes `member` out of `schedule`.
    pub fn unschedule(&self, schedule: &str, member: &str) {
        if let Some(members) = lock(&self.schedules).get_mut(schedule) {
            members.remove(member);
        }
    }
}

/// Keys with a value and the instant it expires.
struct Expiring<V> {
    map: HashMap<String, (V, Instant)>,
    /// The size at which the next write sweeps.
    sweep_at: usize,
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Expiring {
            map: HashMap::new(),
            sweep_at: SWEEP_AT,
        }
    }
}

impl<V> Expiring<V> {
    /// Sweeps expired keys once the map has reached `sweep_at`, then waits until it
    /// has doubled again (so a sweep of n keys comes after at least n/2 writes).
    fn make_room(&mut self, now: Instant) {
        if self.map.len() < self.sweep_at {
            return;
        }
        self.map.retain(|_, (_, until)| *until > now);
        if self.map.len() >= MAX_KEYS {
            self.map.clear();
        }
        self.sweep_at = (self.map.len() * 2).clamp(SWEEP_AT, MAX_KEYS);
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

    #[test]
    fn a_value_lives_for_its_ttl_and_set_once_sets_only_once() {
        let cache = MemoryCache::default();
        assert_eq!(cache.get("v"), None);
        cache.set("v", "one", Duration::from_millis(50));
        assert_eq!(cache.get("v").as_deref(), Some("one"));
        assert!(!cache.set_once("v", "two", Duration::from_secs(60)));
        assert_eq!(cache.get("v").as_deref(), Some("one"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("v"), None);
        assert!(cache.set_once("v", "three", Duration::from_secs(60)));
        assert!(!cache.set_once("v", "four", Duration::from_secs(60)));
        assert_eq!(cache.get("v").as_deref(), Some("three"));
        cache.clear("v");
        assert_eq!(cache.get("v"), None);
    }

    #[test]
    fn a_full_value_map_makes_room_and_keeps_the_new_value() {
        let cache = MemoryCache::default();
        for i in 0..MAX_KEYS {
            cache.set(&format!("k{i}"), "x", Duration::from_secs(60));
        }
        cache.set("last", "y", Duration::from_secs(60));
        assert_eq!(cache.get("last").as_deref(), Some("y"));
        assert!(lock(&cache.values).map.len() < MAX_KEYS);
    }

    #[test]
    fn live_keys_past_the_sweep_size_are_swept_again_only_once_doubled() {
        let cache = MemoryCache::default();
        for i in 0..=SWEEP_AT {
            cache.hit(&format!("c{i}"), Duration::from_secs(60));
        }
        // The sweep at SWEEP_AT freed nothing: the next one waits for twice as many.
        assert_eq!(lock(&cache.counters).sweep_at, 2 * SWEEP_AT);
        assert_eq!(lock(&cache.counters).map.len(), SWEEP_AT + 1);
    }

    #[test]
    fn expired_keys_are_swept_when_the_map_reaches_its_sweep_size() {
        let cache = MemoryCache::default();
        for i in 0..SWEEP_AT {
            cache.set(&format!("gone{i}"), "x", Duration::ZERO);
        }
        cache.set("kept", "y", Duration::from_secs(60));
        let values = lock(&cache.values);
        assert_eq!(values.map.len(), 1);
        assert_eq!(values.sweep_at, SWEEP_AT);
    }

    #[test]
    fn due_members_come_earliest_first_up_to_the_limit() {
        let cache = MemoryCache::default();
        cache.schedule("s", "late", 300);
        cache.schedule("s", "early", 100);
        cache.schedule("s", "middle", 200);
        cache.schedule("other", "elsewhere", 0);
        assert_eq!(cache.due("s", 50, 10), Vec::<String>::new());
        assert_eq!(cache.due("s", 250, 10), vec!["early", "middle"]);
        assert_eq!(cache.due("s", 1000, 1), vec!["early"]);
        cache.unschedule("s", "early");
        assert_eq!(cache.due("s", 1000, 10), vec!["middle", "late"]);
        // Scheduling again moves the member.
        cache.schedule("s", "late", 10);
        assert_eq!(cache.due("s", 150, 10), vec!["late"]);
    }
}

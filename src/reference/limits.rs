//! Rate limits as Auth0 tenants apply them: token buckets, and on every response the
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds) of the
//! bucket the request counted against. Apps read them (auth0-python turns `X-RateLimit-Reset`
//! into `RateLimitError.reset_at`), so a test double must send them where a tenant does.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::Mutex,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{http::HeaderValue, response::Response};

/// A limit: `burst` requests at once, then one more every `refill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub burst: u32,
    pub refill: Duration,
}

/// What the whole tenant may send, over every endpoint: high enough that no run of the
/// catalogue (10,000 generated cases included) comes near it.
pub const TENANT: Limit = Limit {
    burst: 20_000,
    refill: Duration::from_micros(50),
};
/// /dbconnections/change_password per address: as on Auth0, 10, then 1 a minute.
pub const CHANGE_PASSWORD: Limit = Limit {
    burst: 10,
    refill: Duration::from_secs(60),
};
/// /oauth/token for a client that authenticated: 100, as tenants were seen to report it,
/// refilled 100 a second.
pub const TOKEN: Limit = Limit {
    burst: 100,
    refill: Duration::from_millis(10),
};
/// /oauth/token for the client that exists to be limited
/// ([`super::LIMITED_CLIENT_ID`]): the fourth request in ten seconds gets 429.
pub const TOKEN_LIMITED: Limit = Limit {
    burst: 3,
    refill: Duration::from_secs(10),
};

/// The outcome of one request against one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the next request is allowed (at least 1, as `Retry-After` needs).
    pub wait: u64,
}

impl Quota {
    /// Sets the three headers on `response`, replacing a wider bucket's.
    pub fn stamp(&self, response: &mut Response) {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            + self.wait;
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
}

/// The most buckets kept at once. Each is a few dozen bytes whatever its key (the key is kept
/// as a keyed hash), so the table stays under a megabyte; past it, see [`Table::make_room`].
pub const MAX_BUCKETS: usize = 10_000;

struct Bucket {
    tokens: u32,
    last_refill: Instant,
    /// When a request last counted against it: the least recently used go first.
    used: Instant,
    limit: Limit,
}

impl Bucket {
    /// Adds the tokens that `now` has refilled.
    fn refill(&mut self, now: Instant) {
        let limit = self.limit;
        let refill = limit.refill.as_nanos().max(1);
        let refills = now.duration_since(self.last_refill).as_nanos() / refill;
        if refills > 0 {
            let refills = u32::try_from(refills).unwrap_or(u32::MAX);
            self.tokens = self.tokens.saturating_add(refills).min(limit.burst);
            self.last_refill = if self.tokens == limit.burst {
                now
            } else {
                self.last_refill + limit.refill * refills
            };
        }
    }

    /// Whether it would be full at `now`: then it answers as a new bucket would, and forgetting
    /// it changes nothing.
    fn is_full(&self, now: Instant) -> bool {
        let refill = self.limit.refill.as_nanos().max(1);
        let refills = now.duration_since(self.last_refill).as_nanos() / refill;
        u128::from(self.tokens) + refills >= u128::from(self.limit.burst)
    }
}

/// Every bucket, keyed by what it limits (`"token:<client>"`, `"reset:<email>"`, ...). Keys
/// come from clients (an email address), so the table keeps a keyed hash of each (SipHash with
/// this table's random keys: a client cannot aim two keys at one bucket) and at most `cap` of
/// them.
pub struct Buckets(Mutex<Table>);

struct Table {
    buckets: HashMap<u64, Bucket>,
    keys: RandomState,
    cap: usize,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::with_cap(MAX_BUCKETS)
    }
}

impl Table {
    /// Room for one more bucket in a full table: the buckets that are full again go first,
    /// then the least recently used, down to three quarters of the cap, so that the next
    /// quarter of new keys finds room without a walk over the table. A client that floods the
    /// table with new keys can so lift the limit of a bucket it drained long ago, never grow
    /// the table.
    fn make_room(&mut self, now: Instant) {
        if self.buckets.len() < self.cap {
            return;
        }
        self.buckets.retain(|_, b| !b.is_full(now));
        keep_newest(&mut self.buckets, self.cap * 3 / 4, |b| b.used);
    }
}

/// Keeps the `keep` entries of `map` whose `at` is latest and drops the others, in time linear
/// in the map's size.
pub(super) fn keep_newest<K, V>(map: &mut HashMap<K, V>, keep: usize, at: impl Fn(&V) -> Instant) {
    if map.len() <= keep {
        return;
    }
    let mut times: Vec<Instant> = map.values().map(&at).collect();
    let cut = times.len() - keep;
    let (_, &mut threshold, _) = times.select_nth_unstable(cut);
    let newer = times.iter().filter(|t| **t > threshold).count();
    // Entries at the threshold itself are kept only as far as `keep` allows: equal times must
    // not let the map stay over its bound.
    let mut ties = keep - newer;
    map.retain(|_, v| {
        let t = at(v);
        if t > threshold {
            return true;
        }
        if t == threshold && ties > 0 {
            ties -= 1;
            return true;
        }
        false
    });
}

impl Buckets {
    /// A table of at most `cap` buckets.
    pub fn with_cap(cap: usize) -> Self {
        Buckets(Mutex::new(Table {
            buckets: HashMap::new(),
            keys: RandomState::new(),
            cap,
        }))
    }

    /// How many buckets the table holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .buckets
            .len()
    }

    /// Takes one request from the bucket `key` of `limit`.
    pub fn take(&self, key: &str, limit: Limit) -> Quota {
        let mut table = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let id = table.keys.hash_one(key);
        if !table.buckets.contains_key(&id) {
            table.make_room(now);
        }
        let bucket = table.buckets.entry(id).or_insert(Bucket {
            tokens: limit.burst,
            last_refill: now,
            used: now,
            limit,
        });
        bucket.limit = limit;
        bucket.used = now;
        bucket.refill(now);
        let next = limit
            .refill
            .saturating_sub(now.duration_since(bucket.last_refill));
        let wait = next.as_secs() + u64::from(next.subsec_nanos() > 0);
        let wait = wait.max(1);
        if bucket.tokens == 0 {
            return Quota {
                allowed: false,
                limit: limit.burst,
                remaining: 0,
                wait,
            };
        }
        bucket.tokens -= 1;
        Quota {
            allowed: true,
            limit: limit.burst,
            remaining: bucket.tokens,
            wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_and_says_when() {
        let buckets = Buckets::default();
        let limit = Limit {
            burst: 3,
            refill: Duration::from_secs(10),
        };
        let taken: Vec<Quota> = (0..4).map(|_| buckets.take("k", limit)).collect();
        assert_eq!(
            taken
                .iter()
                .map(|q| (q.allowed, q.remaining))
                .collect::<Vec<_>>(),
            [(true, 2), (true, 1), (true, 0), (false, 0)]
        );
        assert!(
            taken
                .iter()
                .all(|q| q.limit == 3 && (1..=10).contains(&q.wait))
        );
        // Another key has its own bucket.
        assert_eq!(buckets.take("other", limit).remaining, 2);
    }

    #[test]
    fn a_fast_refill_keeps_up() {
        let buckets = Buckets::default();
        let limit = Limit {
            burst: 2,
            refill: Duration::from_nanos(1),
        };
        for _ in 0..100 {
            let q = buckets.take("k", limit);
            assert!(q.allowed);
            std::thread::sleep(Duration::from_micros(1));
        }
    }

    /// A client that sends a new key with every request (an email address per request on
    /// change_password) never grows the table past its cap, however long its keys.
    #[test]
    fn new_keys_never_grow_the_table_past_its_cap() {
        let buckets = Buckets::with_cap(100);
        let long = "x".repeat(64 * 1024);
        let mut most = 0;
        for n in 0..1_000 {
            let q = buckets.take(&format!("reset:{n}{long}"), CHANGE_PASSWORD);
            assert!(q.allowed, "a new key starts with its burst");
            most = most.max(buckets.len());
        }
        assert_eq!(most, 100);
        // Each eviction leaves room for a quarter of the cap.
        assert!(buckets.len() >= 75, "{}", buckets.len());
    }

    /// A drained bucket that is still in use keeps its count through a flood of new keys: the
    /// least recently used go first.
    #[test]
    fn the_bucket_in_use_outlives_a_flood_of_new_keys() {
        let buckets = Buckets::with_cap(100);
        for _ in 0..CHANGE_PASSWORD.burst {
            assert!(buckets.take("reset:victim", CHANGE_PASSWORD).allowed);
        }
        for n in 0..1_000 {
            buckets.take(&format!("reset:{n}"), CHANGE_PASSWORD);
            if n % 10 == 0 {
                assert!(!buckets.take("reset:victim", CHANGE_PASSWORD).allowed);
            }
        }
        assert!(!buckets.take("reset:victim", CHANGE_PASSWORD).allowed);
    }

    /// Buckets that have refilled go first: forgetting them changes no answer.
    #[test]
    fn full_buckets_are_dropped_before_any_other() {
        let buckets = Buckets::with_cap(4);
        let fast = Limit {
            burst: 2,
            refill: Duration::from_nanos(1),
        };
        for key in ["a", "b", "c"] {
            buckets.take(key, fast);
        }
        buckets.take("slow", CHANGE_PASSWORD);
        std::thread::sleep(Duration::from_micros(10));
        buckets.take("new", CHANGE_PASSWORD);
        // a, b and c had refilled; the slow bucket kept its count.
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets.take("slow", CHANGE_PASSWORD).remaining, 8);
    }

    #[test]
    fn keep_newest_keeps_exactly_that_many_even_at_equal_times() {
        let now = Instant::now();
        let mut map: HashMap<u32, Instant> = (0..10).map(|n| (n, now)).collect();
        keep_newest(&mut map, 4, |t| *t);
        assert_eq!(map.len(), 4);
        let mut map: HashMap<u32, Instant> = (0..10)
            .map(|n| (n, now + Duration::from_secs(u64::from(n))))
            .collect();
        keep_newest(&mut map, 3, |t| *t);
        let mut kept: Vec<u32> = map.into_keys().collect();
        kept.sort_unstable();
        assert_eq!(kept, [7, 8, 9]);
    }
}

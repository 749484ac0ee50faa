//! Rate limits as Auth0 tenants apply them: token buckets, and on every response the
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds) of the
//! bucket the request counted against. Apps read them (auth0-python turns `X-RateLimit-Reset`
//! into `RateLimitError.reset_at`), so a test double must send them where a tenant does.

use std::{
    collections::HashMap,
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

struct Bucket {
    tokens: u32,
    last_refill: Instant,
}

/// Every bucket, keyed by what it limits (`"token:<client>"`, `"reset:<email>"`, ...).
#[derive(Default)]
pub struct Buckets(Mutex<HashMap<String, Bucket>>);

impl Buckets {
    /// Takes one request from the bucket `key` of `limit`.
    pub fn take(&self, key: &str, limit: Limit) -> Quota {
        let mut buckets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Looked up before it is inserted: every request passes here, and only a new key
        // needs a copy.
        if !buckets.contains_key(key) {
            buckets.insert(
                key.to_owned(),
                Bucket {
                    tokens: limit.burst,
                    last_refill: now,
                },
            );
        }
        let bucket = buckets.get_mut(key).expect("inserted above");
        let refill = limit.refill.as_nanos().max(1);
        let refills = now.duration_since(bucket.last_refill).as_nanos() / refill;
        if refills > 0 {
            let refills = u32::try_from(refills).unwrap_or(u32::MAX);
            bucket.tokens = bucket.tokens.saturating_add(refills).min(limit.burst);
            bucket.last_refill = if bucket.tokens == limit.burst {
                now
            } else {
                bucket.last_refill + limit.refill * refills
            };
        }
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
}

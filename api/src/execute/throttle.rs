//! Token buckets by key, and the per-client rate limit built on them.
//!
//! One shape serves two jobs: counting failed logins per email and per
//! address ([`crate::customer::passwords`]), and each client's allowance of
//! complexity points per second ([`RateLimits`], as Shopify's APIs do).
//! A bucket starts full with `capacity` tokens and is restored at
//! `per_second`; a key whose bucket is full again is as good as forgotten,
//! and at most [`KEYS`] keys are remembered (the least recently used are
//! dropped), so a client cannot grow the map without bound.
//!
//! The buckets live in this instance's memory: behind a load balancer each
//! instance limits on its own (said in the README).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::auth::Viewer;
use crate::error::ErrorCode;

/// Keys remembered per set of buckets (checked non-zero at compile time).
pub const KEYS: NonZeroUsize = NonZeroUsize::new(100_000).unwrap();

/// Token buckets by key.
pub struct Buckets<K: Hash + Eq> {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<LruCache<K, (f64, Instant)>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(capacity: f64, per_second: f64) -> Buckets<K> {
        Buckets {
            capacity,
            per_second,
            buckets: Mutex::new(LruCache::new(KEYS)),
        }
    }

    /// The bucket's size.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Tokens restored per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// The tokens `key` has at `now`.
    fn level_in(&self, buckets: &mut LruCache<K, (f64, Instant)>, key: &K, now: Instant) -> f64 {
        buckets.get(key).map_or(self.capacity, |(tokens, at)| {
            let restored = now.saturating_duration_since(*at).as_secs_f64() * self.per_second;
            (tokens + restored).min(self.capacity)
        })
    }

    /// The tokens `key` has now.
    pub fn level(&self, key: &K) -> f64 {
        let mut buckets = self.lock();
        self.level_in(&mut buckets, key, Instant::now())
    }

    /// How long until `key` holds `tokens` (zero: it does now).
    pub fn wait_for(&self, key: &K, tokens: f64) -> Duration {
        self.wait_for_at(key, tokens, Instant::now())
    }

    fn wait_for_at(&self, key: &K, tokens: f64, now: Instant) -> Duration {
        let mut buckets = self.lock();
        let level = self.level_in(&mut buckets, key, now);
        self.wait_from(level, tokens)
    }

    fn wait_from(&self, level: f64, tokens: f64) -> Duration {
        if level >= tokens {
            Duration::ZERO
        } else if self.per_second > 0.0 {
            Duration::from_secs_f64((tokens - level) / self.per_second)
        } else {
            Duration::MAX
        }
    }

    /// Takes `tokens` from `key`'s bucket, whatever it holds: a bucket may
    /// go as far below zero as its capacity, so a client that spent more
    /// than it was allowed (a list longer than estimated) waits it off.
    pub fn take(&self, key: &K, tokens: f64) -> f64 {
        self.take_at(key, tokens, Instant::now())
    }

    fn take_at(&self, key: &K, tokens: f64, now: Instant) -> f64 {
        let mut buckets = self.lock();
        let level = self.level_in(&mut buckets, key, now);
        let left = (level - tokens).max(-self.capacity);
        buckets.put(key.clone(), (left, now));
        left
    }

    /// Takes `tokens` if `key` holds them: what is left, or how long until
    /// it would hold them.
    pub fn try_take(&self, key: &K, tokens: f64) -> Result<f64, Duration> {
        self.try_take_at(key, tokens, Instant::now())
    }

    fn try_take_at(&self, key: &K, tokens: f64, now: Instant) -> Result<f64, Duration> {
        let mut buckets = self.lock();
        let level = self.level_in(&mut buckets, key, now);
        if level < tokens {
            return Err(self.wait_from(level, tokens));
        }
        buckets.put(key.clone(), (level - tokens, now));
        Ok(level - tokens)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<K, (f64, Instant)>> {
        self.buckets
            .lock()
            .expect("a bucket's lock is never held across a panic")
    }
}

/// Who a rate limit counts: a customer (over all their addresses), staff
/// (one client, however many scripts), or an anonymous client by address
/// (as [`crate::auth::counted_address`] made it where it entered: IPv6 by
/// its /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    Customer(i64),
    Staff,
    Address(IpAddr),
}

impl Client {
    /// The client a request counts as; `None` when anonymous with no
    /// address (never over HTTP).
    pub fn of(viewer: Viewer, address: Option<IpAddr>) -> Option<Client> {
        match viewer {
            Viewer::Customer { id, .. } => Some(Client::Customer(id)),
            Viewer::Admin => Some(Client::Staff),
            Viewer::Anonymous => address.map(Client::Address),
        }
    }
}

/// Each client's allowance of complexity points: a bucket of `points`
/// restored at `restore` points per second. A request is charged its
/// estimated cost before it runs, and refused whole (`THROTTLED`, HTTP 429
/// with `Retry-After`) when its client's bucket does not hold it; a list
/// that loads longer than estimated is charged as it loads.
pub struct RateLimits {
    buckets: Buckets<Client>,
}

impl RateLimits {
    /// `None` when `points` is zero: no rate limit.
    pub fn new(points: u32, restore: u32) -> Option<Arc<RateLimits>> {
        (points > 0).then(|| {
            Arc::new(RateLimits {
                buckets: Buckets::new(f64::from(points), f64::from(restore)),
            })
        })
    }

    /// The rate limits `config` asks for; `None` when off. The bucket must
    /// hold the costliest request allowed, or that request could never run.
    pub fn from_config(config: &crate::Config) -> Result<Option<Arc<RateLimits>>, String> {
        let points = usize::try_from(config.rate_limit_points).unwrap_or(usize::MAX);
        if points != 0 && points < config.max_complexity {
            return Err(format!(
                "--rate-limit-points ({points}) must be 0 (off) or at least --max-complexity ({}), or the costliest request allowed could never run",
                config.max_complexity
            ));
        }
        Ok(RateLimits::new(
            config.rate_limit_points,
            config.rate_limit_restore,
        ))
    }

    /// The allowance of `client`, for one request.
    pub fn allowance(self: &Arc<Self>, client: Client) -> Allowance {
        Allowance {
            limits: self.clone(),
            client,
            also: None,
        }
    }
}

/// One client's allowance, as a request sees it (in the request's data):
/// its own bucket, and for an account still new, its address's as well
/// (both must afford a request, both pay for it).
#[derive(Clone)]
pub struct Allowance {
    limits: Arc<RateLimits>,
    client: Client,
    also: Option<Client>,
}

/// An allowance's state, for `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

impl Allowance {
    /// Charges `cost` before an operation runs, or says how long until the
    /// client could afford it.
    pub fn admit(&self, cost: usize) -> Result<(), Duration> {
        let cost = cost as f64;
        let buckets = &self.limits.buckets;
        if cost > buckets.capacity() {
            // Never affordable: the complexity limit refuses such requests
            // first unless the bucket is configured below it.
            return Err(Duration::MAX);
        }
        let Some(also) = &self.also else {
            return buckets.try_take(&self.client, cost).map(|_| ());
        };
        // Both must afford it; a request racing this one between the
        // check and the take overdraws by at most its own cost.
        let wait = buckets
            .wait_for(&self.client, cost)
            .max(buckets.wait_for(also, cost));
        if !wait.is_zero() {
            return Err(wait);
        }
        buckets.take(&self.client, cost);
        buckets.take(also, cost);
        Ok(())
    }

    /// The same allowance, drawing on `address`'s bucket as well (an
    /// account still new: see `crate::auth::NEW_ACCOUNT_HOURS`).
    pub fn also_from(self, address: IpAddr) -> Allowance {
        Allowance {
            also: Some(Client::Address(address)),
            ..self
        }
    }

    /// Whether the client has anything left; a client in debt is refused
    /// before its request is even parsed.
    pub fn exhausted(&self) -> Option<Duration> {
        let buckets = &self.limits.buckets;
        let wait = buckets.wait_for(&self.client, 1.0).max(
            self.also
                .as_ref()
                .map_or(Duration::ZERO, |also| buckets.wait_for(also, 1.0)),
        );
        (!wait.is_zero()).then_some(wait)
    }

    /// Charges `cost` spent beyond the estimate.
    pub fn charge(&self, cost: usize) {
        self.limits.buckets.take(&self.client, cost as f64);
        if let Some(also) = &self.also {
            self.limits.buckets.take(also, cost as f64);
        }
    }

    pub fn status(&self) -> ThrottleStatus {
        let buckets = &self.limits.buckets;
        ThrottleStatus {
            maximum_available: buckets.capacity(),
            currently_available: self
                .also
                .as_ref()
                .map_or(buckets.level(&self.client), |also| {
                    buckets.level(&self.client).min(buckets.level(also))
                })
                .max(0.0),
            restore_rate: buckets.per_second(),
        }
    }
}

/// What an operation has cost, for `extensions.cost` (one per operation,
/// in its request's data).
#[derive(Default, Clone)]
pub struct OperationCost {
    /// Estimated before it ran.
    pub requested: Arc<std::sync::atomic::AtomicUsize>,
    /// Whether it was admitted (and so charged).
    pub admitted: Arc<std::sync::atomic::AtomicBool>,
    /// Charged beyond the estimate as its lists loaded.
    pub beyond_estimate: Arc<std::sync::atomic::AtomicUsize>,
}

impl OperationCost {
    /// `extensions.cost` of the operation's response, as Shopify's APIs
    /// report it: `actualQueryCost` is null when it did not run.
    pub fn extension(&self, allowance: &Allowance) -> async_graphql::Value {
        use std::sync::atomic::Ordering;
        let requested = self.requested.load(Ordering::SeqCst);
        let actual = self
            .admitted
            .load(Ordering::SeqCst)
            .then(|| requested.saturating_add(self.beyond_estimate.load(Ordering::SeqCst)));
        let status = allowance.status();
        async_graphql::value!({
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": status.maximum_available,
                "currentlyAvailable": status.currently_available.floor(),
                "restoreRate": status.restore_rate,
            },
        })
    }
}

/// The `THROTTLED` error of a request its client cannot afford for `wait`.
pub fn throttled(wait: Duration) -> async_graphql::ServerError {
    let seconds = wait.as_secs_f64().ceil().clamp(1.0, 3_600.0) as u64;
    let mut error = ErrorCode::Throttled.error(format!(
        "This client's rate limit does not cover the request; try again in {seconds} s"
    ));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("retryAfter", seconds);
    error
}

/// Charges `complexity` points to `allowance`, if rate limits are on, and
/// notes on `operation` what was asked and whether it was admitted (for
/// `extensions.cost`); `THROTTLED` when the client cannot afford it.
pub(super) fn admit(
    allowance: Option<&Allowance>,
    operation: Option<&OperationCost>,
    complexity: usize,
) -> Result<(), Vec<async_graphql::ServerError>> {
    let Some(allowance) = allowance else {
        return Ok(());
    };
    if let Some(operation) = operation {
        operation
            .requested
            .store(complexity, std::sync::atomic::Ordering::SeqCst);
    }
    allowance
        .admit(complexity)
        .map_err(|wait| vec![throttled(wait)])?;
    if let Some(operation) = operation {
        operation
            .admitted
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_after_its_burst_and_refills() {
        let buckets = Buckets::new(3.0, 1.0);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.wait_for_at(&"a", 1.0, now), Duration::ZERO);
            buckets.take_at(&"a", 1.0, now);
        }
        assert_eq!(
            buckets.wait_for_at(&"a", 1.0, now),
            Duration::from_secs(1),
            "empty after three"
        );
        assert_eq!(
            buckets.wait_for_at(&"b", 1.0, now),
            Duration::ZERO,
            "keys are separate"
        );
        let later = now + Duration::from_secs(1);
        assert_eq!(
            buckets.wait_for_at(&"a", 1.0, later),
            Duration::ZERO,
            "one a second"
        );
    }

    #[test]
    fn try_take_takes_only_what_the_bucket_holds() {
        let buckets = Buckets::new(100.0, 10.0);
        let now = Instant::now();
        assert_eq!(buckets.try_take_at(&1, 60.0, now), Ok(40.0));
        assert_eq!(
            buckets.try_take_at(&1, 60.0, now),
            Err(Duration::from_secs(2)),
            "20 more points take 2 s"
        );
        assert_eq!(
            buckets.try_take_at(&1, 60.0, now + Duration::from_secs(2)),
            Ok(0.0)
        );
        assert_eq!(
            buckets.take_at(&1, 500.0, now + Duration::from_secs(2)),
            -100.0,
            "debt is bounded by the capacity"
        );
    }

    #[test]
    fn customers_count_as_themselves_wherever_they_are() {
        assert_eq!(
            Client::of(
                Viewer::Customer {
                    id: 7,
                    session: 1,
                    new_account: false,
                },
                Some("10.0.0.1".parse().unwrap())
            ),
            Some(Client::Customer(7))
        );
    }
}

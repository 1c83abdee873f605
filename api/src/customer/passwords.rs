//! Passwords: Argon2id hashing, and the guards a deliberately slow function
//! needs on a public endpoint.
//!
//! A hash costs ~25 ms of CPU and 19 MiB of memory on purpose. Unguarded,
//! 20 anonymous clients sending 30 `logIn` aliases each pushed a 3 ms
//! catalogue read to 2.6–8.6 s and the process to 865 MiB, and allowed 30
//! guesses per request. So:
//! - at most `max_concurrent` hashes run at once (the rest wait, within
//!   their request's timeout), on tokio's blocking threads;
//! - a password check costs [`PASSWORD_COST`] of the request's complexity
//!   budget, so a request holds a few at most;
//! - failed logins are counted per email and per client address in token
//!   buckets ([`crate::execute::throttle`]); an empty bucket answers the user error
//!   `THROTTLED` before any hashing. `signUp` draws on the address's bucket too, since whether it
//!   answers `TAKEN` tells whether an email is registered.
//!
//! The buckets live in this instance's memory (bounded by an LRU of keys):
//! behind a load balancer each instance throttles on its own.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult, UserError, UserErrorCode};
use crate::execute::throttle::Buckets;

/// What a password check (`logIn`, `signUp`) costs of a request's
/// complexity budget: four fit in the default budget of 20,000.
pub const PASSWORD_COST: usize = 5_000;

/// Shortest and longest accepted passwords, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;

/// Failed logins one email may have in a burst, and how fast it refills.
const EMAIL_BURST: f64 = 10.0;
const EMAIL_REFILL_PER_SECOND: f64 = 1.0 / 30.0;
/// Failed logins (and sign-ups) one client address may have in a burst.
const ADDRESS_BURST: f64 = 30.0;
const ADDRESS_REFILL_PER_SECOND: f64 = 0.1;

/// Hashing and throttling, shared by the whole server; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    hashing: Arc<Semaphore>,
    by_email: Arc<Buckets<String>>,
    by_address: Arc<Buckets<IpAddr>>,
}

impl Passwords {
    /// At most `max_concurrent` hashes at once.
    pub fn new(max_concurrent: usize) -> Passwords {
        Passwords {
            hashing: Arc::new(Semaphore::new(max_concurrent.max(1))),
            by_email: Arc::new(Buckets::new(EMAIL_BURST, EMAIL_REFILL_PER_SECOND)),
            by_address: Arc::new(Buckets::new(ADDRESS_BURST, ADDRESS_REFILL_PER_SECOND)),
        }
    }

    /// Hashes a password with a random salt.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| ApiError::from(anyhow::anyhow!("cannot hash a password: {err}")))
        })
        .await?
    }

    /// Whether `password` matches `hash`. With no hash (unknown email, or a
    /// customer without a password) a dummy hash is checked anyway, so the
    /// answer takes as long either way and timing tells nothing.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0v7fJ6N0x0lNQ9eXcwgVn3gT2cXkq9bBkqQ1m2r3s4Y";
        self.run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DUMMY.to_owned());
            let matches = PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            known && matches
        })
        .await
    }

    /// Runs `work` on a blocking thread once a hashing permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|_| ApiError::from(anyhow::anyhow!("the hashing permits are closed")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| ApiError::from(anyhow::anyhow!("the hashing task failed: {err}")))
    }

    /// Refuses a login attempt for `email` from `address` while either has
    /// used up its failures.
    pub fn check_login(&self, email: &str, address: Option<IpAddr>) -> Result<(), UserError> {
        let wait = self
            .by_email
            .wait_for(&email.to_owned(), 1.0)
            .max(address.map_or(Duration::ZERO, |ip| self.by_address.wait_for(&ip, 1.0)));
        throttled(wait)
    }

    /// Counts a failed login.
    pub fn failed_login(&self, email: &str, address: Option<IpAddr>) {
        self.by_email.take(&email.to_owned(), 1.0);
        if let Some(ip) = address {
            self.by_address.take(&ip, 1.0);
        }
    }

    /// Counts a sign-up attempt from `address`, refusing it when the
    /// address has used up its attempts.
    pub fn sign_up_attempt(&self, address: Option<IpAddr>) -> Result<(), UserError> {
        let Some(ip) = address else {
            return Ok(());
        };
        throttled(self.by_address.wait_for(&ip, 1.0))?;
        self.by_address.take(&ip, 1.0);
        Ok(())
    }
}

/// An expected failure of the mutation, so a user error in its payload.
fn throttled(wait: Duration) -> Result<(), UserError> {
    if wait.is_zero() {
        return Ok(());
    }
    Err(UserError {
        field: None,
        message: format!(
            "Too many failed attempts; try again in {} s",
            wait.as_secs().max(1)
        ),
        code: UserErrorCode::Throttled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let passwords = Passwords::new(1);
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(
            passwords
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("correct horse".into(), None)
                .await
                .unwrap()
        );
    }
}

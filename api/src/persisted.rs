//! Automatic persisted queries, Apollo's protocol: a client first sends only
//! the SHA-256 of its query (`extensions.persistedQuery.sha256Hash`); if the
//! server does not know it, it answers `PersistedQueryNotFound` and the
//! client sends the query with its hash once, which the server remembers.
//! Hash-only requests are short enough for GET, so CDNs can cache reads.
//!
//! This is done in the HTTP layer rather than by async-graphql's extension
//! because the GET handler must see the query text to refuse mutations.

use std::sync::{Arc, Mutex};

use async_graphql::Request;
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::trusted::TrustedDocuments;

/// How many bytes of query text are remembered, over all queries; the
/// least recently used go first. (Bounded by count, 1,000 queries of up to
/// 64 KiB could hold 64 MB.)
pub const CAPACITY_BYTES: usize = 8 * 1024 * 1024;
/// The longest query remembered.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// Why a persisted query could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown: the client should send the query with it.
    NotFound,
    /// The extension is malformed, of another version, or the hash does not
    /// match the query.
    Invalid(&'static str),
}

#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The queries registered so far, by hash, and the bytes they hold; and
/// the trusted documents, which need no registering.
#[derive(Default)]
pub struct PersistedQueries {
    registered: Mutex<Registered>,
    trusted: Option<Arc<TrustedDocuments>>,
}

struct Registered {
    queries: LruCache<String, String>,
    bytes: usize,
}

impl Default for Registered {
    fn default() -> Self {
        Registered {
            queries: LruCache::unbounded(),
            bytes: 0,
        }
    }
}

impl Registered {
    fn remember(&mut self, hash: String, query: String) {
        let added = hash.len() + query.len();
        if let Some((old_hash, old)) = self.queries.push(hash, query) {
            self.bytes -= old_hash.len() + old.len();
        }
        self.bytes += added;
        while self.bytes > CAPACITY_BYTES {
            match self.queries.pop_lru() {
                Some((hash, query)) => self.bytes -= hash.len() + query.len(),
                None => break,
            }
        }
    }
}

impl PersistedQueries {
    pub fn new(trusted: Option<Arc<TrustedDocuments>>) -> PersistedQueries {
        PersistedQueries {
            registered: Mutex::default(),
            trusted,
        }
    }

    /// Completes `request` if it uses a persisted query: a hash alone gets
    /// its query from the cache; a query with its hash is checked and
    /// remembered. Requests without the extension pass unchanged.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let Some(extension) = request.extensions.remove("persistedQuery") else {
            return Ok(());
        };
        let persisted: PersistedQuery = async_graphql::from_value(extension)
            .map_err(|_| Refusal::Invalid("`extensions.persistedQuery` is malformed"))?;
        if persisted.version != 1 {
            return Err(Refusal::Invalid(
                "only version 1 of persisted queries is supported",
            ));
        }
        if request.query.is_empty()
            && let Some(listed) = self
                .trusted
                .as_ref()
                .and_then(|trusted| trusted.get(&persisted.sha256_hash))
        {
            request.query = listed.to_owned();
            return Ok(());
        }
        let mut cache = self
            .registered
            .lock()
            .expect("the cache's lock is never held across a panic");
        if request.query.is_empty() {
            let query = cache
                .queries
                .get(&persisted.sha256_hash)
                .ok_or(Refusal::NotFound)?;
            request.query = query.clone();
            return Ok(());
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if hash != crate::trusted::normalize(&persisted.sha256_hash) {
            return Err(Refusal::Invalid("provided sha does not match query"));
        }
        if request.query.len() <= MAX_QUERY_BYTES {
            cache.remember(hash, request.query.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": 1, "sha256Hash": hash });
        request.extensions.insert(
            "persistedQuery".into(),
            Value::from_json(extension).unwrap(),
        );
        request
    }

    #[test]
    fn a_query_is_found_by_its_hash_once_registered() {
        let queries = PersistedQueries::default();
        let query = "{ products { totalCount } }";
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        assert_eq!(
            queries.resolve(&mut with_hash("", &hash)),
            Err(Refusal::NotFound)
        );
        assert!(matches!(
            queries.resolve(&mut with_hash(query, "0000")),
            Err(Refusal::Invalid(_))
        ));
        queries.resolve(&mut with_hash(query, &hash)).unwrap();
        let mut hash_only = with_hash("", &hash);
        queries.resolve(&mut hash_only).unwrap();
        assert_eq!(hash_only.query, query);
    }

    #[test]
    fn stays_within_its_byte_budget() {
        let queries = PersistedQueries::default();
        let filler = "#".repeat(MAX_QUERY_BYTES - 100);
        for i in 0..200 {
            let query = format!("{{ f{i} }} {filler}");
            let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
            queries.resolve(&mut with_hash(&query, &hash)).unwrap();
        }
        let registered = queries.registered.lock().unwrap();
        assert!(registered.bytes <= CAPACITY_BYTES);
        assert!(
            registered.queries.len() >= 100,
            "{}",
            registered.queries.len()
        );
    }
}

//! Automatic persisted queries, Apollo's protocol: a client first sends only
//! the SHA-256 of its query (`extensions.persistedQuery.sha256Hash`); if the
//! server does not know it, it answers `PersistedQueryNotFound` and the
//! client sends the query with its hash once, which the server remembers.
//! Hash-only requests are short enough for GET, so CDNs can cache reads.
//!
//! This is done in the HTTP layer rather than by async-graphql's extension
//! because the GET handler must see the query text to refuse mutations.
//!
//! Registered queries are kept in memory and, through a [`SharedStore`],
//! in the database's `persisted_query` table, so a query registered on one
//! instance is found by hash on the others. What one client address may add
//! to the table is bounded (`--persisted-queries-per-hour`; beyond it a
//! query is still served and remembered here, just not shared), and rows
//! go 30 days after they were added ([`purge_older_than`]).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use async_graphql::Request;
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use entity::persisted_query;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::execute::throttle::{Buckets, Client};
use crate::execute::trusted::TrustedDocuments;

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
    shared: Option<SharedStore>,
}

/// The database table the instances share registered queries through, and
/// how many each client address may add to it.
pub struct SharedStore {
    pub db: DatabaseConnection,
    pub quota: Buckets<Client>,
}

impl SharedStore {
    /// Shares through `db`, each client address adding at most `per_hour`
    /// queries an hour.
    pub fn new(db: DatabaseConnection, per_hour: u32) -> SharedStore {
        let per_hour = f64::from(per_hour);
        SharedStore {
            db,
            quota: Buckets::new(per_hour, per_hour / 3600.0),
        }
    }

    async fn find(&self, hash: &str) -> Option<String> {
        let found = persisted_query::Entity::find_by_id(hash.to_owned())
            .one(&self.db)
            .await;
        match found {
            Ok(row) => row.map(|row| row.query),
            Err(err) => {
                // A miss: the client sends the text, and nothing is lost.
                tracing::warn!(error = %err, "could not read a shared persisted query");
                None
            }
        }
    }

    async fn share(&self, hash: String, query: String, address: Option<IpAddr>) {
        let Some(client) = Client::of(Viewer::Anonymous, address) else {
            return;
        };
        if self.quota.try_take(&client, 1.0).is_err() {
            return;
        }
        let row = persisted_query::ActiveModel {
            hash: Set(hash),
            query: Set(query),
            created_at: Set(chrono::Utc::now()),
        };
        let added = persisted_query::Entity::insert(row)
            .on_conflict(
                OnConflict::column(persisted_query::Column::Hash)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await;
        if let Err(err) = added {
            tracing::warn!(error = %err, "could not share a persisted query");
        }
    }
}

/// Deletes the shared queries registered more than `days` ago; how many.
pub async fn purge_older_than(db: &DatabaseConnection, days: i64) -> Result<u64, sea_orm::DbErr> {
    let purged = persisted_query::Entity::delete_many()
        .filter(
            persisted_query::Column::CreatedAt
                .lt(chrono::Utc::now() - chrono::Duration::days(days)),
        )
        .exec(db)
        .await?;
    Ok(purged.rows_affected)
}

/// How long a shared query is kept.
pub const KEPT_DAYS: i64 = 30;

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
    pub fn new(
        trusted: Option<Arc<TrustedDocuments>>,
        shared: Option<SharedStore>,
    ) -> PersistedQueries {
        PersistedQueries {
            registered: Mutex::default(),
            trusted,
            shared,
        }
    }

    /// Completes `request` if it uses a persisted query: a hash alone gets
    /// its query from the trusted documents, this instance's cache or the
    /// shared table; a query with its hash is checked, remembered and
    /// shared (within the quota of `address`). Requests without the
    /// extension pass unchanged.
    pub async fn resolve(
        &self,
        request: &mut Request,
        address: Option<IpAddr>,
    ) -> Result<(), Refusal> {
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
        let wanted = crate::execute::trusted::normalize(&persisted.sha256_hash);
        if request.query.is_empty() {
            let cached = self.cache().queries.get(&wanted).cloned();
            if let Some(query) = cached {
                request.query = query;
                return Ok(());
            }
            let shared = match &self.shared {
                Some(shared) => shared.find(&wanted).await,
                None => None,
            };
            let query = shared.ok_or(Refusal::NotFound)?;
            self.cache().remember(wanted, query.clone());
            request.query = query;
            return Ok(());
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if hash != wanted {
            return Err(Refusal::Invalid("provided sha does not match query"));
        }
        // A document that may not run (in production, with a list) is
        // refused by the gate; it is kept nowhere, here or in the table.
        let runs = self
            .trusted
            .as_ref()
            .is_none_or(|trusted| trusted.admits_hash(&hash));
        if runs && request.query.len() <= MAX_QUERY_BYTES {
            let known = self.cache().queries.contains(&hash);
            if !known {
                self.cache().remember(hash.clone(), request.query.clone());
                if let Some(shared) = &self.shared {
                    shared.share(hash, request.query.clone(), address).await;
                }
            }
        }
        Ok(())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Registered> {
        self.registered
            .lock()
            .expect("the cache's lock is never held across a panic")
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

    #[tokio::test]
    async fn a_query_is_found_by_its_hash_once_registered() {
        let queries = PersistedQueries::default();
        let query = "{ products { totalCount } }";
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        assert_eq!(
            queries.resolve(&mut with_hash("", &hash), None).await,
            Err(Refusal::NotFound)
        );
        assert!(matches!(
            queries.resolve(&mut with_hash(query, "0000"), None).await,
            Err(Refusal::Invalid(_))
        ));
        queries
            .resolve(&mut with_hash(query, &hash), None)
            .await
            .unwrap();
        let mut hash_only = with_hash("", &hash);
        queries.resolve(&mut hash_only, None).await.unwrap();
        assert_eq!(hash_only.query, query);
    }

    #[tokio::test]
    async fn stays_within_its_byte_budget() {
        let queries = PersistedQueries::default();
        let filler = "#".repeat(MAX_QUERY_BYTES - 100);
        for i in 0..200 {
            let query = format!("{{ f{i} }} {filler}");
            let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
            queries
                .resolve(&mut with_hash(&query, &hash), None)
                .await
                .unwrap();
        }
        let registered = queries.cache();
        assert!(registered.bytes <= CAPACITY_BYTES);
        assert!(
            registered.queries.len() >= 100,
            "{}",
            registered.queries.len()
        );
    }
}

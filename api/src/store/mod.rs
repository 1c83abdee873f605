//! Storage: the database and everything that reads or writes it on behalf
//! of the domains, without knowing any of them.
//!
//! - [`db`] — connecting, migrating, the pool and its probes;
//! - [`write`] — the one write path: the writers' queue, the transaction,
//!   its commit or rollback, then the change events handed on;
//! - [`events`] — announcing committed changes to subscribers, on every
//!   instance (PostgreSQL `LISTEN/NOTIFY`);
//! - [`batch`] — when a request's loads run, so nested queries cost a
//!   fixed number of statements (no N+1); `by_id_loader!` for the simplest,
//!   [`children`] for pages and counts of a parent's rows;
//! - [`pagination`] — Relay connections with keyset cursors; [`filter`] —
//!   the `and`/`or`/`not` filter trees every list shares.
//!
//! It imports observability and the shared modules only.

pub mod batch;
pub mod children;
pub mod db;
pub mod events;
pub mod filter;
pub mod pagination;
pub mod write;

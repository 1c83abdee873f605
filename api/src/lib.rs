//! The shopgraph API: a GraphQL server over the shop's database.
//!
//! Layout:
//! - [`config`] — the settings, read once by the binary (`src/main.rs`);
//!   [`context`] — what resolvers take from the schema and the request.
//! - [`db`] — connecting, migrating, and write transactions; [`write`] —
//!   the one write path every mutation takes (transaction, commit or
//!   rollback, change events).
//! - [`schema`] — the query, mutation and subscription roots merged from
//!   the domain modules.
//! - [`product`], [`customer`], [`cart`] — one module per domain type: its
//!   GraphQL types, queries, mutations and input rules (`cart` also owns
//!   who reaches which cart, and guest carts); [`order`] — what checkouts
//!   sold, kept as sold.
//! - [`node`] and [`ids`] — global IDs and the `node(id:)` query.
//! - [`pagination`] — Relay connections with keyset cursors; [`filter`] —
//!   the `and`/`or`/`not` filter trees every list shares.
//! - [`loaders`] — a request's batch loaders, each defined by its domain
//!   module (`cart::loaders`, …); [`batch`] — when batches run, so nested
//!   queries cost a fixed number of statements (no N+1).
//! - [`money`] — prices in minor units, shown as decimal strings;
//!   [`timestamp`] — moments in time, in one RFC 3339 form on every engine;
//!   [`input`] — names, emails and quantities, built only by their parsers,
//!   and the accumulator of an input's field errors.
//! - [`error`] — user errors in payloads, coded top-level errors;
//!   [`completion`] — field errors as nulls in place, null propagation and
//!   key order, as the GraphQL spec has them.
//! - [`auth`] — who is asking: tokens, viewers, rights; [`passwords`] —
//!   hashing behind a concurrency limit, failed-login throttling;
//!   [`throttle`] — token buckets, and each client's rate limit.
//! - [`execute`] — the one gate every operation passes (HTTP and WebSocket):
//!   permits, timeout, budget, subscription caps.
//! - [`limits`] — the schema extension enforcing depth, cost and aliases;
//!   [`scan`] — a document's size and nesting, checked before any parse;
//!   [`documents`] — the cache of parsed documents.
//! - [`http`] — the router and its layers; `http::graphql` — GraphQL over
//!   HTTP; `http::probes` — `/live`, `/ready`, `/health`; [`http::serve`] —
//!   accepting connections; [`http::ws`] — GraphQL over WebSocket.
//! - [`persisted`] — automatic persisted queries; [`trusted`] — the list
//!   of trusted documents, and in production the only ones that run.
//! - [`metrics`] — Prometheus metrics and their endpoint; request IDs and
//!   log spans are `http::request_id`'s.
//! - [`events`] — change events for subscriptions and logouts (PostgreSQL
//!   `LISTEN/NOTIFY`); [`watch`] — a subscription to one row.
//! - [`graphiql`] — the GraphiQL page and its assets.
//! - [`demo`] — demo data for `--seed-demo`.
//!
//! [`App::build`] puts it together; `main` and the integration tests both
//! call it, so the tests exercise exactly what ships.

pub mod app;
pub mod auth;
pub mod cart;
pub mod config;
pub mod context;
pub mod customer;
pub mod demo;
pub mod error;
pub mod execute;
pub mod http;
pub mod ids;
pub mod input;
pub mod money;
pub mod observe;
pub mod order;
pub mod product;
pub mod schema;
pub mod store;
pub mod timestamp;

pub use app::{App, purge_guest_carts, redact};
pub use config::Config;

//! The shopgraph API: a GraphQL server over the shop's database.
//!
//! Layout: rooms by layer, each importing only the rooms below it (a
//! module's doc says what it owns and what it must not import).
//!
//! - [`app`] — putting it together: settings into parts, the schema, the
//!   gate, the routers and sockets; the hourly chores. [`demo`] — demo
//!   data for `--seed-demo`.
//! - [`http`] — the transports: the router and its layers, GraphQL over
//!   HTTP (`http::graphql`, answers in `http::answer`), over WebSocket
//!   ([`http::ws`]), accepting connections ([`http::serve`]), probes,
//!   GraphiQL.
//! - [`schema`] — the roots merged from the domains, `node(id:)`, and each
//!   request's loaders.
//! - The domains — [`product`], [`collection`], [`customer`], [`cart`],
//!   [`order`], [`shipping`], [`tax`], [`discount`] — each
//!   with the same inner rooms: `types` (the output types), `fields`
//!   (their GraphQL fields), `query`, `mutation`, `input` (what mutations
//!   accept, parsed into typed commands), `filter`, `loaders`,
//!   `subscription`; rules more than one resolver uses in files of their
//!   own (`cart::operations`, `cart::checkout`, `cart::access`,
//!   `cart::guest`, `order::place`, `customer::passwords`).
//! - [`execute`] — the operation pipeline, the same for every transport:
//!   the gate, the text scan, parsed documents, limits, rate limits, the
//!   schema extension, completion, persisted and trusted documents.
//! - [`store`] — the database: connecting and migrating, the one write
//!   path ([`store::write`]), change events, batching, pagination,
//!   filters.
//! - [`observe`] — metrics, tracing decisions, request IDs.
//! - Shared, at the root: [`config`] (the settings, read once by the
//!   binary), [`context`] (what resolvers take from the schema and the
//!   request), [`error`], [`auth`] (who is asking), [`ids`] (global IDs),
//!   [`input`] (names, emails and quantities, built only by their
//!   parsers), [`money`], [`timestamp`].
//!
//! [`App::build`] puts it together; `main` and the integration tests both
//! call it, so the tests exercise exactly what ships.

pub mod app;
pub mod auth;
pub mod cart;
pub mod collection;
pub mod config;
pub mod context;
pub mod customer;
pub mod demo;
pub mod discount;
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
pub mod shipping;
pub mod store;
pub mod tax;
pub mod timestamp;

pub use app::{App, purge_guest_carts};
pub use config::{Config, redact};

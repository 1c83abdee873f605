//! The operation pipeline: everything between a request's document and its
//! completed response, the same for every transport (POST, GET, WebSocket).
//!
//! - [`gate`] — the one gate every operation passes: trusted documents,
//!   permits, timeout, budget, rate limit, batching; [`socket`] — the same
//!   gate as the WebSocket protocol sees it, and subscriptions' caps.
//! - [`scan`] — a document's size and nesting, checked on the raw text
//!   before any parse; [`documents`] — the cache of parsed documents.
//! - [`limits`] — depth, aliases and cost; [`throttle`] — token buckets
//!   and each client's rate limit.
//! - [`extension`] — the one schema extension: each hook handed to the
//!   module that owns it; [`completion`] — field errors as nulls in place,
//!   null propagation and key order, as the GraphQL spec has them.
//! - [`persisted`] — automatic persisted queries; [`trusted`] — the list
//!   of trusted documents, and in production the only ones that run.
//! - [`load`] — each client's share of the permits, and the load now;
//!   [`watch`] — a subscription to one row, its reads through the gate.
//!
//! It imports the storage and observability rooms and the shared modules,
//! never a domain, the schema or a transport: the schema's roots reach the
//! gate type-erased ([`gate::Operations`]), and the request's loaders
//! through a factory ([`crate::store::batch::MakeLoaders`]).

pub mod completion;
pub mod documents;
pub mod extension;
pub mod gate;
pub mod limits;
pub mod load;
pub mod persisted;
pub mod scan;
pub mod socket;
pub mod throttle;
pub mod trusted;
pub mod watch;

pub use gate::{Caller, Gate, LoadNow};
pub use socket::{SocketExecutor, SubscriptionCaps, SubscriptionReads};

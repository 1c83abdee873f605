//! Observability: what operators see of the server.
//!
//! - [`metrics`] — Prometheus metrics and their endpoint (which reads the
//!   gate's and the pool's load through samplers it is handed);
//! - [`traced`] — which requests are traced, and carrying the decision
//!   into spawned tasks (the spans themselves go to `src/telemetry.rs`);
//! - [`request_id`] — every request's ID, in its response, its errors and
//!   its log span.
//!
//! It imports the shared modules only: every other room may report here.

pub mod counting;
pub mod metrics;
pub mod request_id;
pub mod scrape;
pub mod traced;

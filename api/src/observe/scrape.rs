//! The metrics endpoint: `GET /metrics` on its own address
//! (`--metrics-listen`, never the API's), in Prometheus' text format.

use std::sync::Arc;

use super::metrics::{Metrics, Sampled};

/// `GET /metrics`, on the metrics address: the app's metrics, with the
/// gauges sampled from the gate, the connections and the pool.
///
/// The rooms it samples (the gate, the connections, the pool) sit above
/// this one: the app hands it `sample`, which reads them at each scrape.
#[derive(Clone)]
pub struct Endpoint {
    pub metrics: Arc<Metrics>,
    pub sample: Arc<dyn Fn() -> Sampled + Send + Sync>,
}

impl Endpoint {
    pub fn router(self) -> axum::Router {
        axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let endpoint = self.clone();
                async move {
                    let text = endpoint.metrics.render((endpoint.sample)());
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        text,
                    )
                }
            }),
        )
    }
}

//! Logs to stderr (stdout carries only the start-up banner) and, with
//! `--otlp-endpoint`, spans to an OpenTelemetry collector: one `tracing`
//! subscriber serving both.
//!
//! The subscriber uses no per-layer filters. A per-layer-filtered layer
//! asks the span registry whether it enabled a span at every enter and
//! exit of it, and a request's span is entered at every poll of the
//! request: measured on `product(id)` (SQLite, 2 cores), installing the
//! OpenTelemetry layer that way cost 5-6% of the throughput with no
//! request traced. One filter ([`Wanted`]) decides what exists (what the
//! logs want, or, in a traced request, what the traces want); with spans
//! exported, each of the two layers skips cheaply what is not its own:
//! the logs layer events its filter would not log ([`Logged`]), the
//! OpenTelemetry layer anything outside a traced request ([`Traced`], a
//! task-local flag).

use std::any::TypeId;
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Installs the subscriber. Returns the span exporter's provider, to flush
/// at exit, when spans are exported.
pub fn install(config: &api::Config) -> anyhow::Result<Option<SdkTracerProvider>> {
    let filter = EnvFilter::try_new(&config.log).context("invalid log filter")?;
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match config.log_format {
        api::config::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).boxed(),
        // One JSON object per line; the fields of every span the line was
        // logged in (the request's ID among them) in `spans`.
        api::config::LogFormat::Json => logs.json().with_span_list(true).boxed(),
    };
    // Only span-scoped directives (`[request{…}]=debug`) need the filter
    // told of every span entered and left (a shared lock each time).
    let follows_spans = config.log.contains('[');
    let Some(endpoint) = &config.otlp_endpoint else {
        // The log filter filters the whole subscriber (see above).
        let wanted = Wanted {
            logs: Arc::new(filter),
            follows_spans,
            traces: None,
        };
        tracing_subscriber::registry()
            .with(logs)
            .with(wanted)
            .init();
        return Ok(None);
    };
    // OTLP over HTTP/protobuf, as every collector takes it; the endpoint is
    // the collector's base URL, as in OTEL_EXPORTER_OTLP_ENDPOINT.
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces)
        .build()
        .context("could not set up the OTLP exporter")?;
    // Which requests are traced is decided as each arrives, before any
    // span is built (`api::observe::traced`, the caller's sampled flag or
    // `--otlp-sample-ratio`); the spans that reach the exporter are kept.
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOn)
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("shopgraph")
                .build(),
        )
        .build();
    // Callers' W3C `traceparent` continues their trace.
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("shopgraph"))
        // Timing each span's busy and idle time reads the clock at every
        // poll of every instrumented future, and code locations and thread
        // names are attributes nobody queries: off, they cost much less
        // (bench/results/observability.md).
        .with_tracked_inactivity(false)
        .with_location(false)
        .with_threads(false);
    // Requests, operations and batch loads are `info` spans (the request's
    // is `error`, so logs always have it); SeaORM's span per SQL statement
    // is `trace`.
    let traces = Targets::new()
        .with_default(tracing::Level::INFO)
        .with_target("sea_orm::driver", tracing::Level::TRACE)
        .with_target("sea_orm::database::transaction", tracing::Level::TRACE);
    let wanted = Wanted {
        logs: Arc::new(filter),
        follows_spans,
        traces: Some(traces.clone()),
    };
    let logs = Logged {
        inner: logs,
        filter: wanted.logs.clone(),
    };
    let spans = Traced {
        inner: spans,
        filter: traces,
    };
    tracing_subscriber::registry()
        .with(logs)
        .with(wanted)
        .with(spans)
        .init();
    Ok(Some(provider))
}

/// The one filter of the subscriber: a span or event exists when the logs
/// want it, or when the traces (if exported) want it and the request is
/// traced.
struct Wanted {
    logs: Arc<EnvFilter>,
    /// Whether the log filter has span-scoped directives.
    follows_spans: bool,
    traces: Option<Targets>,
}

impl Wanted {
    fn traces_want(&self, metadata: &Metadata<'_>) -> bool {
        self.traces
            .as_ref()
            .is_some_and(|traces| traces.would_enable(metadata.target(), metadata.level()))
    }
}

impl<S: Subscriber> Layer<S> for Wanted {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        let logs = Layer::<S>::register_callsite(&*self.logs, metadata);
        if !logs.is_always() && self.traces_want(metadata) {
            // Wanted in traced requests only: asked each time.
            return Interest::sometimes();
        }
        logs
    }

    fn enabled(&self, metadata: &Metadata<'_>, cx: Context<'_, S>) -> bool {
        self.logs.enabled(metadata, cx)
            || (api::observe::traced::traced() && self.traces_want(metadata))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let logs = self.logs.max_level_hint()?;
        match &self.traces {
            None => Some(logs),
            Some(traces) => Some(logs.max(Layer::<S>::max_level_hint(traces)?)),
        }
    }

    // The log filter follows spans for its span-scoped directives
    // (`RUST_LOG=[request{uri=/graphql}]=debug`), when it has any.
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        if self.follows_spans {
            self.logs.on_new_span(attrs, id, cx);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        if self.follows_spans {
            self.logs.on_record(id, values, cx);
        }
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        if self.follows_spans {
            self.logs.on_enter(id, cx);
        }
    }

    fn on_exit(&self, id: &Id, cx: Context<'_, S>) {
        if self.follows_spans {
            self.logs.on_exit(id, cx);
        }
    }

    fn on_close(&self, id: Id, cx: Context<'_, S>) {
        if self.follows_spans {
            self.logs.on_close(id, cx);
        }
    }
}

/// The logs layer, given only the events its filter logs. It sees every
/// span (a line names the spans it was logged in), so in a traced request
/// a line may also name a span only the traces asked for.
struct Logged<L> {
    inner: L,
    filter: Arc<EnvFilter>,
}

impl<S, L> Layer<S> for Logged<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        self.inner.on_new_span(attrs, id, cx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        self.inner.on_record(id, values, cx);
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, cx: Context<'_, S>) {
        self.inner.on_follows_from(id, follows, cx);
    }

    fn on_event(&self, event: &Event<'_>, cx: Context<'_, S>) {
        if self.filter.enabled(event.metadata(), cx.clone()) {
            self.inner.on_event(event, cx);
        }
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        self.inner.on_enter(id, cx);
    }

    fn on_exit(&self, id: &Id, cx: Context<'_, S>) {
        self.inner.on_exit(id, cx);
    }

    fn on_close(&self, id: Id, cx: Context<'_, S>) {
        self.inner.on_close(id, cx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, cx: Context<'_, S>) {
        self.inner.on_id_change(old, new, cx);
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded as is; the inner layer answers for its types.
        unsafe { self.inner.downcast_raw(id) }
    }
}

/// The OpenTelemetry layer, given the spans and events of traced requests
/// only: outside one it is not called, so it never looks up a span it did
/// not build. Only a span's close is always passed on, as a traced
/// request's span may end outside the request's task (its response body
/// is sent after the handler returned).
struct Traced<L> {
    inner: L,
    filter: Targets,
}

impl<L> Traced<L> {
    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        api::observe::traced::traced()
            && self
                .filter
                .would_enable(metadata.target(), metadata.level())
    }
}

impl<S, L> Layer<S> for Traced<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        if self.wants(attrs.metadata()) {
            self.inner.on_new_span(attrs, id, cx);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, cx: Context<'_, S>) {
        if api::observe::traced::traced() {
            self.inner.on_record(id, values, cx);
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, cx: Context<'_, S>) {
        if api::observe::traced::traced() {
            self.inner.on_follows_from(id, follows, cx);
        }
    }

    fn on_event(&self, event: &Event<'_>, cx: Context<'_, S>) {
        if self.wants(event.metadata()) {
            self.inner.on_event(event, cx);
        }
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        if api::observe::traced::traced() {
            self.inner.on_enter(id, cx);
        }
    }

    fn on_exit(&self, id: &Id, cx: Context<'_, S>) {
        if api::observe::traced::traced() {
            self.inner.on_exit(id, cx);
        }
    }

    fn on_close(&self, id: Id, cx: Context<'_, S>) {
        self.inner.on_close(id, cx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, cx: Context<'_, S>) {
        self.inner.on_id_change(old, new, cx);
    }

    // How a span's parent is set from the caller's trace context
    // (`OpenTelemetrySpanExt::set_parent`) finds the layer.
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded as is; the inner layer answers for its types.
        unsafe { self.inner.downcast_raw(id) }
    }
}

//! Traces as a collector receives them: the binary with `--otlp-endpoint`
//! exports to a receiver here, which decodes the OTLP/HTTP protobuf with the
//! `opentelemetry-proto` types; the spans must form the request's tree
//! inside the caller's trace (`traceparent`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};

use crate::binary;
use crate::support::ADMIN_TOKEN;

/// Every span the receiver was sent.
type Received = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP receiver on a free port: its base URL and what it got.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let collected = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let collected = collected.clone();
            async move {
                let export = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
                let spans = export
                    .resource_spans
                    .into_iter()
                    .flat_map(|resource| resource.scope_spans)
                    .flat_map(|scope| scope.spans);
                collected.lock().unwrap().extend(spans);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    let value = span
        .attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?;
    match value.value.as_ref()? {
        AnyValue::StringValue(text) => Some(text.clone()),
        AnyValue::IntValue(number) => Some(number.to_string()),
        other => Some(format!("{other:?}")),
    }
}

async fn graphql(url: &str, headers: &[(&str, &str)], query: &str, variables: Value) -> Value {
    binary::post(url, Some(ADMIN_TOKEN), headers, query, variables).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_in_the_callers_trace() {
    let (collector, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = binary::start(dir.path(), &["--otlp-endpoint", &collector]).await;

    let product = graphql(
        &url,
        &[],
        "mutation { createProduct(input: { name: \"Tea\", price: \"4.50\", stock: 9 }) { product { id } } }",
        json!({}),
    )
    .await["data"]["createProduct"]["product"]["id"]
        .clone();
    let customer = graphql(
        &url,
        &[],
        "mutation { createCustomer(input: { email: \"t@example.com\", name: \"T\" }) { customer { id } } }",
        json!({}),
    )
    .await["data"]["createCustomer"]["customer"]["id"]
        .clone();
    graphql(
        &url,
        &[],
        "mutation($c: ID!, $p: ID!) { createCart(customerId: $c, lines: [{ productId: $p, quantity: 2 }]) { cart { id } } }",
        json!({ "c": customer, "p": product }),
    )
    .await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let nested = graphql(
        &url,
        &[("traceparent", &format!("00-{trace_id}-{caller_span}-01"))],
        "query Nested { carts { nodes { lines { quantity product { name } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        nested["data"]["carts"]["nodes"][0]["lines"][0]["product"]["name"], "Tea",
        "{nested:#}"
    );
    // Stopping the server flushes the spans not yet exported.
    binary::terminate(server).await;

    let spans = spans_of(&received, trace_id).await;
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
    let one = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no {name} span in the caller's trace: {names:?}"))
    };
    let request = one("request");
    assert_eq!(
        request.parent_span_id,
        hex(caller_span),
        "the request continues the caller's span"
    );
    assert_eq!(attribute(request, "uri").as_deref(), Some("/graphql"));
    let operation = one("graphql");
    assert_eq!(operation.parent_span_id, request.span_id, "{names:?}");
    assert_eq!(attribute(operation, "operation").as_deref(), Some("Nested"));
    assert_eq!(
        attribute(operation, "operation_type").as_deref(),
        Some("query")
    );
    assert!(
        attribute(operation, "cost").is_some(),
        "the cost is recorded: {operation:?}"
    );
    let loads: Vec<&Span> = spans
        .iter()
        .filter(|span| span.name == "batch_load")
        .collect();
    assert!(loads.len() >= 2, "lines, then products: {names:?}");
    assert!(
        loads
            .iter()
            .all(|load| load.parent_span_id == operation.span_id),
        "{loads:?}"
    );
    // SeaORM's span per statement, inside the loads.
    let load_ids: Vec<&Vec<u8>> = loads.iter().map(|load| &load.span_id).collect();
    let statements: Vec<&Span> = spans
        .iter()
        .filter(|span| load_ids.contains(&&span.parent_span_id))
        .collect();
    assert!(
        !statements.is_empty(),
        "each batch load runs a statement: {names:?}"
    );
}

/// The spans of the trace `trace_id`, once its request's span has arrived
/// (or 30 s have passed).
async fn spans_of(received: &Received, trace_id: &str) -> Vec<Span> {
    let wanted = hex(trace_id);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let spans: Vec<Span> = received
            .lock()
            .unwrap()
            .iter()
            .filter(|span| span.trace_id == wanted)
            .cloned()
            .collect();
        if spans.iter().any(|span| span.name == "request") || Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sampling is decided before any span is built: with a ratio of 0, only a
/// caller's sampled trace is exported; requests starting a trace here and a
/// caller's unsampled trace send nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_sampled_requests_are_exported() {
    let (collector, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, url) = binary::start(
        dir.path(),
        &["--otlp-endpoint", &collector, "--otlp-sample-ratio", "0"],
    )
    .await;
    let query = "query Some { products(first: 2) { nodes { name } } }";
    for _ in 0..5 {
        let answer = graphql(&url, &[], query, json!({})).await;
        assert!(answer["errors"].is_null(), "{answer:#}");
    }
    let unsampled = "0af7651916cd43dd8448eb211c80319c";
    graphql(
        &url,
        &[(
            "traceparent",
            &format!("00-{unsampled}-b7ad6b7169203331-00"),
        )],
        query,
        json!({}),
    )
    .await;
    let sampled = "4bf92f3577b34da6a3ce929d0e0e4736";
    graphql(
        &url,
        &[("traceparent", &format!("00-{sampled}-00f067aa0ba902b7-01"))],
        query,
        json!({}),
    )
    .await;
    binary::terminate(server).await;

    // The sampled trace is exported last (its request came last), so once
    // it is in, everything the server exported is.
    let spans = spans_of(&received, sampled).await;
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
    assert!(names.contains(&"request"), "{names:?}");
    assert!(names.contains(&"graphql"), "{names:?}");
    let others: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|span| span.trace_id != hex(sampled))
        .map(|span| format!("{} in {:02x?}", span.name, span.trace_id))
        .collect();
    assert!(
        others.is_empty(),
        "unsampled requests were exported: {others:?}"
    );
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

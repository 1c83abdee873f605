//! Where a server's CPU time goes, by layer: reads `perf script` output
//! (samples with call stacks, from a build with frame pointers) on stdin
//! and writes a Markdown table of the share of samples, and of the CPU
//! time per request when given, each layer took. Run by `bench/profile`.
//!
//! A sample counts for the layer of the innermost frame that belongs to
//! one, so the allocator or `memcpy` called from SeaORM counts as SeaORM:
//! each layer's share is what the server would save without it. Samples in
//! the kernel (system calls, the loopback network stack, scheduling) keep
//! their own row, since their user-space callers are cut off where libc
//! (built without frame pointers) enters the kernel.
//!
//!     perf script -F comm,tid,ip,sym | layers --title "product(id)" --per-request-us 180

use std::io::BufRead;

use anyhow::Result;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The table's heading.
    #[arg(long)]
    title: String,
    /// The server's CPU time per request during the profile, in µs, to
    /// show each layer's share in µs too.
    #[arg(long)]
    per_request_us: Option<f64>,
}

/// The layers, each named by what its frames' symbols contain. Where one
/// frame matches several (a trait implemented by one crate for another's
/// type), the first listed wins.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "sqlx: PostgreSQL protocol, pool",
        &["sqlx_core::", "sqlx_postgres::"],
    ),
    (
        "SeaORM, SeaQuery: statements built, rows decoded",
        &["sea_orm::", "sea_query::"],
    ),
    (
        "async-graphql: validation",
        &["async_graphql::validation", "NextValidation"],
    ),
    (
        "documents: parse, cache, copy per request",
        &[
            "async_graphql_parser::",
            "api::documents",
            "ExecutableDocument as core::clone",
        ],
    ),
    (
        "null completion (errors become nulls)",
        &["api::completion"],
    ),
    (
        "our resolvers, loaders, writes",
        &[
            "api::product",
            "api::cart",
            "api::customer",
            "api::order",
            "api::loaders",
            "api::batch",
            "api::write",
            "api::events",
            "api::node",
            "api::pagination",
        ],
    ),
    ("async-graphql: execution", &["async_graphql"]),
    (
        "the gate: limits, rate limits, metrics, spans",
        &[
            "api::execute",
            "api::limits",
            "api::throttle",
            "api::metrics",
            "api::traced",
        ],
    ),
    (
        "our HTTP handler: body, auth, answer",
        &["api::http", "api::auth", "api::persisted"],
    ),
    (
        "tracing: spans and subscriber",
        &["tracing_subscriber::", "tracing_core::", "tracing::span::"],
    ),
    (
        "spawned tasks' code inlined into their span wrapper (loader batches)",
        &["tracing::instrument::Instrumented"],
    ),
    (
        "axum, tower, tower-http: routing and middleware",
        &["axum::", "axum_core::", "tower::", "tower_http::"],
    ),
    ("hyper: HTTP/1", &["hyper::", "hyper_util::", "httparse::"]),
    ("tokio: scheduler, timers, I/O", &["tokio::"]),
    ("the limit's handlers: rows to JSON by hand", &["limit::"]),
];

const KERNEL: &str = "kernel: system calls, loopback TCP, scheduling";
const OTHER: &str = "libc: allocator, memcpy (callers unknown: libc has no frame pointers)";

fn main() -> Result<()> {
    let args = Args::parse();
    let mut counts = vec![0u64; LAYERS.len()];
    let (mut kernel, mut other, mut total) = (0u64, 0u64, 0u64);
    let mut frames: Vec<(bool, String)> = Vec::new();
    let mut count = |frames: &mut Vec<(bool, String)>| {
        if frames.is_empty() {
            return;
        }
        total += 1;
        if frames[0].0 {
            kernel += 1;
        } else {
            match frames.iter().find_map(|(_, symbol)| layer_of(symbol)) {
                Some(layer) => counts[layer] += 1,
                None => other += 1,
            }
        }
        frames.clear();
    };
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            count(&mut frames);
        } else if line.starts_with(char::is_whitespace) {
            // `\t<address> <symbol>`; kernel addresses are the top half.
            let mut parts = line.trim().splitn(2, ' ');
            let address = parts.next().unwrap_or("");
            let symbol = parts.next().unwrap_or("").to_owned();
            frames.push((address.len() == 16 && address.starts_with("ffff"), symbol));
        }
    }
    count(&mut frames);

    let mut rows: Vec<(&str, u64)> = LAYERS
        .iter()
        .zip(&counts)
        .map(|((name, _), count)| (*name, *count))
        .chain([(KERNEL, kernel), (OTHER, other)])
        .collect();
    rows.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    println!("### {}\n", args.title);
    println!("{total} samples.\n");
    println!("| Layer | share | µs / request |");
    println!("|---|---:|---:|");
    for (name, count) in rows.into_iter().filter(|(_, count)| *count > 0) {
        let share = count as f64 / total.max(1) as f64;
        let micros = args
            .per_request_us
            .map_or("–".to_owned(), |us| format!("{:.0}", us * share));
        println!("| {name} | {:.1}% | {micros} |", share * 100.0);
    }
    println!();
    Ok(())
}

fn layer_of(symbol: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, needles)| needles.iter().any(|needle| symbol.contains(needle)))
}

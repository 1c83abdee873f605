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
            "api::execute::documents",
            "ExecutableDocument as core::clone",
        ],
    ),
    (
        "null completion (errors become nulls)",
        &["api::execute::completion"],
    ),
    (
        "our resolvers, loaders, writes",
        &[
            "api::product",
            "api::cart",
            "api::customer",
            "api::order",
            "api::schema",
            "api::store",
            "api::execute::watch",
        ],
    ),
    ("async-graphql: execution", &["async_graphql"]),
    (
        "the gate: limits, rate limits, metrics, spans",
        &["api::execute", "api::observe"],
    ),
    (
        "our HTTP handler: body, auth, answer",
        &["api::http", "api::auth", "api::execute::persisted"],
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

/// Samples counted by where they ran.
#[derive(Debug, Default, PartialEq)]
struct Attribution {
    /// Per layer of [`LAYERS`], in its order.
    layers: Vec<u64>,
    kernel: u64,
    other: u64,
    total: u64,
}

/// Attributes the samples of `perf script` output.
fn attribute(input: impl BufRead) -> Result<Attribution> {
    let mut found = Attribution {
        layers: vec![0; LAYERS.len()],
        ..Attribution::default()
    };
    // A sample's frames, innermost first: (in the kernel, symbol).
    let mut frames: Vec<(bool, String)> = Vec::new();
    let mut count = |frames: &mut Vec<(bool, String)>| {
        if frames.is_empty() {
            return;
        }
        found.total += 1;
        if frames[0].0 {
            found.kernel += 1;
        } else {
            match frames.iter().find_map(|(_, symbol)| layer_of(symbol)) {
                Some(layer) => found.layers[layer] += 1,
                None => found.other += 1,
            }
        }
        frames.clear();
    };
    for line in input.lines() {
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
    Ok(found)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let found = attribute(std::io::stdin().lock())?;
    let mut rows: Vec<(&str, u64)> = LAYERS
        .iter()
        .zip(&found.layers)
        .map(|((name, _), count)| (*name, *count))
        .chain([(KERNEL, found.kernel), (OTHER, found.other)])
        .collect();
    rows.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    println!("### {}\n", args.title);
    println!("{} samples.\n", found.total);
    println!("| Layer | share | µs / request |");
    println!("|---|---:|---:|");
    for (name, count) in rows.into_iter().filter(|(_, count)| *count > 0) {
        let share = count as f64 / found.total.max(1) as f64;
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

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &str = "\
tokio-rt-worker 10
\t          f5ceac _mi_page_malloc_zero
\t          a68559 <entity::product::Model as sea_orm::entity::model::FromQueryResult>::from_query_result
\t          7faebd async_graphql::resolver_utils::container::do_resolve_container::{{closure}}
\t          ee1d83 tokio::runtime::task::raw::poll

tokio-rt-worker 10
\tffffffff8224f5f9 _raw_spin_unlock_irqrestore
\t          10aba4 __send

tokio-rt-worker 11
\t          89c3ab async_graphql::validation::check_rules
\t          3c95df api::execute::limits::Enforce::validation::{{closure}}

tokio-rt-worker 11
\t          10aba4 malloc
\t          000000 [unknown]
";

    #[test]
    fn a_sample_counts_for_the_innermost_layer_it_ran_in() {
        let found = attribute(SAMPLES.as_bytes()).unwrap();
        let layer = |name: &str| {
            let index = LAYERS
                .iter()
                .position(|(layer, _)| layer.starts_with(name))
                .unwrap();
            found.layers[index]
        };
        assert_eq!(found.total, 4);
        // The allocator called from SeaORM counts as SeaORM, not as
        // async-graphql or tokio further out.
        assert_eq!(layer("SeaORM"), 1);
        assert_eq!(layer("async-graphql: execution"), 0);
        assert_eq!(layer("async-graphql: validation"), 1);
        assert_eq!(found.kernel, 1);
        assert_eq!(found.other, 1);
    }
}

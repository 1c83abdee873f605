//! Hostile load: every attack of the hardening issue at once against the
//! release binary, while a well-behaved client reads the catalogue.
//!
//! For each engine: the server starts with its defaults (plus an admin
//! token), demo-sized data is made over GraphQL, and the well-behaved
//! client's latency is measured alone (`--unloaded` seconds). Then, for
//! `--seconds`, all at once:
//! - 1,000 slow clients send half a request head and wait (from 127.0.0.2,
//!   one attacker address; refused or timed-out ones reconnect);
//! - one customer opens 100 subscriptions to their cart on a socket with a
//!   4 KiB receive buffer and never reads, while the cart changes;
//! - 20 clients flood `logIn` with wrong passwords, four aliases a request
//!   (from 127.0.0.3);
//! - 8 staff clients send the costliest query the budget allows (from
//!   127.0.0.4);
//! - the accounting attacks (`accounting.rs`): one guest floods its own
//!   cart's 20 subscriptions with changes (from 127.0.0.7); one customer
//!   sends batches of `createCart` with 100 lines × 15 aliases × 20
//!   requests (127.0.0.8); one address signs up 8 accounts and spends from
//!   all of them at once (127.0.0.9);
//! - the well-behaved client reads `products(first: 20)` ten times a second
//!   (from 127.0.0.1; a page view every 100 ms, well within its rate limit)
//!   and `/live` and `/ready` are probed every 500 ms on new connections.
//!
//! The report (`bench/results/hostile.md`) gives the well-behaved client's
//! p50/p99 loaded against unloaded, the server's peak RSS, whether the
//! probes always answered and the process lived, what each attack got (for the accounting attacks:
//! events, rows and points the server let them have), and
//! a verdict for each target: p99 under 10× unloaded, peak RSS under
//! 300 MiB, probes always answered, the process alive.

mod accounting;
mod attacks;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use attacks::{
    ADMIN_TOKEN, COSTLY, Counters, cart_changer, client, costly_client, graphql, login_flooder,
    probe, slow_client, stalled_subscriber,
};

#[derive(Parser)]
#[command(about = "Every attack at once; reports a well-behaved client's latency, RSS and probes")]
struct Args {
    /// The server binary (a release build).
    #[arg(long, default_value = "target/release/shopgraph")]
    server: PathBuf,
    /// `sqlite`, `postgres` or `both`.
    #[arg(long, default_value = "both")]
    engine: String,
    /// How long the attacks last, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// How long the well-behaved client is measured alone first.
    #[arg(long, default_value_t = 10)]
    unloaded: u64,
    /// Slow half-sent requests held open at once.
    #[arg(long, default_value_t = 1_000)]
    slow: usize,
    /// Run only these attacks (comma-separated; all by default): slow,
    /// stalled, logins, costly, flood, rows, signups.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where the report goes.
    #[arg(long, default_value = "bench/results/hostile.md")]
    output: PathBuf,
}

/// What one run measured.
struct Outcome {
    engine: &'static str,
    unloaded: Latencies,
    /// The same reads alone, back to back (warm caches).
    back_to_back: Latencies,
    loaded: Latencies,
    good_errors: usize,
    peak_rss_mib: f64,
    probes: usize,
    probes_failed: usize,
    alive: bool,
    slow_refused: usize,
    slow_closed: usize,
    subscriber_dropped: bool,
    logins: usize,
    logins_throttled: usize,
    costly: usize,
    costly_refused: usize,
    flood: accounting::Flood,
    rows: accounting::RowWriter,
    sign_ups: accounting::SignUps,
}

#[derive(Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // A thousand sockets of our own, and the server's.
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    eprintln!("open-file limit: {files}");
    let engines: Vec<&'static str> = match args.engine.as_str() {
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        "both" => vec!["sqlite", "postgres"],
        other => bail!("unknown engine {other}"),
    };
    let mut outcomes = Vec::new();
    for engine in engines {
        let dir = tempfile_dir()?;
        let cluster;
        let database_url = if engine == "postgres" {
            cluster = Some(scratch_pg::Cluster::start(&[])?);
            let cluster = cluster.as_ref().context("a cluster")?;
            let admin = sea_orm::Database::connect(cluster.admin_url()).await?;
            sea_orm::ConnectionTrait::execute_unprepared(&admin, "CREATE DATABASE hostile").await?;
            cluster.database_url("hostile")
        } else {
            cluster = None;
            format!("sqlite://{}/shop.db?mode=rwc", dir.display())
        };
        eprintln!("== {engine}");
        let outcome = run(&args, engine, &database_url).await?;
        if let Some(cluster) = cluster {
            cluster.stop()?;
        }
        let _ = std::fs::remove_dir_all(&dir);
        outcomes.push(outcome);
    }
    let report = report(&args, &outcomes);
    if let Some(parent) = args.output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.output, &report)?;
    println!("{report}");
    Ok(())
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("shopgraph-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn start(server: &PathBuf, database_url: &str) -> Result<(Child, SocketAddr)> {
    let mut child = Command::new(server)
        .args([
            "--database-url",
            database_url,
            "--listen",
            "127.0.0.1:0",
            "--log",
            "warn",
        ])
        .args(["--admin-token", ADMIN_TOKEN])
        .env_remove("SHOPGRAPH_MAX_CONNECTIONS_PER_IP")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", server.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let banner = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .context("the server announces itself")??
        .context("a banner")?;
    let url = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .context("a URL in the banner")?;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()?;
    Ok((child, addr))
}

const CATALOGUE: &str = "{ products(first: 20) { nodes { id name price { amount } } } }";

async fn run(args: &Args, engine: &'static str, database_url: &str) -> Result<Outcome> {
    let (mut child, addr) = start(&args.server, database_url).await?;
    let pid = child.id().context("a pid")?;
    let url = format!("http://{addr}/graphql");
    let staff = client(Ipv4Addr::LOCALHOST, Some(ADMIN_TOKEN))?;

    // Data: 100 products with long descriptions, 100 carts of 10 lines.
    let description = "d".repeat(2_000);
    let mut products = Vec::new();
    for i in 0..100 {
        let data = graphql(&staff, &url, "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }",
            json!({ "input": { "name": format!("Product {i}"), "price": "9.99", "stock": 1_000_000, "description": description } })).await?;
        products.push(
            data["data"]["createProduct"]["product"]["id"]
                .as_str()
                .context("a product")?
                .to_owned(),
        );
    }
    let signed = graphql(&client(Ipv4Addr::new(127, 0, 0, 5), None)?, &url,
        "mutation { signUp(input: { email: \"victim@example.com\", name: \"Victim\", password: \"a long password\" }) { token customer { id } } }", json!({})).await?;
    let token = signed["data"]["signUp"]["token"]
        .as_str()
        .context("a token")?
        .to_owned();
    let customer = signed["data"]["signUp"]["customer"]["id"]
        .as_str()
        .context("a customer")?
        .to_owned();
    let mut carts = Vec::new();
    for c in 0..100 {
        let lines: Vec<Value> = (0..10)
            .map(|l| json!({ "productId": products[(c + l * 7) % 100], "quantity": 1 }))
            .collect();
        let data = graphql(&staff, &url, "mutation($customer: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customer, lines: $lines) { cart { id } } }",
            json!({ "customer": customer, "lines": lines })).await?;
        carts.push(
            data["data"]["createCart"]["cart"]["id"]
                .as_str()
                .context("a cart")?
                .to_owned(),
        );
    }
    let costly_check = graphql(&staff, &url, COSTLY, json!({})).await?;
    if costly_check.get("errors").is_some() {
        bail!("the costly query is not legal: {costly_check}");
    }

    // The well-behaved client alone.
    let good = client(Ipv4Addr::LOCALHOST, None)?;
    // Back to back first, from an address of its own: 300 reads fit in an
    // allowance, and show what the paced reads pay for waking the machine.
    let back_to_back =
        read_back_to_back(&client(Ipv4Addr::new(127, 0, 0, 6), None)?, &url, 300).await;
    let unloaded = read_for(&good, &url, Duration::from_secs(args.unloaded))
        .await
        .0;

    // Everything at once.
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let mut tasks = Vec::new();
    let on = |attack: &str| args.only.is_empty() || args.only.iter().any(|name| name == attack);
    let slow = if on("slow") { args.slow } else { 0 };
    for _ in 0..slow {
        tasks.push(tokio::spawn(slow_client(
            addr,
            stop.clone(),
            counters.clone(),
        )));
    }
    let subscriber = on("stalled").then(|| {
        tokio::spawn(stalled_subscriber(
            addr,
            token.clone(),
            carts[0].clone(),
            stop.clone(),
        ))
    });
    if on("stalled") {
        tasks.push(tokio::spawn(cart_changer(
            staff.clone(),
            url.clone(),
            carts[0].clone(),
            products[0].clone(),
            stop.clone(),
        )));
    }
    for _ in 0..if on("logins") { 20 } else { 0 } {
        tasks.push(tokio::spawn(login_flooder(
            url.clone(),
            stop.clone(),
            counters.clone(),
        )));
    }
    for _ in 0..if on("costly") { 8 } else { 0 } {
        tasks.push(tokio::spawn(costly_client(
            url.clone(),
            stop.clone(),
            counters.clone(),
        )));
    }
    let flood = on("flood").then(|| {
        tokio::spawn(accounting::subscription_flood(
            addr,
            products.clone(),
            stop.clone(),
        ))
    });
    let rows = on("rows").then(|| {
        tokio::spawn(accounting::row_writer(
            url.clone(),
            products.clone(),
            stop.clone(),
        ))
    });
    let sign_ups = on("signups")
        .then(|| tokio::spawn(accounting::sign_up_multiplier(url.clone(), stop.clone())));
    let prober = tokio::spawn(probe(addr, stop.clone(), counters.clone()));
    let (loaded, good_errors) = read_for(&good, &url, Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::SeqCst);
    let subscriber_dropped = match subscriber {
        Some(subscriber) => subscriber.await.unwrap_or(false),
        None => false,
    };
    let _ = prober.await;
    let flood = match flood {
        Some(flood) => flood.await?.context("the subscription flood")?,
        None => accounting::Flood::default(),
    };
    let rows = match rows {
        Some(rows) => rows.await?.context("the row writer")?,
        None => accounting::RowWriter::default(),
    };
    let sign_ups = match sign_ups {
        Some(sign_ups) => sign_ups.await?.context("the sign-up multiplier")?,
        None => accounting::SignUps::default(),
    };
    for task in tasks {
        task.abort();
    }
    let peak_rss_mib = bench::peak_rss_mib(pid)?;
    let alive = child.try_wait()?.is_none();
    let _ = child.kill().await;
    Ok(Outcome {
        engine,
        unloaded,
        back_to_back,
        loaded,
        good_errors,
        peak_rss_mib,
        probes: counters.probes.load(Ordering::SeqCst),
        probes_failed: counters.probes_failed.load(Ordering::SeqCst),
        alive,
        slow_refused: counters.slow_refused.load(Ordering::SeqCst),
        slow_closed: counters.slow_closed.load(Ordering::SeqCst),
        subscriber_dropped,
        logins: counters.logins.load(Ordering::SeqCst),
        logins_throttled: counters.logins_throttled.load(Ordering::SeqCst),
        costly: counters.costly.load(Ordering::SeqCst),
        costly_refused: counters.costly_refused.load(Ordering::SeqCst),
        flood,
        rows,
        sign_ups,
    })
}

/// How often the well-behaved client reads.
const READ_EVERY: Duration = Duration::from_millis(100);

/// Reads the catalogue every [`READ_EVERY`] for `how_long`: latencies and
/// errors.
async fn read_for(client: &reqwest::Client, url: &str, how_long: Duration) -> (Latencies, usize) {
    let end = Instant::now() + how_long;
    let (mut latencies, mut errors) = (Latencies::default(), 0);
    let mut every = tokio::time::interval(READ_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < end {
        every.tick().await;
        let started = Instant::now();
        match graphql(client, url, CATALOGUE, json!({})).await {
            Ok(response) if response.get("errors").is_none() => latencies.0.push(started.elapsed()),
            _ => errors += 1,
        }
    }
    (latencies, errors)
}

/// `count` reads back to back.
async fn read_back_to_back(client: &reqwest::Client, url: &str, count: usize) -> Latencies {
    let mut latencies = Latencies::default();
    for _ in 0..count {
        let started = Instant::now();
        if let Ok(response) = graphql(client, url, CATALOGUE, json!({})).await
            && response.get("errors").is_none()
        {
            latencies.0.push(started.elapsed());
        }
    }
    latencies
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn report(args: &Args, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    out.push_str("# Hostile load\n\n");
    out.push_str(&format!(
        "`bench/hostile` on {} — the release binary with its defaults, {} s of every attack at once after {} s of the well-behaved client alone (see `bench/src/bin/hostile/`). All clients, the server and PostgreSQL share the machine.\n\n",
        bench::machine(),
        args.seconds,
        args.unloaded
    ));
    out.push_str("The well-behaved client reads ten times a second, within its rate limit. Alone and paced, each read pays for waking an idle machine (on this VM even `/live` takes ~4 ms after 100 ms of idleness, against 0.2 ms back to back: the CPU time of a request quadruples, with no page faults — cold caches), so the table also gives the same read back to back (300 reads) and the ratio against that, the stricter comparison.\n\n");
    out.push_str("| engine | catalogue p50 / p99 alone, paced (ms) | alone, back to back (ms) | p50 / p99 under attack (ms) | p99 ratio (paced / back to back) | reads under attack (errors) | peak RSS (MiB) | probes answered | process |\n|---|---|---|---|---|---|---|---|---|\n");
    for o in outcomes {
        out.push_str(&format!(
            "| {} | {} / {} | {} / {} | {} / {} | {:.1}× / {:.1}× | {} ({}) | {:.0} | {}/{} | {} |\n",
            o.engine,
            ms(o.unloaded.percentile(0.5)),
            ms(o.unloaded.percentile(0.99)),
            ms(o.back_to_back.percentile(0.5)),
            ms(o.back_to_back.percentile(0.99)),
            ms(o.loaded.percentile(0.5)),
            ms(o.loaded.percentile(0.99)),
            o.loaded.percentile(0.99).as_secs_f64()
                / o.unloaded.percentile(0.99).as_secs_f64().max(1e-9),
            o.loaded.percentile(0.99).as_secs_f64()
                / o.back_to_back.percentile(0.99).as_secs_f64().max(1e-9),
            o.loaded.0.len(),
            o.good_errors,
            o.peak_rss_mib,
            o.probes - o.probes_failed,
            o.probes,
            if o.alive { "alive" } else { "**died**" },
        ));
    }
    out.push_str("\nWhat the attackers got:\n\n| engine | slow heads: closed by timeout / refused (503) | stalled subscriber dropped | logIn requests (throttled) | costliest queries served (refused) |\n|---|---|---|---|---|\n");
    for o in outcomes {
        out.push_str(&format!(
            "| {} | {} / {} | {} | {} ({}) | {} ({}) |\n",
            o.engine,
            o.slow_closed,
            o.slow_refused,
            if o.subscriber_dropped { "yes" } else { "no" },
            o.logins,
            o.logins_throttled,
            o.costly - o.costly_refused,
            o.costly_refused,
        ));
    }
    out.push_str("\nWhat the accounting attackers got (each event, row written and point is charged to its client; see the README's cost model):\n\n| engine | subscription flood: changes → events delivered (subscriptions ended `THROTTLED` of 20) | row-writing batch: requests → carts (rows) written, answers refused | sign-up multiplication: accounts, points served / one client's allowance over the run |\n|---|---|---|---|\n");
    for o in outcomes {
        out.push_str(&format!(
            "| {} | {} → {} ({} of {}; other answers {:?}) | {} → {} ({}), {} refused {:?} | {}, {:.0} / {:.0} = {:.2}× |\n",
            o.engine,
            o.flood.changes,
            o.flood.events,
            o.flood.ended_throttled,
            o.flood.subscriptions,
            o.flood.other,
            o.rows.requests,
            o.rows.carts,
            o.rows.rows,
            o.rows.refused,
            o.rows.codes,
            o.sign_ups.accounts,
            o.sign_ups.points_served,
            o.sign_ups.one_allowance,
            o.sign_ups.points_served / o.sign_ups.one_allowance.max(1.0),
        ));
    }
    out.push_str("\n## Targets\n\n| target | ");
    out.push_str(
        &outcomes
            .iter()
            .map(|o| o.engine)
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---|".repeat(outcomes.len()));
    out.push('\n');
    fn verdict(met: bool) -> &'static str {
        if met { "met" } else { "**missed**" }
    }
    type Judge = Box<dyn Fn(&Outcome) -> String>;
    let rows: [(&str, Judge); 7] = [
        (
            "well-behaved p99 under 10× its unloaded p99",
            Box::new(|o: &Outcome| {
                let ratio = o.loaded.percentile(0.99).as_secs_f64()
                    / o.unloaded.percentile(0.99).as_secs_f64().max(1e-9);
                format!("{} ({ratio:.1}×)", verdict(ratio < 10.0))
            }),
        ),
        (
            "peak RSS under 300 MiB",
            Box::new(|o: &Outcome| {
                format!(
                    "{} ({:.0} MiB)",
                    verdict(o.peak_rss_mib < 300.0),
                    o.peak_rss_mib
                )
            }),
        ),
        (
            "`/live` and `/ready` always answered",
            Box::new(|o: &Outcome| {
                format!(
                    "{} ({} of {})",
                    verdict(o.probes_failed == 0),
                    o.probes - o.probes_failed,
                    o.probes
                )
            }),
        ),
        (
            "the process never died",
            Box::new(|o: &Outcome| verdict(o.alive).to_owned()),
        ),
        (
            "the subscription flood ended when its allowance ran out",
            Box::new(|o: &Outcome| {
                format!(
                    "{} ({} of {})",
                    verdict(o.flood.ended_throttled == o.flood.subscriptions),
                    o.flood.ended_throttled,
                    o.flood.subscriptions
                )
            }),
        ),
        (
            "the row writer held at most 100 open carts",
            Box::new(|o: &Outcome| format!("{} ({})", verdict(o.rows.carts <= 100), o.rows.carts)),
        ),
        (
            "8 sign-ups spent at most 1.5× one client's allowance",
            Box::new(|o: &Outcome| {
                let ratio = o.sign_ups.points_served / o.sign_ups.one_allowance.max(1.0);
                format!("{} ({ratio:.2}×)", verdict(ratio <= 1.5))
            }),
        ),
    ];
    for (name, judge) in rows.iter() {
        out.push_str(&format!("| {name} | "));
        out.push_str(&outcomes.iter().map(judge).collect::<Vec<_>>().join(" | "));
        out.push_str(" |\n");
    }
    out
}

//! The `shopgraph` binary: everything lives in the `api` crate.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::main().await
}

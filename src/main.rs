//! The `shopgraph` binary: everything lives in the `api` crate.

/// A GraphQL response is built from many small allocations (a map per
/// object, a string per field); mimalloc serves them faster than glibc's
/// malloc (see bench/results/latest.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::main().await
}

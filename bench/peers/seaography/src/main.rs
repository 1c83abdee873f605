//! Seaography's generated GraphQL server over the shop's tables, set up as
//! its PostgreSQL example does (the builder's defaults, a POST endpoint), so
//! the benchmark measures Seaography as its users get it.
//!
//! Usage: `seaography-peer <database-url> <listen-address>`; prints
//! `listening on <address>` once it accepts connections.

mod entities;

use async_graphql::dynamic::Schema;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{Router, extract::State, routing::post};
use sea_orm::Database;
use seaography::{Builder, BuilderContext};
use std::sync::LazyLock;

static CONTEXT: LazyLock<BuilderContext> = LazyLock::new(BuilderContext::default);

async fn graphql(State(schema): State<Schema>, request: GraphQLRequest) -> GraphQLResponse {
    schema.execute(request.into_inner()).await.into()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(database_url), Some(listen)) = (args.next(), args.next()) else {
        eprintln!("usage: seaography-peer <database-url> <listen-address>");
        std::process::exit(2);
    };
    let db = Database::connect(&database_url)
        .await
        .expect("the benchmark's database accepts connections");
    let mut builder = Builder::new(&CONTEXT, db.clone());
    {
        use entities::*;
        seaography::register_entities!(builder, [customer, product, product_variant, cart, cart_line]);
    }
    let schema = builder
        .schema_builder()
        .data(db)
        .finish()
        .expect("Seaography builds a schema from the entities");
    let app = Router::new()
        .route("/graphql", post(graphql))
        .with_state(schema);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .expect("the listen address is free");
    println!(
        "listening on {}",
        listener.local_addr().expect("a bound socket has an address")
    );
    axum::serve(listener, app).await.expect("the server runs");
}

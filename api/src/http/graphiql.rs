//! GraphiQL, the in-browser IDE, at `/`.
//!
//! Its scripts and stylesheet come from the npm registry's packages
//! (`graphiql`, `react`, `react-dom`, pinned in `web/graphiql/package.json`)
//! and this server serves them itself, read once at start-up, so the page
//! works without internet access. Until they are installed (`npm ci --prefix
//! web/graphiql`) the page loads the same versions from a CDN instead, and
//! the server says so in its log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The versions pinned in `web/graphiql/package.json`, for the CDN fallback.
const GRAPHIQL_VERSION: &str = "3.8.3";
const REACT_VERSION: &str = "18.3.1";

/// The files the page needs: (name served under `/graphiql/`, file inside
/// `node_modules`, package whose version the CDN URL names, content type).
const ASSETS: &[(&str, &str, &str, &str)] = &[
    (
        "react.production.min.js",
        "react/umd/react.production.min.js",
        "react",
        "text/javascript; charset=utf-8",
    ),
    (
        "react-dom.production.min.js",
        "react-dom/umd/react-dom.production.min.js",
        "react-dom",
        "text/javascript; charset=utf-8",
    ),
    (
        "graphiql.min.js",
        "graphiql/graphiql.min.js",
        "graphiql",
        "text/javascript; charset=utf-8",
    ),
    (
        "graphiql.min.css",
        "graphiql/graphiql.min.css",
        "graphiql",
        "text/css; charset=utf-8",
    ),
];

/// Where the assets are looked for when no directory is configured: under
/// the working directory (a checkout, `cargo run`), then beside the binary
/// (`bin/shopgraph` next to `web/`) and two levels up (`target/release/`
/// in a checkout). Never a path baked in at build time: the binary may run
/// on another machine.
fn default_dirs() -> Vec<PathBuf> {
    const ASSETS: &str = "web/graphiql/node_modules";
    let mut dirs = vec![PathBuf::from(ASSETS)];
    if let Ok(binary) = std::env::current_exe() {
        dirs.extend(
            binary
                .ancestors()
                .skip(2)
                .take(2)
                .map(|dir| dir.join(ASSETS)),
        );
    }
    dirs
}

/// The page and, when installed, its assets.
pub struct Graphiql {
    page: String,
    /// (name, content type, bytes); empty when the page uses the CDN.
    assets: Vec<(&'static str, &'static str, Bytes)>,
}

impl Graphiql {
    /// Reads the assets from `dir` (or the default places); without them
    /// the page points at the CDN.
    pub fn load(dir: Option<&Path>) -> Graphiql {
        let candidates: Vec<PathBuf> = match dir {
            Some(dir) => vec![dir.to_owned()],
            None => default_dirs(),
        };
        for dir in &candidates {
            if let Some(assets) = read_assets(dir) {
                tracing::info!(dir = %dir.display(), "serving GraphiQL's assets");
                let url = |name: &str| format!("/graphiql/{name}");
                return Graphiql {
                    page: page(&url),
                    assets,
                };
            }
        }
        tracing::warn!(
            looked_in = ?candidates,
            "GraphiQL's assets are not installed (npm ci --prefix web/graphiql); \
             the page at / will load them from unpkg.com, which needs internet access"
        );
        let url = |name: &str| {
            let (_, path, package, _) = ASSETS
                .iter()
                .find(|(asset, ..)| *asset == name)
                .expect("a known asset");
            let version = if *package == "graphiql" {
                GRAPHIQL_VERSION
            } else {
                REACT_VERSION
            };
            let in_package = path.split_once('/').map_or(*path, |(_, rest)| rest);
            format!("https://unpkg.com/{package}@{version}/{in_package}")
        };
        Graphiql {
            page: page(&url),
            assets: Vec::new(),
        }
    }

    /// Whether the assets are served locally.
    pub fn is_local(&self) -> bool {
        !self.assets.is_empty()
    }

    /// `/` and `/graphiql/{asset}`.
    pub fn router<S: Clone + Send + Sync + 'static>(self: Arc<Self>) -> Router<S> {
        Router::new()
            .route("/", get(serve_page))
            .route("/graphiql/{name}", get(serve_asset))
            .with_state(self)
    }
}

fn read_assets(dir: &Path) -> Option<Vec<(&'static str, &'static str, Bytes)>> {
    ASSETS
        .iter()
        .map(|(name, path, _, content_type)| {
            let bytes = std::fs::read(dir.join(path)).ok()?;
            Some((*name, *content_type, Bytes::from(bytes)))
        })
        .collect()
}

async fn serve_page(State(graphiql): State<Arc<Graphiql>>) -> Html<String> {
    Html(graphiql.page.clone())
}

async fn serve_asset(
    State(graphiql): State<Arc<Graphiql>>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    match graphiql.assets.iter().find(|(asset, ..)| *asset == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An example that shows filtering, ordering and nested data.
const DEFAULT_QUERY: &str = r#"# Welcome to shopgraph. Press the run button (or Ctrl-Enter).
# The Docs button on the left lists every type and field.
query Catalogue {
  products(first: 5, filter: { inStock: true }, orderBy: { field: PRICE, direction: DESC }) {
    totalCount
    aggregate { price { min { amount } max { amount } } }
    nodes { id name price { amount currencyCode } stock }
    pageInfo { hasNextPage endCursor }
  }
}
"#;

fn page(url: &dyn Fn(&str) -> String) -> String {
    let default_query = serde_json::to_string(DEFAULT_QUERY).expect("a string serializes");
    format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>shopgraph · GraphiQL</title>
    <style>
      body {{ margin: 0; height: 100vh; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
    <link rel="stylesheet" href="{css}">
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="{react}"></script>
    <script src="{react_dom}"></script>
    <script src="{graphiql}"></script>
    <script>
      const fetcher = GraphiQL.createFetcher({{ url: new URL("/graphql", location.href).href }});
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher,
          defaultQuery: {default_query},
          defaultEditorToolsVisibility: true,
        }})
      );
    </script>
  </body>
</html>
"#,
        css = url("graphiql.min.css"),
        react = url("react.production.min.js"),
        react_dom = url("react-dom.production.min.js"),
        graphiql = url("graphiql.min.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CDN fallback names the versions `web/graphiql` pins.
    #[test]
    fn cdn_versions_match_the_pinned_packages() {
        let manifest = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/graphiql/package.json"),
        )
        .unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        let dependencies = &manifest["dependencies"];
        assert_eq!(dependencies["graphiql"], GRAPHIQL_VERSION);
        assert_eq!(dependencies["react"], REACT_VERSION);
        assert_eq!(dependencies["react-dom"], REACT_VERSION);
    }
}

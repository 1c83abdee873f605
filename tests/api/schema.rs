//! The schema is a contract: `schema.graphql` must match the code, and every
//! type and field must say what it is.

use std::path::Path;

use serde_json::{Value, json};

use crate::js;
use crate::support::{Engine, TestApp};

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let current = api::schema::sdl();
    assert!(
        checked_in == current,
        "schema.graphql is out of date with the code. Regenerate it with\n\n    cargo run -- export-schema\n\nand review the diff: removing or changing a field breaks clients."
    );
}

#[tokio::test]
async fn every_type_field_and_argument_has_a_description() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let data = app
        .ok(
            "{ __schema { types { name kind description
                fields { name description args { name description } }
                inputFields { name description }
                enumValues { name description } } } }",
            json!({}),
        )
        .await;
    let mut missing = Vec::new();
    let described = |value: &Value| {
        value["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        let builtin =
            name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name);
        if builtin {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(ty["inputFields"].as_array().into_iter().flatten())
        {
            if !described(field) {
                missing.push(format!("{name}.{}", field["name"]));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if !described(value) {
                missing.push(format!("{name}.{}", value["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

/// Runs graphql-inspector's diff of `old` against `new` with the
/// deliberate-changes rule, reading `changelog`; returns whether it passed,
/// and its output.
async fn inspect(old: &Path, new: &Path, changelog: &Path) -> (bool, String) {
    js::npm_ci(&js::dir()).await;
    let output =
        tokio::process::Command::new(js::dir().join("node_modules/.bin/graphql-inspector"))
            .arg("diff")
            .arg(old)
            .arg(new)
            .args(["--rule", "./deliberate-changes.mjs"])
            .env("CHANGELOG", changelog)
            .current_dir(js::dir())
            .output()
            .await
            .expect("graphql-inspector runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The schema change guard: against the last released schema, every
/// breaking change must be recorded in CHANGELOG.md, and removals must have
/// been deprecated in a release first.
#[tokio::test]
async fn breaking_changes_must_be_recorded_and_removals_deprecated_first() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let released = root.join("schema.released.graphql");
    let current = root.join("schema.graphql");
    let changelog = root.join("CHANGELOG.md");
    let (passed, output) = inspect(&released, &current, &changelog).await;
    assert!(
        passed,
        "schema.graphql breaks clients of the last release without saying so in CHANGELOG.md:\n{output}"
    );

    // The guard itself: remove `Product.name` from a copy of the schema.
    let dir = tempfile::tempdir().unwrap();
    let schema = std::fs::read_to_string(&current).unwrap();
    let stock = "\t\"\"\"\n\tThe product's name, 1 to 200 characters.\n\t\"\"\"\n\tname: String!\n";
    assert!(schema.contains(stock), "Product.name as exported");
    let without_stock = dir.path().join("without-stock.graphql");
    std::fs::write(&without_stock, schema.replacen(stock, "", 1)).unwrap();
    let deprecated = dir.path().join("deprecated.graphql");
    let deprecated_stock =
        stock.replace("String!\n", "String! @deprecated(reason: \"Use title.\")\n");
    std::fs::write(&deprecated, schema.replacen(stock, &deprecated_stock, 1)).unwrap();
    let unrecorded = dir.path().join("unrecorded.md");
    std::fs::write(
        &unrecorded,
        "# Changelog\n\n## Unreleased\n\n### Breaking\n\nNone.\n",
    )
    .unwrap();
    let recorded = dir.path().join("recorded.md");
    std::fs::write(
        &recorded,
        "# Changelog\n\n## Unreleased\n\n### Breaking\n\n- `Product.name` removed.\n",
    )
    .unwrap();

    let (passed, output) = inspect(&current, &without_stock, &unrecorded).await;
    assert!(
        !passed && output.contains("name"),
        "an unrecorded removal fails:\n{output}"
    );
    let (passed, output) = inspect(&current, &without_stock, &recorded).await;
    assert!(
        !passed,
        "a recorded removal of a field never deprecated still fails:\n{output}"
    );
    let (passed, output) = inspect(&deprecated, &without_stock, &recorded).await;
    assert!(
        passed,
        "a recorded removal of a deprecated field passes:\n{output}"
    );
}

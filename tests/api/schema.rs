//! The schema is a contract: `schema.graphql` must match the code, and every
//! type and field must say what it is.

use serde_json::{Value, json};

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

//! No input crashes the server: proptest sends random and malformed
//! documents, variables, IDs and mutation inputs, and every answer must be
//! a non-5xx response without an INTERNAL error; the server keeps serving.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::support::{Engine, TestApp};

/// Pieces of GraphQL, valid and not, that random documents are made of.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "...",
    "$v",
    "query",
    "mutation",
    "subscription",
    "fragment F on Product",
    "products",
    "product",
    "customers",
    "carts",
    "cart",
    "node",
    "nodes",
    "viewer",
    "__schema",
    "__typename",
    "first:",
    "last:",
    "after:",
    "before:",
    "id:",
    "ids:",
    "filter:",
    "orderBy:",
    "nameContains:",
    "minPrice:",
    "field: PRICE",
    "direction: DESC",
    "or: []",
    "not: {",
    "-1",
    "0",
    "101",
    "2147483648",
    "1e9",
    "\"x\"",
    "\"bm9wZQ==\"",
    "\"UHJvZHVjdDox\"",
    "null",
    "true",
    "@include(if: true)",
    "@skip(if: $v)",
    "nodes",
    "edges",
    "node",
    "cursor",
    "totalCount",
    "aggregate",
    "price",
    "amount",
    "stock",
    "lines",
    "customer",
    "email",
    "checkout(cartId:",
    "createProduct(input:",
    "addCartLines(cartId: \"x\", lines: [",
    "\u{0}",
    "\u{1F600}",
    "#",
    "\n",
    ",",
];

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,120}",
        prop::collection::vec(prop::sample::select(TOKENS), 0..40)
            .prop_map(|tokens| tokens.join(" ")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        id().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(
                    &[
                        "id",
                        "ids",
                        "name",
                        "price",
                        "stock",
                        "email",
                        "first",
                        "filter",
                        "nameContains",
                        "or",
                        "not",
                        "quantity",
                        "productId"
                    ][..]
                )
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Global IDs that are malformed, of the wrong type, or name nothing.
fn id() -> impl Strategy<Value = String> {
    use base64::Engine;
    let encode = |text: String| base64::engine::general_purpose::STANDARD.encode(text);
    prop_oneof![
        "\\PC{0,30}",
        ("(Product|Customer|Cart|Order|)", ":", "\\PC{0,20}")
            .prop_map(move |(kind, colon, key)| encode(format!("{kind}{colon}{key}"))),
        ("(Product|Customer|Cart)", any::<i64>())
            .prop_map(move |(kind, key)| encode(format!("{kind}:{key}"))),
    ]
}

/// Operations whose variables the fuzzer fills at random.
const WITH_VARIABLES: &[&str] = &[
    "query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }",
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $orderBy: ProductOrder) { products(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) { totalCount aggregate { count } nodes { id } } }",
    "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code } } }",
    "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { userErrors { code } } }",
    "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { userErrors { code } } }",
    "mutation($customerId: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customerId, lines: $lines) { userErrors { code } } }",
    "mutation($cartId: ID!, $key: String) { checkout(cartId: $cartId, idempotencyKey: $key) { userErrors { code } } }",
    "mutation($input: SignUpInput!) { signUp(input: $input) { userErrors { code } } }",
];

/// Posts `body` and checks the answer: no 5xx, no INTERNAL.
async fn check(app: &TestApp, body: Value) -> Result<(), TestCaseError> {
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    prop_assert!(status.as_u16() < 500, "{status} for {body}: {text}");
    prop_assert!(
        !text.contains("\"INTERNAL\""),
        "INTERNAL for {body}: {text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_malformed_requests_never_crash_the_server() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.create_product("Fuzzed", "1.00", 5).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let run = |body: Value| tokio::task::block_in_place(|| handle.block_on(check(&app, body)));

    runner
        .run(&(document(), json_value()), |(query, variables)| {
            run(json!({ "query": query, "variables": variables }))
        })
        .unwrap();
    runner
        .run(&(prop::sample::select(WITH_VARIABLES), json_value(), json_value(), id()), |(query, a, b, id)| {
            let variables = json!({ "id": id, "ids": [a.clone()], "input": a, "first": b.clone(), "after": b.clone(),
                "filter": b.clone(), "orderBy": b.clone(), "customerId": id, "lines": b.clone(), "cartId": id, "key": b });
            run(json!({ "query": query, "variables": variables }))
        })
        .unwrap();
    runner.run(&json_value(), run).unwrap();

    let alive = app.post("{ products { totalCount } }", json!({})).await;
    assert!(
        alive["data"]["products"]["totalCount"].as_u64().unwrap() >= 1,
        "still serving: {alive:#}"
    );
}

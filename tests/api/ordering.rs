//! The pagination property: for random rows and every ordering, walking a
//! list forward page by page, or backward page by page, yields exactly the
//! ordered list, with no duplicate and no gap, even when rows are inserted
//! between page fetches. The expectation is computed here, in Rust, from the
//! rows as stored.
//!
//! Each run draws a new seed and prints it; `TEST_SEED=n` replays one.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::{customer, product};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

/// Rounds of fresh random data per list and engine.
const ROUNDS: usize = 3;

/// A sort key as the test computes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
}

/// A stored row: its id and its value for each `orderBy` field.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    keys: BTreeMap<&'static str, Key>,
}

/// An ordering: `None` is the default (by ID); otherwise an `orderBy` field.
#[derive(Debug, Clone, Copy)]
struct Order {
    field: Option<&'static str>,
    descending: bool,
}

impl Order {
    /// Compares rows in list order: by the field, then by id, both in the
    /// ordering's direction.
    fn compare(&self, a: &Row, b: &Row) -> Ordering {
        let by_key = match self.field {
            Some(field) => a.keys[field].cmp(&b.keys[field]),
            None => Ordering::Equal,
        };
        let ascending = by_key.then(a.id.cmp(&b.id));
        if self.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }

    fn argument(&self) -> Value {
        match self.field {
            Some(field) => json!({
                "field": field,
                "direction": if self.descending { "DESC" } else { "ASC" },
            }),
            None => Value::Null,
        }
    }
}

/// A list of the API and how to make random rows for it.
#[derive(Clone, Copy)]
enum List {
    Products,
    Customers,
}

impl List {
    fn fields(self) -> &'static [&'static str] {
        match self {
            List::Products => &["NAME", "PRICE", "STOCK", "CREATED_AT"],
            List::Customers => &["NAME", "EMAIL", "CREATED_AT"],
        }
    }

    fn orders(self) -> Vec<Order> {
        let mut orders = vec![Order {
            field: None,
            descending: false,
        }];
        for field in self.fields() {
            for descending in [false, true] {
                orders.push(Order {
                    field: Some(field),
                    descending,
                });
            }
        }
        orders
    }

    fn query(self) -> String {
        let (field, order_type) = match self {
            List::Products => ("products", "ProductOrder"),
            List::Customers => ("customers", "CustomerOrder"),
        };
        format!(
            "query($first: Int, $after: String, $last: Int, $before: String, $orderBy: {order_type}) {{
              list: {field}(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {{
                edges {{ cursor node {{ id }} }}
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
              }}
            }}"
        )
    }

    async fn clear(self, db: &DatabaseConnection) {
        let table = match self {
            List::Products => "product",
            List::Customers => "customer",
        };
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .expect("rows are deleted");
    }

    /// Stores a random row. Values are drawn from small sets so that many
    /// rows tie on the sort key and the id must break the tie.
    async fn insert(self, db: &DatabaseConnection, rng: &mut fastrand::Rng, serial: usize) -> Row {
        let name = random_word(rng);
        let created_at = random_time(rng);
        match self {
            List::Products => {
                let row = product::ActiveModel {
                    handle: Set(format!("row-{serial}")),
                    name: Set(name),
                    description: Set(None),
                    price: Set(rng.i64(0..5) * 50),
                    stock: Set(rng.i64(0..4)),
                    created_at: Set(created_at),
                    updated_at: Set(created_at),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("a product is stored");
                Row {
                    id: row.id,
                    keys: BTreeMap::from([
                        ("NAME", Key::Text(row.name)),
                        ("PRICE", Key::Int(row.price)),
                        ("STOCK", Key::Int(row.stock)),
                        ("CREATED_AT", Key::Time(row.created_at)),
                    ]),
                }
            }
            List::Customers => {
                let row = customer::ActiveModel {
                    email: Set(format!("{}{serial}@example.com", random_word(rng))),
                    name: Set(name),
                    created_at: Set(created_at),
                    updated_at: Set(created_at),
                    ..Default::default()
                }
                .insert(db)
                .await
                .expect("a customer is stored");
                Row {
                    id: row.id,
                    keys: BTreeMap::from([
                        ("NAME", Key::Text(row.name)),
                        ("EMAIL", Key::Text(row.email)),
                        ("CREATED_AT", Key::Time(row.created_at)),
                    ]),
                }
            }
        }
    }
}

/// One to three letters of "abc": byte order and any collation agree on them.
fn random_word(rng: &mut fastrand::Rng) -> String {
    let len = rng.usize(1..=3);
    (0..len)
        .map(|_| rng.choice(['a', 'b', 'c']).unwrap())
        .collect()
}

/// One of a few instants, with no, millisecond or microsecond fractions, so
/// that times tie and their stored text differs in length (SQLite compares
/// the text).
fn random_time(rng: &mut fastrand::Rng) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let seconds = Duration::seconds(rng.i64(0..4));
    let fraction = match rng.u8(0..3) {
        0 => Duration::zero(),
        1 => Duration::milliseconds(rng.i64(0..3) * 250),
        _ => Duration::microseconds(rng.i64(0..3) * 125_001),
    };
    base + seconds + fraction
}

/// The database key inside a global ID ("Type:key" in base64).
fn key_of(id: &Value) -> i64 {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD
        .decode(id.as_str().expect("a string ID"))
        .expect("base64");
    let text = String::from_utf8(text).expect("UTF-8");
    text.rsplit_once(':')
        .expect("Type:key")
        .1
        .parse()
        .expect("a numeric key")
}

/// Walks the whole list in `order`, `size` rows a page, forward or
/// backward, sometimes inserting a random row between fetches, and checks
/// the walk against the expectation.
#[allow(clippy::too_many_arguments)]
async fn walk(
    app: &TestApp,
    db: &DatabaseConnection,
    list: List,
    order: Order,
    backward: bool,
    size: usize,
    rows: &mut Vec<Row>,
    rng: &mut fastrand::Rng,
) {
    let query = list.query();
    let mut expected: Vec<Row> = rows.clone();
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor = Value::Null;
    let context = format!("{order:?}, backward: {backward}, page size {size}");
    loop {
        let variables = if backward {
            json!({ "last": size, "before": cursor, "orderBy": order.argument() })
        } else {
            json!({ "first": size, "after": cursor, "orderBy": order.argument() })
        };
        let data = app.ok(&query, variables).await;
        let page = &data["list"];
        let info = &page["pageInfo"];
        let mut ids: Vec<i64> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| key_of(&edge["node"]["id"]))
            .collect();
        assert!(ids.len() <= size, "{context}: a page holds at most {size}");
        let (more, from_cursor) = if backward {
            (&info["hasPreviousPage"], &info["hasNextPage"])
        } else {
            (&info["hasNextPage"], &info["hasPreviousPage"])
        };
        assert_eq!(
            from_cursor.as_bool(),
            Some(!cursor.is_null()),
            "{context}: rows lie behind a cursor"
        );
        if backward {
            ids.reverse();
        }
        seen.extend(&ids);
        if more == false {
            break;
        }
        assert!(
            !ids.is_empty(),
            "{context}: a page before the end is not empty"
        );
        cursor = if backward {
            info["startCursor"].clone()
        } else {
            info["endCursor"].clone()
        };
        if rng.u8(0..10) < 3 {
            let row = list.insert(db, rng, rows.len() + 1_000).await;
            let position = rows.iter().find(|r| r.id == *ids.last().unwrap()).unwrap();
            let ahead = match order.compare(&row, position) {
                Ordering::Greater => !backward,
                _ => backward,
            };
            if ahead {
                expected.push(row.clone());
            }
            rows.push(row);
        }
    }
    expected.sort_by(|a, b| order.compare(a, b));
    if backward {
        expected.reverse();
    }
    let expected: Vec<i64> = expected.iter().map(|row| row.id).collect();
    assert_eq!(seen, expected, "{context}");
}

async fn check_list(app: &TestApp, list: List) {
    let seed = std::env::var("TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("{:?} pagination property: TEST_SEED={seed}", app.engine);
    let mut rng = fastrand::Rng::with_seed(seed);
    let db = app.db().await;
    for _ in 0..ROUNDS {
        list.clear(&db).await;
        let mut rows = Vec::new();
        for serial in 0..rng.usize(0..30) {
            rows.push(list.insert(&db, &mut rng, serial).await);
        }
        for order in list.orders() {
            for backward in [false, true] {
                let size = rng.usize(1..=7);
                walk(app, &db, list, order, backward, size, &mut rows, &mut rng).await;
            }
        }
    }
}

engine_tests! {
    async fn product_pages_walk_every_ordering_both_ways(app) {
        check_list(&app, List::Products).await;
    }

    async fn customer_pages_walk_every_ordering_both_ways(app) {
        check_list(&app, List::Customers).await;
    }
}

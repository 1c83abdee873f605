//! Orders: what a checkout sold stays as it was sold (issue 12).

use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests, global_id};

const CHECKOUT: &str = "mutation($cart: ID!, $key: String) { checkout(cartId: $cart, idempotencyKey: $key) { cart { id } order { id } userErrors { code message } } }";

const ORDER: &str = "query($id: ID!) { order(id: $id) { id number status placedAt cancelledAt customer { id } subtotal { amount currencyCode } totalQuantity lines { id productName unitPrice { amount } quantity total { amount } product { id name } } } }";

/// Checks out `cart` as staff and returns the order's ID.
async fn check_out(app: &TestApp, cart: &str) -> String {
    let data = app.ok(CHECKOUT, json!({ "cart": cart })).await;
    assert_eq!(data["checkout"]["userErrors"], json!([]), "{data:#}");
    data["checkout"]["order"]["id"]
        .as_str()
        .expect("an order")
        .to_owned()
}

async fn order(app: &TestApp, id: &str) -> Value {
    app.ok(ORDER, json!({ "id": id })).await["order"].clone()
}

engine_tests! {
    /// An order keeps each line's name, unit price and quantity, and its
    /// totals, through a price change, a product delete (the line keeps its
    /// snapshot; its product reads null) and the customer's delete (the
    /// order stays for the books; customer and email are erased).
    async fn orders_keep_what_was_sold(app) {
        let tea = app.create_product("Tea", "4.50", 10).await;
        let pot = app.create_product("Pot", "30.00", 10).await;
        let customer = app.create_customer("buyer@example.com", "Buyer").await;
        let cart = app.create_cart(&customer, &[(&tea, 2), (&pot, 1)]).await;
        let id = check_out(&app, &cart).await;
        let placed = order(&app, &id).await;
        assert_eq!(placed["status"], "PLACED");
        assert_eq!(placed["cancelledAt"], Value::Null);
        assert_eq!(placed["customer"]["id"], json!(customer));
        assert_eq!(placed["subtotal"], json!({ "amount": "39.00", "currencyCode": "USD" }));
        assert_eq!(placed["totalQuantity"], 3);
        let lines = |order: &Value| order["lines"].as_array().unwrap().iter()
            .map(|line| (line["productName"].clone(), line["unitPrice"]["amount"].clone(), line["quantity"].clone(), line["total"]["amount"].clone()))
            .collect::<Vec<_>>();
        let sold = lines(&placed);
        assert_eq!(sold, [
            (json!("Tea"), json!("4.50"), json!(2), json!("9.00")),
            (json!("Pot"), json!("30.00"), json!(1), json!("30.00")),
        ]);

        app.ok("mutation($id: ID!) { updateProduct(id: $id, input: { price: \"99.00\", name: \"Green tea\" }) { userErrors { code } } }", json!({ "id": tea })).await;
        let repriced = order(&app, &id).await;
        assert_eq!(lines(&repriced), sold, "a price change leaves the order");
        assert_eq!(repriced["subtotal"]["amount"], "39.00");
        assert_eq!(repriced["lines"][0]["product"]["name"], "Green tea", "the product as it is now");

        app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": pot })).await;
        let without_pot = order(&app, &id).await;
        assert_eq!(lines(&without_pot), sold, "a product delete leaves the line whole");
        assert_eq!(without_pot["lines"][1]["product"], Value::Null);
        assert_eq!(without_pot["totalQuantity"], 3);

        app.ok("mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }", json!({ "id": customer })).await;
        let erased = order(&app, &id).await;
        assert_eq!(lines(&erased), sold, "the books keep the sale");
        assert_eq!(erased["customer"], Value::Null);
        assert_eq!(app.count_rows(r#""order" WHERE email IS NOT NULL OR customer_id IS NOT NULL"#).await, 0, "no personal data left");
        assert_eq!(app.count_rows(r#""order""#).await, 1);
    }

    /// A repeated idempotent checkout answers the order it placed; the
    /// order's number is sequential.
    async fn a_replayed_checkout_answers_the_same_order(app) {
        let tea = app.create_product("Tea", "4.50", 10).await;
        let customer = app.create_customer("again@example.com", "Again").await;
        let first_cart = app.create_cart(&customer, &[(&tea, 1)]).await;
        let first = check_out(&app, &first_cart).await;
        let cart = app.create_cart(&customer, &[(&tea, 1)]).await;
        let variables = json!({ "cart": cart, "key": "once" });
        let placed = app.ok(CHECKOUT, variables.clone()).await;
        let replayed = app.ok(CHECKOUT, variables).await;
        assert_eq!(replayed["checkout"]["order"], placed["checkout"]["order"], "{replayed:#}");
        assert_eq!(app.count_rows(r#""order""#).await, 2);
        let number = |id: &str| {
            let app = &app;
            let id = id.to_owned();
            async move { order(app, &id).await["number"].as_i64().unwrap() }
        };
        let second = placed["checkout"]["order"]["id"].as_str().unwrap().to_owned();
        assert_eq!(number(&second).await, number(&first).await + 1);
    }

    /// Another customer's order behaves exactly like a missing one:
    /// `order`, `node`, `nodes`; anonymous callers see none; `viewer.orders`
    /// lists one's own.
    async fn other_customers_orders_read_as_missing(app) {
        let tea = app.create_product("Tea", "4.50", 10).await;
        let (ann, ann_id) = app.sign_up("ann@example.com").await;
        let (bob, _) = app.sign_up("bob@example.com").await;
        let cart = app.create_cart(&ann_id, &[(&tea, 1)]).await;
        let id = check_out(&app, &cart).await;
        let missing = global_id("Order", 999);
        let read = "query($id: ID!) { order(id: $id) { id } node(id: $id) { id } nodes(ids: [$id]) { id } }";
        for (who, token) in [("bob", Some(bob.as_str())), ("anonymous", None)] {
            for probe in [&id, &missing] {
                let answer = app.post_as(token, read, json!({ "id": probe })).await;
                assert_eq!(answer, json!({ "data": { "order": null, "node": null, "nodes": [null] } }), "{who} reads {probe}: {answer:#}");
            }
        }
        let own = app.post_as(Some(&ann), read, json!({ "id": id })).await;
        assert_eq!(own["data"]["order"]["id"], json!(id));
        assert_eq!(own["data"]["node"]["id"], json!(id));
        let history = "{ viewer { orders(first: 10) { totalCount nodes { id } } } }";
        let anns = app.post_as(Some(&ann), history, json!({})).await;
        assert_eq!(anns["data"]["viewer"]["orders"], json!({ "totalCount": 1, "nodes": [{ "id": id }] }));
        let bobs = app.post_as(Some(&bob), history, json!({})).await;
        assert_eq!(bobs["data"]["viewer"]["orders"], json!({ "totalCount": 0, "nodes": [] }));
    }

    /// Order history pages both ways, newest first by default, and by total
    /// when asked.
    async fn order_history_pages_both_ways(app) {
        let tea = app.create_product("Tea", "1.00", 100).await;
        let (token, customer) = app.sign_up("pages@example.com").await;
        let mut placed = Vec::new();
        for quantity in [3, 1, 2] {
            let cart = app.create_cart(&customer, &[(&tea, quantity)]).await;
            placed.push(check_out(&app, &cart).await);
        }
        let page = "query($first: Int, $after: String, $last: Int, $before: String, $by: OrderSort) { viewer { orders(first: $first, after: $after, last: $last, before: $before, orderBy: $by) { nodes { id totalQuantity } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";
        let ask = |variables: Value| {
            let app = &app;
            let token = token.clone();
            async move { app.post_as(Some(&token), page, variables).await["data"]["viewer"]["orders"].clone() }
        };
        let ids = |orders: &Value| orders["nodes"].as_array().unwrap().iter().map(|node| node["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let first = ask(json!({ "first": 2 })).await;
        assert_eq!(ids(&first), [placed[2].clone(), placed[1].clone()], "newest first");
        assert_eq!(first["pageInfo"]["hasNextPage"], true);
        let rest = ask(json!({ "first": 2, "after": first["pageInfo"]["endCursor"] })).await;
        assert_eq!(ids(&rest), [placed[0].clone()]);
        assert_eq!(rest["pageInfo"]["hasNextPage"], false);
        let back = ask(json!({ "last": 2, "before": rest["pageInfo"]["startCursor"] })).await;
        assert_eq!(ids(&back), ids(&first), "backwards, the same page in the same order");
        let by_total = ask(json!({ "first": 3, "by": { "field": "TOTAL", "direction": "DESC" } })).await;
        let totals: Vec<i64> = by_total["nodes"].as_array().unwrap().iter().map(|node| node["totalQuantity"].as_i64().unwrap()).collect();
        assert_eq!(totals, [3, 2, 1]);
    }

    /// `viewer.orders(first: 50) { lines { product { name } } }` runs the
    /// same number of statements for 5 orders as for 50.
    async fn order_history_reads_in_constant_statements(app) {
        let products = [
            app.create_product("A", "1.00", 1_000).await,
            app.create_product("B", "2.00", 1_000).await,
        ];
        let (token, customer) = app.sign_up("history@example.com").await;
        let query = "{ viewer { orders(first: 50) { totalCount nodes { number subtotal { amount } lines { productName quantity product { name } } } } } }";
        let mut counts = Vec::new();
        for target in [5, 50] {
            let have = app.count_rows(r#""order""#).await;
            for _ in have..target {
                let cart = app.create_cart(&customer, &[(&products[0], 1), (&products[1], 2)]).await;
                check_out(&app, &cart).await;
            }
            let before = app.statements();
            let answer = app.post_as(Some(&token), query, json!({})).await;
            let statements = app.statements() - before;
            assert!(answer.get("errors").is_none(), "{answer:#}");
            let nodes = answer["data"]["viewer"]["orders"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), target as usize);
            assert!(nodes.iter().all(|order| order["lines"][1]["product"]["name"] == "B"));
            counts.push(statements);
        }
        assert_eq!(counts[0], counts[1], "statements for 5 and for 50 orders: {counts:?}");
        assert!(counts[1] <= 8, "a handful of statements: {counts:?}");
    }
}

const CANCEL: &str = "mutation($id: ID!) { cancelOrder(orderId: $id) { order { id status cancelledAt } userErrors { field code } } }";

async fn stock(app: &TestApp, product: &str) -> i64 {
    app.ok(
        "query($id: ID!) { product(id: $id) { stock } }",
        json!({ "id": product }),
    )
    .await["product"]["stock"]
        .as_i64()
        .unwrap()
}

engine_tests! {
    /// Cancelling puts the units back once: a second cancel is the user
    /// error `ALREADY_CANCELLED` and changes nothing; another customer's
    /// order cannot be cancelled (it reads as missing); a deleted product's
    /// line restores nothing.
    async fn cancelling_restores_stock_once(app) {
        let tea = app.create_product("Tea", "4.50", 10).await;
        let pot = app.create_product("Pot", "30.00", 10).await;
        let (ann, ann_id) = app.sign_up("ann@example.com").await;
        let (bob, _) = app.sign_up("bob@example.com").await;
        let cart = app.create_cart(&ann_id, &[(&tea, 3), (&pot, 2)]).await;
        let id = check_out(&app, &cart).await;
        assert_eq!((stock(&app, &tea).await, stock(&app, &pot).await), (7, 8));

        let refused = app.post_as(Some(&bob), CANCEL, json!({ "id": id })).await;
        assert_eq!(refused["data"]["cancelOrder"], json!({ "order": null, "userErrors": [{ "field": ["orderId"], "code": "NOT_FOUND" }] }));
        let anonymous = app.post_as(None, CANCEL, json!({ "id": id })).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(stock(&app, &tea).await, 7, "nothing changed");

        app.ok("mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }", json!({ "id": pot })).await;
        let cancelled = app.post_as(Some(&ann), CANCEL, json!({ "id": id })).await;
        assert_eq!(cancelled["data"]["cancelOrder"]["order"]["status"], "CANCELLED", "{cancelled:#}");
        assert!(cancelled["data"]["cancelOrder"]["order"]["cancelledAt"].is_string());
        assert_eq!(stock(&app, &tea).await, 10);

        let again = app.post_as(Some(&ann), CANCEL, json!({ "id": id })).await;
        assert_eq!(again["data"]["cancelOrder"], json!({ "order": null, "userErrors": [{ "field": ["orderId"], "code": "ALREADY_CANCELLED" }] }));
        assert_eq!(stock(&app, &tea).await, 10, "units go back once");
        assert_eq!(order(&app, &id).await["lines"].as_array().unwrap().len(), 2, "the cancelled order keeps its lines");
    }

    /// Under concurrency — every order cancelled four times at once while
    /// other carts check out the same product — each order's units go back
    /// exactly once and stock never drifts: stock plus units in placed
    /// orders is what the shop started with.
    async fn concurrent_cancels_and_checkouts_keep_stock_exact(app) {
        let lamp = app.create_product("Lamp", "30.00", 20).await;
        let mut placed = Vec::new();
        let mut waiting = Vec::new();
        for i in 0..16 {
            let customer = app.create_customer(&format!("c{i}@example.com"), "Buyer").await;
            let cart = app.create_cart(&customer, &[(&lamp, 1)]).await;
            if i < 8 { placed.push(check_out(&app, &cart).await) } else { waiting.push(cart) }
        }
        assert_eq!(stock(&app, &lamp).await, 12);
        let mut requests = Vec::new();
        for id in &placed {
            for _ in 0..4 {
                requests.push((CANCEL, json!({ "id": id })));
            }
        }
        for cart in &waiting {
            requests.push((CHECKOUT, json!({ "cart": cart })));
        }
        let responses = app.post_concurrently(requests).await;
        let cancels = &responses[..placed.len() * 4];
        assert!(responses.iter().all(|response| response.get("errors").is_none()), "{responses:#?}");
        let done = cancels.iter().filter(|r| r["data"]["cancelOrder"]["order"].is_object()).count();
        let refused = cancels.iter().filter(|r| r["data"]["cancelOrder"]["userErrors"][0]["code"] == "ALREADY_CANCELLED").count();
        assert_eq!((done, refused), (8, 24), "each order cancelled once");
        let checkouts = responses[placed.len() * 4..].iter().filter(|r| r["data"]["checkout"]["order"].is_object()).count();
        assert_eq!(checkouts, 8, "stock was there for every waiting cart");
        let in_placed = app.count_rows(r#""order" WHERE status = 'PLACED'"#).await;
        assert_eq!(in_placed, 8);
        assert_eq!(stock(&app, &lamp).await + in_placed, 20, "no unit lost or made");
    }
}

engine_tests! {
    /// Staff list every order with filters (customers, status, placed
    /// window) and figures over the list; customers may not.
    async fn staff_list_orders_with_filters_and_figures(app) {
        let tea = app.create_product("Tea", "4.50", 100).await;
        let ann = app.create_customer("ann@example.com", "Ann").await;
        let bob = app.create_customer("bob@example.com", "Bob").await;
        let mut ids = Vec::new();
        for (customer, quantity) in [(&ann, 1), (&ann, 2), (&bob, 4)] {
            let cart = app.create_cart(customer, &[(&tea, quantity)]).await;
            ids.push(check_out(&app, &cart).await);
        }
        app.ok(CANCEL, json!({ "id": ids[1] })).await;
        let list = "query($filter: OrderFilter) { orders(filter: $filter, first: 10) { totalCount nodes { id } aggregate { count revenue { sum { amount } avg { amount } } } } }";
        let all = app.ok(list, json!({})).await["orders"].clone();
        assert_eq!(all["totalCount"], 3);
        assert_eq!(all["nodes"][0]["id"], json!(ids[2]), "newest first");
        assert_eq!(all["aggregate"], json!({ "count": 3, "revenue": { "sum": { "amount": "31.50" }, "avg": { "amount": "10.50" } } }));
        let sold = app.ok(list, json!({ "filter": { "status": "PLACED" } })).await["orders"].clone();
        assert_eq!(sold["aggregate"]["revenue"]["sum"]["amount"], "22.50", "cancelled orders left out");
        let anns = app.ok(list, json!({ "filter": { "customerIds": [ann], "not": { "status": "CANCELLED" } } })).await["orders"].clone();
        assert_eq!(anns["nodes"], json!([{ "id": ids[0] }]));
        let future = app.ok(list, json!({ "filter": { "placedAfter": "2999-01-01T00:00:00Z" } })).await["orders"].clone();
        assert_eq!(future["aggregate"], json!({ "count": 0, "revenue": { "sum": { "amount": "0.00" }, "avg": null } }));
        let past = app.ok(list, json!({ "filter": { "placedBefore": "2999-01-01T00:00:00Z" } })).await["orders"].clone();
        assert_eq!(past["totalCount"], 3);

        let (token, _) = app.sign_up("carl@example.com").await;
        let refused = app.post_as(Some(&token), list, json!({})).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused:#}");
        assert_eq!(refused["data"], Value::Null, "orders is non-null: nothing else to show");
        let anonymous = app.post_as(None, list, json!({})).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
}

engine_tests! {
    /// `orderUpdated` sends the order when it is cancelled; another
    /// customer's order cannot be watched (it reads as missing).
    async fn order_updated_follows_a_cancellation(app) {
        let tea = app.create_product("Tea", "4.50", 10).await;
        let (ann, ann_id) = app.sign_up("ann@example.com").await;
        let (bob, _) = app.sign_up("bob@example.com").await;
        let cart = app.create_cart(&ann_id, &[(&tea, 1)]).await;
        let id = check_out(&app, &cart).await;
        let watch = "subscription($id: ID!) { orderUpdated(orderId: $id) { id status lines { productName } } }";

        let mut intruder = crate::support::ws::WsClient::connect(&app.url("/graphql"), Some(&bob)).await;
        intruder.subscribe("1", watch, json!({ "id": id })).await;
        let refused = intruder.next_payload().await;
        let errors = match refused["type"].as_str() {
            Some("error") => &refused["payload"],
            _ => &refused["payload"]["errors"],
        };
        assert!(errors[0]["message"].as_str().unwrap().contains("names no order"), "{refused:#}");

        let mut socket = crate::support::ws::WsClient::connect(&app.url("/graphql"), Some(&ann)).await;
        socket.subscribe("1", watch, json!({ "id": id })).await;
        app.wait_for_subscriptions(1).await;
        app.post_as(Some(&ann), CANCEL, json!({ "id": id })).await;
        let event = socket.next_payload().await;
        assert_eq!(
            event["payload"]["data"]["orderUpdated"],
            json!({ "id": id, "status": "CANCELLED", "lines": [{ "productName": "Tea" }] }),
            "{event:#}"
        );
    }
}

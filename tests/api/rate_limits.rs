//! Rate limits: each client's allowance of cost points, spent by what its
//! operations cost on every transport, and the throttles on logins.

use serde_json::{Value, json};

use crate::support::ws::{WsClient, ws_answer_code};
use crate::support::{Engine, TestApp, client, engine_tests, free_address, metric};

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {response:#}"))
}

engine_tests! {
    /// A password check costs 5,000 of the 20,000 budget: a request holds
    /// four at most. Failed logins are throttled per email (10 in a burst)
    /// and per client address (30), before any hashing.
    async fn log_in_is_costed_and_throttled(app) {
        app.sign_up("target@example.com").await;
        let guesses: String = (0..5)
            .map(|i| format!("g{i}: logIn(email: \"target@example.com\", password: \"guess number {i}\") {{ token }} "))
            .collect();
        let response = app.post_as(None, &format!("mutation {{ {guesses} }}"), json!({})).await;
        assert_eq!(code(&response), "QUERY_TOO_COMPLEX", "{response:#}");

        let log_in = "mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { token userErrors { code } } }";
        for i in 0..10 {
            let wrong = app.post_as(None, log_in, json!({ "email": "target@example.com", "password": format!("wrong guess {i}") })).await;
            assert_eq!(wrong["data"]["logIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS", "{wrong:#}");
        }
        let right = app.post_as(None, log_in, json!({ "email": "Target@example.com", "password": "correct horse battery" })).await;
        assert_eq!(right["data"]["logIn"]["userErrors"][0]["code"], "THROTTLED", "even the right password waits: {right:#}");
        assert_eq!(right["data"]["logIn"]["token"], Value::Null);
        // Other emails from this address still get through, up to the
        // address's own limit of 30 attempts (the sign-up, 10 failures, then
        // these 18 and one more; it refills one every 10 s, so a slow run
        // may allow a couple more).
        for i in 0..18 {
            let other = app.post_as(None, log_in, json!({ "email": format!("nobody{i}@example.com"), "password": "whatever it is" })).await;
            assert_eq!(other["data"]["logIn"]["userErrors"][0]["code"], "INVALID_CREDENTIALS", "{i}: {other:#}");
        }
        let mut throttled = false;
        for i in 0..4 {
            let next = app.post_as(None, log_in, json!({ "email": format!("someone{i}@example.com"), "password": "whatever it is" })).await;
            if next["data"]["logIn"]["userErrors"][0]["code"] == "THROTTLED" {
                throttled = true;
                break;
            }
        }
        assert!(throttled, "the address is throttled after about 30 failures");
    }
}

/// One client that cannot afford a request gets 429 with `Retry-After`
/// and code `THROTTLED`, and nothing of it runs; every response says what
/// it cost and what is left; other clients are untouched; and the
/// WebSocket path is charged to the same allowance.
#[tokio::test]
async fn clients_over_their_rate_limit_get_429_and_nothing_runs() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.rate_limit_points = 20_000;
        // Slow enough that nothing comes back while the test runs.
        config.rate_limit_restore = 1;
    })
    .await;
    let product = app.create_product("Rationed", "1.00", 5).await;
    let (token, customer) = app.sign_up("rationed@example.com").await;
    // An established account, which spends only its own allowance (a new
    // one also draws on its address's: `new_accounts_spend_from_their_address_too`).
    {
        use sea_orm::ConnectionTrait;
        app.db()
            .await
            .execute_unprepared("UPDATE customer SET created_at = '2020-01-01T00:00:00Z' WHERE email = 'rationed@example.com'")
            .await
            .unwrap();
    }
    let shopper = client(Some(&token));
    let send = |query: &'static str, variables: Value| {
        let (shopper, url) = (shopper.clone(), app.url("/graphql"));
        async move {
            let response = shopper
                .post(url)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|value| value.to_str().unwrap().parse::<u64>().unwrap());
            (status, retry_after, response.json::<Value>().await.unwrap())
        }
    };
    let read = "{ products(first: 100) { nodes { id name description } } }";
    let (status, _, first) = send(read, json!({})).await;
    assert_eq!(status, 200, "{first:#}");
    let cost = &first["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_f64().unwrap();
    assert!(requested > 100.0, "a page of 100 costs per item: {cost}");
    assert_eq!(cost["actualQueryCost"], cost["requestedQueryCost"]);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 20_000.0);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 1.0);
    let available = cost["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    assert!(
        (20_000.0 - requested..20_000.0 - requested + 5.0).contains(&available),
        "the request was charged: {cost}"
    );
    // Spend the rest; the request that no longer fits is refused.
    let mut served = 1;
    let (retry_after, refused) = loop {
        let (status, retry_after, response) = send(read, json!({})).await;
        if status == 429 {
            break (retry_after, response);
        }
        assert_eq!(status, 200, "{response:#}");
        served += 1;
        assert!(served < 200, "never throttled");
    };
    assert_eq!(
        served,
        (20_000.0 / requested) as usize,
        "as many as the allowance covers"
    );
    assert!(retry_after.is_some_and(|seconds| seconds >= 1));
    assert_eq!(code(&refused), "THROTTLED", "{refused:#}");
    assert!(refused.get("data").is_none(), "nothing ran: {refused:#}");
    assert_eq!(
        refused["errors"][0]["extensions"]["retryAfter"].as_u64(),
        retry_after
    );
    // A mutation of the same client that costs more than is left runs
    // nothing either.
    let carts = app.count_rows("cart").await;
    let (status, _, response) = send(
        "mutation($c: ID!, $p: ID!) { createCart(customerId: $c, lines: [{ productId: $p, quantity: 1 }]) { cart { id customer { carts(first: 100) { nodes { id lines { quantity } } } } } } }",
        json!({ "c": customer, "p": product }),
    )
    .await;
    assert_eq!(status, 429, "{response:#}");
    assert_eq!(app.count_rows("cart").await, carts);
    // Over WebSocket, the same allowance.
    let mut socket = WsClient::connect(&app.url("/graphql"), Some(&token)).await;
    socket.subscribe("1", read, json!({})).await;
    assert_eq!(ws_answer_code(&mut socket).await, "THROTTLED");
    // Staff and anonymous clients have allowances of their own.
    let staff = app.post(read, json!({})).await;
    assert!(staff.get("errors").is_none(), "{staff:#}");
    let anonymous = app.post_as(None, read, json!({})).await;
    assert!(anonymous.get("errors").is_none(), "{anonymous:#}");
}

/// A client already in debt is refused before its document is parsed:
/// its new documents cost no parse and take no room among the parsed
/// documents (before, each was parsed first: a unique 5,000-token
/// document is 20 times the CPU of a small one), and one that would not
/// even parse is refused `THROTTLED`, not reported as a syntax error.
#[tokio::test]
async fn clients_in_debt_are_refused_before_their_documents_are_parsed() {
    // A customer's cart of 100 lines, made on a server without limits; a
    // second server on the same database, whose allowances are 300 points.
    const SECRET: &str = "a token secret both servers share, 32+ bytes";
    let unlimited = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.token_secret = Some(SECRET.to_owned())
    })
    .await;
    let mut products = Vec::new();
    for chunk in 0..4 {
        let creates: String = (0..25)
            .map(|i| format!("p{i}: createProduct(input: {{ name: \"Debt {chunk}-{i}\", price: \"1.00\", stock: 5 }}) {{ product {{ id }} }} "))
            .collect();
        let created = unlimited
            .ok(&format!("mutation {{ {creates} }}"), json!({}))
            .await;
        products.extend((0..25).map(|i| {
            created[format!("p{i}")]["product"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let (token, customer) = unlimited.sign_up("debtor@example.com").await;
    let lines: Vec<(&str, i32)> = products.iter().map(|id| (id.as_str(), 1)).collect();
    let cart = unlimited.create_cart(&customer, &lines).await;
    let metrics = free_address();
    let app = TestApp::start_on(&unlimited, |config| {
        config.token_secret = Some(SECRET.to_owned());
        config.max_complexity = 300;
        config.rate_limit_points = 300;
        config.rate_limit_restore = 1;
        config.metrics_listen = Some(metrics);
    })
    .await;

    // The read is estimated at 10 lines and charged for the 90 beyond (two
    // points each: the line and its product): the second leaves the
    // customer about 100 points in debt.
    let mut left = 0.0;
    for _ in 0..2 {
        let read = app
            .post_as(
                Some(&token),
                "query($id: ID!) { cart(id: $id) { subtotal { amount } } }",
                json!({ "id": cart }),
            )
            .await;
        assert_eq!(
            read["data"]["cart"]["subtotal"]["amount"], "100.00",
            "{read:#}"
        );
        left = read["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_f64()
            .unwrap();
    }
    assert_eq!(left, 0.0, "nothing left (a debt shows as none)");
    let parsed = metric(metrics, "parsed_documents").await;
    assert_eq!(parsed, 1.0, "the read, parsed once");

    for i in 0..50 {
        let unique = format!("query Unique{i} {{ products(first: {i}) {{ totalCount }} }}");
        let response = app.post_as(Some(&token), &unique, json!({})).await;
        assert_eq!(code(&response), "THROTTLED", "{response:#}");
    }
    let broken = app
        .post_as(Some(&token), "query Broken { products { ", json!({}))
        .await;
    assert_eq!(code(&broken), "THROTTLED", "refused unparsed: {broken:#}");
    assert!(
        broken["errors"][0]["extensions"]["retryAfter"].as_u64() > Some(50),
        "the debt takes its time to repay: {broken:#}"
    );
    assert_eq!(metric(metrics, "parsed_documents").await, parsed);
}

/// Each event a subscription delivers runs its selection again, and is
/// charged to the subscriber like a request: when the allowance cannot
/// pay, the event is `THROTTLED` and the subscription completes. Before,
/// events were free: one socket could make the server refetch without end.
#[tokio::test]
async fn subscription_events_are_charged_and_end_when_unpaid() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.max_complexity = 100;
        config.rate_limit_points = 100;
        config.rate_limit_restore = 1;
    })
    .await;
    let product = app.create_product("Kettle", "20.00", 3).await;
    let mut socket = WsClient::connect(&app.url("/graphql"), None).await;
    socket
        .subscribe(
            "1",
            "subscription($id: ID!) { productUpdated(productId: $id) { id name description stock price { amount currencyCode } } }",
            json!({ "id": product }),
        )
        .await;
    app.wait_for_subscriptions(1).await;
    let mut delivered = 0;
    let mut throttled = false;
    for stock in 0..20 {
        let update = app
            .post(
                "mutation($id: ID!, $stock: Int!) { updateProduct(id: $id, input: { stock: $stock }) { userErrors { code } } }",
                json!({ "id": product, "stock": stock }),
            )
            .await;
        assert_eq!(
            update["data"]["updateProduct"]["userErrors"],
            json!([]),
            "{update:#}"
        );
        let event = socket.next_payload().await;
        if event["payload"]["data"]["productUpdated"]["stock"] == stock {
            delivered += 1;
            continue;
        }
        assert_eq!(
            crate::support::ws::ws_error_code(&event),
            "THROTTLED",
            "{event:#}"
        );
        throttled = true;
        break;
    }
    assert!(
        throttled,
        "20 events of a 7-point selection on a 100-point allowance"
    );
    assert!(
        (5..20).contains(&delivered),
        "paid events arrive first: {delivered}"
    );
    let complete = socket.next_payload().await;
    assert_eq!(
        complete["type"], "complete",
        "the subscription ends: {complete:#}"
    );
}

/// The cost model charges work, not fields: a computed field costs the
/// rows it reads (`totalQuantity` a point per line, `subtotal` two: the
/// line and its product), and a mutation the rows it writes (5 points
/// each). Before, `subtotal totalQuantity` over any cart cost 2 points,
/// and `createCart` with 250 lines cost what it selected.
#[tokio::test]
async fn computed_fields_cost_the_rows_they_read_and_mutations_the_rows_they_write() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.rate_limit_points = 20_000;
        config.rate_limit_restore = 1;
    })
    .await;
    let customer = app.create_customer("counted@example.com", "Counted").await;
    let mut products = Vec::new();
    for i in 0..30 {
        products.push(
            app.create_product(&format!("Counted {i}"), "1.00", 10)
                .await,
        );
    }
    let lines: Vec<Value> = products
        .iter()
        .map(|product| json!({ "productId": product, "quantity": 1 }))
        .collect();
    let created = app
        .post(
            "mutation($customer: ID!, $lines: [CartLineInput!]) { createCart(customerId: $customer, lines: $lines) { cart { id } userErrors { code } } }",
            json!({ "customer": customer, "lines": lines }),
        )
        .await;
    let requested = created["extensions"]["cost"]["requestedQueryCost"]
        .as_f64()
        .unwrap();
    assert!(
        requested >= 5.0 * 31.0,
        "one cart and 30 lines written: {requested}"
    );
    let cart = created["data"]["createCart"]["cart"]["id"].clone();

    let read = app
        .post(
            "query($id: ID!) { cart(id: $id) { totalQuantity subtotal { amount } } }",
            json!({ "id": cart }),
        )
        .await;
    assert_eq!(read["data"]["cart"]["totalQuantity"], 30, "{read:#}");
    let cost = &read["extensions"]["cost"];
    let (requested, actual) = (
        cost["requestedQueryCost"].as_f64().unwrap(),
        cost["actualQueryCost"].as_f64().unwrap(),
    );
    assert!(
        requested >= 30.0,
        "10 lines estimated, 3 points each: {cost}"
    );
    assert_eq!(
        actual - requested,
        20.0 * 3.0,
        "the 20 lines beyond the estimate: {cost}"
    );
}

/// A customer holds a bounded number of open carts
/// (`--max-open-carts-per-customer`); checked-out carts do not count.
#[tokio::test]
async fn a_customer_holds_a_bounded_number_of_open_carts() {
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.max_open_carts_per_customer = 2
    })
    .await;
    let customer = app.create_customer("many@example.com", "Many Carts").await;
    app.create_cart(&customer, &[]).await;
    app.create_cart(&customer, &[]).await;
    let third = app
        .post(
            "mutation($customer: ID!) { createCart(customerId: $customer) { cart { id } userErrors { field code } } }",
            json!({ "customer": customer }),
        )
        .await;
    assert_eq!(
        third["data"]["createCart"]["cart"],
        Value::Null,
        "{third:#}"
    );
    assert_eq!(
        third["data"]["createCart"]["userErrors"][0]["code"], "TOO_MANY",
        "{third:#}"
    );
    assert_eq!(app.count_rows("cart").await, 2, "nothing was written");
}

/// An account younger than a day spends from its address's allowance as
/// well as its own, so signing up more accounts from one address does not
/// multiply what the address may spend (seven sign-ups once spent 7.6
/// times one client's budget); older accounts spend only their own.
#[tokio::test]
async fn new_accounts_spend_from_their_address_too() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn_with(Engine::Sqlite, |config| {
        config.rate_limit_points = 20_000;
        config.rate_limit_restore = 1;
    })
    .await;
    // Three sign-ups from one address: about 15,000 of its 20,000 points.
    let (a, _) = app.sign_up("new-a@example.com").await;
    let (b, _) = app.sign_up("new-b@example.com").await;
    let (c, _) = app.sign_up("old-c@example.com").await;
    app.db()
        .await
        .execute_unprepared("UPDATE customer SET created_at = '2020-01-01T00:00:00Z' WHERE email = 'old-c@example.com'")
        .await
        .unwrap();
    // Ten pages of 100 products: 3,010 points.
    let costly: String = (0..10)
        .map(|i| format!("p{i}: products(first: 100) {{ nodes {{ id name }} }} "))
        .collect();
    let costly = format!("{{ {costly}}}");
    let status = |token: String| {
        let (url, query) = (app.url("/graphql"), costly.clone());
        async move {
            client(Some(&token))
                .post(url)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        status(a).await,
        200,
        "the first new account spends the address's last 3,010"
    );
    assert_eq!(
        status(b).await,
        429,
        "the second finds the address spent, whatever its own bucket holds"
    );
    assert_eq!(
        status(c).await,
        200,
        "an account older than a day spends its own"
    );
}

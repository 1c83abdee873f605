//! Checkout that charges what the cart showed: shipping, tax and discount
//! codes, snapshotted on the order; codes used exactly as often as they
//! allow under racing buyers; constant statements whatever the lines.

use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

const CART: &str = "query($id: ID!) { cart(id: $id) { shippingRate { title } discountCodes { code applicable reason } cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } } } }";
const CHECKOUT: &str = "mutation($cart: ID!, $key: String) { checkout(cartId: $cart, idempotencyKey: $key) {
  order { id email shippingAddress { city provinceCode } shippingLine { title price { amount } tax { amount } }
    discountCodes { code applied } taxLines { title rate amount { amount } }
    cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } taxesIncluded }
    lines { productName total { amount } discountAllocation { amount } tax { amount } } }
  userErrors { field code message } } }";
/// Checkout answering only what the order row holds: the statements
/// counted are the checkout's own.
const CHECKOUT_ORDER_ONLY: &str = "mutation($cart: ID!, $key: String) { checkout(cartId: $cart, idempotencyKey: $key) {
  order { shippingLine { title } discountCodes { code applied } cost { tax { amount } } } userErrors { code } } }";
const SET_ADDRESS: &str = "mutation($cart: ID!, $address: MailingAddressInput!) { setCartShippingAddress(cartId: $cart, address: $address) { userErrors { code } } }";
const SELECT: &str = "mutation($cart: ID!, $rate: ID!) { selectCartShippingRate(cartId: $cart, shippingRateId: $rate) { cart { shippingRate { title } } userErrors { code } } }";
const APPLY: &str = "mutation($cart: ID!, $code: String!) { applyCartDiscountCode(cartId: $cart, code: $code) { cart { discountCodes { code applicable } } userErrors { code } } }";
const CODE: &str = "mutation($input: DiscountCodeInput!) { createDiscountCode(input: $input) { discountCode { id } userErrors { field code message } } }";

fn illinois() -> Value {
    json!({ "address1": "1 Main St", "city": "Springfield", "provinceCode": "IL", "zip": "62701", "countryCode": "US" })
}

/// The US zone (Standard $4.90 up to $49.99, Free from $50) and its taxes
/// (5%, Illinois 8.25%); returns (Standard's id, Free's id).
async fn us_shipping_and_tax(app: &TestApp) -> (String, String) {
    let input = json!({ "name": "US", "countryCodes": ["US"], "rates": [
        { "title": "Standard", "price": "4.90", "maxSubtotal": "49.99" },
        { "title": "Free", "price": "0", "minSubtotal": "50" } ] });
    let made = app.ok("mutation($input: ShippingZoneInput!) { createShippingZone(input: $input) { shippingZone { rates { id } } } }", json!({ "input": input })).await;
    let rates = &made["createShippingZone"]["shippingZone"]["rates"];
    for input in [
        json!({ "countryCode": "US", "rate": "5", "title": "US tax" }),
        json!({ "countryCode": "US", "provinceCode": "IL", "rate": "8.25", "title": "Illinois sales tax" }),
    ] {
        let set = app.ok("mutation($input: TaxRateInput!) { setTaxRate(input: $input) { userErrors { code } } }", json!({ "input": input })).await;
        assert_eq!(set["setTaxRate"]["userErrors"], json!([]));
    }
    (
        rates[0]["id"].as_str().unwrap().to_owned(),
        rates[1]["id"].as_str().unwrap().to_owned(),
    )
}

async fn create_code(app: &TestApp, input: Value) -> String {
    let made = app.ok(CODE, json!({ "input": input })).await;
    assert_eq!(
        made["createDiscountCode"]["userErrors"],
        json!([]),
        "{made:#}"
    );
    made["createDiscountCode"]["discountCode"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn amounts(cost: &Value) -> Vec<Value> {
    ["subtotal", "discount", "shipping", "tax", "total"]
        .iter()
        .map(|part| cost[part]["amount"].clone())
        .collect()
}

fn sum(lines: &Value, field: &str) -> f64 {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            line[field]["amount"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum()
}

engine_tests! {
    /// A cart with an address, a rate, a tax and a code checks out for what
    /// its cost said; the order keeps every part, split across its lines,
    /// and later changes to rates, taxes and codes leave it as it was.
    async fn checkout_charges_what_the_cart_showed(app) {
        let (standard, free) = us_shipping_and_tax(&app).await;
        create_code(&app, json!({ "code": "SAVE10", "kind": "PERCENTAGE", "value": "10" })).await;
        let customer = app.create_customer("buyer@example.com", "Buyer").await;
        let mug = app.create_shipped_product("Mug", "10.50", 10).await;
        let pot = app.create_shipped_product("Pot", "30.00", 10).await;
        let cart = app.create_cart(&customer, &[(&mug, 2), (&pot, 1)]).await;

        let refused = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        assert_eq!(refused["checkout"]["userErrors"][0]["code"], "MISSING_SHIPPING_ADDRESS", "{refused:#}");
        app.ok(SET_ADDRESS, json!({ "cart": cart, "address": illinois() })).await;
        let refused = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        assert_eq!(refused["checkout"]["userErrors"][0]["code"], "NO_SHIPPING_RATE", "{refused:#}");
        // $51.00 ships free; the code takes it under $50, so Free stops
        // applying (its bound is on the discounted subtotal) and is dropped.
        let chosen = app.ok(SELECT, json!({ "cart": cart, "rate": free })).await;
        assert_eq!(chosen["selectCartShippingRate"]["cart"]["shippingRate"]["title"], "Free");
        app.ok(APPLY, json!({ "cart": cart, "code": "save10" })).await;
        let read = app.ok(CART, json!({ "id": cart })).await;
        assert_eq!(read["cart"]["shippingRate"], Value::Null, "{read:#}");
        let refused = app.ok(CHECKOUT, json!({ "cart": cart })).await;
        assert_eq!(refused["checkout"]["userErrors"][0]["code"], "NO_SHIPPING_RATE", "{refused:#}");
        let chosen = app.ok(SELECT, json!({ "cart": cart, "rate": standard })).await;
        assert_eq!(chosen["selectCartShippingRate"]["userErrors"], json!([]), "{chosen:#}");
        let read = app.ok(CART, json!({ "id": cart })).await;
        // 21.00 + 30.00; 10% per line: 2.10 + 3.00; 8.25% of 45.90 is
        // 3.78675, so 3.79; 51.00 − 5.10 + 4.90 + 3.79.
        let expected = json!(["51.00", "5.10", "4.90", "3.79", "54.59"]);
        assert_eq!(json!(amounts(&read["cart"]["cost"])), expected);
        assert_eq!(app.count_rows("product_variant WHERE stock = 10").await, 2, "refusals took nothing");

        let placed = app.ok(CHECKOUT, json!({ "cart": cart, "key": "k1" })).await;
        assert_eq!(placed["checkout"]["userErrors"], json!([]), "{placed:#}");
        let order = placed["checkout"]["order"].clone();
        assert_eq!(json!(amounts(&order["cost"])), expected, "the order charges what the cart showed");
        assert_eq!(order["cost"]["taxesIncluded"], false);
        assert_eq!(order["email"], "buyer@example.com");
        assert_eq!(order["shippingAddress"], json!({ "city": "Springfield", "provinceCode": "IL" }));
        assert_eq!(order["shippingLine"], json!({ "title": "Standard", "price": { "amount": "4.90" }, "tax": { "amount": "0.00" } }));
        assert_eq!(order["discountCodes"], json!([{ "code": "SAVE10", "applied": true }]));
        assert_eq!(order["taxLines"], json!([{ "title": "Illinois sales tax", "rate": "8.25", "amount": { "amount": "3.79" } }]));
        assert!((sum(&order["lines"], "discountAllocation") - 5.10).abs() < 1e-9, "{order:#}");
        assert!((sum(&order["lines"], "tax") - 3.79).abs() < 1e-9, "{order:#}");

        // Staff change the rates, the tax and the code: the order stays.
        app.ok("mutation { setTaxRate(input: { countryCode: \"US\", provinceCode: \"IL\", rate: \"10\", title: \"New tax\" }) { userErrors { code } } }", json!({})).await;
        let codes = app.ok("{ discountCodes(first: 5) { nodes { id } } }", json!({})).await;
        let code_id = codes["discountCodes"]["nodes"][0]["id"].clone();
        app.ok("mutation($id: ID!) { deleteDiscountCode(id: $id) { userErrors { code } } }", json!({ "id": code_id })).await;
        let replay = app.ok(CHECKOUT, json!({ "cart": cart, "key": "k1" })).await;
        assert_eq!(replay["checkout"]["order"], order, "a replay answers the same order, the same totals");
        let read = app.ok("query($id: ID!) { order(id: $id) { cost { total { amount } } taxLines { title } discountCodes { code } } }", json!({ "id": order["id"] })).await;
        assert_eq!(read["order"]["cost"]["total"]["amount"], "54.59");
        assert_eq!(read["order"]["taxLines"][0]["title"], "Illinois sales tax");
        assert_eq!(read["order"]["discountCodes"][0]["code"], "SAVE10");
    }

    /// 32 buyers race to check out with a code of 5 uses: exactly 5 orders
    /// carry it, the others are refused and keep their stock.
    async fn a_code_with_five_uses_is_used_exactly_five_times(app) {
        create_code(&app, json!({ "code": "FIVE", "kind": "FIXED_AMOUNT", "value": "1", "usageLimit": 5 })).await;
        let mug = app.create_product("Mug", "10.00", 100).await;
        let mut carts = Vec::new();
        for i in 0..32 {
            let customer = app.create_customer(&format!("racer{i}@example.com"), "Racer").await;
            let cart = app.create_cart(&customer, &[(&mug, 1)]).await;
            let applied = app.ok(APPLY, json!({ "cart": cart, "code": "FIVE" })).await;
            assert_eq!(applied["applyCartDiscountCode"]["cart"]["discountCodes"][0]["applicable"], true);
            carts.push(cart);
        }
        let checkouts = carts.iter().map(|cart| app.post(CHECKOUT, json!({ "cart": cart })));
        let answers = futures_util::future::join_all(checkouts).await;
        let placed = answers.iter().filter(|answer| answer["data"]["checkout"]["order"].is_object()).count();
        let refused = answers.iter().filter(|answer| answer["data"]["checkout"]["userErrors"][0]["code"] == "DISCOUNT_CODE_UNAVAILABLE").count();
        assert_eq!((placed, refused), (5, 27), "{answers:#?}");
        assert_eq!(app.count_rows("\"order\" WHERE discount = 100").await, 5, "exactly 5 orders carry it");
        assert_eq!(app.count_rows("discount_code WHERE used_count = 5").await, 1);
        assert_eq!(app.count_rows("product_variant WHERE stock = 95").await, 1, "the refused kept no stock");
        assert_eq!(app.count_rows("cart WHERE checked_out_at IS NULL").await, 27, "and their carts are open");
        let cart = app.ok(CART, json!({ "id": carts.iter().find(|cart| {
            answers[carts.iter().position(|c| c == *cart).unwrap()]["data"]["checkout"]["order"].is_null()
        }).unwrap() })).await;
        assert_eq!(cart["cart"]["discountCodes"][0]["applicable"], false, "{cart:#}");
    }

    /// A code for once per customer: a customer's second order cannot use
    /// it, even when both check out at once, nor can a guest with their
    /// email; another customer can.
    async fn a_once_per_customer_code_is_used_once_per_customer(app) {
        create_code(&app, json!({ "code": "WELCOME", "kind": "PERCENTAGE", "value": "20", "oncePerCustomer": true })).await;
        let mug = app.create_product("Mug", "10.00", 100).await;
        let ada = app.create_customer("ada@example.com", "Ada").await;
        let first = app.create_cart(&ada, &[(&mug, 1)]).await;
        let second = app.create_cart(&ada, &[(&mug, 1)]).await;
        for cart in [&first, &second] {
            app.ok(APPLY, json!({ "cart": cart, "code": "WELCOME" })).await;
        }
        let answers = futures_util::future::join_all([&first, &second].map(|cart| app.post(CHECKOUT, json!({ "cart": cart })))).await;
        let discount = |answer: &Value| answer["data"]["checkout"]["order"]["cost"]["discount"]["amount"].clone();
        assert_eq!(answers.iter().filter(|answer| discount(answer) == "2.00").count(), 1, "exactly one order carries it: {answers:#?}");
        // The other checkout either saw the use (and charged the full
        // price, as its cart then showed) or lost the race for it (and was
        // refused, changing nothing).
        let other = answers.iter().position(|answer| discount(answer) != "2.00").unwrap();
        let loser = [&first, &second][other];
        if answers[other]["data"]["checkout"]["order"].is_null() {
            assert_eq!(answers[other]["data"]["checkout"]["userErrors"][0]["code"], "DISCOUNT_CODE_UNAVAILABLE", "{answers:#?}");
            let read = app.ok(CART, json!({ "id": loser })).await;
            assert_eq!(read["cart"]["discountCodes"], json!([{ "code": "WELCOME", "applicable": false, "reason": "You have already used this code" }]));
            assert_eq!(read["cart"]["cost"]["total"]["amount"], "10.00");
            let again = app.ok(CHECKOUT, json!({ "cart": loser })).await;
            assert_eq!(discount(&json!({ "data": again })), "0.00", "{again:#}");
        } else {
            assert_eq!(discount(&answers[other]), "0.00", "{answers:#?}");
            assert_eq!(answers[other]["data"]["checkout"]["order"]["discountCodes"], json!([{ "code": "WELCOME", "applied": false }]));
        }
        // A third cart of Ada's shows it used.
        let third = app.create_cart(&ada, &[(&mug, 1)]).await;
        let applied = app.ok(APPLY, json!({ "cart": third, "code": "WELCOME" })).await;
        assert_eq!(applied["applyCartDiscountCode"]["cart"]["discountCodes"][0]["applicable"], false, "{applied:#}");

        // A guest with Ada's email has used it too.
        let created = app.post_as(None, "mutation($m: ID!) { createCart(lines: [{ productId: $m, quantity: 1 }]) { cart { id } cartToken } }", json!({ "m": mug })).await;
        let (guest_cart, token) = (created["data"]["createCart"]["cart"]["id"].clone(), created["data"]["createCart"]["cartToken"].as_str().unwrap().to_owned());
        let guest = |query: &'static str, variables: Value| {
            let request = reqwest::Client::new().post(app.url("/graphql")).header("x-cart-token", token.clone())
                .json(&json!({ "query": query, "variables": variables }));
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        guest("mutation($c: ID!) { setCartEmail(cartId: $c, email: \"ADA@example.com\") { userErrors { code } } }", json!({ "c": guest_cart })).await;
        guest(APPLY, json!({ "cart": guest_cart, "code": "WELCOME" })).await;
        let read = guest(CART, json!({ "id": guest_cart })).await;
        assert_eq!(read["data"]["cart"]["discountCodes"][0]["reason"], "You have already used this code", "{read:#}");

        let bob = app.create_customer("bob@example.com", "Bob").await;
        let theirs = app.create_cart(&bob, &[(&mug, 1)]).await;
        app.ok(APPLY, json!({ "cart": theirs, "code": "WELCOME" })).await;
        let placed = app.ok(CHECKOUT, json!({ "cart": theirs })).await;
        assert_eq!(placed["checkout"]["order"]["cost"]["discount"]["amount"], "2.00", "{placed:#}");
        assert_eq!(app.count_rows("discount_code_use").await, 4, "by account and by email, for each of the two");
    }

    /// With an address, a rate, a tax, a code and an idempotency key,
    /// checkout runs the same few statements for 1 line as for 50 (on
    /// PostgreSQL at most 12).
    async fn a_priced_checkout_runs_constant_statements(app) {
        let (standard, _) = us_shipping_and_tax(&app).await;
        create_code(&app, json!({ "code": "TEN", "kind": "PERCENTAGE", "value": "10", "usageLimit": 100 })).await;
        let mut products = Vec::new();
        for i in 0..50 {
            products.push(app.create_shipped_product(&format!("Item {i}"), "0.50", 5).await);
        }
        let customer = app.create_customer("many@example.com", "Many").await;
        let mut counts = Vec::new();
        for size in [1, 50] {
            let lines: Vec<(&str, i32)> = products[..size].iter().map(|id| (id.as_str(), 1)).collect();
            let cart = app.create_cart(&customer, &lines).await;
            app.ok(SET_ADDRESS, json!({ "cart": cart, "address": illinois() })).await;
            let chosen = app.ok(SELECT, json!({ "cart": cart, "rate": standard })).await;
            assert_eq!(chosen["selectCartShippingRate"]["userErrors"], json!([]), "{chosen:#}");
            app.ok(APPLY, json!({ "cart": cart, "code": "TEN" })).await;
            let before = app.statements();
            let placed = app.ok(CHECKOUT_ORDER_ONLY, json!({ "cart": cart, "key": format!("k{size}") })).await;
            counts.push(app.statements() - before);
            let order = &placed["checkout"]["order"];
            assert_eq!(order["discountCodes"], json!([{ "code": "TEN", "applied": true }]), "{placed:#}");
            assert_eq!(order["shippingLine"]["title"], "Standard");
            assert_ne!(order["cost"]["tax"]["amount"], "0.00");
        }
        eprintln!("{:?}: a priced checkout ran {counts:?} statements for 1 and 50 lines", app.engine);
        assert!(counts[1] <= 12, "at most 12 statements for 50 lines, got {}", counts[1]);
        assert!(counts[1] <= counts[0] + 2, "only the locks in id order are added for several rows: {counts:?}");
    }

    /// A shop whose prices include tax and which taxes shipping (the EU):
    /// the buyer pays the prices; the order shows the tax inside them, and
    /// its parts still add up.
    async fn tax_inclusive_prices_and_taxed_shipping(app) {
        let eu = TestApp::start_on(&app, |config| {
            config.prices_include_tax = true;
            config.tax_shipping = true;
        })
        .await;
        let zone = json!({ "name": "France", "countryCodes": ["FR"], "rates": [{ "title": "Colissimo", "price": "6.00" }] });
        let made = eu.ok("mutation($input: ShippingZoneInput!) { createShippingZone(input: $input) { shippingZone { rates { id } } } }", json!({ "input": zone })).await;
        let rate = made["createShippingZone"]["shippingZone"]["rates"][0]["id"].clone();
        eu.ok("mutation { setTaxRate(input: { countryCode: FR, rate: \"20\", title: \"TVA\" }) { userErrors { code } } }", json!({})).await;
        create_code(&eu, json!({ "code": "DIX", "kind": "PERCENTAGE", "value": "10" })).await;
        let customer = eu.create_customer("client@example.fr", "Client").await;
        let cafe = eu.create_shipped_product("Café", "12.00", 10).await;
        let cart = eu.create_cart(&customer, &[(&cafe, 1)]).await;
        let paris = json!({ "address1": "5 Rue de Rivoli", "city": "Paris", "zip": "75001", "countryCode": "FR" });
        eu.ok(SET_ADDRESS, json!({ "cart": cart, "address": paris })).await;
        eu.ok(SELECT, json!({ "cart": cart, "rate": rate })).await;
        eu.ok(APPLY, json!({ "cart": cart, "code": "DIX" })).await;
        // 12.00 − 1.20 + 6.00 = 16.80 paid; TVA inside: 1.80 on the goods
        // (10.80 / 6), 1.00 on the shipping (6.00 / 6); shown net:
        // 10.00 − 1.00 + 5.00 + 2.80.
        let expected = json!(["10.00", "1.00", "5.00", "2.80", "16.80"]);
        let read = eu.ok(CART, json!({ "id": cart })).await;
        assert_eq!(json!(amounts(&read["cart"]["cost"])), expected, "{read:#}");
        let placed = eu.ok(CHECKOUT, json!({ "cart": cart })).await;
        let order = &placed["checkout"]["order"];
        assert_eq!(json!(amounts(&order["cost"])), expected, "{placed:#}");
        assert_eq!(order["cost"]["taxesIncluded"], true);
        assert_eq!(order["shippingLine"], json!({ "title": "Colissimo", "price": { "amount": "6.00" }, "tax": { "amount": "1.00" } }));
        assert_eq!(order["lines"][0]["tax"]["amount"], "1.80");
        assert_eq!(order["lines"][0]["discountAllocation"]["amount"], "1.20");
    }
}

//! Where a cart ships, before checkout: a guest's email, the address, the
//! rates that apply and the one chosen — on both engines.

use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

const CART: &str = "query($id: ID!) { cart(id: $id) { email shippingAddress { city provinceCode countryCode } shippingRates { title } shippingRate { title } } }";
const SET_EMAIL: &str = "mutation($cart: ID!, $email: String!) { setCartEmail(cartId: $cart, email: $email) { cart { email } userErrors { field code } } }";
const SET_ADDRESS: &str = "mutation($cart: ID!, $address: MailingAddressInput!) { setCartShippingAddress(cartId: $cart, address: $address) { cart { shippingAddress { city } shippingRates { id title price { amount } } } userErrors { field code } } }";
const SELECT: &str = "mutation($cart: ID!, $rate: ID!) { selectCartShippingRate(cartId: $cart, shippingRateId: $rate) { cart { shippingRate { title } } userErrors { field code } } }";

/// POSTs as a guest holding `token`.
async fn as_guest(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let answer: Value = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("x-cart-token", token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.get("errors").is_none(), "{answer:#}");
    answer["data"].clone()
}

fn illinois() -> Value {
    json!({ "address1": "1 Main St", "city": "Springfield", "provinceCode": "IL", "zip": "62701", "countryCode": "US" })
}

/// Two zones: the US (Standard up to $50, Free from $50) and France.
async fn zones(app: &TestApp) -> Vec<(String, String)> {
    let mut rates = Vec::new();
    for input in [
        json!({ "name": "US", "countryCodes": ["US"], "rates": [{ "title": "Standard", "price": "4.90", "maxSubtotal": "49.99" }, { "title": "Free", "price": "0", "minSubtotal": "50" }] }),
        json!({ "name": "France", "countryCodes": ["FR"], "rates": [{ "title": "La Poste", "price": "9" }] }),
    ] {
        let made = app.ok("mutation($input: ShippingZoneInput!) { createShippingZone(input: $input) { shippingZone { rates { id title } } } }", json!({ "input": input })).await;
        for rate in made["createShippingZone"]["shippingZone"]["rates"]
            .as_array()
            .unwrap()
        {
            rates.push((
                rate["title"].as_str().unwrap().to_owned(),
                rate["id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    rates
}

fn rate<'a>(rates: &'a [(String, String)], title: &str) -> &'a str {
    &rates.iter().find(|(name, _)| name == title).unwrap().1
}

engine_tests! {
    /// A guest sets an email and an address; the rates follow the address's
    /// zone and the subtotal; a chosen rate that stops applying reads as
    /// none; a rate of another zone cannot be chosen.
    async fn carts_know_where_they_ship(app) {
        let rates = zones(&app).await;
        let mug = app.create_shipped_product("Mug", "20.00", 100).await;
        let created: Value = reqwest::Client::new().post(app.url("/graphql"))
            .json(&json!({ "query": "mutation($p: ID!) { createCart(lines: [{ productId: $p, quantity: 1 }]) { cart { id } cartToken } }", "variables": { "p": mug } }))
            .send().await.unwrap().json().await.unwrap();
        let cart = created["data"]["createCart"]["cart"]["id"].as_str().unwrap().to_owned();
        let token = created["data"]["createCart"]["cartToken"].as_str().unwrap().to_owned();

        let before = as_guest(&app, &token, CART, json!({ "id": cart })).await;
        assert_eq!(before["cart"], json!({ "email": null, "shippingAddress": null, "shippingRates": [], "shippingRate": null }));
        let early = as_guest(&app, &token, SELECT, json!({ "cart": cart, "rate": rate(&rates, "Standard") })).await;
        assert_eq!(early["selectCartShippingRate"]["userErrors"], json!([{ "field": ["cartId"], "code": "MISSING_SHIPPING_ADDRESS" }]));

        let email = as_guest(&app, &token, SET_EMAIL, json!({ "cart": cart, "email": " Guest@Example.com " })).await;
        assert_eq!(email["setCartEmail"]["cart"]["email"], "guest@example.com");
        let bad_email = as_guest(&app, &token, SET_EMAIL, json!({ "cart": cart, "email": "nope" })).await;
        assert_eq!(bad_email["setCartEmail"]["userErrors"][0]["field"], json!(["email"]));

        let set = as_guest(&app, &token, SET_ADDRESS, json!({ "cart": cart, "address": illinois() })).await;
        let shipping = &set["setCartShippingAddress"]["cart"];
        assert_eq!(shipping["shippingAddress"]["city"], "Springfield");
        assert_eq!(shipping["shippingRates"], json!([{ "id": rate(&rates, "Standard"), "title": "Standard", "price": { "amount": "4.90" } }]), "$20 is under Free's bound");
        let bad = as_guest(&app, &token, SET_ADDRESS, json!({ "cart": cart, "address": { "address1": "x", "city": "y", "countryCode": "US" } })).await;
        assert_eq!(bad["setCartShippingAddress"]["userErrors"], json!([{ "field": ["address", "provinceCode"], "code": "INVALID" }, { "field": ["address", "zip"], "code": "INVALID" }]));

        let chosen = as_guest(&app, &token, SELECT, json!({ "cart": cart, "rate": rate(&rates, "Standard") })).await;
        assert_eq!(chosen["selectCartShippingRate"]["cart"]["shippingRate"]["title"], "Standard");
        let elsewhere = as_guest(&app, &token, SELECT, json!({ "cart": cart, "rate": rate(&rates, "La Poste") })).await;
        assert_eq!(elsewhere["selectCartShippingRate"]["userErrors"], json!([{ "field": ["shippingRateId"], "code": "NOT_FOUND" }]));
        let too_cheap = as_guest(&app, &token, SELECT, json!({ "cart": cart, "rate": rate(&rates, "Free") })).await;
        assert_eq!(too_cheap["selectCartShippingRate"]["userErrors"][0]["code"], "NOT_FOUND", "Free needs $50");

        // Three mugs make $60: Standard no longer applies, Free does.
        as_guest(&app, &token, "mutation($c: ID!, $p: ID!) { updateCartLine(cartId: $c, productId: $p, quantity: 3) { userErrors { code } } }", json!({ "c": cart, "p": mug })).await;
        let after = as_guest(&app, &token, CART, json!({ "id": cart })).await;
        assert_eq!(after["cart"]["shippingRates"], json!([{ "title": "Free" }]));
        assert_eq!(after["cart"]["shippingRate"], Value::Null, "the chosen rate stopped applying");
        let free = as_guest(&app, &token, SELECT, json!({ "cart": cart, "rate": rate(&rates, "Free") })).await;
        assert_eq!(free["selectCartShippingRate"]["cart"]["shippingRate"]["title"], "Free");

        // Shipping to France: that zone's rate.
        let france = json!({ "address1": "5 Rue de Rivoli", "city": "Paris", "countryCode": "FR" });
        let moved = as_guest(&app, &token, SET_ADDRESS, json!({ "cart": cart, "address": france })).await;
        assert_eq!(moved["setCartShippingAddress"]["cart"]["shippingRates"][0]["title"], "La Poste");
        // Nowhere the shop ships: no rates.
        let japan = json!({ "address1": "1-1 Chiyoda", "city": "Tokyo", "countryCode": "JP" });
        let nowhere = as_guest(&app, &token, SET_ADDRESS, json!({ "cart": cart, "address": japan })).await;
        assert_eq!(nowhere["setCartShippingAddress"]["cart"]["shippingRates"], json!([]));

        // Without the cart's token, the cart is nobody's business.
        let stranger: Value = reqwest::Client::new().post(app.url("/graphql"))
            .json(&json!({ "query": SET_EMAIL, "variables": { "cart": cart, "email": "thief@example.com" } }))
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(stranger["data"]["setCartEmail"]["cart"], Value::Null, "{stranger:#}");
        let read = as_guest(&app, &token, CART, json!({ "id": cart })).await;
        assert_eq!(read["cart"]["email"], "guest@example.com");
    }

    /// A customer's cart uses the account's email; a checked-out cart no
    /// longer changes.
    async fn customers_carts_use_the_account_email(app) {
        let (token, customer) = app.sign_up("owner@example.com").await;
        let mug = app.create_product("Mug", "20.00", 100).await;
        let cart = app.create_cart(&customer, &[(&mug, 1)]).await;
        let email = app.post_as(Some(&token), SET_EMAIL, json!({ "cart": cart, "email": "other@example.com" })).await;
        assert_eq!(email["data"]["setCartEmail"]["userErrors"], json!([{ "field": ["email"], "code": "INVALID" }]));
        let read = app.post_as(Some(&token), CART, json!({ "id": cart })).await;
        assert_eq!(read["data"]["cart"]["email"], "owner@example.com");

        let checkout = app.post_as(Some(&token), "mutation($c: ID!) { checkout(cartId: $c) { userErrors { code } } }", json!({ "c": cart })).await;
        assert_eq!(checkout["data"]["checkout"]["userErrors"], json!([]), "{checkout:#}");
        let closed = app.post_as(Some(&token), SET_ADDRESS, json!({ "cart": cart, "address": illinois() })).await;
        assert_eq!(closed["data"]["setCartShippingAddress"]["userErrors"][0]["code"], "CHECKED_OUT", "{closed:#}");
    }

    /// A cart's cost: its lines, the chosen rate's price and the tax of
    /// the address (the province's rate where set, else the country's),
    /// rounded half up; the parts add up to the total.
    async fn a_cart_costs_its_lines_shipping_and_tax(app) {
        let rates = zones(&app).await;
        for input in [
            json!({ "countryCode": "US", "rate": "5", "title": "US tax" }),
            json!({ "countryCode": "US", "provinceCode": "IL", "rate": "8.25", "title": "Illinois sales tax" }),
            json!({ "countryCode": "FR", "rate": "20", "title": "TVA" }),
        ] {
            let set = app.ok("mutation($input: TaxRateInput!) { setTaxRate(input: $input) { userErrors { code } } }", json!({ "input": input })).await;
            assert_eq!(set["setTaxRate"]["userErrors"], json!([]));
        }
        let mug = app.create_shipped_product("Mug", "10.50", 10).await;
        let customer = app.create_customer("cost@example.com", "Cost").await;
        let cart = app.create_cart(&customer, &[(&mug, 1)]).await;
        let cost = "query($id: ID!) { cart(id: $id) { cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } } taxLines { title rate amount { amount } } } }";
        let read = || async { app.ok(cost, json!({ "id": cart })).await["cart"].clone() };
        let amounts = |cart: &Value| -> Vec<String> {
            ["subtotal", "discount", "shipping", "tax", "total"].iter().map(|part| cart["cost"][part]["amount"].as_str().unwrap().to_owned()).collect()
        };

        let bare = read().await;
        assert_eq!(amounts(&bare), ["10.50", "0.00", "0.00", "0.00", "10.50"], "no address: no shipping, no tax");
        assert_eq!(bare["taxLines"], json!([]));

        app.ok(SET_ADDRESS, json!({ "cart": cart, "address": illinois() })).await;
        app.ok(SELECT, json!({ "cart": cart, "rate": rate(&rates, "Standard") })).await;
        let illinois_cart = read().await;
        // 8.25% of 10.50 is 0.86625: 0.87.
        assert_eq!(amounts(&illinois_cart), ["10.50", "0.00", "4.90", "0.87", "16.27"]);
        assert_eq!(illinois_cart["taxLines"], json!([{ "title": "Illinois sales tax", "rate": "8.25", "amount": { "amount": "0.87" } }]), "the province's rate replaces the country's");

        let texas = json!({ "address1": "1 Main St", "city": "Austin", "provinceCode": "TX", "zip": "73301", "countryCode": "US" });
        app.ok(SET_ADDRESS, json!({ "cart": cart, "address": texas })).await;
        app.ok(SELECT, json!({ "cart": cart, "rate": rate(&rates, "Standard") })).await;
        let texas_cart = read().await;
        assert_eq!(amounts(&texas_cart), ["10.50", "0.00", "4.90", "0.53", "15.93"], "5% of 10.50 is 0.525: 0.53");

        let paris = json!({ "address1": "1 rue de Rivoli", "city": "Paris", "zip": "75001", "countryCode": "FR" });
        app.ok(SET_ADDRESS, json!({ "cart": cart, "address": paris })).await;
        let paris_cart = read().await;
        assert_eq!(amounts(&paris_cart), ["10.50", "0.00", "0.00", "2.10", "12.60"], "the US rate no longer applies: no shipping until one is chosen");
    }
}

//! Discount codes as staff define them, on both engines.

use serde_json::{Value, json};

use crate::support::{engine_tests, global_id};

const CREATE: &str = "mutation($input: DiscountCodeInput!) { createDiscountCode(input: $input) { discountCode { id code kind value minimumSubtotal { amount } startsAt endsAt usageLimit usageCount oncePerCustomer collections { handle } } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $input: DiscountCodeInput!) { updateDiscountCode(id: $id, input: $input) { discountCode { code kind value usageLimit } userErrors { field code message } } }";

fn errors(payload: &Value) -> Vec<(Value, Value)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["field"].clone(), error["code"].clone()))
        .collect()
}

engine_tests! {
    /// Codes of each kind, unique ignoring case, with their rules checked
    /// field by field; an update keeps the uses; a delete removes it.
    async fn staff_define_discount_codes(app) {
        let coffee = app.ok("mutation { createCollection(input: { title: \"Coffee\" }) { collection { id } } }", json!({})).await;
        let coffee = coffee["createCollection"]["collection"]["id"].as_str().unwrap().to_owned();
        let made = app.ok(CREATE, json!({ "input": {
            "code": " Summer15 ", "kind": "PERCENTAGE", "value": "15", "minimumSubtotal": "50",
            "startsAt": "2026-06-01T00:00:00Z", "endsAt": "2026-09-01T00:00:00+02:00",
            "usageLimit": 100, "oncePerCustomer": true, "collectionIds": [coffee, coffee],
        } })).await["createDiscountCode"].clone();
        assert_eq!(made["userErrors"], json!([]), "{made:#}");
        let code = &made["discountCode"];
        assert_eq!(code["code"], "Summer15");
        assert_eq!((&code["kind"], &code["value"]), (&json!("PERCENTAGE"), &json!("15")));
        assert_eq!(code["minimumSubtotal"]["amount"], "50.00");
        assert_eq!(code["endsAt"], "2026-08-31T22:00:00.000000Z", "in UTC");
        assert_eq!((&code["usageLimit"], &code["usageCount"], &code["oncePerCustomer"]), (&json!(100), &json!(0), &json!(true)));
        assert_eq!(code["collections"], json!([{ "handle": "coffee" }]));
        let id = code["id"].as_str().unwrap().to_owned();

        let same = app.ok(CREATE, json!({ "input": { "code": "SUMMER15", "kind": "FREE_SHIPPING" } })).await;
        assert_eq!(errors(&same["createDiscountCode"]), vec![(json!(["input", "code"]), json!("TAKEN"))]);
        let fixed = app.ok(CREATE, json!({ "input": { "code": "TENOFF", "kind": "FIXED_AMOUNT", "value": "10" } })).await;
        assert_eq!(fixed["createDiscountCode"]["discountCode"]["value"], "10.00");
        let free = app.ok(CREATE, json!({ "input": { "code": "SHIPFREE", "kind": "FREE_SHIPPING" } })).await;
        assert_eq!(free["createDiscountCode"]["discountCode"]["value"], Value::Null);

        let bad = app.ok(CREATE, json!({ "input": {
            "code": "no spaces!", "kind": "PERCENTAGE", "value": "0", "minimumSubtotal": "-1",
            "startsAt": "2026-06-01T00:00:00Z", "endsAt": "2026-05-01T00:00:00Z", "usageLimit": 0,
            "collectionIds": [global_id("Product", 1)],
        } })).await;
        assert_eq!(errors(&bad["createDiscountCode"]), vec![
            (json!(["input", "code"]), json!("INVALID")),
            (json!(["input", "value"]), json!("INVALID")),
            (json!(["input", "minimumSubtotal"]), json!("INVALID")),
            (json!(["input", "endsAt"]), json!("INVALID")),
            (json!(["input", "usageLimit"]), json!("INVALID")),
            (json!(["input", "collectionIds", "0"]), json!("INVALID")),
        ]);
        for (kind, value) in [("PERCENTAGE", json!("100.5")), ("FIXED_AMOUNT", json!("0")), ("FREE_SHIPPING", json!("5")), ("FIXED_AMOUNT", Value::Null)] {
            let refused = app.ok(CREATE, json!({ "input": { "code": "ODD", "kind": kind, "value": value } })).await;
            assert_eq!(errors(&refused["createDiscountCode"]), vec![(json!(["input", "value"]), json!("INVALID"))], "{kind} {value}");
        }
        let missing = app.ok(CREATE, json!({ "input": { "code": "GONE", "kind": "FREE_SHIPPING", "collectionIds": [global_id("Collection", 999)] } })).await;
        assert_eq!(errors(&missing["createDiscountCode"]), vec![(json!(["input", "collectionIds", "0"]), json!("NOT_FOUND"))]);
        assert_eq!(app.count_rows("discount_code").await, 3, "nothing refused was stored");

        // Uses so far stay; a limit below them is refused.
        {
            use sea_orm::ConnectionTrait;
            app.db().await.execute_unprepared("UPDATE discount_code SET used_count = 7 WHERE code = 'Summer15'").await.unwrap();
        }
        let below = app.ok(UPDATE, json!({ "id": id, "input": { "code": "Summer15", "kind": "PERCENTAGE", "value": "20", "usageLimit": 5 } })).await;
        assert_eq!(errors(&below["updateDiscountCode"]), vec![(json!(["input", "usageLimit"]), json!("INVALID"))]);
        let updated = app.ok(UPDATE, json!({ "id": id, "input": { "code": "SUMMER20", "kind": "PERCENTAGE", "value": "20.5", "usageLimit": 10 } })).await;
        assert_eq!(updated["updateDiscountCode"]["discountCode"], json!({ "code": "SUMMER20", "kind": "PERCENTAGE", "value": "20.5", "usageLimit": 10 }));
        let listed = app.ok("{ discountCodes(first: 10) { totalCount nodes { code usageCount collections { handle } } } }", json!({})).await;
        assert_eq!(listed["discountCodes"]["totalCount"], 3);
        assert_eq!(listed["discountCodes"]["nodes"][0], json!({ "code": "SUMMER20", "usageCount": 7, "collections": [] }));

        let deleted = app.ok("mutation($id: ID!) { deleteDiscountCode(id: $id) { deletedId userErrors { code } } }", json!({ "id": id })).await;
        assert_eq!(deleted["deleteDiscountCode"]["deletedId"], id.as_str());
        let (token, _) = app.sign_up("bargain@example.com").await;
        let shopper = app.post_as(Some(&token), "{ discountCodes { totalCount } }", json!({})).await;
        assert_eq!(shopper["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }

    /// Codes entered on a cart: a percentage per line rounded half up,
    /// limited to a collection; one code of a kind applies; free shipping;
    /// a minimum not reached and an expired code stay on the cart with the
    /// reason; removing one; the costs add up.
    async fn carts_apply_discount_codes(app) {
        let coffee = app.ok("mutation { createCollection(input: { title: \"Coffee\" }) { collection { id } } }", json!({})).await;
        let coffee = coffee["createCollection"]["collection"]["id"].as_str().unwrap().to_owned();
        let beans = app.create_product("Beans", "10.50", 10).await;
        let mug = app.create_product("Mug", "4.00", 10).await;
        app.ok("mutation($c: ID!, $p: [ID!]!) { addProductsToCollection(collectionId: $c, productIds: $p) { userErrors { code } } }", json!({ "c": coffee, "p": [beans] })).await;
        for input in [
            json!({ "code": "COFFEE15", "kind": "PERCENTAGE", "value": "15", "collectionIds": [coffee] }),
            json!({ "code": "FIVE", "kind": "FIXED_AMOUNT", "value": "5" }),
            json!({ "code": "SHIPFREE", "kind": "FREE_SHIPPING", "minimumSubtotal": "100" }),
            json!({ "code": "OLD", "kind": "FIXED_AMOUNT", "value": "1", "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2021-01-01T00:00:00Z" }),
        ] {
            let made = app.ok(CREATE, json!({ "input": input })).await;
            assert_eq!(made["createDiscountCode"]["userErrors"], json!([]), "{made:#}");
        }
        let customer = app.create_customer("codes@example.com", "Codes").await;
        let cart = app.create_cart(&customer, &[(&beans, 2), (&mug, 1)]).await;
        let apply = "mutation($cart: ID!, $code: String!) { applyCartDiscountCode(cartId: $cart, code: $code) { cart { discountCodes { code applicable reason } cost { subtotal { amount } discount { amount } total { amount } } } userErrors { field code message } } }";
        let remove = "mutation($cart: ID!, $code: String!) { removeCartDiscountCode(cartId: $cart, code: $code) { cart { discountCodes { code } } userErrors { field code } } }";

        let unknown = app.ok(apply, json!({ "cart": cart, "code": "NOPE" })).await["applyCartDiscountCode"].clone();
        assert_eq!(errors(&unknown), [(json!(["code"]), json!("NOT_FOUND"))]);

        // 15% of the two beans (21.00, one line): 3.15; the mug is not coffee.
        let coffee15 = app.ok(apply, json!({ "cart": cart, "code": " coffee15 " })).await["applyCartDiscountCode"].clone();
        assert_eq!(coffee15["userErrors"], json!([]), "{coffee15:#}");
        assert_eq!(coffee15["cart"]["cost"], json!({ "subtotal": { "amount": "25.00" }, "discount": { "amount": "3.15" }, "total": { "amount": "21.85" } }));

        // A second code of the lines' kind waits; expired and too-small codes say why.
        for code in ["FIVE", "OLD", "SHIPFREE", "five"] {
            app.ok(apply, json!({ "cart": cart, "code": code })).await;
        }
        let held = app.ok("query($id: ID!) { cart(id: $id) { discountCodes { code applicable reason } cost { discount { amount } total { amount } } } }", json!({ "id": cart })).await["cart"].clone();
        let codes = held["discountCodes"].as_array().unwrap();
        let shown: Vec<(&str, bool)> = codes.iter().map(|code| (code["code"].as_str().unwrap(), code["applicable"].as_bool().unwrap())).collect();
        assert_eq!(shown, [("COFFEE15", true), ("FIVE", false), ("OLD", false), ("SHIPFREE", false)], "each code once, in the order entered");
        assert!(codes[1]["reason"].as_str().unwrap().contains("Another code"), "{held:#}");
        assert!(codes[2]["reason"].as_str().unwrap().contains("expired"), "{held:#}");
        assert!(codes[3]["reason"].as_str().unwrap().contains("at least 100"), "{held:#}");
        assert_eq!(held["cost"]["discount"]["amount"], "3.15");

        // Without the percentage, the fixed amount applies.
        let removed = app.ok(remove, json!({ "cart": cart, "code": "Coffee15" })).await["removeCartDiscountCode"].clone();
        assert_eq!(removed["userErrors"], json!([]));
        let again = app.ok(remove, json!({ "cart": cart, "code": "COFFEE15" })).await["removeCartDiscountCode"].clone();
        assert_eq!(errors(&again), [(json!(["code"]), json!("NOT_FOUND"))]);
        let after = app.ok("query($id: ID!) { cart(id: $id) { cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } } } }", json!({ "id": cart })).await;
        assert_eq!(after["cart"]["cost"], json!({ "subtotal": { "amount": "25.00" }, "discount": { "amount": "5.00" }, "shipping": { "amount": "0.00" }, "tax": { "amount": "0.00" }, "total": { "amount": "20.00" } }));
        assert_eq!(app.count_rows("cart_discount_code").await, 3);
    }
}

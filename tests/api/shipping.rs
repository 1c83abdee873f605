//! Shipping zones and tax rates, as staff configure them, on both engines.

use serde_json::{Value, json};

use crate::support::engine_tests;

const CREATE_ZONE: &str = "mutation($input: ShippingZoneInput!) { createShippingZone(input: $input) { shippingZone { id name countryCodes rates { title price { amount } minSubtotal { amount } maxSubtotal { amount } } } userErrors { field code message } } }";
const UPDATE_ZONE: &str = "mutation($id: ID!, $input: ShippingZoneInput!) { updateShippingZone(id: $id, input: $input) { shippingZone { name countryCodes rates { title } } userErrors { field code } } }";
const SET_TAX: &str = "mutation($input: TaxRateInput!) { setTaxRate(input: $input) { taxRate { id countryCode provinceCode rate title } userErrors { field code message } } }";

fn errors(payload: &Value) -> Vec<(Value, Value)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["field"].clone(), error["code"].clone()))
        .collect()
}

engine_tests! {
    /// A zone covers countries (each in one zone at most) and offers rates
    /// in order; an update replaces them; a country in another zone is
    /// `TAKEN` at its index and nothing changes.
    async fn staff_configure_shipping_zones(app) {
        let domestic = app.ok(CREATE_ZONE, json!({ "input": { "name": "Domestic", "countryCodes": ["US", "US"], "rates": [
            { "title": "Standard", "price": "4.90", "maxSubtotal": "50" },
            { "title": "Free over $50", "price": "0", "minSubtotal": "50.00" },
        ] } })).await["createShippingZone"].clone();
        assert_eq!(domestic["userErrors"], json!([]), "{domestic:#}");
        assert_eq!(domestic["shippingZone"]["countryCodes"], json!(["US"]), "each country once");
        assert_eq!(domestic["shippingZone"]["rates"], json!([
            { "title": "Standard", "price": { "amount": "4.90" }, "minSubtotal": null, "maxSubtotal": { "amount": "50.00" } },
            { "title": "Free over $50", "price": { "amount": "0.00" }, "minSubtotal": { "amount": "50.00" }, "maxSubtotal": null },
        ]));
        let europe = app.ok(CREATE_ZONE, json!({ "input": { "name": "Europe", "countryCodes": ["FR", "DE"], "rates": [{ "title": "Post", "price": "9.00" }] } })).await;
        let europe_id = europe["createShippingZone"]["shippingZone"]["id"].as_str().unwrap().to_owned();

        let overlapping = app.ok(CREATE_ZONE, json!({ "input": { "name": "Overlap", "countryCodes": ["GB", "DE"], "rates": [] } })).await;
        assert_eq!(errors(&overlapping["createShippingZone"]), vec![(json!(["input", "countryCodes", "1"]), json!("TAKEN"))]);
        assert_eq!(app.count_rows("shipping_zone").await, 2, "nothing was made");

        let bad = app.ok(CREATE_ZONE, json!({ "input": { "name": " ", "countryCodes": [], "rates": [
            { "title": "Odd", "price": "-1", "minSubtotal": "20", "maxSubtotal": "10" },
        ] } })).await;
        assert_eq!(errors(&bad["createShippingZone"]), vec![
            (json!(["input", "name"]), json!("INVALID")),
            (json!(["input", "rates", "0", "price"]), json!("INVALID")),
            (json!(["input", "rates", "0", "maxSubtotal"]), json!("INVALID")),
        ]);

        let updated = app.ok(UPDATE_ZONE, json!({ "id": europe_id, "input": { "name": "EU", "countryCodes": ["DE", "IT"], "rates": [{ "title": "Courier", "price": "12" }] } })).await;
        assert_eq!(updated["updateShippingZone"]["shippingZone"], json!({ "name": "EU", "countryCodes": ["DE", "IT"], "rates": [{ "title": "Courier" }] }));
        // France left the zone, so another zone may take it now.
        let france = app.ok(CREATE_ZONE, json!({ "input": { "name": "France", "countryCodes": ["FR"], "rates": [] } })).await;
        assert_eq!(france["createShippingZone"]["userErrors"], json!([]));

        let listed = app.ok("{ shippingZones { name countryCodes } }", json!({})).await;
        assert_eq!(listed["shippingZones"], json!([
            { "name": "Domestic", "countryCodes": ["US"] },
            { "name": "EU", "countryCodes": ["DE", "IT"] },
            { "name": "France", "countryCodes": ["FR"] },
        ]));
        let deleted = app.ok("mutation($id: ID!) { deleteShippingZone(id: $id) { deletedId userErrors { code } } }", json!({ "id": europe_id })).await;
        assert_eq!(deleted["deleteShippingZone"]["deletedId"], europe_id.as_str());
        assert_eq!(app.count_rows("shipping_rate").await, 2, "the zone's rates went with it");

        let (token, _) = app.sign_up("shopper@example.com").await;
        let shopper = app.post_as(Some(&token), "{ shippingZones { name } }", json!({})).await;
        assert_eq!(shopper["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }

    /// A tax rate per country or province, set again in place; provinces
    /// only where we know them; exact percentages.
    async fn staff_set_tax_rates(app) {
        let country = app.ok(SET_TAX, json!({ "input": { "countryCode": "US", "rate": "0", "title": "No federal sales tax" } })).await;
        assert_eq!(country["setTaxRate"]["taxRate"]["provinceCode"], Value::Null);
        let illinois = app.ok(SET_TAX, json!({ "input": { "countryCode": "US", "provinceCode": "il", "rate": "6.25", "title": "IL State Tax" } })).await;
        let rate = &illinois["setTaxRate"]["taxRate"];
        assert_eq!((&rate["provinceCode"], &rate["rate"]), (&json!("IL"), &json!("6.25")));
        let id = rate["id"].as_str().unwrap().to_owned();
        let again = app.ok(SET_TAX, json!({ "input": { "countryCode": "US", "provinceCode": "IL", "rate": "8.875" } })).await;
        assert_eq!(again["setTaxRate"]["taxRate"]["id"], id.as_str(), "set in place");
        assert_eq!(again["setTaxRate"]["taxRate"]["rate"], "8.875");
        assert_eq!(again["setTaxRate"]["taxRate"]["title"], "Tax");
        let vat = app.ok(SET_TAX, json!({ "input": { "countryCode": "FR", "rate": "20", "title": "TVA" } })).await;
        assert_eq!(vat["setTaxRate"]["taxRate"]["rate"], "20");

        let bad = app.ok(SET_TAX, json!({ "input": { "countryCode": "FR", "provinceCode": "IDF", "rate": "100.5", "title": "" } })).await;
        assert_eq!(errors(&bad["setTaxRate"]), vec![
            (json!(["input", "provinceCode"]), json!("INVALID")),
            (json!(["input", "rate"]), json!("INVALID")),
            (json!(["input", "title"]), json!("INVALID")),
        ]);
        let unknown = app.ok(SET_TAX, json!({ "input": { "countryCode": "CA", "provinceCode": "XX", "rate": "5" } })).await;
        assert_eq!(errors(&unknown["setTaxRate"]), vec![(json!(["input", "provinceCode"]), json!("INVALID"))]);
        assert_eq!(app.count_rows("tax_rate").await, 3);

        let listed = app.ok("{ taxRates { countryCode provinceCode rate } }", json!({})).await;
        assert_eq!(listed["taxRates"], json!([
            { "countryCode": "FR", "provinceCode": null, "rate": "20" },
            { "countryCode": "US", "provinceCode": null, "rate": "0" },
            { "countryCode": "US", "provinceCode": "IL", "rate": "8.875" },
        ]));
        let deleted = app.ok("mutation($id: ID!) { deleteTaxRate(id: $id) { deletedId userErrors { code } } }", json!({ "id": id })).await;
        assert_eq!(deleted["deleteTaxRate"]["deletedId"], id.as_str());
        let anonymous = app.post_as(None, "{ taxRates { rate } }", json!({})).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
}

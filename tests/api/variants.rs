//! Variants and options: the rules a catalogue keeps, carts and orders by
//! variant, stock per variant under racing buyers, and the statements a
//! collection page and a product page cost — on both engines.

use serde_json::{Value, json};

use crate::support::ws::WsClient;
use crate::support::{ADMIN_TOKEN, TestApp, engine_tests};

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id handle stock price { amount } availableForSale options { name values }
    priceRange { minVariantPrice { amount } maxVariantPrice { amount } }
    variants(first: 50) { totalCount nodes { id title sku price { amount } compareAtPrice { amount } quantityAvailable availableForSale selectedOptions { name value } image { url } } }
    images { nodes { url } } }
  userErrors { field code message } } }";
const CREATE_VARIANT: &str = "mutation($product: ID!, $input: CreateProductVariantInput!) { createProductVariant(productId: $product, input: $input) {
  productVariant { id title sku selectedOptions { name value } } product { options { name values } priceRange { maxVariantPrice { amount } } }
  userErrors { field code message } } }";
const UPDATE_VARIANT: &str = "mutation($id: ID!, $input: UpdateProductVariantInput!) { updateProductVariant(id: $id, input: $input) {
  productVariant { id sku price { amount } compareAtPrice { amount } quantityAvailable } product { stock priceRange { minVariantPrice { amount } } }
  userErrors { field code message } } }";
const DELETE_VARIANT: &str = "mutation($id: ID!) { deleteProductVariant(id: $id) { deletedId product { variants { totalCount } } userErrors { field code message } } }";
const ADD: &str = "mutation($cart: ID!, $lines: [CartLineInput!]!) { addCartLines(cartId: $cart, lines: $lines) {
  cart { lines { id quantity variant { id title } product { name } cost { amount } } subtotal { amount } } userErrors { field code message } } }";
const CHECKOUT: &str = "mutation($cart: ID!) { checkout(cartId: $cart) { order { id lines { productName variantTitle sku selectedOptions { name value } unitPrice { amount } quantity variant { id } } } userErrors { field code message } } }";

fn shirt() -> Value {
    json!({
        "name": "Tee",
        "options": [{ "name": "Size", "values": ["S", "M"] }, { "name": "Color", "values": ["Black", "White"] }],
        "variants": [
            { "sku": "TEE-S-B", "price": "20.00", "stock": 5, "selectedOptions": [{ "name": "Size", "value": "S" }, { "name": "Color", "value": "Black" }] },
            { "sku": "TEE-M-B", "price": "22.00", "compareAtPrice": "30.00", "stock": 0,
              "selectedOptions": [{ "name": "Color", "value": "Black" }, { "name": "Size", "value": "M" }],
              "imageUrl": "https://cdn.example.com/tee-black.jpg" },
            { "price": "21.00", "stock": 3, "selectedOptions": [{ "name": "Size", "value": "S" }, { "name": "Color", "value": "White" }] },
        ],
    })
}

async fn create(app: &TestApp, input: Value) -> Value {
    app.ok(CREATE, json!({ "input": input })).await["createProduct"].clone()
}

fn errors(payload: &Value) -> Vec<(Value, Value)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["field"].clone(), error["code"].clone()))
        .collect()
}

fn variant_id(product: &Value, title: &str) -> String {
    product["variants"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variant| variant["title"] == title)
        .unwrap_or_else(|| panic!("no variant {title} in {product:#}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

engine_tests! {
    /// A product with options has one variant per combination given, each
    /// with its own fields; the product sums them up.
    async fn a_product_is_created_with_its_options_and_variants(app) {
        let made = create(&app, shirt()).await;
        assert_eq!(made["userErrors"], json!([]), "{made:#}");
        let product = &made["product"];
        assert_eq!(product["options"], json!([{ "name": "Size", "values": ["S", "M"] }, { "name": "Color", "values": ["Black", "White"] }]));
        assert_eq!(product["priceRange"], json!({ "minVariantPrice": { "amount": "20.00" }, "maxVariantPrice": { "amount": "22.00" } }));
        assert_eq!(product["availableForSale"], true);
        assert_eq!(product["stock"], 5, "the deprecated stock is the first variant's");
        assert_eq!(product["price"]["amount"], "20.00");
        let variants = product["variants"]["nodes"].as_array().unwrap();
        let titles: Vec<&str> = variants.iter().map(|v| v["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["S / Black", "M / Black", "S / White"], "values in option order, whatever order they were given in");
        assert_eq!(variants[1]["selectedOptions"], json!([{ "name": "Size", "value": "M" }, { "name": "Color", "value": "Black" }]));
        assert_eq!(variants[1]["compareAtPrice"]["amount"], "30.00");
        assert_eq!(variants[1]["availableForSale"], false);
        assert_eq!(variants[1]["image"]["url"], "https://cdn.example.com/tee-black.jpg");
        assert_eq!(product["images"]["nodes"], json!([{ "url": "https://cdn.example.com/tee-black.jpg" }]), "a variant's picture is one of the product's");
        assert_eq!(variants[2]["sku"], Value::Null);

        let found = app.ok(
            "query($handle: String!, $picked: [SelectedOptionInput!]!, $none: [SelectedOptionInput!]!) { product(handle: $handle) {
               picked: variantBySelectedOptions(selectedOptions: $picked) { title }
               none: variantBySelectedOptions(selectedOptions: $none) { title } } }",
            json!({ "handle": "tee",
                    "picked": [{ "name": "Color", "value": "White" }, { "name": "Size", "value": "S" }],
                    "none": [{ "name": "Size", "value": "M" }, { "name": "Color", "value": "White" }] }),
        ).await;
        assert_eq!(found["product"], json!({ "picked": { "title": "S / White" }, "none": null }));

        // A product without options keeps working the way it did.
        let plain = create(&app, json!({ "name": "Plain", "price": "3.50", "stock": 4 })).await;
        assert_eq!(plain["product"]["options"], json!([]));
        assert_eq!(plain["product"]["variants"]["nodes"][0]["title"], "Default Title");
        assert_eq!(plain["product"]["variants"]["nodes"][0]["quantityAvailable"], 4);
    }

    /// Every rule of a variant's options, SKU and count is a user error at
    /// its path, and nothing is written.
    async fn variant_rules_are_user_errors_and_write_nothing(app) {
        let bad = |change: &dyn Fn(&mut Value)| {
            let mut input = shirt();
            change(&mut input);
            input
        };
        let cases: Vec<(Value, Value, &str)> = vec![
            (bad(&|i| i["variants"][2]["selectedOptions"] = json!([{ "name": "Size", "value": "S" }])), json!(["input", "variants", "2", "selectedOptions"]), "INVALID"),
            (bad(&|i| i["variants"][2]["selectedOptions"][1]["value"] = json!("Red")), json!(["input", "variants", "2", "selectedOptions"]), "INVALID"),
            (bad(&|i| i["variants"][2]["selectedOptions"][1]["name"] = json!("Colour")), json!(["input", "variants", "2", "selectedOptions"]), "INVALID"),
            (bad(&|i| i["variants"][2]["selectedOptions"] = i["variants"][0]["selectedOptions"].clone()), json!(["input", "variants", "2", "selectedOptions"]), "DUPLICATE_VARIANT"),
            (bad(&|i| i["variants"][2]["sku"] = json!("TEE-S-B")), json!(["input", "variants", "2", "sku"]), "TAKEN"),
            (bad(&|i| i["options"][1]["values"] = json!(["Black", "Black"])), json!(["input", "options", "1", "values"]), "INVALID"),
            (bad(&|i| i["options"][1]["name"] = json!("Size")), json!(["input", "options", "1", "name"]), "INVALID"),
            (bad(&|i| i["variants"] = json!([])), json!(["input", "variants"]), "INVALID"),
            (bad(&|i| i["price"] = json!("1.00")), json!(["input", "price"]), "INVALID"),
            (bad(&|i| i["options"] = json!([{ "name": "A", "values": ["1"] }, { "name": "B", "values": ["1"] }, { "name": "C", "values": ["1"] }, { "name": "D", "values": ["1"] }])), json!(["input", "options"]), "TOO_MANY"),
            (bad(&|i| i["variants"][0]["price"] = json!("-1")), json!(["input", "variants", "0", "price"]), "INVALID"),
        ];
        for (input, field, code) in cases {
            let refused = create(&app, input.clone()).await;
            assert_eq!(refused["product"], Value::Null, "{input}");
            assert_eq!(errors(&refused), [(field, json!(code))], "{input}");
        }
        for table in ["product", "product_variant", "product_option", "product_option_value", "image"] {
            assert_eq!(app.count_rows(table).await, 0, "{table} is untouched");
        }

        // SKUs are unique across products too.
        create(&app, shirt()).await;
        let mut other = shirt();
        other["name"] = json!("Other tee");
        other["variants"][0]["sku"] = json!("OTHER-S-B");
        other["variants"][1]["sku"] = json!("TEE-S-B");
        assert_eq!(errors(&create(&app, other).await), [(json!(["input", "variants", "1", "sku"]), json!("TAKEN"))]);
    }

    /// Variants are added (a new value joins its option), changed and
    /// deleted; a product keeps at least one.
    async fn variants_are_added_changed_and_deleted(app) {
        let product = create(&app, shirt()).await["product"].clone();
        let id = product["id"].as_str().unwrap();
        let added = app.ok(CREATE_VARIANT, json!({ "product": id, "input": {
            "sku": "TEE-L-W", "price": "25.00", "stock": 2,
            "selectedOptions": [{ "name": "Size", "value": "L" }, { "name": "Color", "value": "White" }] } })).await["createProductVariant"].clone();
        assert_eq!(added["userErrors"], json!([]), "{added:#}");
        assert_eq!(added["productVariant"]["title"], "L / White");
        assert_eq!(added["product"]["options"][0], json!({ "name": "Size", "values": ["S", "M", "L"] }), "the new value joins its option");
        assert_eq!(added["product"]["priceRange"]["maxVariantPrice"]["amount"], "25.00");

        let again = app.ok(CREATE_VARIANT, json!({ "product": id, "input": { "price": "1.00",
            "selectedOptions": [{ "name": "Size", "value": "L" }, { "name": "Color", "value": "White" }] } })).await["createProductVariant"].clone();
        assert_eq!(errors(&again), [(json!(["input", "selectedOptions"]), json!("DUPLICATE_VARIANT"))]);

        let black_s = variant_id(&product, "S / Black");
        let changed = app.ok(UPDATE_VARIANT, json!({ "id": black_s, "input": { "price": "15.00", "stock": 9, "compareAtPrice": "20.00", "sku": null } })).await["updateProductVariant"].clone();
        assert_eq!(changed["userErrors"], json!([]), "{changed:#}");
        assert_eq!(changed["productVariant"], json!({ "id": black_s, "sku": null, "price": { "amount": "15.00" }, "compareAtPrice": { "amount": "20.00" }, "quantityAvailable": 9 }));
        assert_eq!(changed["product"], json!({ "stock": 9, "priceRange": { "minVariantPrice": { "amount": "15.00" } } }));
        let taken = app.ok(UPDATE_VARIANT, json!({ "id": black_s, "input": { "sku": "TEE-M-B" } })).await["updateProductVariant"].clone();
        assert_eq!(errors(&taken), [(json!(["input", "sku"]), json!("TAKEN"))]);
        let totals = app.ok("query($id: ID!) { node(id: $id) { ... on Product { stock availableForSale } } }", json!({ "id": id })).await;
        assert_eq!(totals["node"]["availableForSale"], true);
        assert_eq!(app.count_rows("product WHERE stock = 14").await, 1, "9 + 0 + 3 + 2 units over the variants");

        // Deleting down to the last variant, which stays.
        let mut left = 4;
        for title in ["S / Black", "M / Black", "S / White"] {
            let deleted = app.ok(DELETE_VARIANT, json!({ "id": variant_id(&product, title) })).await["deleteProductVariant"].clone();
            left -= 1;
            assert_eq!(deleted["product"]["variants"]["totalCount"], left, "{deleted:#}");
        }
        let last = added["productVariant"]["id"].as_str().unwrap();
        let refused = app.ok(DELETE_VARIANT, json!({ "id": last })).await["deleteProductVariant"].clone();
        assert_eq!(errors(&refused), [(json!(["id"]), json!("INVALID"))]);
        assert_eq!(refused["deletedId"], Value::Null);
        assert_eq!(app.count_rows("product_variant").await, 1);
        assert_eq!(app.count_rows("product WHERE stock = 2 AND price = 2500").await, 1, "the product sums up its one variant");

        let node = app.ok("query($id: ID!) { node(id: $id) { __typename ... on ProductVariant { title product { name } } } }", json!({ "id": last })).await;
        assert_eq!(node["node"], json!({ "__typename": "ProductVariant", "title": "L / White", "product": { "name": "Tee" } }));
    }

    /// Carts hold variants; a product with several asks for one, one with a
    /// single variant still goes by `productId`; a deleted variant leaves
    /// carts; orders keep what was sold.
    async fn carts_and_orders_go_by_variant(app) {
        let product = create(&app, shirt()).await["product"].clone();
        let plain = app.create_product("Mug", "4.00", 10).await;
        let customer = app.create_customer("v@example.com", "V").await;
        let cart = app.create_cart(&customer, &[]).await;
        let black_s = variant_id(&product, "S / Black");
        let white_s = variant_id(&product, "S / White");

        let ambiguous = app.ok(ADD, json!({ "cart": cart, "lines": [{ "productId": product["id"], "quantity": 1 }] })).await["addCartLines"].clone();
        assert_eq!(errors(&ambiguous), [(json!(["lines", "0", "productId"]), json!("INVALID"))]);
        let short = app.ok(ADD, json!({ "cart": cart, "lines": [{ "variantId": variant_id(&product, "M / Black"), "quantity": 1 }] })).await["addCartLines"].clone();
        assert_eq!(errors(&short), [(json!(["lines", "0", "quantity"]), json!("INSUFFICIENT_STOCK"))]);
        assert!(short["userErrors"][0]["message"].as_str().unwrap().contains("Tee (M / Black)"), "{short:#}");
        let both = app.post(ADD, json!({ "cart": cart, "lines": [{ "productId": plain, "variantId": black_s, "quantity": 1 }] })).await;
        assert_eq!(both["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        let added = app.ok(ADD, json!({ "cart": cart, "lines": [
            { "variantId": black_s, "quantity": 2 }, { "variantId": white_s, "quantity": 1 }, { "productId": plain, "quantity": 1 },
        ] })).await["addCartLines"].clone();
        assert_eq!(added["userErrors"], json!([]), "{added:#}");
        let lines = added["cart"]["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["variant"], json!({ "id": black_s, "title": "S / Black" }));
        assert_eq!(added["cart"]["subtotal"]["amount"], "65.00", "2 × 20 + 21 + 4");

        // Lines change by variant, or by product for a single-variant one.
        let changed = app.ok("mutation($cart: ID!, $variant: ID!, $product: ID!) {
            a: updateCartLine(cartId: $cart, variantId: $variant, quantity: 3) { userErrors { code } }
            b: removeCartLine(cartId: $cart, productId: $product) { cart { totalQuantity } userErrors { code } } }",
            json!({ "cart": cart, "variant": black_s, "product": plain })).await;
        assert_eq!(changed["b"], json!({ "cart": { "totalQuantity": 4 }, "userErrors": [] }));

        // Deleting a variant takes it out of open carts.
        app.ok(DELETE_VARIANT, json!({ "id": white_s })).await;
        let cart_now = app.ok("query($id: ID!) { cart(id: $id) { totalQuantity lines { variant { title } } } }", json!({ "id": cart })).await;
        assert_eq!(cart_now["cart"], json!({ "totalQuantity": 3, "lines": [{ "variant": { "title": "S / Black" } }] }));

        app.ship(&cart).await;
        let placed = app.ok(CHECKOUT, json!({ "cart": cart })).await["checkout"].clone();
        assert_eq!(placed["userErrors"], json!([]), "{placed:#}");
        assert_eq!(placed["order"]["lines"], json!([{
            "productName": "Tee", "variantTitle": "S / Black", "sku": "TEE-S-B",
            "selectedOptions": [{ "name": "Size", "value": "S" }, { "name": "Color", "value": "Black" }],
            "unitPrice": { "amount": "20.00" }, "quantity": 3, "variant": { "id": black_s },
        }]));
        assert_eq!(app.count_rows("product_variant WHERE sku = 'TEE-S-B' AND stock = 2").await, 1);
        assert_eq!(app.count_rows("product WHERE name = 'Tee' AND stock = 2").await, 1, "0 + 2 left over the remaining variants");

        // The order keeps its snapshot when the variant changes or goes.
        app.ok(UPDATE_VARIANT, json!({ "id": black_s, "input": { "price": "99.00", "sku": "NEW" } })).await;
        let order = placed["order"]["id"].as_str().unwrap();
        let read = || async {
            app.ok("query($id: ID!) { node(id: $id) { ... on Order { lines { sku variantTitle unitPrice { amount } variant { id } } } } }", json!({ "id": order })).await
        };
        assert_eq!(read().await["node"]["lines"][0], json!({ "sku": "TEE-S-B", "variantTitle": "S / Black", "unitPrice": { "amount": "20.00" }, "variant": { "id": black_s } }));

        // Cancelling gives the units back to the variant and the product.
        let cancelled = app.ok("mutation($id: ID!) { cancelOrder(orderId: $id) { userErrors { code } } }", json!({ "id": order })).await;
        assert_eq!(cancelled["cancelOrder"]["userErrors"], json!([]));
        assert_eq!(app.count_rows("product_variant WHERE sku = 'NEW' AND stock = 5").await, 1);
        assert_eq!(app.count_rows("product WHERE name = 'Tee' AND stock = 5").await, 1);
        app.ok(DELETE_VARIANT, json!({ "id": black_s })).await;
        assert_eq!(read().await["node"]["lines"][0]["variant"], Value::Null, "a deleted variant reads as none");
        assert_eq!(read().await["node"]["lines"][0]["sku"], "TEE-S-B");
    }

    /// A variant's changes reach the product's subscribers; its new price
    /// and its deletion reach the carts holding it, read after the change.
    async fn variant_changes_reach_product_and_cart_subscribers(app) {
        let product = create(&app, shirt()).await["product"].clone();
        let black_s = variant_id(&product, "S / Black");
        let customer = app.create_customer("w@example.com", "W").await;
        let cart = app.create_cart(&customer, &[]).await;
        let mut socket = WsClient::connect(&app.url("/graphql"), Some(ADMIN_TOKEN)).await;
        socket.subscribe("cart", "subscription($id: ID!) { cartUpdated(cartId: $id) { totalQuantity subtotal { amount } } }", json!({ "id": cart })).await;
        socket.subscribe("product", "subscription($id: ID!) { productUpdated(productId: $id) { priceRange { minVariantPrice { amount } } variants { totalCount } } }", json!({ "id": product["id"] })).await;
        app.wait_for_subscriptions(2).await;

        let mut expect = async |changed: &str, wanted: &[(&str, Value)]| {
            let mut heard = Vec::new();
            while heard.len() < wanted.len() {
                let message = socket.next_payload().await;
                assert_eq!(message["type"], "next", "after {changed}: {message:#}");
                heard.push((message["id"].as_str().unwrap().to_owned(), message["payload"]["data"].clone()));
            }
            heard.sort_by(|a, b| a.0.cmp(&b.0));
            let wanted: Vec<(String, Value)> = wanted.iter().map(|(id, data)| ((*id).to_owned(), data.clone())).collect();
            assert_eq!(heard, wanted, "after {changed}");
        };
        // The line is added once both listen: on PostgreSQL events are
        // announced after their commits, so a change made before
        // subscribing could still arrive.
        app.ok(ADD, json!({ "cart": cart, "lines": [{ "variantId": black_s, "quantity": 2 }] })).await;
        expect("the added line", &[
            ("cart", json!({ "cartUpdated": { "totalQuantity": 2, "subtotal": { "amount": "40.00" } } })),
        ]).await;
        app.ok(UPDATE_VARIANT, json!({ "id": black_s, "input": { "price": "18.00" } })).await;
        expect("a new price", &[
            ("cart", json!({ "cartUpdated": { "totalQuantity": 2, "subtotal": { "amount": "36.00" } } })),
            ("product", json!({ "productUpdated": { "priceRange": { "minVariantPrice": { "amount": "18.00" } }, "variants": { "totalCount": 3 } } })),
        ]).await;
        app.ok(DELETE_VARIANT, json!({ "id": black_s })).await;
        expect("the variant's deletion", &[
            ("cart", json!({ "cartUpdated": { "totalQuantity": 0, "subtotal": { "amount": "0.00" } } })),
            ("product", json!({ "productUpdated": { "priceRange": { "minVariantPrice": { "amount": "21.00" } }, "variants": { "totalCount": 2 } } })),
        ]).await;
    }

    /// Buyers racing for the last units of one variant never get more than
    /// its stock, and leave the product's other variants alone.
    async fn racing_buyers_never_oversell_a_variant(app) {
        let product = create(&app, shirt()).await["product"].clone();
        let black_s = variant_id(&product, "S / Black");
        let mut carts = Vec::new();
        for i in 0..12 {
            let customer = app.create_customer(&format!("r{i}@example.com"), "R").await;
            let cart = app.create_cart(&customer, &[]).await;
            app.ok(ADD, json!({ "cart": cart, "lines": [{ "variantId": black_s, "quantity": 1 }] })).await;
            app.ship(&cart).await;
            carts.push(cart);
        }
        let checkouts = carts.iter().map(|cart| app.post(CHECKOUT, json!({ "cart": cart })));
        let answers = futures_util::future::join_all(checkouts).await;
        let sold = answers.iter().filter(|answer| answer["data"]["checkout"]["order"].is_object()).count();
        let refused = answers.iter().filter(|answer| answer["data"]["checkout"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK").count();
        assert_eq!((sold, refused), (5, 7), "{answers:#?}");
        assert_eq!(app.count_rows("product_variant WHERE sku = 'TEE-S-B' AND stock = 0").await, 1);
        assert_eq!(app.count_rows("product_variant WHERE stock = 3 AND sku IS NULL").await, 1, "the other variants are untouched");
        assert_eq!(app.count_rows("product WHERE stock = 3").await, 1);
    }

    /// `optionValues`, `priceRange` and `availableForSale` filter products
    /// by their variants.
    async fn products_filter_by_their_variants(app) {
        create(&app, shirt()).await;
        let mut hoodie = shirt();
        hoodie["name"] = json!("Hoodie");
        for (i, variant) in hoodie["variants"].as_array_mut().unwrap().iter_mut().enumerate() {
            variant["sku"] = json!(format!("H-{i}"));
            variant["price"] = json!("50.00");
            variant["stock"] = json!(0);
        }
        create(&app, hoodie).await;
        app.create_product("Mug", "4.00", 10).await;
        let names = |filter: Value| {
            let app = &app;
            async move {
                let data = app.ok("query($f: ProductFilter) { products(filter: $f) { nodes { name } } }", json!({ "f": filter })).await;
                data["products"]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(names(json!({ "optionValues": [{ "name": "Size", "value": "M" }] })).await, ["Tee", "Hoodie"]);
        assert_eq!(names(json!({ "optionValues": [{ "name": "Color", "value": "White" }, { "name": "Size", "value": "M" }] })).await, ["Tee", "Hoodie"], "a value per option, not one variant with both");
        assert_eq!(names(json!({ "optionValues": [{ "name": "Color", "value": "Red" }] })).await, Vec::<String>::new());
        assert_eq!(names(json!({ "priceRange": { "min": "21.50", "max": "30" } })).await, ["Tee"], "the M / Black at 22.00");
        assert_eq!(names(json!({ "priceRange": { "max": "5" } })).await, ["Mug"]);
        assert_eq!(names(json!({ "availableForSale": false })).await, ["Hoodie"]);
        assert_eq!(names(json!({ "availableForSale": true, "optionValues": [{ "name": "Size", "value": "S" }] })).await, ["Tee"]);
    }

    /// A collection page of products with their price ranges, pictures,
    /// options and variants costs the same statements for 5 and 50
    /// products; a product page by handle a constant number.
    async fn variant_pages_cost_constant_statements(app) {
        let collection = app.ok("mutation { createCollection(input: { title: \"All\" }) { collection { id } } }", json!({})).await["createCollection"]["collection"]["id"].clone();
        let page = "query($id: ID!) { collection(id: $id) { products(first: 50) { nodes {
            handle priceRange { minVariantPrice { amount } maxVariantPrice { amount } } availableForSale featuredImage { url }
            options { name values } variants(first: 10) { nodes { id title price { amount } selectedOptions { name value } image { url } } } } } } }";
        let add_products = |from: usize, to: usize| {
            let app = &app;
            let collection = collection.clone();
            async move {
                for i in from..to {
                    let mut input = shirt();
                    input["name"] = json!(format!("Tee {i}"));
                    for variant in input["variants"].as_array_mut().unwrap() {
                        variant["sku"] = json!(format!("{}-{i}", variant["sku"].as_str().unwrap_or("X")));
                    }
                    let id = create(app, input).await["product"]["id"].clone();
                    app.ok("mutation($c: ID!, $p: [ID!]!) { addProductsToCollection(collectionId: $c, productIds: $p) { userErrors { code } } }", json!({ "c": collection, "p": [id] })).await;
                }
            }
        };
        let measure = |query: &'static str, variables: Value| {
            let app = &app;
            async move {
                let before = app.statements();
                let data = app.ok(query, variables).await;
                (app.statements() - before, data)
            }
        };
        add_products(0, 5).await;
        let (at_5, data) = measure(page, json!({ "id": collection })).await;
        assert_eq!(data["collection"]["products"]["nodes"].as_array().unwrap().len(), 5);
        add_products(5, 50).await;
        let (at_50, data) = measure(page, json!({ "id": collection })).await;
        let nodes = data["collection"]["products"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 50);
        assert_eq!(nodes[49]["variants"]["nodes"].as_array().unwrap().len(), 3);
        eprintln!("{:?}: a collection page ran {at_5} statements for 5 products, {at_50} for 50", app.engine);
        assert_eq!(at_5, at_50, "the statement count must not grow with the products");

        let product_page = "query($handle: String!) { product(handle: $handle) { name options { name values }
            variants(first: 20) { totalCount nodes { title sku price { amount } quantityAvailable selectedOptions { name value } image { url } } }
            images { nodes { url } } collections { nodes { title } } priceRange { maxVariantPrice { amount } } } }";
        let (small, data) = measure(product_page, json!({ "handle": "tee-0" })).await;
        assert_eq!(data["product"]["variants"]["totalCount"], 3);
        let sizes: Vec<String> = (0..20).map(|size| size.to_string()).collect();
        let variants: Vec<Value> = sizes.iter().map(|size| json!({ "price": "5.00", "stock": 1, "selectedOptions": [{ "name": "Size", "value": size }], "imageUrl": format!("https://cdn.example.com/{size}.jpg") })).collect();
        let big = create(&app, json!({ "name": "Big", "options": [{ "name": "Size", "values": sizes }], "variants": variants })).await;
        assert_eq!(big["userErrors"], json!([]), "{big:#}");
        app.ok("mutation($c: ID!, $p: [ID!]!) { addProductsToCollection(collectionId: $c, productIds: $p) { userErrors { code } } }", json!({ "c": collection, "p": [big["product"]["id"]] })).await;
        let (large, data) = measure(product_page, json!({ "handle": "big" })).await;
        assert_eq!(data["product"]["variants"]["totalCount"], 20);
        eprintln!("{:?}: a product page ran {small} statements with 3 variants, {large} with 20", app.engine);
        assert_eq!(small, large, "the statement count must not grow with the variants");
        // The product; its options and their values; a page of variants and
        // their count; their selected options and pictures; its images; its
        // collection links and collections; its highest price.
        assert!(small <= 11, "a product page costs a constant handful of statements, got {small}");
    }
}

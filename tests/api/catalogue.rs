//! The catalogue beyond one row per product: handles, images and
//! collections, on both engines.

use serde_json::{Value, json};

use crate::support::{TestApp, engine_tests};

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id handle name featuredImage { url } images(first: 10) { totalCount nodes { url altText width height } } } userErrors { field code message } } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { product { id handle name featuredImage { url } images { totalCount nodes { url } } } userErrors { field code } } }";
const CREATE_COLLECTION: &str = "mutation($input: CreateCollectionInput!) { createCollection(input: $input) { collection { id handle title description image { url } products(first: 50) { totalCount nodes { id } } } userErrors { field code message } } }";

async fn create(app: &TestApp, input: Value) -> Value {
    app.ok(CREATE, json!({ "input": input })).await["createProduct"].clone()
}

fn codes(payload: &Value) -> Vec<(Value, Value)> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["field"].clone(), error["code"].clone()))
        .collect()
}

/// Makes `count` products named `prefix i` with two images each, and
/// returns their IDs.
async fn products_with_images(app: &TestApp, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let made = create(
            app,
            json!({ "name": format!("{prefix} {i}"), "price": "2.00", "stock": 3, "images": [
                { "url": format!("https://cdn.example.com/{prefix}-{i}-a.jpg") },
                { "url": format!("https://cdn.example.com/{prefix}-{i}-b.jpg") },
            ] }),
        )
        .await;
        ids.push(made["product"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

engine_tests! {
    /// A product's handle is made from its name (transliterated, lower case,
    /// hyphens), made unique with `-2`, `-3`, kept on rename, and finds the
    /// product; a given handle is kept exactly or refused.
    async fn products_have_unique_handles_kept_on_rename(app) {
        let first = create(&app, json!({ "name": "Espresso Beans", "price": "24.50" })).await;
        assert_eq!(first["product"]["handle"], "espresso-beans", "{first:#}");
        let second = create(&app, json!({ "name": "  espresso   beans! ", "price": "1.00" })).await;
        assert_eq!(second["product"]["handle"], "espresso-beans-2");
        let third = create(&app, json!({ "name": "Espresso beans", "price": "1.00" })).await;
        assert_eq!(third["product"]["handle"], "espresso-beans-3");
        let accented = create(&app, json!({ "name": "Café Crème — 250 g", "price": "1.00" })).await;
        assert_eq!(accented["product"]["handle"], "cafe-creme-250-g");
        let symbols = create(&app, json!({ "name": "!!!", "price": "1.00" })).await;
        assert_eq!(symbols["product"]["handle"], "product");

        let taken = create(&app, json!({ "name": "Other", "handle": "espresso-beans", "price": "1.00" })).await;
        assert_eq!(taken["product"], Value::Null);
        assert_eq!(codes(&taken), vec![(json!(["input", "handle"]), json!("TAKEN"))]);
        for bad in ["Espresso Beans", "espresso--beans", "-beans", "bèans", ""] {
            let refused = create(&app, json!({ "name": "Other", "handle": bad, "price": "1.00" })).await;
            assert_eq!(codes(&refused), vec![(json!(["input", "handle"]), json!("INVALID"))], "{bad:?}");
        }
        assert_eq!(app.count_rows("product").await, 5, "nothing refused was stored");

        let id = first["product"]["id"].as_str().unwrap();
        let renamed = app.ok(UPDATE, json!({ "id": id, "input": { "name": "Espresso, dark roast" } })).await;
        assert_eq!(renamed["updateProduct"]["product"]["handle"], "espresso-beans", "links keep working");
        let clash = app.ok(UPDATE, json!({ "id": id, "input": { "handle": "product" } })).await;
        assert_eq!(clash["updateProduct"]["userErrors"][0]["code"], "TAKEN", "{clash:#}");
        let moved = app.ok(UPDATE, json!({ "id": id, "input": { "handle": "dark-roast" } })).await;
        assert_eq!(moved["updateProduct"]["product"]["handle"], "dark-roast");

        let found = app.ok("{ product(handle: \"dark-roast\") { id name } }", json!({})).await;
        assert_eq!(found["product"]["id"], id);
        let gone = app.ok("{ product(handle: \"espresso-beans\") { id } }", json!({})).await;
        assert_eq!(gone["product"], Value::Null, "the old handle names nothing now");
        let neither = app.post("{ product { id } }", json!({})).await;
        assert_eq!(neither["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{neither:#}");
        let both = app.post("query($id: ID!) { product(id: $id, handle: \"dark-roast\") { id } }", json!({ "id": id })).await;
        assert_eq!(both["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{both:#}");
    }

    /// Images are absolute http(s) URLs with alt text and sizes, in order:
    /// the first is the featured one; an update replaces them all.
    async fn products_show_their_images_in_order(app) {
        let made = create(&app, json!({ "name": "Kettle", "price": "59.00", "images": [
            { "url": "https://cdn.example.com/kettle-front.jpg", "altText": "The kettle", "width": 800, "height": 600 },
            { "url": "http://cdn.example.com/kettle side.jpg" },
        ] })).await;
        assert_eq!(made["userErrors"], json!([]), "{made:#}");
        let product = &made["product"];
        assert_eq!(product["featuredImage"]["url"], "https://cdn.example.com/kettle-front.jpg");
        assert_eq!(product["images"]["totalCount"], 2);
        assert_eq!(product["images"]["nodes"], json!([
            { "url": "https://cdn.example.com/kettle-front.jpg", "altText": "The kettle", "width": 800, "height": 600 },
            { "url": "http://cdn.example.com/kettle%20side.jpg", "altText": null, "width": null, "height": null },
        ]));

        let refused = create(&app, json!({ "name": "Bad", "price": "1.00", "images": [
            { "url": "https://cdn.example.com/ok.jpg" },
            { "url": "javascript:alert(1)", "width": 0 },
            { "url": "/relative.jpg", "altText": "x".repeat(513) },
        ] })).await;
        assert_eq!(codes(&refused), vec![
            (json!(["input", "images", "1", "url"]), json!("INVALID")),
            (json!(["input", "images", "1", "width"]), json!("INVALID")),
            (json!(["input", "images", "2", "url"]), json!("INVALID")),
            (json!(["input", "images", "2", "altText"]), json!("INVALID")),
        ]);
        let many: Vec<Value> = (0..51).map(|i| json!({ "url": format!("https://cdn.example.com/{i}.jpg") })).collect();
        let too_many = create(&app, json!({ "name": "Many", "price": "1.00", "images": many })).await;
        assert_eq!(codes(&too_many), vec![(json!(["input", "images"]), json!("TOO_MANY"))]);
        assert_eq!(app.count_rows("image").await, 2, "nothing refused was stored");

        let id = product["id"].as_str().unwrap();
        let replaced = app.ok(UPDATE, json!({ "id": id, "input": { "images": [{ "url": "https://cdn.example.com/new.jpg" }] } })).await;
        let after = &replaced["updateProduct"]["product"];
        assert_eq!(after["featuredImage"]["url"], "https://cdn.example.com/new.jpg");
        assert_eq!(after["images"]["totalCount"], 1);
        let cleared = app.ok(UPDATE, json!({ "id": id, "input": { "images": [] } })).await;
        assert_eq!(cleared["updateProduct"]["product"]["featuredImage"], Value::Null);
        assert_eq!(app.count_rows("image").await, 0);

        // Paging through images with cursors.
        let ids = products_with_images(&app, "Paged", 1).await;
        let page = app.ok("query($id: ID!) { product(id: $id) { images(first: 1) { nodes { url } pageInfo { hasNextPage endCursor } } } }", json!({ "id": ids[0] })).await;
        let cursor = page["product"]["images"]["pageInfo"]["endCursor"].clone();
        assert_eq!(page["product"]["images"]["pageInfo"]["hasNextPage"], true);
        let next = app.ok("query($id: ID!, $after: String) { product(id: $id) { images(first: 1, after: $after) { nodes { url } pageInfo { hasNextPage } } } }", json!({ "id": ids[0], "after": cursor })).await;
        assert_eq!(next["product"]["images"]["nodes"][0]["url"], "https://cdn.example.com/Paged-0-b.jpg");
        assert_eq!(next["product"]["images"]["pageInfo"]["hasNextPage"], false);
    }

    /// Collections: made with their products, found by id (also as a node)
    /// and by handle, filled and emptied idempotently; a missing product
    /// changes nothing; products list their collections and filter by them.
    async fn collections_group_products(app) {
        let products = products_with_images(&app, "Mug", 4).await;
        let made = app.ok(CREATE_COLLECTION, json!({ "input": {
            "title": "Summer Sale", "description": "Hot days.", "imageUrl": "https://cdn.example.com/summer.jpg",
            "productIds": [products[0], products[1], products[0]],
        } })).await["createCollection"].clone();
        assert_eq!(made["userErrors"], json!([]), "{made:#}");
        let collection = &made["collection"];
        assert_eq!(collection["handle"], "summer-sale");
        assert_eq!(collection["image"]["url"], "https://cdn.example.com/summer.jpg");
        assert_eq!(collection["products"]["totalCount"], 2, "a product is in a collection once");
        let id = collection["id"].as_str().unwrap();

        let taken = app.ok(CREATE_COLLECTION, json!({ "input": { "title": "Other", "handle": "summer-sale" } })).await;
        assert_eq!(codes(&taken["createCollection"]), vec![(json!(["input", "handle"]), json!("TAKEN"))]);
        let second = app.ok(CREATE_COLLECTION, json!({ "input": { "title": "Summer sale!" } })).await;
        assert_eq!(second["createCollection"]["collection"]["handle"], "summer-sale-2");

        let add = "mutation($c: ID!, $p: [ID!]!) { addProductsToCollection(collectionId: $c, productIds: $p) { collection { products { totalCount } } userErrors { field code } } }";
        let missing = crate::support::global_id("Product", 999_999);
        let refused = app.ok(add, json!({ "c": id, "p": [products[2], missing] })).await;
        assert_eq!(codes(&refused["addProductsToCollection"]), vec![(json!(["productIds", "1"]), json!("NOT_FOUND"))]);
        assert_eq!(app.count_rows("collection_product").await, 2, "nothing was added");
        let added = app.ok(add, json!({ "c": id, "p": [products[2], products[1]] })).await;
        assert_eq!(added["addProductsToCollection"]["collection"]["products"]["totalCount"], 3);
        let remove = "mutation($c: ID!, $p: [ID!]!) { removeProductsFromCollection(collectionId: $c, productIds: $p) { collection { products { totalCount } } userErrors { code } } }";
        let removed = app.ok(remove, json!({ "c": id, "p": [products[0]] })).await;
        assert_eq!(removed["removeProductsFromCollection"]["collection"]["products"]["totalCount"], 2);

        let by_handle = app.ok("{ collection(handle: \"summer-sale\") { id title products(orderBy: { field: NAME, direction: DESC }) { nodes { name collections { nodes { handle } } } } } }", json!({})).await;
        assert_eq!(by_handle["collection"]["id"], id);
        assert_eq!(by_handle["collection"]["products"]["nodes"], json!([
            { "name": "Mug 2", "collections": { "nodes": [{ "handle": "summer-sale" }] } },
            { "name": "Mug 1", "collections": { "nodes": [{ "handle": "summer-sale" }] } },
        ]));
        let node = app.ok("query($id: ID!) { node(id: $id) { __typename ... on Collection { title } } }", json!({ "id": id })).await;
        assert_eq!(node["node"], json!({ "__typename": "Collection", "title": "Summer Sale" }));
        let filtered = app.ok("query($c: [ID!]) { products(filter: { collectionIds: $c }) { totalCount } }", json!({ "c": [id] })).await;
        assert_eq!(filtered["products"]["totalCount"], 2);
        let listed = app.ok("{ collections(first: 10) { totalCount nodes { handle } } }", json!({})).await;
        assert_eq!(listed["collections"]["totalCount"], 2);

        let update = "mutation($id: ID!, $input: UpdateCollectionInput!) { updateCollection(id: $id, input: $input) { collection { handle title image { url } } userErrors { field code } } }";
        let changed = app.ok(update, json!({ "id": id, "input": { "title": "Autumn", "imageUrl": null } })).await;
        assert_eq!(changed["updateCollection"]["collection"], json!({ "handle": "summer-sale", "title": "Autumn", "image": null }));

        // Shoppers read collections; only staff change them.
        let shopper = app.post_as(None, CREATE_COLLECTION, json!({ "input": { "title": "Mine" } })).await;
        assert_eq!(shopper["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{shopper:#}");
        let read = app.post_as(None, "{ collection(handle: \"summer-sale\") { title } }", json!({})).await;
        assert_eq!(read["data"]["collection"]["title"], "Autumn");

        let delete = "mutation($id: ID!) { deleteCollection(id: $id) { deletedId userErrors { code } } }";
        let deleted = app.ok(delete, json!({ "id": id })).await;
        assert_eq!(deleted["deleteCollection"]["deletedId"], id);
        assert_eq!(app.count_rows("collection_product").await, 0);
        assert_eq!(app.count_rows("product").await, 4, "the products stay");
        let again = app.ok(delete, json!({ "id": id })).await;
        assert_eq!(again["deleteCollection"]["userErrors"][0]["code"], "NOT_FOUND");
    }

    /// A collection page costs the same number of statements for 5 products
    /// as for 50, with each product's featured image, images and
    /// collections; a product page by handle a fixed number.
    async fn catalogue_pages_cost_constant_statements(app) {
        let page = "query($h: String!) { collection(handle: $h) { title image { url } products(first: 50) { totalCount nodes { id handle featuredImage { url altText } images(first: 10) { totalCount nodes { url } } collections(first: 5) { totalCount nodes { handle } } } } } }";
        let mut counts = Vec::new();
        for (handle, size) in [("small", 5), ("large", 50)] {
            let products = products_with_images(&app, handle, size).await;
            let made = app.ok(CREATE_COLLECTION, json!({ "input": { "title": handle, "productIds": products } })).await;
            assert_eq!(made["createCollection"]["userErrors"], json!([]));
            let before = app.statements();
            let data = app.ok(page, json!({ "h": handle })).await;
            counts.push(app.statements() - before);
            let nodes = data["collection"]["products"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), size);
            assert!(nodes.iter().all(|node| node["images"]["totalCount"] == 2 && node["featuredImage"]["url"].is_string()));
            assert!(nodes.iter().all(|node| node["collections"]["nodes"][0]["handle"] == handle));
        }
        assert_eq!(counts[0], counts[1], "5 and 50 products: {counts:?}");

        let product_page = "query($h: String!) { product(handle: $h) { name featuredImage { url } images { nodes { url altText } } collections { nodes { handle title } } } }";
        let before = app.statements();
        let data = app.ok(product_page, json!({ "h": "large-7" })).await;
        let statements = app.statements() - before;
        assert_eq!(data["product"]["collections"]["nodes"][0]["handle"], "large");
        assert!(statements <= 5, "a product page: {statements} statements");
    }
}

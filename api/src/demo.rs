//! Demo data for `--seed-demo`: a few customers, products with pictures,
//! collections and carts, so that a fresh GraphiQL session has something
//! to show. The pictures are Lorem Picsum URLs (real files, hosted
//! elsewhere, as a shop's CDN would host them). Only an empty database is
//! filled, so running it again changes nothing.

use chrono::Utc;
use entity::{cart, cart_product, collection, collection_product, customer, image, product};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
};

const PRODUCTS: &[(&str, &str, i64, i32)] = &[
    (
        "Espresso beans, 1 kg",
        "Dark roast, notes of cocoa and cherry.",
        2450,
        40,
    ),
    (
        "Pour-over kettle",
        "Gooseneck, 1 litre, stainless steel.",
        5900,
        12,
    ),
    ("Ceramic mug", "350 ml, dishwasher safe.", 1250, 100),
    ("Hand grinder", "Conical burrs, 30 grind settings.", 8900, 5),
    ("Paper filters (100)", "Size 02, unbleached.", 699, 250),
    ("Milk frother", "Battery powered.", 1999, 0),
];

const CUSTOMERS: &[(&str, &str)] = &[
    ("ada@example.com", "Ada Lovelace"),
    ("grace@example.com", "Grace Hopper"),
    ("alan@example.com", "Alan Turing"),
];

/// Collections as (title, description, [product index]).
const COLLECTIONS: &[(&str, &str, &[usize])] = &[
    (
        "Coffee",
        "Beans and what a cup needs every morning.",
        &[0, 4],
    ),
    (
        "Brewing gear",
        "Kettles, grinders and mugs that last.",
        &[1, 2, 3, 5],
    ),
];

/// A demo picture of `seed`, 800 pixels square.
fn picture(seed: &str, position: i32, alt_text: &str) -> image::ActiveModel {
    image::ActiveModel {
        position: Set(position),
        url: Set(format!("https://picsum.photos/seed/{seed}/800/800")),
        alt_text: Set(Some(alt_text.to_owned())),
        width: Set(Some(800)),
        height: Set(Some(800)),
        ..Default::default()
    }
}

/// Carts as (customer index, [(product index, quantity)]).
const CARTS: &[(usize, &[(usize, i32)])] = &[
    (0, &[(0, 2), (2, 1)]),
    (1, &[(1, 1), (4, 3)]),
    (0, &[(3, 1)]),
];

/// Fills the database with the demo data if it holds no products and no
/// customers. Returns whether it did.
pub async fn seed(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if product::Entity::find().count(db).await? > 0 || customer::Entity::find().count(db).await? > 0
    {
        return Ok(false);
    }
    let txn = crate::store::db::begin_write(db).await?;
    let now = Utc::now();
    let mut products = Vec::new();
    for &(name, description, price, stock) in PRODUCTS {
        let handle = crate::product::handle::Handle::from_name(name, "product");
        let row = product::ActiveModel {
            handle: Set(handle.as_str().to_owned()),
            name: Set(name.to_owned()),
            description: Set(Some(description.to_owned())),
            price: Set(price),
            stock: Set(stock),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (position, view) in ["front", "detail"].into_iter().enumerate() {
            image::ActiveModel {
                product_id: Set(Some(row.id)),
                ..picture(
                    &format!("{}-{view}", row.handle),
                    position as i32,
                    &format!("{name}, {view}"),
                )
            }
            .insert(&txn)
            .await?;
        }
        products.push(row.id);
    }
    for &(title, description, members) in COLLECTIONS {
        let handle = crate::product::handle::Handle::from_name(title, "collection");
        let row = collection::ActiveModel {
            handle: Set(handle.as_str().to_owned()),
            title: Set(title.to_owned()),
            description: Set(Some(description.to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        image::ActiveModel {
            collection_id: Set(Some(row.id)),
            ..picture(&row.handle, 0, title)
        }
        .insert(&txn)
        .await?;
        for &index in members {
            collection_product::ActiveModel {
                collection_id: Set(row.id),
                product_id: Set(products[index]),
            }
            .insert(&txn)
            .await?;
        }
    }
    let mut customers = Vec::new();
    for &(email, name) in CUSTOMERS {
        let row = customer::ActiveModel {
            email: Set(email.to_owned()),
            name: Set(name.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        customers.push(row.id);
    }
    for &(customer_index, lines) in CARTS {
        let cart = cart::ActiveModel {
            customer_id: Set(Some(customers[customer_index])),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for &(product_index, quantity) in lines {
            cart_product::ActiveModel {
                cart_id: Set(cart.id),
                product_id: Set(products[product_index]),
                quantity: Set(quantity),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

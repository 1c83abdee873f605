//! Demo data for `--seed-demo`: a few customers, products and carts, so that
//! a fresh GraphiQL session has something to show. Only an empty database is
//! filled, so running it again changes nothing.

use chrono::Utc;
use entity::{cart, cart_product, customer, product};
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
        let row = product::ActiveModel {
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
        products.push(row.id);
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

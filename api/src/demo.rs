//! Demo data for `--seed-demo`: a few customers (one with a saved address),
//! products with pictures, collections, carts, shipping zones, tax rates and
//! a discount code, so that a fresh GraphiQL session has something
//! to show. The pictures are Lorem Picsum URLs (real files, hosted
//! elsewhere, as a shop's CDN would host them). Only an empty database is
//! filled, so running it again changes nothing.

use chrono::Utc;
use entity::{
    cart, cart_product, collection, collection_product, customer, customer_address, discount_code,
    image, product, shipping_rate, shipping_zone, shipping_zone_country, tax_rate,
};
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
    seed_shipping_tax_and_discounts(&txn, now).await?;
    // Ada keeps an address: the one checkout will offer her.
    customer_address::ActiveModel {
        customer_id: Set(customers[0]),
        is_default: Set(true),
        first_name: Set(Some("Ada".to_owned())),
        last_name: Set(Some("Lovelace".to_owned())),
        address1: Set("12 St James's Square".to_owned()),
        city: Set("London".to_owned()),
        zip: Set(Some("SW1Y 4JH".to_owned())),
        country_code: Set("GB".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
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

/// A demo shipping rate: title, price, and the subtotal bounds (minor units).
type DemoRate = (&'static str, i64, Option<i64>, Option<i64>);

/// Where the demo shop ships, what it taxes, and one discount code.
async fn seed_shipping_tax_and_discounts(
    txn: &impl sea_orm::ConnectionTrait,
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let zones: [(&str, &[&str], &[DemoRate]); 2] = [
        (
            "Domestic",
            &["US"],
            &[
                ("Standard", 490, None, Some(4_999)),
                ("Free over $50", 0, Some(5_000), None),
            ],
        ),
        (
            "Europe and the UK",
            &["DE", "FR", "GB", "IT", "NL"],
            &[("International", 1_490, None, None)],
        ),
    ];
    for (name, countries, rates) in zones {
        let zone = shipping_zone::ActiveModel {
            name: Set(name.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for country in countries {
            shipping_zone_country::ActiveModel {
                country_code: Set((*country).to_owned()),
                zone_id: Set(zone.id),
            }
            .insert(txn)
            .await?;
        }
        for (position, &(title, price, min, max)) in rates.iter().enumerate() {
            shipping_rate::ActiveModel {
                zone_id: Set(zone.id),
                position: Set(position as i32),
                title: Set(title.to_owned()),
                price: Set(price),
                min_subtotal: Set(min),
                max_subtotal: Set(max),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    for (country, province, ppm, title) in [
        ("US", "IL", 62_500, "IL State Tax"),
        ("GB", "", 200_000, "VAT"),
        ("FR", "", 200_000, "TVA"),
    ] {
        tax_rate::ActiveModel {
            country_code: Set(country.to_owned()),
            province_code: Set(province.to_owned()),
            rate_ppm: Set(ppm),
            title: Set(title.to_owned()),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    discount_code::ActiveModel {
        code: Set("WELCOME10".to_owned()),
        code_key: Set("welcome10".to_owned()),
        kind: Set("PERCENTAGE".to_owned()),
        percent_ppm: Set(Some(100_000)),
        usage_limit: Set(Some(100)),
        once_per_customer: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

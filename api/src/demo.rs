//! Demo data for `--seed-demo`: a few customers (one with a saved address),
//! products with pictures, collections, carts, shipping zones, tax rates and
//! a discount code, so that a fresh GraphiQL session has something
//! to show. The pictures are Lorem Picsum URLs (real files, hosted
//! elsewhere, as a shop's CDN would host them). Only an empty database is
//! filled, so running it again changes nothing.

use chrono::Utc;
use entity::{
    cart, cart_line, collection, collection_product, customer, customer_address, discount_code,
    image, product, shipping_rate, shipping_zone, shipping_zone_country, tax_rate,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
};

/// A demo product: name, description, options (name, values) and variants
/// (values in option order, price in minor units, stock). A product
/// without options has one variant with no values.
struct DemoProduct {
    name: &'static str,
    description: &'static str,
    options: &'static [(&'static str, &'static [&'static str])],
    variants: &'static [(&'static [&'static str], i64, i32)],
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        name: "Espresso beans",
        description: "Dark roast, notes of cocoa and cherry.",
        options: &[("Weight", &["250 g", "1 kg"])],
        variants: &[(&["250 g"], 790, 120), (&["1 kg"], 2450, 40)],
    },
    DemoProduct {
        name: "Pour-over kettle",
        description: "Gooseneck, 1 litre, stainless steel.",
        options: &[],
        variants: &[(&[], 5900, 12)],
    },
    DemoProduct {
        name: "Ceramic mug",
        description: "350 ml, dishwasher safe.",
        options: &[("Color", &["White", "Black", "Speckled"])],
        variants: &[
            (&["White"], 1250, 100),
            (&["Black"], 1250, 60),
            (&["Speckled"], 1450, 0),
        ],
    },
    DemoProduct {
        name: "Hand grinder",
        description: "Conical burrs, 30 grind settings.",
        options: &[],
        variants: &[(&[], 8900, 5)],
    },
    DemoProduct {
        name: "Paper filters (100)",
        description: "Size 02, unbleached.",
        options: &[],
        variants: &[(&[], 699, 250)],
    },
    DemoProduct {
        name: "Milk frother",
        description: "Battery powered.",
        options: &[],
        variants: &[(&[], 1999, 0)],
    },
    DemoProduct {
        name: "Barista T-shirt",
        description: "Organic cotton, printed with a latte-art heart.",
        options: &[
            ("Size", &["S", "M", "L", "XL"]),
            ("Color", &["Black", "Natural"]),
        ],
        variants: &[
            (&["S", "Black"], 2400, 8),
            (&["M", "Black"], 2400, 15),
            (&["L", "Black"], 2400, 0),
            (&["XL", "Black"], 2600, 4),
            (&["S", "Natural"], 2400, 6),
            (&["M", "Natural"], 2400, 12),
            (&["L", "Natural"], 2400, 9),
        ],
    },
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
        &[1, 2, 3, 5, 6],
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

/// A demo cart line: (product index, variant index, quantity).
type DemoLine = (usize, usize, i32);

/// Carts as (customer index, lines).
const CARTS: &[(usize, &[DemoLine])] = &[
    (0, &[(0, 1, 2), (2, 0, 1)]),
    (1, &[(1, 0, 1), (4, 0, 3), (6, 1, 1)]),
    (0, &[(3, 0, 1)]),
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
    let mut variants = Vec::new();
    for demo in PRODUCTS {
        let name = demo.name;
        let handle = crate::product::handle::Handle::from_name(name, "product");
        let row = product::ActiveModel {
            handle: Set(handle.as_str().to_owned()),
            name: Set(name.to_owned()),
            description: Set(Some(demo.description.to_owned())),
            // Summed up from the variants below.
            price: Set(0),
            stock: Set(0),
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
        variants.push(seed_variants(&txn, &row, demo, now).await?);
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
        for &(product_index, variant_index, quantity) in lines {
            cart_line::ActiveModel {
                cart_id: Set(cart.id),
                variant_id: Set(variants[product_index][variant_index]),
                quantity: Set(quantity),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Writes a demo product's options and variants the way `createProduct`
/// does, SKUs made from its handle and values, and sums them up on the
/// product. Returns the variants' ids in order.
async fn seed_variants(
    txn: &sea_orm::DatabaseTransaction,
    product: &product::Model,
    demo: &DemoProduct,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    use crate::product::variant::input::NewVariant;
    use crate::product::variant::write;
    let options = demo
        .options
        .iter()
        .map(|(name, values)| {
            let values = values.iter().map(|value| (*value).to_owned()).collect();
            ((*name).to_owned(), values)
        })
        .collect();
    let mut options = write::insert_options(txn, product.id, options).await?;
    let mut ids = Vec::with_capacity(demo.variants.len());
    for &(values, price, stock) in demo.variants {
        let mut sku = product.handle.to_uppercase();
        for value in values {
            sku.push('-');
            sku.push_str(&value.replace(' ', "").to_uppercase());
        }
        let variant = NewVariant {
            sku: Some(sku),
            selected: demo
                .options
                .iter()
                .zip(values)
                .map(|((name, _), value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            ..NewVariant::default_of(price, stock, true)
        };
        let row = write::insert_variant(txn, product.id, &mut options, variant, &[], false, now)
            .await
            .map_err(|err| DbErr::Custom(format!("demo variant of {}: {err:?}", product.name)))?;
        ids.push(row.id);
    }
    write::refresh_product(txn, product.id, now).await?;
    Ok(ids)
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

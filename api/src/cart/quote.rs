//! What a cart's cost depends on, read inside a write's transaction (by
//! checkout and `selectCartShippingRate`), in few statements whatever the
//! number of lines: the lines with their options, the codes with the
//! lines they reach, the rates of the address's zone and its taxes. The
//! arithmetic is [`super::pricing`], the same that prices `Cart.cost`.

use std::collections::{HashMap, HashSet};

use entity::{
    cart_discount_code, cart_line, collection_product, discount_code, discount_code_collection,
    discount_code_use, product_option, product_option_value, product_variant,
    product_variant_value, shipping_rate, shipping_zone_country, tax_rate,
};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType as Join, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use crate::customer::address::Address;

/// A cart line as checkout reads it before taking stock.
#[derive(Debug, Clone)]
pub struct LineRow {
    pub variant_id: i64,
    pub product_id: i64,
    /// The variant's price when read (checkout prices the variant as it
    /// takes its stock; this is for the choices made before).
    pub price: i64,
    pub quantity: i32,
    pub requires_shipping: bool,
    /// (option name, value), in the product's option order.
    pub options: Vec<(String, String)>,
}

/// The lines of cart `cart_id` in variant order, each with its variant's
/// options (fixed for a variant's life, so safe to read before the stock is
/// locked): one statement.
pub async fn lines(db: &impl ConnectionTrait, cart_id: i64) -> Result<Vec<LineRow>, DbErr> {
    type Row = (i64, i64, i64, i32, bool, Option<String>, Option<String>);
    let rows: Vec<Row> = cart_line::Entity::find()
        .select_only()
        .column(cart_line::Column::VariantId)
        .column(product_variant::Column::ProductId)
        .column(product_variant::Column::Price)
        .column(cart_line::Column::Quantity)
        .column(product_variant::Column::RequiresShipping)
        .column(product_option::Column::Name)
        .column(product_option_value::Column::Value)
        .join(Join::InnerJoin, cart_line::Relation::ProductVariant.def())
        .join(
            Join::LeftJoin,
            product_variant_value::Relation::ProductVariant.def().rev(),
        )
        .join(
            Join::LeftJoin,
            product_variant_value::Relation::ProductOptionValue.def(),
        )
        .join(
            Join::LeftJoin,
            product_option_value::Relation::ProductOption.def(),
        )
        .filter(cart_line::Column::CartId.eq(cart_id))
        .order_by_asc(cart_line::Column::VariantId)
        .order_by_asc(product_option::Column::Position)
        .order_by_asc(product_option::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut lines: Vec<LineRow> = Vec::new();
    for (variant_id, product_id, price, quantity, requires_shipping, name, value) in rows {
        if lines
            .last()
            .is_none_or(|line| line.variant_id != variant_id)
        {
            lines.push(LineRow {
                variant_id,
                product_id,
                price,
                quantity,
                requires_shipping,
                options: Vec::new(),
            });
        }
        if let (Some(name), Some(value), Some(line)) = (name, value, lines.last_mut()) {
            line.options.push((name, value));
        }
    }
    Ok(lines)
}

/// The terms a cart is priced on, besides its lines.
#[derive(Debug, Default)]
pub struct Terms {
    /// The cart's codes in the order entered, with their collections.
    pub codes: Vec<(discount_code::Model, Vec<i64>)>,
    /// The cart's products that are in a code's collections, with those
    /// collections.
    pub in_collections: HashMap<i64, Vec<i64>>,
    pub zone_rates: Vec<shipping_rate::Model>,
    pub tax_rates: Vec<tax_rate::Model>,
    /// The cart's once-per-customer codes the buyer has used.
    pub used_by_buyer: HashSet<i64>,
}

#[derive(FromQueryResult)]
struct CodeRow {
    #[sea_orm(nested)]
    code: discount_code::Model,
    collection_id: Option<i64>,
    eligible_product: Option<i64>,
    used_by_buyer: bool,
}

/// The codes on cart `cart_id` (with whether the buyer known by `buyer`
/// keys has used each), the rates and taxes of `address`: three statements
/// (one without an address).
pub async fn terms(
    db: &impl ConnectionTrait,
    cart_id: i64,
    address: Option<&Address>,
    buyer: &[String],
) -> Result<Terms, DbErr> {
    let used = Query::select()
        .expr(Expr::value(1))
        .from(discount_code_use::Entity)
        .and_where(
            Expr::col((
                discount_code_use::Entity,
                discount_code_use::Column::DiscountCodeId,
            ))
            .equals((discount_code::Entity, discount_code::Column::Id)),
        )
        .and_where(
            Expr::col((discount_code_use::Entity, discount_code_use::Column::Buyer))
                .is_in(buyer.iter().cloned()),
        )
        .to_owned();
    // Each code with each of its collections and, for each, the cart's
    // products in it: which lines a limited code reaches, in one statement.
    let products_of_cart = Query::select()
        .column(product_variant::Column::ProductId)
        .from(cart_line::Entity)
        .inner_join(
            product_variant::Entity,
            Expr::col((product_variant::Entity, product_variant::Column::Id))
                .equals((cart_line::Entity, cart_line::Column::VariantId)),
        )
        .and_where(Expr::col((cart_line::Entity, cart_line::Column::CartId)).eq(cart_id))
        .to_owned();
    let rows = discount_code::Entity::find()
        .column_as(
            Expr::col((
                discount_code_collection::Entity,
                discount_code_collection::Column::CollectionId,
            )),
            "collection_id",
        )
        .column_as(
            Expr::col((
                collection_product::Entity,
                collection_product::Column::ProductId,
            )),
            "eligible_product",
        )
        .column_as(Expr::exists(used), "used_by_buyer")
        .join(
            Join::InnerJoin,
            cart_discount_code::Relation::DiscountCode.def().rev(),
        )
        .join_rev(
            Join::LeftJoin,
            discount_code_collection::Entity::belongs_to(discount_code::Entity)
                .from(discount_code_collection::Column::DiscountCodeId)
                .to(discount_code::Column::Id)
                .into(),
        )
        .join_rev(
            Join::LeftJoin,
            collection_product::Entity::belongs_to(discount_code_collection::Entity)
                .from(collection_product::Column::CollectionId)
                .to(discount_code_collection::Column::CollectionId)
                .on_condition(move |left, _| {
                    Condition::all().add(
                        Expr::col((left, collection_product::Column::ProductId))
                            .in_subquery(products_of_cart.clone()),
                    )
                })
                .into(),
        )
        .filter(cart_discount_code::Column::CartId.eq(cart_id))
        .order_by_asc(cart_discount_code::Column::CreatedAt)
        .order_by_asc(cart_discount_code::Column::DiscountCodeId)
        .into_model::<CodeRow>()
        .all(db)
        .await?;
    let mut terms = Terms::default();
    for row in rows {
        if terms
            .codes
            .last()
            .is_none_or(|(code, _)| code.id != row.code.id)
        {
            if row.used_by_buyer {
                terms.used_by_buyer.insert(row.code.id);
            }
            terms.codes.push((row.code.clone(), Vec::new()));
        }
        let Some(collection) = row.collection_id else {
            continue;
        };
        if let Some((_, collections)) = terms.codes.last_mut()
            && !collections.contains(&collection)
        {
            collections.push(collection);
        }
        if let Some(product) = row.eligible_product {
            let of_product = terms.in_collections.entry(product).or_default();
            if !of_product.contains(&collection) {
                of_product.push(collection);
            }
        }
    }
    let Some(address) = address else {
        return Ok(terms);
    };
    let country = address.country().as_str().to_owned();
    let zone_of_country = Query::select()
        .column(shipping_zone_country::Column::ZoneId)
        .from(shipping_zone_country::Entity)
        .and_where(Expr::col(shipping_zone_country::Column::CountryCode).eq(country.clone()))
        .to_owned();
    terms.zone_rates = shipping_rate::Entity::find()
        .filter(shipping_rate::Column::ZoneId.in_subquery(zone_of_country))
        .order_by_asc(shipping_rate::Column::Position)
        .order_by_asc(shipping_rate::Column::Id)
        .all(db)
        .await?;
    terms.tax_rates = tax_rate::Entity::find()
        .filter(tax_rate::Column::CountryCode.eq(country))
        .all(db)
        .await?;
    Ok(terms)
}

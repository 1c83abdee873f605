//! What variants batch-load beyond rows by id and pages per product: each
//! product's options with their values, each variant's selected options,
//! variants by their combination, and each product's highest variant price.
//! One statement per batch, whatever the number of products or variants.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{product_option, product_option_value, product_variant, product_variant_value};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::options::{OptionOfProduct, ProductOptions, SelectedOptions};
use crate::store::batch::BatchLoad;

/// Loads products' options, each with its values, in order: two
/// statements per batch (options, then values).
pub struct OptionsByProduct(pub DatabaseConnection);

impl BatchLoad for OptionsByProduct {
    type Key = i64;
    type Value = Arc<ProductOptions>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        load_options(&self.0, &keys).await.map(|options| {
            options
                .into_iter()
                .map(|(product, options)| (product, Arc::new(options)))
                .collect()
        })
    }
}

/// The options of `products`, in order, each with its values in order;
/// every product asked for has an entry (empty without options).
pub async fn load_options(
    db: &impl sea_orm::ConnectionTrait,
    products: &[i64],
) -> Result<HashMap<i64, ProductOptions>, DbErr> {
    let options = product_option::Entity::find()
        .filter(product_option::Column::ProductId.is_in(products.iter().copied()))
        .order_by_asc(product_option::Column::Position)
        .order_by_asc(product_option::Column::Id)
        .all(db)
        .await?;
    let values = if options.is_empty() {
        Vec::new()
    } else {
        product_option_value::Entity::find()
            .filter(product_option_value::Column::ProductId.is_in(products.iter().copied()))
            .order_by_asc(product_option_value::Column::Position)
            .order_by_asc(product_option_value::Column::Id)
            .all(db)
            .await?
    };
    let mut per_product: HashMap<i64, ProductOptions> = products
        .iter()
        .map(|product| (*product, ProductOptions::default()))
        .collect();
    for option in options {
        let values = values
            .iter()
            .filter(|value| value.option_id == option.id)
            .map(|value| (value.id, value.value.clone()))
            .collect();
        per_product
            .entry(option.product_id)
            .or_default()
            .0
            .push(OptionOfProduct {
                id: option.id,
                name: option.name,
                values,
            });
    }
    Ok(per_product)
}

/// Loads variants' selected options (name and value, in the product's
/// option order) with one joined statement.
pub struct SelectedOptionsByVariant(pub DatabaseConnection);

impl BatchLoad for SelectedOptionsByVariant {
    type Key = i64;
    type Value = Arc<SelectedOptions>;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, Self::Value>, DbErr> {
        let selected = load_selected_options(&self.0, &keys).await?;
        Ok(selected
            .into_iter()
            .map(|(variant, options)| (variant, Arc::new(options)))
            .collect())
    }
}

/// The selected options of `variants`; every variant asked for has an
/// entry (empty without options).
pub async fn load_selected_options(
    db: &impl sea_orm::ConnectionTrait,
    variants: &[i64],
) -> Result<HashMap<i64, SelectedOptions>, DbErr> {
    let rows: Vec<(i64, String, String)> = product_variant_value::Entity::find()
        .select_only()
        .column(product_variant_value::Column::VariantId)
        .column(product_option::Column::Name)
        .column(product_option_value::Column::Value)
        .join(
            JoinType::InnerJoin,
            product_variant_value::Relation::ProductOptionValue.def(),
        )
        .join(
            JoinType::InnerJoin,
            product_option_value::Relation::ProductOption.def(),
        )
        .filter(product_variant_value::Column::VariantId.is_in(variants.iter().copied()))
        .order_by_asc(product_variant_value::Column::VariantId)
        .order_by_asc(product_option::Column::Position)
        .order_by_asc(product_option::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_variant: HashMap<i64, SelectedOptions> = variants
        .iter()
        .map(|variant| (*variant, SelectedOptions::default()))
        .collect();
    for (variant, name, value) in rows {
        per_variant
            .entry(variant)
            .or_default()
            .0
            .push((name, value));
    }
    Ok(per_variant)
}

/// Loads variants by their product and combination (`option_key`).
pub struct VariantByOptionKey(pub DatabaseConnection);

impl BatchLoad for VariantByOptionKey {
    type Key = (i64, String);
    type Value = product_variant::Model;

    async fn load(
        &self,
        keys: Vec<(i64, String)>,
    ) -> Result<HashMap<(i64, String), Self::Value>, DbErr> {
        let mut wanted = Condition::any();
        for (product, key) in &keys {
            wanted = wanted.add(
                Condition::all()
                    .add(product_variant::Column::ProductId.eq(*product))
                    .add(product_variant::Column::OptionKey.eq(key.as_str())),
            );
        }
        let rows = product_variant::Entity::find()
            .filter(wanted)
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((row.product_id, row.option_key.clone()), row))
            .collect())
    }
}

/// Loads each product's highest variant price (its lowest is
/// `product.price`), with one grouped statement.
pub struct MaxPriceByProduct(pub DatabaseConnection);

impl BatchLoad for MaxPriceByProduct {
    type Key = i64;
    type Value = i64;

    async fn load(&self, keys: Vec<i64>) -> Result<HashMap<i64, i64>, DbErr> {
        let rows: Vec<(i64, i64)> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::ProductId)
            .expr_as(
                Func::max(Expr::col(product_variant::Column::Price)),
                "max_price",
            )
            .filter(product_variant::Column::ProductId.is_in(keys.iter().copied()))
            .group_by(product_variant::Column::ProductId)
            .into_tuple()
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().collect())
    }
}

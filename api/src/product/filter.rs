//! How `products` lists are filtered and ordered.

use async_graphql::{Enum, ID, InputObject};
use entity::{
    collection_product, product, product_option, product_option_value, product_variant,
    product_variant_value,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};

use super::variant::options::SelectedOptionInput;
use crate::error::{ApiError, ApiResult};
use crate::ids::NodeKind;
use crate::money::{self, Decimal};
use crate::store::filter::{self, FilterInput, Predicate};
use crate::store::pagination::{Order, OrderDirection, SortColumn};

/// Most option values one filter names.
pub const MAX_OPTION_VALUES_IN_FILTER: usize = 100;

/// Bounds on a price, both included; either may be left out.
#[derive(InputObject, Debug, Clone, Copy, Default)]
pub struct PriceRangeInput {
    /// The lowest price, e.g. `"10.00"`.
    pub min: Option<Decimal>,
    /// The highest price, e.g. `"49.99"`.
    pub max: Option<Decimal>,
}

/// Which products to list. Every field given must hold; `and`, `or` and
/// `not` combine further filters (at most 5 deep, 50 conditions in all).
#[derive(InputObject, Debug, Default)]
pub struct ProductFilter {
    /// Only the products with these IDs (at most 1,000 IDs over the whole filter).
    pub ids: Option<Vec<ID>>,
    /// Only products whose name contains this text, ignoring case
    /// (on SQLite, case is ignored for ASCII letters only).
    pub name_contains: Option<String>,
    /// Only products whose lowest variant price is at least this much.
    pub min_price: Option<Decimal>,
    /// Only products whose lowest variant price is at most this much.
    pub max_price: Option<Decimal>,
    /// `true`: only products with stock left (in any variant); `false`: only
    /// sold-out ones.
    pub in_stock: Option<bool>,
    /// Only products in at least one of these collections (their IDs
    /// count towards the filter's 1,000).
    pub collection_ids: Option<Vec<ID>>,
    /// Only products with a variant of one of these values, for each option
    /// named (values of one option are alternatives; different options must
    /// all match): `[{ name: "Size", value: "M" }, { name: "Size", value:
    /// "L" }, { name: "Color", value: "Black" }]` is (M or L) and Black. At
    /// most 100.
    pub option_values: Option<Vec<SelectedOptionInput>>,
    /// Only products with a variant whose price is within these bounds.
    pub price_range: Option<PriceRangeInput>,
    /// `true`: only products with a variant in stock; `false`: only sold-out
    /// ones.
    pub available_for_sale: Option<bool>,
    /// Only products that match every one of these filters.
    pub and: Option<Vec<ProductFilter>>,
    /// Only products that match at least one of these filters (an empty
    /// list matches nothing).
    pub or: Option<Vec<ProductFilter>>,
    /// Only products that do not match this filter.
    pub not: Option<Box<ProductFilter>>,
}

/// One checked condition of a [`ProductFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProductCondition {
    Ids(Vec<i64>),
    NameContains(String),
    MinPrice(i64),
    MaxPrice(i64),
    InStock(bool),
    InCollections(Vec<i64>),
    /// (option name, its accepted values), one entry per option named.
    OptionValues(Vec<(String, Vec<String>)>),
    VariantPrice(Option<i64>, Option<i64>),
}

/// A checked product filter.
pub type ProductPredicate = Predicate<ProductCondition>;

impl FilterInput for ProductFilter {
    type Condition = ProductCondition;

    fn ids_listed(&self) -> usize {
        self.ids.as_ref().map_or(0, Vec::len) + self.collection_ids.as_ref().map_or(0, Vec::len)
    }

    fn conditions(&self, conditions: &mut Vec<ProductCondition>) -> ApiResult<()> {
        if let Some(ids) = &self.ids {
            let keys = filter::keys(ids, NodeKind::Product, "ids")?;
            conditions.push(ProductCondition::Ids(keys));
        }
        if let Some(text) = &self.name_contains {
            let needle = filter::search_text(text, "nameContains")?;
            conditions.push(ProductCondition::NameContains(needle));
        }
        let price = |amount: Decimal, field: &str| {
            money::to_minor_units(amount)
                .map_err(|err| ApiError::bad_input(format!("`{field}` {err}")))
        };
        if let Some(min) = self.min_price {
            conditions.push(ProductCondition::MinPrice(price(min, "minPrice")?));
        }
        if let Some(max) = self.max_price {
            conditions.push(ProductCondition::MaxPrice(price(max, "maxPrice")?));
        }
        if let Some(in_stock) = self.in_stock {
            conditions.push(ProductCondition::InStock(in_stock));
        }
        if let Some(ids) = &self.collection_ids {
            let keys = filter::keys(ids, NodeKind::Collection, "collectionIds")?;
            conditions.push(ProductCondition::InCollections(keys));
        }
        if let Some(values) = &self.option_values {
            if values.len() > MAX_OPTION_VALUES_IN_FILTER {
                return Err(ApiError::bad_input(format!(
                    "`optionValues` may name at most {MAX_OPTION_VALUES_IN_FILTER} values"
                )));
            }
            let mut per_option: Vec<(String, Vec<String>)> = Vec::new();
            for value in values {
                let (name, value) = (value.name.trim().to_owned(), value.value.trim().to_owned());
                match per_option.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, accepted)) => accepted.push(value),
                    None => per_option.push((name, vec![value])),
                }
            }
            conditions.push(ProductCondition::OptionValues(per_option));
        }
        if let Some(range) = self.price_range {
            let min = range
                .min
                .map(|min| price(min, "priceRange.min"))
                .transpose()?;
            let max = range
                .max
                .map(|max| price(max, "priceRange.max"))
                .transpose()?;
            conditions.push(ProductCondition::VariantPrice(min, max));
        }
        if let Some(available) = self.available_for_sale {
            conditions.push(ProductCondition::InStock(available));
        }
        Ok(())
    }

    filter::combinators!();
}

impl ProductCondition {
    fn to_expr(&self) -> Expr {
        use product::Column;
        match self {
            ProductCondition::Ids(ids) => Column::Id.is_in(ids.iter().copied()),
            ProductCondition::NameContains(needle) => {
                filter::contains_ignoring_case(Column::Name, needle)
            }
            ProductCondition::MinPrice(min) => Column::Price.gte(*min),
            ProductCondition::MaxPrice(max) => Column::Price.lte(*max),
            ProductCondition::InStock(true) => Column::Stock.gt(0),
            ProductCondition::InStock(false) => Expr::col(Column::Stock).eq(0),
            ProductCondition::InCollections(ids) => Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(collection_product::Column::ProductId)
                    .from(collection_product::Entity)
                    .and_where(collection_product::Column::CollectionId.is_in(ids.iter().copied()))
                    .to_owned(),
            ),
            ProductCondition::OptionValues(per_option) => {
                let mut all = Expr::value(true);
                for (name, values) in per_option {
                    all = all.and(Column::Id.in_subquery(with_option_value(name, values)));
                }
                all
            }
            ProductCondition::VariantPrice(min, max) => {
                let mut variants = Query::select();
                variants
                    .column(product_variant::Column::ProductId)
                    .from(product_variant::Entity);
                if let Some(min) = min {
                    variants.and_where(product_variant::Column::Price.gte(*min));
                }
                if let Some(max) = max {
                    variants.and_where(product_variant::Column::Price.lte(*max));
                }
                Column::Id.in_subquery(variants.to_owned())
            }
        }
    }
}

/// The products with a variant that takes one of `values` of the option
/// `name`.
fn with_option_value(name: &str, values: &[String]) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((product_variant::Entity, product_variant::Column::ProductId))
        .from(product_variant::Entity)
        .inner_join(
            product_variant_value::Entity,
            Expr::col((
                product_variant_value::Entity,
                product_variant_value::Column::VariantId,
            ))
            .equals((product_variant::Entity, product_variant::Column::Id)),
        )
        .inner_join(
            product_option_value::Entity,
            Expr::col((
                product_option_value::Entity,
                product_option_value::Column::Id,
            ))
            .equals((
                product_variant_value::Entity,
                product_variant_value::Column::OptionValueId,
            )),
        )
        .inner_join(
            product_option::Entity,
            Expr::col((product_option::Entity, product_option::Column::Id)).equals((
                product_option_value::Entity,
                product_option_value::Column::OptionId,
            )),
        )
        .and_where(Expr::col((product_option::Entity, product_option::Column::Name)).eq(name))
        .and_where(
            Expr::col((
                product_option_value::Entity,
                product_option_value::Column::Value,
            ))
            .is_in(values.iter().map(String::as_str)),
        )
        .to_owned()
}

/// Checks an optional filter.
pub fn parse(filter: Option<&ProductFilter>) -> ApiResult<Option<ProductPredicate>> {
    filter.map(filter::parse).transpose()
}

/// The SQL condition of an optional checked filter (none: every product).
pub fn predicate_condition(predicate: Option<&ProductPredicate>) -> Condition {
    match predicate {
        Some(predicate) => predicate.to_condition(&ProductCondition::to_expr),
        None => Condition::all(),
    }
}

/// The SQL condition of an optional filter (none: every product).
pub fn condition(filter: Option<&ProductFilter>) -> ApiResult<Condition> {
    Ok(predicate_condition(parse(filter)?.as_ref()))
}

/// How to order products.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct ProductOrder {
    /// What to sort by; products that tie are ordered by ID.
    pub field: ProductOrderField,
    /// Which way to sort; ascending by default.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What products can be sorted by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductOrderField {
    /// By name, in the database's collation (byte order on SQLite).
    Name,
    /// By the lowest variant price.
    Price,
    /// By units in stock, over all variants.
    Stock,
    /// By creation time.
    CreatedAt,
}

/// The ordering `products` uses: by ID (creation order) unless asked.
pub fn order(order: Option<ProductOrder>) -> Order<product::Column> {
    let Some(order) = order else {
        return Order::by_id(product::Column::Id);
    };
    let column = match order.field {
        ProductOrderField::Name => SortColumn::text(product::Column::Name),
        ProductOrderField::Price => SortColumn::integer(product::Column::Price),
        ProductOrderField::Stock => SortColumn::integer(product::Column::Stock),
        ProductOrderField::CreatedAt => SortColumn::time(product::Column::CreatedAt),
    };
    Order::new(product::Column::Id, column, order.direction)
}

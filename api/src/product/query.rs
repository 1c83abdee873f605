use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::product;
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select};
use tokio::sync::OnceCell;

use super::Product;
use super::filter::{self, ProductFilter, ProductOrder};
use super::loaders::ProductLoaders;
use crate::context::Shared;
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};
use crate::money::Currency;
use crate::money::Money;
use crate::store::pagination::{BoxFuture, Page, TotalCount, connection};

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    "product",
    "products",
    ProductStats,
    {
        /// Figures over every product the filter matches, across all pages.
        async fn aggregate(&self, ctx: &Context<'_>) -> ApiResult<ProductAggregate> {
            let row = self.total.row(ctx).await?;
            let currency = ctx.shared::<Currency>()?;
            let money = |minor: Option<i64>| minor.map(|minor| Money::from_minor(minor, currency));
            Ok(ProductAggregate {
                count: row.count,
                price: PriceAggregate {
                    min: money(row.min_price),
                    max: money(row.max_price),
                    // Rounded half away from zero to the currency's minor unit.
                    avg: money(row.avg_price.map(|avg| avg.round() as i64)),
                },
            })
        }
    }
);

/// Figures over a filtered set of products.
#[derive(SimpleObject)]
pub struct ProductAggregate {
    /// How many products match.
    count: i64,
    /// Their prices.
    price: PriceAggregate,
}

/// Statistics of the prices of a set of products; each is null when the set
/// is empty.
#[derive(SimpleObject)]
pub struct PriceAggregate {
    /// The lowest price.
    min: Option<Money>,
    /// The highest price.
    max: Option<Money>,
    /// The mean price, rounded to the currency's minor unit.
    avg: Option<Money>,
}

/// The figures of a filtered product list, computed with one statement the
/// first time `totalCount` or `aggregate` asks, and shared by both.
pub struct ProductStats {
    filtered: Select<product::Entity>,
    row: OnceCell<StatsRow>,
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    count: i64,
    min_price: Option<i64>,
    max_price: Option<i64>,
    avg_price: Option<f64>,
}

impl ProductStats {
    async fn row(&self, ctx: &Context<'_>) -> ApiResult<&StatsRow> {
        self.row
            .get_or_try_init(|| async {
                let db = ctx.shared::<DatabaseConnection>()?;
                let row = self
                    .filtered
                    .clone()
                    .select_only()
                    .expr_as(Expr::cust("COUNT(*)"), "count")
                    .expr_as(Expr::cust(r#"MIN("product"."price")"#), "min_price")
                    .expr_as(Expr::cust(r#"MAX("product"."price")"#), "max_price")
                    // AVG of integers is NUMERIC on PostgreSQL, REAL on SQLite.
                    .expr_as(
                        Expr::cust(r#"CAST(AVG("product"."price") AS DOUBLE PRECISION)"#),
                        "avg_price",
                    )
                    .into_model::<StatsRow>()
                    .one(db)
                    .await?;
                Ok(row.unwrap_or(StatsRow {
                    count: 0,
                    min_price: None,
                    max_price: None,
                    avg_price: None,
                }))
            })
            .await
    }
}

impl ProductStats {
    /// The figures of the products `filtered` selects, computed when asked.
    pub fn new(filtered: Select<product::Entity>) -> Self {
        ProductStats {
            filtered,
            row: OnceCell::new(),
        }
    }
}

impl TotalCount for ProductStats {
    fn total_count<'a>(&'a self, ctx: &'a Context<'_>) -> BoxFuture<'a, ApiResult<u64>> {
        Box::pin(async move { Ok(u64::try_from(self.row(ctx).await?.count).unwrap_or(0)) })
    }
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// The product with this ID or this handle (give exactly one), or null
    /// if there is none.
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global ID.")] id: Option<ID>,
        #[graphql(desc = "The product's handle, e.g. `espresso-beans`.")] handle: Option<String>,
    ) -> ApiResult<Option<Product>> {
        let row = match (id, handle) {
            (Some(id), None) => {
                let key = ids::decode_as(&id, NodeKind::Product, "id")?;
                ctx.shared::<Arc<ProductLoaders>>()?
                    .by_id
                    .load_one(key)
                    .await?
            }
            (None, Some(handle)) => {
                product::Entity::find()
                    .filter(product::Column::Handle.eq(handle.trim()))
                    .one(ctx.shared::<DatabaseConnection>()?)
                    .await?
            }
            _ => return Err(ApiError::bad_input("Give exactly one of `id` and `handle`")),
        };
        Ok(row.map(Product))
    }

    /// The catalogue, a page at a time (20 by default, at most 100), oldest
    /// product first unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::execute::limits::page_cost(first, last, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the products that match this filter.")] filter: Option<
            ProductFilter,
        >,
        #[graphql(desc = "How to order the products; by ID (creation order) if not given.")]
        order_by: Option<ProductOrder>,
        #[graphql(desc = "Return the first n products after `after`.")] first: Option<i32>,
        #[graphql(desc = "Return products after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n products before `before`.")] last: Option<i32>,
        #[graphql(desc = "Return products before this cursor.")] before: Option<String>,
    ) -> ApiResult<ProductConnection> {
        let page = Page::parse(filter::order(order_by), first, after, last, before)?;
        let filtered = product::Entity::find().filter(filter::condition(filter.as_ref())?);
        let db = ctx.shared::<DatabaseConnection>()?;
        let slice = page.fetch(db, filtered.clone()).await?;
        Ok(ProductConnection::new(
            slice,
            Product,
            ProductStats {
                filtered,
                row: OnceCell::new(),
            },
        ))
    }
}

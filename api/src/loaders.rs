//! Batch loaders: every relation the schema resolves goes through one, so a
//! request costs a constant number of SQL statements however many objects it
//! returns (no N+1). async-graphql's `DataLoader` collects the keys asked for
//! while a level of the query resolves, then calls `load` once with all of them.
//!
//! The loaders keep no cache: they live as long as the schema, so a cache
//! would serve stale rows to later requests.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{cart, cart_product, customer, product};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::error::ApiError;
use crate::pagination::{Page, Slice};

/// Loader errors must be `Clone`: one failure is handed to every waiting key.
pub type LoadError = Arc<DbErr>;

impl From<LoadError> for ApiError {
    fn from(err: LoadError) -> Self {
        ApiError::from(anyhow::anyhow!("{err}"))
    }
}

/// The set of loaders a schema carries in its data.
pub struct Loaders {
    pub product: DataLoader<ProductById>,
    pub customer: DataLoader<CustomerById>,
    pub cart: DataLoader<CartById>,
    pub cart_lines: DataLoader<LinesByCart>,
    pub carts_of_customer: DataLoader<CartPagesByCustomer>,
    pub cart_count: DataLoader<CartCountByCustomer>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        let db = db.clone();
        Loaders {
            product: DataLoader::new(ProductById(db.clone()), tokio::spawn),
            customer: DataLoader::new(CustomerById(db.clone()), tokio::spawn),
            cart: DataLoader::new(CartById(db.clone()), tokio::spawn),
            cart_lines: DataLoader::new(LinesByCart(db.clone()), tokio::spawn),
            carts_of_customer: DataLoader::new(CartPagesByCustomer(db.clone()), tokio::spawn),
            cart_count: DataLoader::new(CartCountByCustomer(db), tokio::spawn),
        }
    }
}

/// Loads rows of `E` by primary key with one `WHERE id IN (…)`.
macro_rules! by_id_loader {
    ($name:ident, $entity:ident) => {
        #[doc = concat!("Loads `", stringify!($entity), "` rows by id.")]
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = $entity::Model;
            type Error = LoadError;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row)).collect())
            }
        }
    };
}

by_id_loader!(ProductById, product);
by_id_loader!(CustomerById, customer);
by_id_loader!(CartById, cart);

/// Loads the lines of carts, keyed by cart id, in product order.
pub struct LinesByCart(DatabaseConnection);

impl Loader<i64> for LinesByCart {
    type Value = Vec<cart_product::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = cart_product::Entity::find()
            .filter(cart_product::Column::CartId.is_in(keys.iter().copied()))
            .order_by_asc(cart_product::Column::CartId)
            .order_by_asc(cart_product::Column::ProductId)
            .all(&self.0)
            .await?;
        let mut lines: HashMap<i64, Self::Value> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            lines.entry(row.cart_id).or_default().push(row);
        }
        Ok(lines)
    }
}

/// A page of one customer's carts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CartPageKey {
    pub customer_id: i64,
    pub page: Page,
}

/// Loads pages of carts of many customers at once. Each customer gets its
/// own page, so the rows are numbered per customer with a window function
/// (`ROW_NUMBER() OVER (PARTITION BY customer_id …)`, supported by SQLite and
/// PostgreSQL) and cut at the page size: one statement per distinct page
/// request, whatever the number of customers.
pub struct CartPagesByCustomer(DatabaseConnection);

impl Loader<CartPageKey> for CartPagesByCustomer {
    type Value = Arc<Slice<cart::Model>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CartPageKey],
    ) -> Result<HashMap<CartPageKey, Self::Value>, Self::Error> {
        let mut by_page: HashMap<Page, Vec<i64>> = HashMap::new();
        for key in keys {
            by_page.entry(key.page).or_default().push(key.customer_id);
        }
        let mut pages = HashMap::new();
        for (page, customer_ids) in by_page {
            let direction = if page.backward { "DESC" } else { "ASC" };
            let numbered = page
                .apply(
                    cart::Entity::find()
                        .filter(cart::Column::CustomerId.is_in(customer_ids.iter().copied())),
                    cart::Column::Id,
                )
                .expr_as(
                    Expr::cust(format!(
                        r#"ROW_NUMBER() OVER (PARTITION BY "customer_id" ORDER BY "id" {direction})"#
                    )),
                    "row_number",
                )
                // The per-customer cut replaces the global limit `apply` set.
                .limit(None)
                .into_query();
            let query = Query::select()
                .column(Asterisk)
                .from_subquery(numbered, Alias::new("numbered"))
                .and_where(Expr::col(Alias::new("row_number")).lte(page.size as i64 + 1))
                .order_by(Alias::new("row_number"), sea_orm::Order::Asc)
                .to_owned();
            let db = &self.0;
            let rows = cart::Model::find_by_statement(db.get_database_backend().build(&query))
                .all(db)
                .await?;
            let mut per_customer: HashMap<i64, Vec<cart::Model>> =
                customer_ids.iter().map(|id| (*id, Vec::new())).collect();
            for row in rows {
                per_customer.entry(row.customer_id).or_default().push(row);
            }
            for (customer_id, rows) in per_customer {
                pages.insert(
                    CartPageKey { customer_id, page },
                    Arc::new(page.slice(rows)),
                );
            }
        }
        Ok(pages)
    }
}

/// Counts the carts of customers, keyed by customer id.
pub struct CartCountByCustomer(DatabaseConnection);

impl Loader<i64> for CartCountByCustomer {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, u64>, Self::Error> {
        let counts: Vec<(i64, i64)> = cart::Entity::find()
            .select_only()
            .column(cart::Column::CustomerId)
            .column_as(cart::Column::Id.count(), "count")
            .filter(cart::Column::CustomerId.is_in(keys.iter().copied()))
            .group_by(cart::Column::CustomerId)
            .into_tuple()
            .all(&self.0)
            .await?;
        let mut result: HashMap<i64, u64> = keys.iter().map(|key| (*key, 0)).collect();
        for (customer_id, count) in counts {
            result.insert(customer_id, u64::try_from(count).unwrap_or(0));
        }
        Ok(result)
    }
}

/// The loaders the schema was built with.
pub fn from_context<'a>(ctx: &async_graphql::Context<'a>) -> crate::error::ApiResult<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| anyhow::anyhow!("the schema was built without loaders").into())
}

//! Relay Global Object Identification: the `Node` interface and the
//! `node(id:)` query that fetches any object by its global ID.

use std::sync::Arc;

use async_graphql::{Context, ID, Interface, Object};

use super::loaders::Loaders;
use crate::auth;
use crate::cart::Cart;
use crate::cart::access::CartAccess;
use crate::collection::Collection;
use crate::context::Shared;
use crate::customer::Customer;
use crate::error::{ApiError, ApiResult};
use crate::ids::{self, NodeKind};
use crate::order::{self, Order};
use crate::product::{Product, ProductVariant};
use crate::store::pagination::MAX_PAGE_SIZE;

/// An object with a global ID, which `node(id:)` can fetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global ID."))]
pub enum Node {
    Product(Product),
    Customer(Customer),
    Cart(Cart),
    Order(Order),
    Collection(Collection),
    ProductVariant(ProductVariant),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID, whatever its type, or null if there is
    /// none or you may not see it (other customers, their carts and orders).
    /// (Never cached publicly: what it shows depends on who asks.)
    #[graphql(cache_control(private))]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as found in any object's `id`.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let loaders = ctx.shared::<Arc<Loaders>>()?;
        let viewer = auth::viewer(ctx);
        Ok(match ids::decode(&id)? {
            (NodeKind::Product, key) => loaders
                .product
                .by_id
                .load_one(key)
                .await?
                .map(|row| Node::Product(Product(row))),
            (NodeKind::Customer, key) => loaders
                .customer
                .by_id
                .load_one(key)
                .await?
                .filter(|row| viewer.may_see_customer(row.id))
                .map(|row| Node::Customer(Customer(row))),
            (NodeKind::Cart, key) => loaders
                .cart
                .by_id
                .load_one(key)
                .await?
                .filter(|row| CartAccess::of(ctx).reaches(row))
                .map(|row| Node::Cart(Cart(row))),
            (NodeKind::Order, key) => loaders
                .order
                .by_id
                .load_one(key)
                .await?
                .filter(|row| order::may_see(viewer, row))
                .map(|row| Node::Order(Order(row))),
            (NodeKind::Collection, key) => loaders
                .collection
                .by_id
                .load_one(key)
                .await?
                .map(|row| Node::Collection(Collection(row))),
            (NodeKind::ProductVariant, key) => loaders
                .product
                .variant_by_id
                .load_one(key)
                .await?
                .map(|row| Node::ProductVariant(ProductVariant(row))),
        })
    }

    /// The objects with these global IDs (at most 100), in the same order,
    /// with null for each ID that names nothing. One statement per type.
    #[graphql(
        complexity = "ids.len().max(1) * child_complexity",
        cache_control(private)
    )]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs, as found in any object's `id`.")] ids: Vec<ID>,
    ) -> ApiResult<Vec<Option<Node>>> {
        if ids.len() as u64 > MAX_PAGE_SIZE {
            return Err(ApiError::bad_input(format!(
                "`ids` may hold at most {MAX_PAGE_SIZE} IDs"
            )));
        }
        let ids: Vec<(NodeKind, i64)> = ids.iter().map(ids::decode).collect::<ApiResult<_>>()?;
        let of_kind = |wanted: NodeKind| {
            ids.iter()
                .filter(move |(kind, _)| *kind == wanted)
                .map(|(_, key)| *key)
        };
        let loaders = ctx.shared::<Arc<Loaders>>()?;
        let viewer = auth::viewer(ctx);
        let cart_access = CartAccess::of(ctx);
        let (products, customers, carts, orders, collections, variants) = futures_util::try_join!(
            loaders.product.by_id.load_many(of_kind(NodeKind::Product)),
            loaders
                .customer
                .by_id
                .load_many(of_kind(NodeKind::Customer)),
            loaders.cart.by_id.load_many(of_kind(NodeKind::Cart)),
            loaders.order.by_id.load_many(of_kind(NodeKind::Order)),
            loaders
                .collection
                .by_id
                .load_many(of_kind(NodeKind::Collection)),
            loaders
                .product
                .variant_by_id
                .load_many(of_kind(NodeKind::ProductVariant)),
        )?;
        Ok(ids
            .iter()
            .map(|(kind, key)| match kind {
                NodeKind::Product => products
                    .get(key)
                    .cloned()
                    .map(|row| Node::Product(Product(row))),
                NodeKind::Customer => customers
                    .get(key)
                    .filter(|row| viewer.may_see_customer(row.id))
                    .cloned()
                    .map(|row| Node::Customer(Customer(row))),
                NodeKind::Cart => carts
                    .get(key)
                    .filter(|row| cart_access.reaches(row))
                    .cloned()
                    .map(|row| Node::Cart(Cart(row))),
                NodeKind::Order => orders
                    .get(key)
                    .filter(|row| order::may_see(viewer, row))
                    .cloned()
                    .map(|row| Node::Order(Order(row))),
                NodeKind::Collection => collections
                    .get(key)
                    .cloned()
                    .map(|row| Node::Collection(Collection(row))),
                NodeKind::ProductVariant => variants
                    .get(key)
                    .cloned()
                    .map(|row| Node::ProductVariant(ProductVariant(row))),
            })
            .collect())
    }
}

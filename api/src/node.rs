//! Relay Global Object Identification: the `Node` interface and the
//! `node(id:)` query that fetches any object by its global ID.

use async_graphql::{Context, ID, Interface, Object};

use crate::cart::Cart;
use crate::customer::Customer;
use crate::error::ApiResult;
use crate::ids::{self, NodeKind};
use crate::loaders;
use crate::product::Product;

/// An object with a global ID, which `node(id:)` can fetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global ID."))]
pub enum Node {
    Product(Product),
    Customer(Customer),
    Cart(Cart),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID, whatever its type, or null if there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as found in any object's `id`.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let loaders = loaders::from_context(ctx)?;
        Ok(match ids::decode(&id)? {
            (NodeKind::Product, key) => loaders
                .product
                .load_one(key)
                .await?
                .map(|row| Node::Product(Product(row))),
            (NodeKind::Customer, key) => loaders
                .customer
                .load_one(key)
                .await?
                .map(|row| Node::Customer(Customer(row))),
            (NodeKind::Cart, key) => loaders
                .cart
                .load_one(key)
                .await?
                .map(|row| Node::Cart(Cart(row))),
        })
    }
}

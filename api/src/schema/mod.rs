//! The GraphQL schema: the merged query and mutation roots of the domain
//! modules, the data every resolver may use (database and currency; each
//! request brings its own loaders), and the one extension
//! ([`crate::execute::extension::PipelineExtension`]) that enforces the limits and gives
//! every error an `extensions.code`.

pub mod loaders;
pub mod node;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::auth::Auth;
use crate::cart::OpenCartCap;
use crate::cart::guest::GuestCartQuota;
use crate::cart::{
    CartDiscountMutation, CartMutation, CartQuery, CartShippingMutation, CartSubscription,
    CheckoutMutation,
};
use crate::collection::{CollectionMutation, CollectionQuery};
use crate::customer::passwords::Passwords;
use crate::customer::{
    AccountMutation, AccountQuery, AddressMutation, CustomerMutation, CustomerQuery,
};
use crate::discount::{DiscountMutation, DiscountQuery};
use crate::execute::extension::PipelineExtension;
use crate::execute::limits::{Limits, MAX_DIRECTIVES};
use crate::money::Currency;
use crate::order::{OrderMutation, OrderQuery, OrderSubscription};
use crate::product::{ProductMutation, ProductQuery, ProductSubscription, VariantMutation};
use crate::shipping::{ShippingMutation, ShippingQuery};
use crate::store::events::Events;
use crate::tax::{TaxMutation, TaxQuery};
use node::NodeQuery;

/// Everything that can be read: the catalogue and its collections,
/// customers, carts and orders.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    NodeQuery,
    AccountQuery,
    ProductQuery,
    CollectionQuery,
    CustomerQuery,
    CartQuery,
    OrderQuery,
    ShippingQuery,
    TaxQuery,
    DiscountQuery,
);

/// Everything that can be changed. Each mutation returns a payload whose
/// `userErrors` say why it did nothing; a failed mutation changes nothing.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    AccountMutation,
    ProductMutation,
    VariantMutation,
    CollectionMutation,
    CustomerMutation,
    AddressMutation,
    CartMutation,
    CartShippingMutation,
    CartDiscountMutation,
    CheckoutMutation,
    OrderMutation,
    ShippingMutation,
    TaxMutation,
    DiscountMutation,
);

/// Everything that can be watched, over WebSocket: each subscription sends
/// the object again whenever a mutation changes it, on any server instance.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(CartSubscription, ProductSubscription, OrderSubscription);

pub type ShopSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
}

/// How the served schema is set up, beyond its data.
pub struct SchemaOptions {
    pub limits: Limits,
    /// Introspection and "did you mean" suggestions (off in production).
    pub introspection: bool,
    /// Longest a mutation waits for its turn to write on SQLite
    /// ([`crate::store::write::WriteQueue`]).
    pub write_patience: std::time::Duration,
    /// How the shop taxes.
    pub taxes: crate::tax::TaxSettings,
}

/// The schema served over `db`, with prices in `currency`, announcing
/// changes through `events`.
pub fn build(
    db: DatabaseConnection,
    currency: Currency,
    events: Events,
    auth: Auth,
    passwords: Passwords,
    carts: (GuestCartQuota, OpenCartCap),
    options: &SchemaOptions,
) -> ShopSchema {
    let limits = &options.limits;
    let write_queue = crate::store::write::WriteQueue::new(&db, options.write_patience);
    let mut builder = builder()
        .extension(PipelineExtension::new(limits.clone()))
        .limit_directives(MAX_DIRECTIVES)
        .data(db)
        .data(write_queue)
        .data(currency)
        .data(options.taxes)
        .data(events)
        .data(auth)
        .data(passwords)
        .data(carts.0)
        .data(carts.1);
    if !options.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as checked in as `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

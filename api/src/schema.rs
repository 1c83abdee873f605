//! The GraphQL schema: the merged query and mutation roots of the domain
//! modules, the data every resolver may use (database and currency; each
//! request brings its own loaders),
//! and the extension that gives every error an `extensions.code`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    MergedObject, MergedSubscription, Response, Schema, SchemaBuilder, ServerError, ServerResult,
    ValidationResult, Variables,
};
use sea_orm::DatabaseConnection;

use crate::auth::Auth;
use crate::cart::{CartMutation, CartQuery, CartSubscription, CheckoutMutation};
use crate::customer::{AccountMutation, AccountQuery, CustomerMutation, CustomerQuery};
use crate::error::ErrorCode;
use crate::events::Events;
use crate::limits::{Limits, LimitsExtension, MAX_DIRECTIVES};
use crate::money::Currency;
use crate::node::NodeQuery;
use crate::product::{ProductMutation, ProductQuery, ProductSubscription};

/// Everything that can be read: the catalogue, customers and carts.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    NodeQuery,
    AccountQuery,
    ProductQuery,
    CustomerQuery,
    CartQuery,
);

/// Everything that can be changed. Each mutation returns a payload whose
/// `userErrors` say why it did nothing; a failed mutation changes nothing.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    AccountMutation,
    ProductMutation,
    CustomerMutation,
    CartMutation,
    CheckoutMutation,
);

/// Everything that can be watched, over WebSocket: each subscription sends
/// the object again whenever a mutation changes it, on any server instance.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(CartSubscription, ProductSubscription);

pub type ShopSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(ErrorCodes)
}

/// How the served schema is set up, beyond its data.
pub struct SchemaOptions {
    pub limits: Limits,
    /// Introspection and "did you mean" suggestions (off in production).
    pub introspection: bool,
}

/// The schema served over `db`, with prices in `currency`, announcing
/// changes through `events`.
pub fn build(
    db: DatabaseConnection,
    currency: Currency,
    events: Events,
    auth: Auth,
    options: &SchemaOptions,
) -> ShopSchema {
    let limits = &options.limits;
    // ErrorCodes comes first, so it sees the codes LimitsExtension gives.
    let mut builder = builder()
        .extension(LimitsExtension(limits.clone()))
        .limit_directives(MAX_DIRECTIVES)
        .data(db)
        .data(currency)
        .data(events)
        .data(auth);
    if !options.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as checked in as `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Gives parse and validation errors, which async-graphql reports without a
/// code, the codes `GRAPHQL_PARSE_FAILED` and `GRAPHQL_VALIDATION_FAILED`, and
/// any other uncoded error (such as "Unknown operation named …") `BAD_REQUEST`
/// when it concerns the request as a whole, so every error a client sees
/// carries `extensions.code`.
struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|err| {
                let code = if err.path.is_empty() {
                    ErrorCode::BadRequest
                } else {
                    ErrorCode::BadUserInput
                };
                code.apply(err)
            })
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|err| ErrorCode::GraphqlParseFailed.apply(err))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|err| ErrorCode::GraphqlValidationFailed.apply(err))
                .collect()
        })
    }
}

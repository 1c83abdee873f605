//! The one schema extension of the pipeline: async-graphql's hooks, each
//! handed to the module that owns its job — the text scan before the
//! parser ([`super::scan`]), the document and cost limits
//! ([`super::limits`]), the rate limit ([`super::throttle`]) and the
//! spec's completion of the response ([`super::completion`]).
//!
//! One extension, not one per job: async-graphql sends every field of a
//! response through each extension, so each one costs per field (merging
//! two made the nested carts query 10% faster, bench/results/latest.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::completion::{AbstractTypes, Completion, Place};
use super::limits::{self, Budget, Limits};
use super::scan;
use super::throttle::{self, Allowance, OperationCost};
use crate::error::ErrorCode;

/// Makes each operation's [`Pipeline`].
pub struct PipelineExtension {
    limits: Limits,
    abstract_types: AbstractTypes,
}

impl PipelineExtension {
    pub fn new(limits: Limits) -> PipelineExtension {
        PipelineExtension {
            limits,
            abstract_types: AbstractTypes::default(),
        }
    }
}

impl ExtensionFactory for PipelineExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Pipeline {
            limits: self.limits.clone(),
            introspection: AtomicBool::new(false),
            costs: Mutex::default(),
            document: Mutex::default(),
            completion: Completion::new(self.abstract_types.clone()),
        })
    }
}

/// The pipeline's state for one operation.
struct Pipeline {
    limits: Limits,
    /// Whether the document only introspects the schema.
    introspection: AtomicBool,
    /// The client's allowance and what this operation cost, for
    /// `extensions.cost`.
    costs: Mutex<Option<(Allowance, OperationCost)>>,
    /// The operation's document, for completing its response.
    document: Mutex<Option<ExecutableDocument>>,
    /// Field errors and runtime types, for completing the response the
    /// GraphQL spec's way.
    completion: Completion,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Pipeline {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = limits::coded_and_capped(std::mem::take(&mut response.errors));
        // The request's data is not visible to this hook (async-graphql
        // attaches it later), so parsing noted where the costs are.
        let costs = self.costs.lock().expect("never poisoned").take();
        if let Some((allowance, operation)) = costs {
            response
                .extensions
                .insert("cost".to_owned(), operation.extension(&allowance));
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let (Some(allowance), Some(operation)) =
            (ctx.data_opt::<Allowance>(), ctx.data_opt::<OperationCost>())
        {
            *self.costs.lock().expect("never poisoned") =
                Some((allowance.clone(), operation.clone()));
        }
        // Before the parser, whatever the transport: see `super::scan`.
        scan::scan(query, self.limits.text)?;
        if scan::variables_hold_nul(variables) {
            return Err(scan::nul());
        }
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|err| ErrorCode::GraphqlParseFailed.apply(limits::on_one_line(err)))?;
        let introspection = limits::check_document(&self.limits, &document)?;
        self.introspection.store(introspection, Ordering::SeqCst);
        *self.document.lock().expect("never poisoned") = Some(document.clone());
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let document = self.document.lock().expect("never poisoned");
        self.completion.complete(
            &ctx.schema_env.registry,
            document.as_ref(),
            operation_name,
            response,
        )
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let place = Place::of(&info);
        self.completion.resolving(&ctx.schema_env.registry, &place);
        let result = next.run(ctx, info).await;
        self.completion.resolved(&place, result)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(limits::validation_errors)?;
        let introspection = self.introspection.load(Ordering::SeqCst);
        limits::check_validated(
            &self.limits,
            introspection,
            ctx.data_opt::<Budget>(),
            &result,
        )?;
        // Last, so a request refused for another reason costs nothing.
        throttle::admit(
            ctx.data_opt::<Allowance>(),
            ctx.data_opt::<OperationCost>(),
            result.complexity,
        )?;
        Ok(result)
    }
}

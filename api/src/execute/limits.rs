//! Abuse limits: how deep, how costly and how aliased an operation may be,
//! and one complexity budget for everything a single HTTP request asks.
//!
//! async-graphql's own limits apply per operation, so a batch of 2,000 cheap
//! operations would pass them; here every operation of a request (one, or a
//! JSON-array batch) spends from one shared [`Budget`]. (Its depth limit
//! also cannot tell GraphiQL's deep introspection query from a deep data
//! query, so both checks are done here, from the depth and complexity its
//! validation computes.) Lists multiply the cost of what they select by the
//! page size they ask (see the `complexity` of the list fields), so
//! `products(first: 100)` costs a hundred times `products(first: 1)`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult};

use crate::error::ErrorCode;
use crate::execute::scan::TextLimits;
use crate::execute::throttle::{Allowance, OperationCost};

/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 10;
/// Deepest nesting of an introspection query (GraphiQL's nests about 13
/// levels of `ofType`); introspection is off in production mode.
pub const MAX_INTROSPECTION_DEPTH: usize = 20;

/// How many lines a cart counts as, for complexity: a cart's lines are
/// not paginated, and most carts hold a few.
pub const LINES_PER_CART: usize = 10;

/// What a computed field costs per row it reads: a cart's `totalQuantity`
/// reads each line (1), its `subtotal` each line and its product (2).
pub const LINE_READ: usize = 1;
pub const LINE_AND_PRODUCT_READ: usize = 2;

/// What a mutation costs per row it writes: a write costs its statement,
/// its locks and its index updates — measured, `addCartLines` takes about
/// 2.5 times the CPU of a 20-product read per request — so a row written
/// is charged as five fields read.
pub const ROW_WRITE: usize = 5;

/// The cost of a page of a list: what each item selects, times the page
/// size asked (the default page when none is; sizes out of range are
/// refused when the field runs).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .map_or(crate::store::pagination::DEFAULT_PAGE_SIZE, |n| {
            u64::try_from(n)
                .unwrap_or(0)
                .min(crate::store::pagination::MAX_PAGE_SIZE)
        });
    usize::try_from(size).unwrap_or(usize::MAX).max(1) * child_complexity + 1
}

/// The configured limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of fields in one operation.
    pub max_depth: usize,
    /// Complexity budget of one HTTP request, over all its operations.
    pub max_complexity: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most operations in one batch.
    pub max_batch: usize,
    /// Most requests executing at once.
    pub max_concurrent_requests: usize,
    /// Most requests of one client address executing at once.
    pub max_concurrent_per_client: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Tokens and bracket nesting of a document, checked before parsing.
    pub text: TextLimits,
    /// Memory the parsed-document cache may hold, in bytes (estimated).
    pub document_cache_bytes: usize,
}

/// The most errors one response lists; a document with thousands of
/// mistakes once produced a 4.7 MB error list.
pub const MAX_ERRORS: usize = 100;

/// What one HTTP request (or one WebSocket operation) has spent of its
/// complexity budget: estimated before execution, and charged again where
/// a list turns out longer than its estimate ([`charge_beyond_estimate`]).
#[derive(Clone)]
pub struct Budget {
    spent: Arc<AtomicUsize>,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            spent: Arc::default(),
            limit,
        }
    }

    /// What has been spent so far.
    pub fn spent(&self) -> usize {
        self.spent.load(Ordering::SeqCst)
    }

    /// Starts again from `spent` (a subscription's estimate, at each
    /// event: each event is a new execution of its selection).
    pub fn reset(&self, spent: usize) {
        self.spent.store(spent, Ordering::SeqCst);
    }

    /// Adds `cost`; the total spent, and whether it is within the limit.
    fn spend(&self, cost: usize) -> (usize, bool) {
        let spent = self
            .spent
            .fetch_add(cost, Ordering::SeqCst)
            .saturating_add(cost);
        (spent, spent <= self.limit)
    }
}

/// Charges the request for the `actual - estimated` items of a list that
/// came back longer than validation assumed, each costing what the field
/// selects; refuses the field (`QUERY_TOO_COMPLEX`) when that runs over the
/// budget. A cart with 1,500 lines in each of 40 carts once made one
/// request within budget hold 956 MiB.
pub fn charge_beyond_estimate(
    ctx: &async_graphql::Context<'_>,
    actual: usize,
    estimated: usize,
) -> Result<(), crate::error::ApiError> {
    fn fields(field: async_graphql::SelectionField<'_>) -> usize {
        1 + field.selection_set().map(fields).sum::<usize>()
    }
    let per_item = ctx
        .field()
        .selection_set()
        .map(fields)
        .sum::<usize>()
        .max(1);
    charge_rows_beyond_estimate(ctx, actual, estimated, per_item)
}

/// Charges a field that computes over the rows it loads (a cart's
/// `subtotal` reads every line and its product) for the `actual -
/// estimated` rows beyond its estimate, `per_row` each, as
/// [`charge_beyond_estimate`] charges a list: a computed field costs what
/// it reads, not one point. 25,000 lines once cost `subtotal` 402 points.
pub fn charge_rows_beyond_estimate(
    ctx: &async_graphql::Context<'_>,
    actual: usize,
    estimated: usize,
    per_row: usize,
) -> Result<(), crate::error::ApiError> {
    let Some(budget) = ctx.data_opt::<Budget>() else {
        return Ok(());
    };
    let extra = actual.saturating_sub(estimated);
    if extra == 0 {
        return Ok(());
    }
    let cost = extra.saturating_mul(per_row);
    if let Some(allowance) = ctx.data_opt::<Allowance>() {
        allowance.charge(cost);
    }
    if let Some(operation) = ctx.data_opt::<OperationCost>() {
        operation.beyond_estimate.fetch_add(cost, Ordering::SeqCst);
    }
    let (spent, within) = budget.spend(cost);
    if within {
        Ok(())
    } else {
        Err(crate::error::ApiError::Refused(
            ErrorCode::QueryTooComplex,
            format!(
                "The request costs {spent} as its lists load, over the budget of {}",
                budget.limit
            ),
        ))
    }
}

/// Checks a parsed document: its aliases within the cap. Returns whether
/// it only introspects the schema (which gets a deeper depth limit).
pub(super) fn check_document(limits: &Limits, document: &ExecutableDocument) -> ServerResult<bool> {
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(ErrorCode::TooManyAliases.error(format!(
            "The document uses {aliases} aliases; at most {} are allowed",
            limits.max_aliases
        )));
    }
    Ok(only_introspects(document))
}

/// Checks what validation measured: the depth, and the cost, which is
/// spent from the request's `budget` (shared by a batch's operations).
pub(super) fn check_validated(
    limits: &Limits,
    introspection: bool,
    budget: Option<&Budget>,
    result: &ValidationResult,
) -> Result<(), Vec<ServerError>> {
    let max_depth = if introspection {
        MAX_INTROSPECTION_DEPTH
    } else {
        limits.max_depth
    };
    if result.depth > max_depth {
        return Err(vec![ErrorCode::QueryTooDeep.error(format!(
            "The operation nests fields more than {max_depth} deep"
        ))]);
    }
    let (spent, within) = match budget {
        Some(budget) => budget.spend(result.complexity),
        None => (
            result.complexity,
            result.complexity <= limits.max_complexity,
        ),
    };
    if !within {
        return Err(vec![ErrorCode::QueryTooComplex.error(format!(
            "The request costs {spent}, over the budget of {} per request: every field costs 1, and a list multiplies what it selects by the page size asked (`first`/`last`)",
            limits.max_complexity
        ))]);
    }
    Ok(())
}

/// Validation's errors with their code; an argument of the wrong type is
/// reported by validation, and again by the complexity calculation of
/// fields whose cost reads it: the first report is kept.
pub(super) fn validation_errors(errors: Vec<ServerError>) -> Vec<ServerError> {
    let restated = errors
        .iter()
        .any(|error| error.message.starts_with("Invalid value for argument"));
    errors
        .into_iter()
        .filter(|error| !(restated && error.message.starts_with("Expected input type")))
        .map(|error| ErrorCode::GraphqlValidationFailed.apply(error))
        .collect()
}

/// The response's errors, each with a code (`BAD_REQUEST` for an error
/// about the request as a whole, such as "Unknown operation named …",
/// `BAD_USER_INPUT` for the rest that async-graphql left without one), at
/// most [`MAX_ERRORS`] of them: past that, one error says how many more.
pub(super) fn coded_and_capped(errors: Vec<ServerError>) -> Vec<ServerError> {
    let mut errors: Vec<ServerError> = errors
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
    if errors.len() > MAX_ERRORS {
        let left_out = errors.len() - (MAX_ERRORS - 1);
        errors.truncate(MAX_ERRORS - 1);
        let code = errors[0]
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            });
        let mut more = ServerError::new(format!("… and {left_out} more errors"), None);
        more.extensions.get_or_insert_with(Default::default).set(
            "code",
            code.unwrap_or_else(|| ErrorCode::BadRequest.as_str().to_owned()),
        );
        errors.push(more);
    }
    errors
}

/// A parse error as one line with its location ("Syntax error at 1:25:
/// expected selection_set, …"), not the parser's multi-line dump with a
/// source excerpt and carets.
pub(super) fn on_one_line(mut error: ServerError) -> ServerError {
    if error.message.contains('\n') {
        let expected = error
            .message
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix("= "))
            .unwrap_or("the document could not be parsed")
            .to_owned();
        let at = error
            .locations
            .first()
            .map(|at| format!(" at {}:{}", at.line, at.column))
            .unwrap_or_default();
        error.message = format!("Syntax error{at}: {expected}");
    }
    error
}

/// Whether every operation of the document selects only introspection
/// fields (`__schema`, `__type`, `__typename`) at its root.
fn only_introspects(document: &ExecutableDocument) -> bool {
    document.operations.iter().all(|(_, operation)| {
        operation.node.selection_set.node.items.iter().all(|selection| {
            matches!(&selection.node, Selection::Field(field) if field.node.name.node.starts_with("__"))
        })
    })
}

/// Every alias in the document's operations and fragments.
fn count_aliases(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, operation)| in_set(&operation.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|fragment| in_set(&fragment.node.selection_set.node))
        .sum();
    operations + fragments
}

impl From<&crate::Config> for Limits {
    fn from(config: &crate::Config) -> Limits {
        Limits {
            max_depth: config.max_depth,
            max_complexity: config.max_complexity,
            max_aliases: config.max_aliases,
            max_batch: usize::from(config.max_batch),
            max_concurrent_requests: usize::from(config.max_concurrent_requests),
            max_concurrent_per_client: usize::from(config.max_concurrent_per_client),
            request_timeout: Duration::from_millis(config.request_timeout_ms),
            text: TextLimits {
                max_tokens: usize::try_from(config.max_tokens).unwrap_or(usize::MAX),
                max_nesting: usize::from(config.max_nesting),
            },
            document_cache_bytes: usize::try_from(config.document_cache_bytes)
                .unwrap_or(usize::MAX),
        }
    }
}

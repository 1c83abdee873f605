//! Field errors and key order the GraphQL spec's way.
//!
//! async-graphql 7.2 departs from the spec's "Handling Field Errors" and
//! "Serialized Map Ordering" (its issues #1449, #1549, #1532): an errored
//! field is left out of its parent object instead of becoming null, an
//! object whose fields all errored becomes null, a non-null field's error
//! never reaches its nullable parent, and an object's keys come in the
//! order its fields finished, not the order they were asked. Clients built
//! on the spec (Apollo's normalized cache, codegen'd types, Apollo iOS)
//! then see `data: null` where a sibling field had data, or no key where
//! their generated type says there is one.
//!
//! This module gives the spec's answer without forking the library, in two
//! steps around async-graphql's execution, both driven by the pipeline
//! extension (one extension, because each one costs per field):
//! 1. [`Completion::resolved`], on every field and list item, turns a field
//!    error into a null at its place (the key stays) and keeps the error,
//!    one per path;
//! 2. [`Completion::complete`] walks ([`walk`]) the finished data once along the
//!    operation's selection sets (the spec's CollectFields, fragments and
//!    all) and the schema's types: keys in selection order, and each null in
//!    a non-null place propagated to the nearest nullable parent (the whole
//!    `data` when there is none).
//!
//! Which fragments apply to an object of an abstract type (`node`, `nodes`)
//! depends on its runtime type; step 1 notes it from the parent type its
//! fields report, only for the places known to be abstract.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

mod walk;

use async_graphql::extensions::ResolveInfo;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    PathSegment, QueryPathNode, QueryPathSegment, Response, ServerError, ServerResult, Value,
};
use walk::Walk;

/// The schema's abstract types (interfaces and unions) by name, found once
/// per schema and shared by its operations: [`Completion::resolving`] runs
/// for every field of every response, and comparing a field's type with
/// these few names spares it a registry lookup (a SipHash of the name).
#[derive(Clone, Default)]
pub struct AbstractTypes(Arc<OnceLock<Box<[String]>>>);

impl AbstractTypes {
    fn contains(&self, registry: &Registry, name: &str) -> bool {
        self.0
            .get_or_init(|| {
                registry
                    .types
                    .values()
                    .filter(|ty| ty.is_abstract())
                    .map(|ty| ty.name().to_owned())
                    .collect()
            })
            .iter()
            .any(|abstract_type| abstract_type == name)
    }
}

/// One operation's field errors and the runtime types of its abstract
/// places, gathered as it executes.
#[derive(Default)]
pub struct Completion {
    abstract_types: AbstractTypes,
    /// Errors of fields and list items, each made null at its place.
    errors: Mutex<Vec<ServerError>>,
    /// Whether any abstract place was seen (so the others skip the lookup).
    abstract_seen: AtomicBool,
    /// Runtime type of each abstract place, by path (`nodes.0`).
    runtime_types: Mutex<HashMap<String, Option<String>>>,
}

/// What a field's resolution needs to be completed: taken from its
/// [`ResolveInfo`] before that is handed on.
pub struct Place<'a> {
    path: &'a QueryPathNode<'a>,
    parent_type: &'a str,
    return_type: &'a str,
}

impl<'a> Place<'a> {
    pub fn of(info: &ResolveInfo<'a>) -> Place<'a> {
        Place {
            path: info.path_node,
            parent_type: info.parent_type,
            return_type: info.return_type,
        }
    }
}

impl Completion {
    /// A completion for one operation of the schema `abstract_types` was
    /// found in.
    pub fn new(abstract_types: AbstractTypes) -> Completion {
        Completion {
            abstract_types,
            ..Completion::default()
        }
    }

    /// Notes what the walk needs before a field at `place` resolves.
    pub fn resolving(&self, registry: &Registry, place: &Place<'_>) {
        let named = MetaTypeName::concrete_typename(place.return_type);
        if self.abstract_types.contains(registry, named)
            && !matches!(
                MetaTypeName::create(place.return_type).unwrap_non_null(),
                MetaTypeName::List(_)
            )
        {
            self.abstract_seen.store(true, Ordering::Relaxed);
            self.runtime_types
                .lock()
                .expect("never poisoned")
                .insert(place.path.to_string(), None);
        }
        if self.abstract_seen.load(Ordering::Relaxed)
            && let Some(parent) = place.path.parent
            && matches!(
                registry.types.get(place.parent_type),
                Some(MetaType::Object { .. })
            )
            && let Some(runtime) = self
                .runtime_types
                .lock()
                .expect("never poisoned")
                .get_mut(&parent.to_string())
        {
            runtime.get_or_insert_with(|| place.parent_type.to_owned());
        }
    }

    /// A field's resolution as the spec has it: an error becomes a null in
    /// its place, and is kept (once per path) for the response.
    pub fn resolved(
        &self,
        place: &Place<'_>,
        result: ServerResult<Option<Value>>,
    ) -> ServerResult<Option<Value>> {
        match result {
            Ok(value) => Ok(value),
            Err(mut error) => {
                if error.path.is_empty() {
                    error.path = segments(place.path);
                }
                let mut errors = self.errors.lock().expect("never poisoned");
                if !errors.iter().any(|kept| kept.path == error.path) {
                    errors.push(error);
                }
                Ok(Some(Value::Null))
            }
        }
    }

    /// `response` as the spec has it: the field errors added, keys in
    /// selection order, nulls propagated from non-null places. `document`
    /// is the one the response executed, `operation_name` its operation.
    pub fn complete(
        &self,
        registry: &Registry,
        document: Option<&ExecutableDocument>,
        operation_name: Option<&str>,
        mut response: Response,
    ) -> Response {
        let errors = std::mem::take(&mut *self.errors.lock().expect("never poisoned"));
        for error in errors {
            if !response.errors.iter().any(|kept| kept.path == error.path) {
                response.errors.push(error);
            }
        }
        let Some(document) = document else {
            return response;
        };
        let Some(operation) = operation(document, operation_name) else {
            return response;
        };
        let root = match operation.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let Some(root) = root else {
            return response;
        };
        let runtime_types =
            std::mem::take(&mut *self.runtime_types.lock().expect("never poisoned"));
        let walk = Walk::new(
            registry,
            &document.fragments,
            &runtime_types,
            &response.errors,
        );
        let data = std::mem::take(&mut response.data);
        let selection = [&operation.selection_set.node];
        let mut path = Vec::new();
        // async-graphql answers null for a root whose fields were all
        // skipped; the spec, an empty object.
        let map = match data {
            Value::Object(map) => map,
            _ => IndexMap::new(),
        };
        let grouped = walk.collect(root, &selection);
        response.data = walk.object(&grouped, map, &mut path).unwrap_or(Value::Null);
        response
    }
}

/// The path of `node` as a response path.
fn segments(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path: Vec<PathSegment> = std::iter::once(node)
        .chain(node.parents())
        .map(|node| match node.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(index) => PathSegment::Index(index),
        })
        .collect();
    path.reverse();
    path
}

/// The operation of `document` named `name` (or its only one).
fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        _ => None,
    }
}

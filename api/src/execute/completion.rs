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
//! steps around async-graphql's execution, both driven by the limits
//! extension (one extension, because each one costs per field):
//! 1. [`Completion::resolved`], on every field and list item, turns a field
//!    error into a null at its place (the key stays) and keeps the error,
//!    one per path;
//! 2. [`Completion::complete`] walks the finished data once along the
//!    operation's selection sets (the spec's CollectFields, fragments and
//!    all) and the schema's types: keys in selection order, and each null in
//!    a non-null place propagated to the nearest nullable parent (the whole
//!    `data` when there is none).
//!
//! Which fragments apply to an object of an abstract type (`node`, `nodes`)
//! depends on its runtime type; step 1 notes it from the parent type its
//! fields report, only for the places known to be abstract.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::extensions::ResolveInfo;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, FragmentDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    Name, PathSegment, Positioned, QueryPathNode, QueryPathSegment, Response, ServerError,
    ServerResult, Value,
};

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

/// A step of the walk's path.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The fields an object's selection sets ask, by response key, in the
/// order the spec's CollectFields gives.
type Grouped<'a> = IndexMap<&'a Name, Collected<'a>>;

/// What a collection depends on: the object's runtime type and the
/// selection sets asked of it (by address: the walk's document holds them).
type CollectedFor = (String, Vec<*const SelectionSet>);

/// The fields asked under one response key, with what completing their
/// value needs: worked out once for all the objects of a list.
#[derive(Default)]
struct Collected<'a> {
    fields: Vec<&'a Positioned<Field>>,
    /// The field's type in the schema; `None` for `__typename` and the
    /// introspection fields, which have nothing to complete.
    ty: Option<&'a str>,
    /// The fields' selection sets, merged.
    selections: Vec<&'a SelectionSet>,
}

/// One walk of a response's data along its operation.
struct Walk<'a> {
    registry: &'a Registry,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    runtime_types: &'a HashMap<String, Option<String>>,
    errors: &'a [ServerError],
    /// Fields collected so far, by runtime type and selection sets: every
    /// cart's `customer`, every line's `product` asks the same.
    collected: RefCell<HashMap<CollectedFor, Rc<Grouped<'a>>>>,
}

impl<'a> Walk<'a> {
    fn new(
        registry: &'a Registry,
        fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
        runtime_types: &'a HashMap<String, Option<String>>,
        errors: &'a [ServerError],
    ) -> Walk<'a> {
        Walk {
            registry,
            fragments,
            runtime_types,
            errors,
            collected: RefCell::default(),
        }
    }

    /// The fields `selections` ask of an object of type `runtime`,
    /// collected once per walk.
    fn collect(&self, runtime: &str, selections: &[&'a SelectionSet]) -> Rc<Grouped<'a>> {
        let key = (
            runtime.to_owned(),
            selections
                .iter()
                .map(|selection| std::ptr::from_ref(*selection))
                .collect(),
        );
        if let Some(grouped) = self.collected.borrow().get(&key) {
            return grouped.clone();
        }
        let grouped = Rc::new(self.collect_anew(runtime, selections));
        self.collected.borrow_mut().insert(key, grouped.clone());
        grouped
    }

    fn collect_anew(&self, runtime: &str, selections: &[&'a SelectionSet]) -> Grouped<'a> {
        let mut grouped = Grouped::new();
        let mut visited = HashSet::new();
        for selection in selections {
            self.collect_into(runtime, selection, &mut grouped, &mut visited);
        }
        let object_type = self.registry.types.get(runtime);
        for collected in grouped.values_mut() {
            collected.ty = object_type
                .and_then(|ty| ty.field_by_name(&collected.fields[0].node.name.node))
                .map(|definition| definition.ty.as_str());
            collected.selections = collected
                .fields
                .iter()
                .map(|field| &field.node.selection_set.node)
                .collect();
        }
        grouped
    }

    fn collect_into(
        &self,
        runtime: &str,
        selection: &'a SelectionSet,
        grouped: &mut Grouped<'a>,
        visited: &mut HashSet<&'a Name>,
    ) {
        for item in &selection.items {
            match &item.node {
                Selection::Field(field) => grouped
                    .entry(&field.node.response_key().node)
                    .or_default()
                    .fields
                    .push(field),
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name)
                        && self.applies(&fragment.node.type_condition.node.on.node, runtime)
                    {
                        self.collect_into(
                            runtime,
                            &fragment.node.selection_set.node,
                            grouped,
                            visited,
                        );
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(&condition.node.on.node, runtime));
                    if applies {
                        self.collect_into(
                            runtime,
                            &fragment.node.selection_set.node,
                            grouped,
                            visited,
                        );
                    }
                }
            }
        }
    }

    /// Whether a fragment on `condition` applies to an object of `runtime`
    /// (an abstract type when its runtime type is unknown).
    fn applies(&self, condition: &str, runtime: &str) -> bool {
        condition == runtime
            || self
                .registry
                .implements
                .get(runtime)
                .is_some_and(|interfaces| interfaces.contains(condition))
            || self
                .registry
                .types
                .get(condition)
                .and_then(MetaType::possible_types)
                .is_some_and(|possible| possible.contains(runtime))
    }

    /// An object with its keys in `grouped`'s order (collected for its
    /// runtime type) and its fields completed; `None` when a non-null
    /// field is null (the object is then null in its turn).
    fn object(
        &self,
        grouped: &Grouped<'a>,
        mut map: IndexMap<Name, Value>,
        path: &mut Vec<Step<'a>>,
    ) -> Option<Value> {
        // Usually the object has exactly the keys asked, in order: then the
        // i-th key's fields are the i-th collected, found without hashing.
        let aligned =
            map.len() == grouped.len() && map.keys().zip(grouped.keys()).all(|(a, b)| a == *b);
        if aligned {
            for (index, value) in map.values_mut().enumerate() {
                let (_, collected) = grouped.get_index(index).expect("as many as the keys");
                *value = self.field(collected, std::mem::take(value), path)?;
            }
            return Some(Value::Object(map));
        }
        let in_order = map
            .keys()
            .eq(grouped.keys().copied().filter(|key| map.contains_key(*key)));
        if !in_order {
            let mut ordered = IndexMap::with_capacity(map.len());
            for key in grouped.keys() {
                if let Some((key, value)) = map.swap_remove_entry(*key) {
                    ordered.insert(key, value);
                }
            }
            // Anything not asked (there should be nothing) keeps its place
            // at the end rather than vanish.
            ordered.extend(map);
            map = ordered;
        }
        for (key, value) in map.iter_mut() {
            // Not asked (there should be nothing): kept as it is.
            if let Some(collected) = grouped.get(key) {
                *value = self.field(collected, std::mem::take(value), path)?;
            }
        }
        Some(Value::Object(map))
    }

    /// The value of the fields `collected` under their response key; `None`
    /// when it is null in a non-null place.
    fn field(
        &self,
        collected: &Collected<'a>,
        value: Value,
        path: &mut Vec<Step<'a>>,
    ) -> Option<Value> {
        // `__typename`, `__schema`, `__type`: nothing to complete.
        let Some(ty) = collected.ty else {
            return Some(value);
        };
        path.push(Step::Key(
            collected.fields[0].node.response_key().node.as_str(),
        ));
        let completed = self.value(ty, &collected.selections, value, path);
        path.pop();
        completed
    }

    /// A value of type `ty`; `None` when it is null in a non-null place.
    fn value(
        &self,
        ty: &str,
        selections: &[&'a SelectionSet],
        value: Value,
        path: &mut Vec<Step<'a>>,
    ) -> Option<Value> {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => {
                let completed = self.nullable(inner, selections, value, path);
                if completed != Value::Null {
                    return Some(completed);
                }
                // Null without an error at or under it: async-graphql's null
                // for an object whose every field was skipped.
                if self
                    .registry
                    .types
                    .get(MetaTypeName::concrete_typename(inner))
                    .is_some_and(MetaType::is_composite)
                    && !matches!(MetaTypeName::create(inner), MetaTypeName::List(_))
                    && !self
                        .errors
                        .iter()
                        .any(|error| starts_with(&error.path, path))
                {
                    return Some(Value::Object(IndexMap::new()));
                }
                None
            }
            _ => Some(self.nullable(ty, selections, value, path)),
        }
    }

    /// A value of the nullable type `ty`: null when a non-null place under
    /// it is.
    fn nullable(
        &self,
        ty: &str,
        selections: &[&'a SelectionSet],
        value: Value,
        path: &mut Vec<Step<'a>>,
    ) -> Value {
        if value == Value::Null {
            return Value::Null;
        }
        match MetaTypeName::create(ty) {
            MetaTypeName::List(item_type) => {
                let Value::List(items) = value else {
                    return value;
                };
                // Items of one object type share their collected fields.
                let mut shared: Option<(String, Rc<Grouped<'a>>)> = None;
                let mut completed = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    path.push(Step::Index(index));
                    let item = self.item(item_type, selections, item, path, &mut shared);
                    path.pop();
                    match item {
                        Some(item) => completed.push(item),
                        None => return Value::Null,
                    }
                }
                Value::List(completed)
            }
            MetaTypeName::NonNull(_) => self
                .value(ty, selections, value, path)
                .unwrap_or(Value::Null),
            MetaTypeName::Named(name) => {
                let Value::Object(map) = value else {
                    return value;
                };
                let runtime = self.runtime_type(name, path);
                let grouped = self.collect(&runtime, selections);
                self.object(&grouped, map, path).unwrap_or(Value::Null)
            }
        }
    }

    /// A list item of type `ty`, reusing `shared` collected fields while
    /// the items' runtime type stays the same.
    fn item(
        &self,
        ty: &str,
        selections: &[&'a SelectionSet],
        item: Value,
        path: &mut Vec<Step<'a>>,
        shared: &mut Option<(String, Rc<Grouped<'a>>)>,
    ) -> Option<Value> {
        let (non_null, inner) = match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => (true, inner),
            _ => (false, ty),
        };
        let MetaTypeName::Named(name) = MetaTypeName::create(inner) else {
            return self.value(ty, selections, item, path);
        };
        let Value::Object(map) = item else {
            return self.value(ty, selections, item, path);
        };
        let runtime = self.runtime_type(name, path);
        if shared.as_ref().is_none_or(|(ty, _)| *ty != runtime) {
            *shared = Some((runtime.clone(), self.collect(&runtime, selections)));
        }
        let (_, grouped) = shared.as_ref().expect("set just above");
        match self.object(grouped, map, path) {
            Some(object) => Some(object),
            None if non_null => None,
            None => Some(Value::Null),
        }
    }

    /// The runtime type of an object in a place of type `name`.
    fn runtime_type(&self, name: &str, path: &[Step<'a>]) -> String {
        // No abstract place resolved (most operations): nothing to look up.
        if self.runtime_types.is_empty()
            || !self
                .registry
                .types
                .get(name)
                .is_some_and(MetaType::is_abstract)
        {
            return name.to_owned();
        }
        self.runtime_types
            .get(&rendered(path))
            .cloned()
            .flatten()
            .unwrap_or_else(|| name.to_owned())
    }
}

/// `path` as async-graphql renders a path (`nodes.0.id`).
fn rendered(path: &[Step<'_>]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => (*key).to_owned(),
            Step::Index(index) => index.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether `error_path` is `path` or under it.
fn starts_with(error_path: &[PathSegment], path: &[Step<'_>]) -> bool {
    error_path.len() >= path.len()
        && error_path
            .iter()
            .zip(path)
            .all(|(segment, step)| match (segment, step) {
                (PathSegment::Field(field), Step::Key(key)) => field == key,
                (PathSegment::Index(index), Step::Index(step)) => index == step,
                _ => false,
            })
}

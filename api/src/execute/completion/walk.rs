//! Step 2 of completion: one walk of a finished response's data along its
//! operation's selection sets (the spec's CollectFields) and the schema's
//! types — keys in selection order, and each null in a non-null place
//! propagated to the nearest nullable parent.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, PathSegment, Positioned, ServerError, Value};

/// A step of the walk's path.
#[derive(Clone, Copy)]
pub(super) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The fields an object's selection sets ask, by response key, in the
/// order the spec's CollectFields gives.
pub(super) type Grouped<'a> = IndexMap<&'a Name, Collected<'a>>;

/// What a collection depends on: the object's runtime type and the
/// selection sets asked of it (by address: the walk's document holds them).
type CollectedFor = (String, Vec<*const SelectionSet>);

/// The fields asked under one response key, with what completing their
/// value needs: worked out once for all the objects of a list.
#[derive(Default)]
pub(super) struct Collected<'a> {
    fields: Vec<&'a Positioned<Field>>,
    /// The field's type in the schema; `None` for `__typename` and the
    /// introspection fields, which have nothing to complete.
    ty: Option<&'a str>,
    /// The fields' selection sets, merged.
    selections: Vec<&'a SelectionSet>,
}

/// One walk of a response's data along its operation.
pub(super) struct Walk<'a> {
    registry: &'a Registry,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    runtime_types: &'a HashMap<String, Option<String>>,
    errors: &'a [ServerError],
    /// Fields collected so far, by runtime type and selection sets: every
    /// cart's `customer`, every line's `product` asks the same.
    collected: RefCell<HashMap<CollectedFor, Rc<Grouped<'a>>>>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(
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
    pub(super) fn collect(
        &self,
        runtime: &str,
        selections: &[&'a SelectionSet],
    ) -> Rc<Grouped<'a>> {
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
    pub(super) fn object(
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

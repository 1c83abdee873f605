//! Parsed documents, remembered by query text.
//!
//! Clients send the same few operations over and over, and parsing a
//! document (async-graphql's pest grammar) was the largest single cost of a
//! small query in a profile. A request whose query was seen before gets a
//! copy of its parsed document; async-graphql then skips parsing, while its
//! checks of the document (and ours, in [`crate::execute::limits`]) still run. A
//! query that does not parse is not remembered: async-graphql parses it
//! again and reports the error as it always does.
//!
//! Every parse here is preceded by [`crate::execute::scan`], so no document over the
//! token or nesting limits reaches the parser. The cache is bounded by the
//! memory its documents hold, estimated from their token counts
//! ([`BYTES_PER_TOKEN`]), not by their number: 60 distinct 64 KiB documents
//! once grew the process by 410 MB in a cache bounded by count.

use std::sync::Mutex;

use async_graphql::Request;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use lru::LruCache;

use crate::execute::scan::{self, TextLimits};

/// What a parsed document holds in memory per token, at most: measured with
/// a counting allocator, a bare field costs 325 bytes, an alias or an
/// argument 60–170.
pub const BYTES_PER_TOKEN: usize = 400;

/// The most recently used documents, by query text, within a memory budget.
pub struct ParsedDocuments {
    limits: TextLimits,
    capacity_bytes: usize,
    cache: Mutex<Cache>,
}

struct Cache {
    documents: LruCache<String, (ExecutableDocument, usize)>,
    bytes: usize,
}

impl ParsedDocuments {
    /// A cache of at most `capacity_bytes` (estimated) of documents within
    /// `limits`.
    pub fn new(limits: TextLimits, capacity_bytes: usize) -> Self {
        ParsedDocuments {
            limits,
            capacity_bytes,
            cache: Mutex::new(Cache {
                documents: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// Gives `request` its parsed document, parsing and remembering it when
    /// its query is new. A query that is refused or does not parse is left
    /// for async-graphql to report.
    pub fn attach(&self, request: &mut Request) {
        if let Some(document) = self.parse(&request.query) {
            request.set_parsed_query(document);
        }
    }

    /// The kind of operation `request` would run; `None` when its document
    /// does not parse or names no one operation (the executor reports why).
    pub fn operation_type(&self, request: &Request) -> Option<OperationType> {
        let document = self.parse(&request.query)?;
        operation(&document, request).map(|operation| operation.ty)
    }

    /// The name (the request's `operationName`, or the name the document
    /// gives its only operation) and the type of the operation `request`
    /// runs, if its document parses and names one.
    pub fn operation_summary(&self, request: &Request) -> Option<(Option<String>, OperationType)> {
        let document = self.parse(&request.query)?;
        let kind = operation(&document, request)?.ty;
        let name = match (&request.operation_name, &document.operations) {
            (Some(name), _) => Some(name.clone()),
            (None, DocumentOperations::Multiple(operations)) => {
                operations.keys().next().map(|name| name.to_string())
            }
            (None, DocumentOperations::Single(_)) => None,
        };
        Some((name, kind))
    }

    /// Why `request` cannot run for want of its variables: each required
    /// (non-null, no default) variable of its operation that is missing or
    /// null, as the GraphQL spec's variable coercion says (a request
    /// error, before execution). async-graphql would run the operation and
    /// fail the field instead.
    pub fn missing_variables(&self, request: &Request) -> Vec<String> {
        let Some(document) = self.parse(&request.query) else {
            return Vec::new();
        };
        let Some(operation) = operation(&document, request) else {
            return Vec::new();
        };
        operation
            .variable_definitions
            .iter()
            .filter(|definition| {
                let definition = &definition.node;
                !definition.var_type.node.nullable && definition.default_value.is_none()
            })
            .filter_map(|definition| {
                let name = &definition.node.name.node;
                let ty = &definition.node.var_type.node;
                match request.variables.get(name) {
                    None => Some(format!(
                        "Variable `${name}` of required type `{ty}` was not provided"
                    )),
                    Some(async_graphql::Value::Null) => Some(format!(
                        "Variable `${name}` of non-null type `{ty}` must not be null"
                    )),
                    Some(_) => None,
                }
            })
            .collect()
    }

    /// The parsed document of `query`, from the cache or scanned and parsed.
    fn parse(&self, query: &str) -> Option<ExecutableDocument> {
        if let Some((document, _)) = self.lock().documents.get(query) {
            return Some(document.clone());
        }
        let tokens = scan::scan(query, self.limits).ok()?;
        let document = async_graphql::parser::parse_query(query).ok()?;
        let weight = query.len() + tokens * BYTES_PER_TOKEN;
        if weight <= self.capacity_bytes / 4 {
            let mut cache = self.lock();
            if let Some((_, (_, old))) = cache
                .documents
                .push(query.to_owned(), (document.clone(), weight))
            {
                cache.bytes -= old;
            }
            cache.bytes += weight;
            while cache.bytes > self.capacity_bytes {
                match cache.documents.pop_lru() {
                    Some((_, (_, weight))) => cache.bytes -= weight,
                    None => break,
                }
            }
        }
        Some(document)
    }

    /// How many documents are remembered, and the memory they hold
    /// (estimated): for the metrics.
    pub fn held(&self) -> (usize, usize) {
        let cache = self.lock();
        (cache.documents.len(), cache.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .expect("the cache's lock is never held across a panic")
    }
}

/// The operation of `document` that `request` names (or its only one), as
/// async-graphql picks it: an `operationName` the document does not define
/// picks none. So a name taken from here is one of the document's own
/// (a GraphQL name: letters, digits, `_`), never a client's free text that
/// could carry a newline into a log line.
fn operation<'a>(
    document: &'a ExecutableDocument,
    request: &Request,
) -> Option<&'a OperationDefinition> {
    let operation = match &document.operations {
        DocumentOperations::Single(_) if request.operation_name.is_some() => None,
        DocumentOperations::Single(operation) => Some(operation),
        DocumentOperations::Multiple(operations) => match &request.operation_name {
            Some(name) => operations.get(name.as_str()),
            None if operations.len() == 1 => operations.values().next(),
            None => None,
        },
    };
    operation.map(|operation| &operation.node)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: TextLimits = TextLimits {
        max_tokens: 1_000,
        max_nesting: 32,
    };

    #[test]
    fn remembers_documents_that_parse_only() {
        let documents = ParsedDocuments::new(LIMITS, 1 << 20);
        let mut request = Request::new("{ products { totalCount } }");
        documents.attach(&mut request);
        assert!(request.parsed_query().is_ok());
        assert_eq!(documents.lock().documents.len(), 1);

        let mut broken = Request::new("{ products { ");
        documents.attach(&mut broken);
        assert_eq!(documents.lock().documents.len(), 1);
        assert!(
            broken.parsed_query().is_err(),
            "left for async-graphql to report"
        );
    }

    #[test]
    fn stays_within_its_memory_budget() {
        // Each document: 4 tokens, about 1.6 KB; room for about six.
        let documents = ParsedDocuments::new(LIMITS, 10_000);
        for i in 0..100 {
            documents.attach(&mut Request::new(format!("{{ f{i} }}")));
            let cache = documents.lock();
            assert!(cache.bytes <= 10_000);
            assert_eq!(
                cache.bytes,
                cache.documents.iter().map(|(_, (_, w))| w).sum::<usize>()
            );
        }
        assert!(documents.lock().documents.len() >= 5);
        // Too large for the cache: parsed, not remembered.
        let large = format!("{{ {} }}", "a ".repeat(10));
        let mut request = Request::new(large.clone());
        documents.attach(&mut request);
        assert!(request.parsed_query().is_ok());
        assert!(documents.lock().documents.peek(&large).is_none());
    }

    #[test]
    fn names_only_operations_the_document_defines() {
        let documents = ParsedDocuments::new(LIMITS, 1 << 20);
        let named = |query: &str, name: &str| {
            let request = Request::new(query).operation_name(name);
            documents.operation_summary(&request)
        };
        // A forged name, as a log line would print it, is nobody's.
        assert_eq!(named("{ a }", "x\nINFO forged line"), None);
        assert_eq!(named("query A { a } query B { b }", "A\nforged"), None);
        assert_eq!(
            named("query A { a } query B { b }", "B"),
            Some((Some("B".to_owned()), OperationType::Query))
        );
        assert_eq!(
            documents.operation_summary(&Request::new("mutation M { a }")),
            Some((Some("M".to_owned()), OperationType::Mutation))
        );
    }

    #[test]
    fn never_parses_what_the_scan_refuses() {
        let documents = ParsedDocuments::new(LIMITS, 1 << 20);
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(5_000), "]".repeat(5_000));
        let mut request = Request::new(deep);
        documents.attach(&mut request);
        assert!(request.parsed_query().is_err(), "not parsed here");
        assert!(
            documents
                .operation_type(&Request::new(format!(
                    "mutation {{ a(x: {}1{}) }}",
                    "[".repeat(5_000),
                    "]".repeat(5_000)
                )))
                .is_none()
        );
    }
}

//! Parsed documents, remembered by query text.
//!
//! Clients send the same few operations over and over, and parsing a
//! document (async-graphql's pest grammar) was the largest single cost of a
//! small query in a profile. A request whose query was seen before gets a
//! copy of its parsed document; async-graphql then skips parsing, while its
//! checks of the document (and ours, in [`crate::limits`]) still run. A
//! query that does not parse is not remembered: async-graphql parses it
//! again and reports the error as it always does.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

use crate::persisted::{CAPACITY, MAX_QUERY_BYTES};

/// The most recently used documents, by query text.
pub struct ParsedDocuments(Mutex<LruCache<String, ExecutableDocument>>);

impl Default for ParsedDocuments {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).expect("a non-zero capacity");
        ParsedDocuments(Mutex::new(LruCache::new(capacity)))
    }
}

impl ParsedDocuments {
    /// Gives `request` its parsed document, parsing and remembering it when
    /// its query is new. Long queries are parsed each time, so the cache's
    /// memory stays bounded.
    pub fn attach(&self, request: &mut Request) {
        if request.query.len() > MAX_QUERY_BYTES {
            return;
        }
        let cached = self.lock().get(request.query.as_str()).cloned();
        let document = match cached {
            Some(document) => document,
            None => match async_graphql::parser::parse_query(&request.query) {
                Ok(document) => {
                    self.lock().put(request.query.clone(), document.clone());
                    document
                }
                Err(_) => return,
            },
        };
        request.set_parsed_query(document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        self.0
            .lock()
            .expect("the cache's lock is never held across a panic")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_documents_that_parse_only() {
        let documents = ParsedDocuments::default();
        let mut request = Request::new("{ products { totalCount } }");
        documents.attach(&mut request);
        assert!(request.parsed_query().is_ok());
        assert_eq!(documents.lock().len(), 1);

        let mut broken = Request::new("{ products { ");
        documents.attach(&mut broken);
        assert_eq!(documents.lock().len(), 1);
        assert!(
            broken.parsed_query().is_err(),
            "left for async-graphql to report"
        );
    }
}

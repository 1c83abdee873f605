//! Trusted documents (Apollo Router's persisted query lists, Hasura's allow
//! list): the operations the shop's own clients send, listed at build time
//! by graphql-codegen's client preset (`persistedDocuments: true` writes
//! `persisted-documents.json`, an object of SHA-256 hash → document).
//!
//! With `--trusted-documents FILE`, listed documents can be sent by hash
//! alone (`extensions.persistedQuery.sha256Hash`, as Apollo's persisted
//! query link sends it), whatever the mode. In `--production` the list is
//! also a gate: a document runs only if its SHA-256 is listed, whether it
//! came by hash or as full text; anything else is refused with
//! `PERSISTED_QUERY_NOT_IN_LIST` and runs nothing, on every transport.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

/// The documents a manifest lists, by hash.
#[derive(Debug, Default)]
pub struct TrustedDocuments {
    by_hash: HashMap<String, String>,
    /// Whether only listed documents may run (production).
    enforced: bool,
}

impl TrustedDocuments {
    /// Reads the manifest at `path`; `enforced` makes it the only documents
    /// that run. Every entry's hash must be the SHA-256 of its document:
    /// a manifest made with another hash algorithm would otherwise let
    /// nothing in, silently.
    pub fn load(path: &Path, enforced: bool) -> anyhow::Result<TrustedDocuments> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        let manifest: HashMap<String, String> = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON object of SHA-256 hash → document",
                path.display()
            )
        })?;
        let mut by_hash = HashMap::with_capacity(manifest.len());
        for (hash, document) in manifest {
            let hash = normalize(&hash);
            anyhow::ensure!(
                hash == sha256(&document),
                "{}: the entry {hash} is not the SHA-256 of its document (generate the manifest with hashAlgorithm sha256)",
                path.display()
            );
            by_hash.insert(hash, document);
        }
        Ok(TrustedDocuments { by_hash, enforced })
    }

    /// How many documents are listed.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Whether only listed documents run.
    pub fn enforced(&self) -> bool {
        self.enforced
    }

    /// The listed document with this hash.
    pub fn get(&self, hash: &str) -> Option<&str> {
        self.by_hash.get(&normalize(hash)).map(String::as_str)
    }

    /// Whether `query` may run: always when the list is not enforced,
    /// otherwise only when it is listed.
    pub fn admits(&self, query: &str) -> bool {
        self.admits_hash(&sha256(query))
    }

    /// Whether the document of SHA-256 `hash` (lower-case hex) may run.
    pub fn admits_hash(&self, hash: &str) -> bool {
        !self.enforced || self.by_hash.contains_key(hash)
    }
}

/// A hash as the list keys it: hex in lower case, without the `sha256:`
/// prefix graphql-codegen writes (in the manifest and in `__meta__.hash`,
/// which clients then send).
pub fn normalize(hash: &str) -> String {
    let hash = hash.trim();
    hash.strip_prefix("sha256:")
        .unwrap_or(hash)
        .to_ascii_lowercase()
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(entries: &[(&str, &str)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let object: HashMap<&str, &str> = entries.iter().copied().collect();
        std::fs::write(file.path(), serde_json::to_string(&object).unwrap()).unwrap();
        file
    }

    #[test]
    fn only_listed_documents_run_when_enforced() {
        let listed = "query A { products { totalCount } }";
        // graphql-codegen prefixes its hashes with the algorithm.
        let file = manifest(&[(&format!("sha256:{}", sha256(listed)), listed)]);
        let trusted = TrustedDocuments::load(file.path(), true).unwrap();
        assert_eq!(trusted.get(&sha256(listed).to_uppercase()), Some(listed));
        assert_eq!(
            trusted.get(&format!("sha256:{}", sha256(listed))),
            Some(listed)
        );
        assert!(trusted.admits(listed));
        assert!(!trusted.admits("query B { products { totalCount } }"));
        let open = TrustedDocuments::load(file.path(), false).unwrap();
        assert!(open.admits("query B { products { totalCount } }"));
    }

    #[test]
    fn a_manifest_with_wrong_hashes_is_refused() {
        let file = manifest(&[("0000", "query A { products { totalCount } }")]);
        let err = TrustedDocuments::load(file.path(), true).unwrap_err();
        assert!(err.to_string().contains("not the SHA-256"), "{err}");
        let not_json = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(not_json.path(), "[]").unwrap();
        assert!(TrustedDocuments::load(not_json.path(), true).is_err());
    }
}

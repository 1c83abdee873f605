//! A look at a request's raw text before any parser sees it.
//!
//! async-graphql's parser (pest) recurses once per nesting level of a value
//! (`[[[…]]]`, `{a: {a: …}}`) with no limit of its own: 2,500 levels (5 KB)
//! overflowed a tokio worker's 2 MiB stack and aborted the process, and a
//! debug build overflows at about 300. And a parsed document costs up to
//! ~325 bytes per token (measured with a counting allocator: one bare field
//! per token), so what a document holds in memory follows its token count,
//! not its length. So every document is first scanned — iteratively, without
//! allocating — counting tokens and tracking bracket nesting, and refused
//! over either limit before it is parsed: by [`crate::execute::limits`]' extension
//! for every transport, and by [`crate::execute::documents`] before its own parse.
//!
//! The scan also finds U+0000 in string values (raw, or as `\u0000`), and
//! [`variables_hold_nul`] in variables: PostgreSQL cannot store it in text
//! (SQLSTATE 22021) while SQLite would, so one rule refuses it on both.

use async_graphql::{ServerError, Value, Variables};

use crate::error::ErrorCode;

/// The most bracket nesting a limit may allow: well under the ~300 levels
/// that overflow a worker's stack in a debug build.
pub const MAX_NESTING_CEILING: usize = 128;

/// How large a document may be, before parsing.
#[derive(Debug, Clone, Copy)]
pub struct TextLimits {
    /// Most tokens (names, numbers, strings, punctuators) in one document.
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `[` and `(`, at most [`MAX_NESTING_CEILING`].
    pub max_nesting: usize,
}

/// Checks `query` against `limits` and for NUL characters; returns its
/// token count.
pub fn scan(query: &str, limits: TextLimits) -> Result<usize, ServerError> {
    let bytes = query.as_bytes();
    let max_nesting = limits.max_nesting.min(MAX_NESTING_CEILING);
    let (mut at, mut tokens, mut depth) = (0, 0_usize, 0_usize);
    while at < bytes.len() {
        let byte = bytes[at];
        let start = at;
        at = match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            // The byte-order mark is white space too.
            0xEF if bytes[at..].starts_with("\u{feff}".as_bytes()) => {
                at += 3;
                continue;
            }
            b'#' => {
                at += bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .unwrap_or(bytes.len() - at);
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => block_string_end(bytes, at)?,
            b'"' => string_end(bytes, at)?,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(ErrorCode::QueryTooDeep.error(format!(
                        "The document nests brackets more than {max_nesting} deep"
                    )));
                }
                at + 1
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                at + 1
            }
            b'.' if bytes[at..].starts_with(b"...") => at + 3,
            b'-' | b'0'..=b'9' => run(bytes, at + 1, |b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-')
            }),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                run(bytes, at + 1, |b| b.is_ascii_alphanumeric() || b == b'_')
            }
            0 => return Err(nul()),
            // Anything else is one token the parser will judge.
            _ => at + 1,
        };
        debug_assert!(at > start);
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(ErrorCode::QueryTooLarge.error(format!(
                "The document has more than {} tokens",
                limits.max_tokens
            )));
        }
    }
    Ok(tokens)
}

/// Whether any string among `variables` (keys included) holds U+0000.
pub fn variables_hold_nul(variables: &Variables) -> bool {
    fn holds(value: &Value) -> bool {
        match value {
            Value::String(text) => text.contains('\0'),
            Value::List(items) => items.iter().any(holds),
            Value::Object(fields) => fields
                .iter()
                .any(|(name, value)| name.contains('\0') || holds(value)),
            _ => false,
        }
    }
    variables
        .iter()
        .any(|(name, value)| name.contains('\0') || holds(value))
}

/// The error for text holding U+0000.
pub fn nul() -> ServerError {
    ErrorCode::BadUserInput.error("Text may not contain the NUL character (U+0000)")
}

/// Where the run of bytes matching `accept` from `at` ends.
fn run(bytes: &[u8], at: usize, accept: impl Fn(u8) -> bool) -> usize {
    at + bytes[at..].iter().take_while(|&&b| accept(b)).count()
}

/// Where the string opening at `at` ends (an unterminated one ends at its
/// line; the parser reports it).
fn string_end(bytes: &[u8], mut at: usize) -> Result<usize, ServerError> {
    at += 1;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return Ok(at + 1),
            b'\n' | b'\r' => return Ok(at),
            b'\\' if bytes[at + 1..].starts_with(b"u0000") => return Err(nul()),
            b'\\' => at += 2,
            0 => return Err(nul()),
            _ => at += 1,
        }
    }
    Ok(at)
}

/// Where the block string (`"""…"""`, whose only escape is `\"""`) opening
/// at `at` ends.
fn block_string_end(bytes: &[u8], mut at: usize) -> Result<usize, ServerError> {
    at += 3;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"\\\"\"\"") {
            at += 4;
        } else if bytes[at..].starts_with(b"\"\"\"") {
            return Ok(at + 3);
        } else if bytes[at] == 0 {
            return Err(nul());
        } else {
            at += 1;
        }
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: TextLimits = TextLimits {
        max_tokens: 100,
        max_nesting: 8,
    };

    fn code(result: Result<usize, ServerError>) -> String {
        let error = result.expect_err("refused");
        let extensions = error.extensions.expect("a code");
        extensions.get("code").expect("a code").to_string()
    }

    #[test]
    fn counts_the_tokens_the_parser_sees() {
        let query = r#"query Q($id: ID!) { product(id: $id) { ...F name } } # { [ ( "
            fragment F on Product { price { amount } note: description(x: -1.5e+3, s: "a\"{[", b: """ { ""\"" """) }"#;
        // query Q ( $ id : ID ! ) { product ( id : $ id ) { ... F name } }: 23
        // fragment F on Product { price { amount } note : description
        //   ( x : -1.5e+3 s : "…" b : """…""" ) }: 24
        assert_eq!(scan(query, LIMITS), Ok(47));
    }

    #[test]
    fn refuses_deep_nesting_and_long_documents() {
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(8), "]".repeat(8));
        assert_eq!(code(scan(&deep, LIMITS)), "\"QUERY_TOO_DEEP\"");
        let fine = format!("{{ a(x: {}1{}) }}", "[".repeat(6), "]".repeat(6));
        assert!(scan(&fine, LIMITS).is_ok());
        // Brackets in strings and comments do not count.
        let quoted = format!("{{ a(x: \"{}\") }} # {}", "[".repeat(50), "{".repeat(50));
        assert!(scan(&quoted, LIMITS).is_ok());
        let long = format!("{{ {} }}", "a ".repeat(99));
        assert_eq!(code(scan(&long, LIMITS)), "\"QUERY_TOO_LARGE\"");
    }

    #[test]
    fn refuses_nul_in_strings() {
        for query in [
            r#"{ a(x: "\u0000") }"#,
            "{ a(x: \"\0\") }",
            "{ a(x: \"\"\"\0\"\"\") }",
        ] {
            assert_eq!(code(scan(query, LIMITS)), "\"BAD_USER_INPUT\"", "{query}");
        }
        assert!(scan(r#"{ a(x: "\\u0000", y: """\u0000""") }"#, LIMITS).is_ok());
        let variables = Variables::from_json(serde_json::json!({ "f": { "n": ["a\u{0}"] } }));
        assert!(variables_hold_nul(&variables));
        assert!(!variables_hold_nul(&Variables::from_json(
            serde_json::json!({ "f": "a" })
        )));
    }
}

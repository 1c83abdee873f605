//! The documentation stays true: its GraphQL examples validate against the
//! schema (and the runnable ones run on the demo data), the settings
//! reference names every flag and only real ones, and every relative link
//! and anchor resolves. README, CONTRIBUTING and `docs/`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::js;
use crate::support::{Engine, TestApp};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// README, CONTRIBUTING and every Markdown file under `docs/`.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("a docs folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    guides.sort();
    files.extend(guides);
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

/// A fenced code block: its file, the line of its fence, its info string
/// and its text.
struct Block {
    file: String,
    line: usize,
    info: String,
    text: String,
}

fn code_blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        match open.take() {
            None => {
                if let Some(info) = line.trim_start().strip_prefix("```") {
                    open = Some((index + 1, info.trim().to_owned(), Vec::new()));
                }
            }
            Some((start, info, mut body)) => {
                if line.trim_start().starts_with("```") {
                    blocks.push(Block {
                        file: relative(path),
                        line: start,
                        info,
                        text: body.join("\n"),
                    });
                } else {
                    body.push(line);
                    open = Some((start, info, body));
                }
            }
        }
    }
    blocks
}

/// The text of `path` outside its code blocks (links and headings live
/// there).
fn prose(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut inside = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if !inside {
            lines.push((index + 1, line.to_owned()));
        }
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_graphql_example_validates_and_the_runnable_ones_run() {
    let blocks: Vec<Block> = documents()
        .iter()
        .flat_map(|path| code_blocks(path))
        .filter(|block| block.info.split_whitespace().next() == Some("graphql"))
        .collect();
    assert!(
        blocks.len() >= 10,
        "the docs hold GraphQL examples: {}",
        blocks.len()
    );
    let listed: Vec<Value> = blocks
        .iter()
        .map(|block| json!({ "file": block.file, "line": block.line, "text": block.text }))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocks.json");
    std::fs::write(&path, serde_json::to_string(&listed).unwrap()).unwrap();
    let schema = root().join("schema.graphql");
    let output = js::node(
        "check-docs.mjs",
        &[schema.to_str().unwrap(), path.to_str().unwrap()],
    )
    .await;
    let report: Value = serde_json::from_str(output.trim()).expect("one JSON line");
    assert_eq!(report["checked"], blocks.len());
    assert_eq!(
        report["problems"],
        json!([]),
        "GraphQL examples that do not validate against schema.graphql"
    );

    // The runnable ones run on the demo data, as staff, without an error.
    let app = TestApp::spawn_with(Engine::Sqlite, |config| config.seed_demo = true).await;
    let runnable: Vec<&Block> = blocks
        .iter()
        .filter(|block| block.info.split_whitespace().any(|word| word == "runnable"))
        .collect();
    assert!(runnable.len() >= 3, "some examples run: {}", runnable.len());
    for block in runnable {
        let answer = app.post(&block.text, json!({})).await;
        assert!(
            answer.get("errors").is_none() && answer["data"].is_object(),
            "{}:{} does not run on the demo data: {answer:#}",
            block.file,
            block.line
        );
        let text = answer["data"].to_string();
        assert!(
            !text.contains(":null}") || block.info.contains("may-be-null"),
            "{}:{} finds nothing in the demo data: {text}",
            block.file,
            block.line
        );
    }
}

/// The flags of `shopgraph --help` and its commands' help, without the
/// leading dashes.
fn flags_of_the_binary() -> BTreeSet<String> {
    let help = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
            .args(args)
            .output()
            .expect("the binary runs");
        String::from_utf8(output.stdout).unwrap()
    };
    let text = help(&["--help"]);
    let mut flags = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("--") {
            let flag: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            flags.insert(flag);
        }
    }
    flags.remove("help");
    flags.remove("version");
    flags
}

#[test]
fn the_settings_reference_names_every_flag_and_only_real_ones() {
    let flags = flags_of_the_binary();
    assert!(flags.len() > 30, "{flags:?}");
    let reference = root().join("docs/operating.md");
    let mut named = BTreeSet::new();
    for (_, line) in prose(&reference) {
        if let Some(row) = line.strip_prefix("| `--") {
            let flag: String = row
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            named.insert(flag);
        }
    }
    let missing: Vec<&String> = flags.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "flags of `shopgraph --help` missing from the settings reference in docs/operating.md: {missing:?}"
    );
    let unknown: Vec<&String> = named.difference(&flags).collect();
    assert!(
        unknown.is_empty(),
        "the settings reference names flags the binary does not have: {unknown:?}"
    );
}

/// The anchor GitHub gives a heading: lower case, spaces to hyphens,
/// punctuation other than hyphens and underscores dropped.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(path: &Path) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = BTreeSet::new();
    for (_, line) in prose(path) {
        let Some(heading) = line
            .strip_prefix('#')
            .map(|rest| rest.trim_start_matches('#'))
        else {
            continue;
        };
        let base = anchor_of(heading);
        let count = seen.entry(base.clone()).or_default();
        anchors.insert(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    anchors
}

/// Every `[text](target)` of the prose.
fn links(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else { break };
        found.push(after[..end].to_owned());
        rest = &after[end..];
    }
    found
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for path in documents() {
        for (number, line) in prose(&path) {
            for target in links(&line) {
                if target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("mailto:")
                {
                    continue;
                }
                checked += 1;
                let (file, anchor) = match target.split_once('#') {
                    Some((file, anchor)) => (file, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let resolved = if file.is_empty() {
                    path.clone()
                } else {
                    path.parent().unwrap().join(file)
                };
                if !resolved.exists() {
                    broken.push(format!(
                        "{}:{number}: {target} (no such file)",
                        relative(&path)
                    ));
                    continue;
                }
                if let Some(anchor) = anchor
                    && !anchors(&resolved).contains(anchor)
                {
                    broken.push(format!(
                        "{}:{number}: {target} (no such heading)",
                        relative(&path)
                    ));
                }
            }
        }
    }
    assert!(checked > 20, "the docs link to each other: {checked}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_a_front_door() {
    let lines = std::fs::read_to_string(root().join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(
        lines <= 150,
        "README.md has {lines} lines; guides go in docs/"
    );
}

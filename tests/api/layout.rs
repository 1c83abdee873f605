//! The house rules of `api/src`, checked on the code itself so that a
//! change that breaks one fails here rather than in review: rooms import
//! only the rooms below them, files stay small, only the write path
//! commits, and migrations read nothing from the environment.

use std::path::{Path, PathBuf};

/// Rooms from the top down; a file may import only rooms below its own
/// (the domains may import one another through their `types` and
/// `loaders`, which import no domain's fields). Anything else at the root
/// is a shared module, at the bottom.
const LAYERS: [(&str, u8); 16] = [
    ("app", 7),
    ("lib", 7),
    ("demo", 7),
    ("http", 6),
    ("schema", 5),
    ("product", 4),
    ("collection", 4),
    ("customer", 4),
    ("cart", 4),
    ("order", 4),
    ("shipping", 4),
    ("tax", 4),
    ("discount", 4),
    ("execute", 3),
    ("store", 2),
    ("observe", 1),
];

fn rank(room: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(name, _)| *name == room)
        .map_or(0, |(_, rank)| *rank)
}

fn api_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// Every line of `file` that is code (not a comment).
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(number, line)| (number + 1, line.to_owned()))
        .collect()
}

#[test]
fn rooms_import_only_the_rooms_below_them() {
    let root = api_src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap();
        let room = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        for (number, line) in code_lines(file) {
            for (at, _) in line.match_indices("crate::") {
                let target: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                let same_rank_room = rank(&target) == rank(&room) && target != room;
                let domains = rank(&room) == 4;
                if rank(&target) > rank(&room) || (same_rank_room && !domains && rank(&room) > 0) {
                    upward.push(format!(
                        "{}:{number}: {room} imports {target}",
                        relative.display()
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn files_stay_small_and_the_root_holds_only_shared_modules() {
    let root = api_src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > 450).then(|| format!("{} ({lines})", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "over 450 lines: {long:?}");
    let at_root = std::fs::read_dir(&root)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|ext| ext == "rs")
        })
        .count();
    assert!(at_root <= 14, "{at_root} files at the root of api/src");
}

#[test]
fn only_the_write_path_commits_and_migrations_read_no_environment() {
    let root = api_src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        if relative == "store/write.rs" || relative == "demo.rs" {
            continue;
        }
        for (number, line) in code_lines(file) {
            assert!(
                !line.contains(".commit()") && !line.contains(".rollback()"),
                "{relative}:{number} ends a transaction outside the write path: {line}"
            );
        }
    }
    let mut migrations = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("migration/src"),
        &mut migrations,
    );
    for file in &migrations {
        for (number, line) in code_lines(file) {
            assert!(
                !line.contains("std::env") && !line.contains("env::var"),
                "{}:{number} reads the environment: {line}",
                file.display()
            );
        }
    }
}

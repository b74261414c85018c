//! The code map of ARCHITECTURE.md, checked: which side may import which, and that comments
//! cite only what the repository holds. A change that breaks a rule fails here, naming the
//! file and the line, instead of slowly blurring the map.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, with its path from the repository's root.
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    walk(&root.join(dir), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let name = p.strip_prefix(root).unwrap().display().to_string();
            (name, text)
        })
        .collect()
}

/// The lines of the files below `dir` that mention any of `forbidden`, as `file:line: text`.
fn mentions(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f)) {
                found.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_checking_core_knows_nothing_of_callers_jobs_or_the_cli() {
    let found = mentions(
        "src/checking",
        &["crate::serving", "crate::jobs", "crate::cli", "crate::pb"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_serving_side_never_imports_the_cli() {
    let found = mentions("src/serving", &["crate::cli"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn jobs_never_import_the_serving_side_or_the_cli() {
    let found = mentions("src/jobs", &["crate::serving", "crate::cli", "crate::pb"]);
    assert!(found.is_empty(), "{found:#?}");
}

/// The lines below `dir` that import from the crate anything but `allowed`.
fn imports_outside(dir: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("crate::") {
                if !allowed.iter().any(|a| line[at..].starts_with(a)) {
                    found.push(format!("{name}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn the_cli_is_a_client_using_only_the_api_and_number_parsing() {
    let allowed = [
        "crate::pb",
        "crate::checking::number",
        "crate::lists",
        "crate::cli",
    ];
    let found = imports_outside("src/cli", &allowed);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn lists_know_files_not_the_service() {
    // Every side may read and write lists; lists import only number parsing.
    let found = imports_outside("src/lists", &["crate::checking::number", "crate::lists"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_the_job_store_speaks_sql() {
    let mut found = mentions("src", &["rusqlite"]);
    found.retain(|line| !line.starts_with("src/jobs/store/"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn comments_cite_only_what_the_repository_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for dir in ["src", "tests", "benches"] {
        // No path that leaves the repository (a `#[path]` to a sibling folder stays in it).
        for line in mentions(dir, &["../"]) {
            let mut parts = line.splitn(3, ':');
            let (file, text) = (parts.next().unwrap_or(""), parts.nth(1).unwrap_or(""));
            let here = root.join(file);
            let inside = text
                .split('"')
                .filter(|part| part.starts_with("../"))
                .all(|relative| {
                    let mut path = here.parent().unwrap_or(root).to_path_buf();
                    for part in relative.split('/') {
                        match part {
                            ".." => {
                                path.pop();
                            }
                            "." | "" => {}
                            part => path.push(part),
                        }
                    }
                    path.starts_with(root) && path.is_file()
                });
            if !inside || !text.contains("\"../") {
                found.push(line);
            }
        }
        // Every Markdown document named (a page of docs/, a top-level one) is in the
        // repository: a document kept elsewhere is no help to a reader of this one.
        for (name, text) in sources(dir) {
            for (n, line) in text.lines().enumerate() {
                for word in line.split(|c: char| c.is_whitespace() || "()`,;'\"[]".contains(c)) {
                    let word = word.trim_end_matches(['.', ':']);
                    let cited = word.ends_with(".md") && word.len() > ".md".len();
                    if cited && !root.join(word).is_file() {
                        found.push(format!("{name}:{}: {word} is not in the repository", n + 1));
                    }
                }
            }
        }
    }
    found.retain(|line| !line.starts_with("tests/architecture.rs"));
    assert!(found.is_empty(), "{found:#?}");
}

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
        &[
            "crate::serving",
            "crate::jobs",
            "crate::usage",
            "crate::cli",
            "crate::pb",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_usage_ledger_knows_only_the_spend_port_and_the_job_store() {
    let found = imports_outside(
        "src/usage",
        &["crate::checking::spend", "crate::jobs", "crate::metrics"],
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
    let found = mentions(
        "src/jobs",
        &["crate::serving", "crate::cli", "crate::pb", "crate::usage"],
    );
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
        "crate::causes",
    ];
    let found = imports_outside("src/cli", &allowed);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn lists_know_files_not_the_service() {
    // Every side may read and write lists; lists import only number parsing and the one
    // table of line statuses (both pure).
    let allowed = [
        "crate::checking::number",
        "crate::checking::checked_line",
        "crate::lists",
    ];
    let found = imports_outside("src/lists", &allowed);
    assert!(found.is_empty(), "{found:#?}");
}

/// Every file below `dir`, any kind, as its path from `dir`.
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Whether the code map names `file` (a path below `src/`): a Rust file by its own name
/// (with as many of its folders as the map gives), a folder's `mod.rs` by the folder, any
/// other file (SQL, page assets) by a folder holding it.
fn named_in_code_map(file: &str, names: &[&str]) -> bool {
    let is_suffix = |name: &str, path: &str| {
        path == name
            || path
                .strip_suffix(name)
                .is_some_and(|rest| rest.ends_with('/') && !name.starts_with('/'))
    };
    let folders: Vec<&str> = file
        .match_indices('/')
        .map(|(at, _)| &file[..=at])
        .collect();
    let by_folder = |folder: &str| {
        names.iter().any(|name| {
            name.ends_with('/')
                && (is_suffix(name, folder) || is_suffix(name, &format!("src/{folder}")))
        })
    };
    if let Some(folder) = file.strip_suffix("mod.rs").filter(|f| f.ends_with('/')) {
        return by_folder(folder);
    }
    if file.ends_with(".rs") {
        return names
            .iter()
            .any(|name| is_suffix(name, file) || is_suffix(name, &format!("src/{file}")));
    }
    folders.iter().any(|folder| by_folder(folder))
}

#[test]
fn the_code_map_names_every_file_under_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    // What the map names: every `code span`.
    let names: Vec<&str> = map.split('`').skip(1).step_by(2).collect();
    let missing: Vec<String> = files_below(&root.join("src"))
        .into_iter()
        .filter(|file| !named_in_code_map(file, &names))
        .collect();
    assert!(
        missing.is_empty(),
        "files under src/ that ARCHITECTURE.md's code map does not name: {missing:#?}"
    );
}

#[test]
fn the_code_map_check_tells_named_files_from_unnamed_ones() {
    let names = [
        "grpc.rs",
        "store/sqlite.rs",
        "console/",
        "src/main.rs",
        "pipeline/",
    ];
    assert!(named_in_code_map("serving/grpc.rs", &names));
    assert!(named_in_code_map("jobs/store/sqlite.rs", &names));
    assert!(named_in_code_map("serving/console/assets/app.js", &names));
    assert!(named_in_code_map("serving/console/mod.rs", &names));
    assert!(named_in_code_map("main.rs", &names));
    assert!(named_in_code_map("checking/pipeline/mod.rs", &names));
    assert!(!named_in_code_map("checking/pipeline/bulk.rs", &names));
    assert!(!named_in_code_map("jobs/store/postgres.rs", &names));
    assert!(!named_in_code_map("serving/xgrpc.rs", &names));
    assert!(!named_in_code_map("jobs/mod.rs", &names));
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

/// Every file under `clients/` except what tools put there (installed dependencies, builds).
fn client_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a client folder") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let installed = ["node_modules", "dist", "target", "build", "__pycache__"];
            if path.is_dir() && !installed.contains(&name) && !name.ends_with(".egg-info") {
                walk(&path, out);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("clients"),
        &mut files,
    );
    files
}

#[test]
fn client_packages_take_google_rpc_from_google() {
    // Go, Java and Python have Google's published google.rpc packages (genproto,
    // proto-google-common-protos, googleapis-common-protos); a copy in a package would clash
    // with them on a user's classpath or import path. Node has none, so its copy is generated.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copies: Vec<String> = client_files()
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .filter(|p| p.contains("google/rpc/") && !p.starts_with("clients/node/src/gen/google/rpc/"))
        .collect();
    assert!(copies.is_empty(), "{copies:#?}");
}

#[test]
fn every_client_package_has_the_service_version() {
    // clients/generate.sh writes Cargo.toml's version into each package; this catches a bump
    // made without running it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients");
    let version = env!("CARGO_PKG_VERSION");
    let stamped = [
        ("python/pyproject.toml", format!("version = \"{version}\"")),
        (
            "python/src/phonecheck_client/_version.py",
            format!("__version__ = \"{version}\""),
        ),
        ("node/package.json", format!("\"version\": \"{version}\"")),
        ("node/src/version.ts", format!("VERSION = \"{version}\"")),
        (
            "go/phonecheck/version.go",
            format!("const Version = \"{version}\""),
        ),
        (
            "java/pom.xml",
            format!("<version>{version}</version><!-- Cargo.toml's -->"),
        ),
        (
            "java/src/main/java/io/github/phonecheck/client/Version.java",
            format!("VERSION = \"{version}\""),
        ),
    ];
    for (file, line) in stamped {
        let text = std::fs::read_to_string(root.join(file)).expect("a client package file");
        assert!(
            text.contains(&line),
            "clients/{file} lacks {line:?}: run clients/generate.sh"
        );
    }
}

#[test]
fn client_comments_cite_only_what_the_repository_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for path in client_files() {
        let written = ["py", "ts", "mjs", "go", "java", "sh", "yaml", "toml", "xml"];
        let generated = path
            .components()
            .any(|c| c.as_os_str() == "gen" || c.as_os_str() == "v1");
        if generated
            || !path
                .extension()
                .is_some_and(|e| written.iter().any(|w| e == *w))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        for (n, line) in text.lines().enumerate() {
            // Braces too: a Python f-string builds paths such as `{package}/README.md`.
            for word in line.split(|c: char| c.is_whitespace() || "()`,;'\"[]{}".contains(c)) {
                let word = word.trim_end_matches(['.', ':']).trim_start_matches('/');
                let cited = word.ends_with(".md") && word.len() > ".md".len();
                let here = path.parent().unwrap_or(root).join(word);
                if cited && !root.join(word).is_file() && !here.is_file() {
                    found.push(format!("{}:{}: {word}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

//! The layering ARCHITECTURE.md describes, checked on the source text: only `store/`
//! talks to the database, `domain/` and `store/` import nothing above them, and only
//! `http/` and `app.rs` import the HTTP layer.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `(path under src/, line number, line)` for each line of the files under `src/<under>`
/// that contains one of `needles`, comments aside.
fn mentions(under: &str, needles: &[&str]) -> Vec<(String, usize, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src.join(under), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("source file");
        let name = file
            .strip_prefix(&src)
            .expect("under src")
            .display()
            .to_string();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if needles.iter().any(|needle| code.contains(needle)) {
                found.push((name.clone(), number + 1, line.to_owned()));
            }
        }
    }
    found
}

#[test]
fn only_the_store_talks_to_the_database() {
    let outside: Vec<_> = mentions(
        "",
        &[
            "sqlx::",
            "rusqlite::",
            "on_pool!",
            "use sqlx",
            "use rusqlite",
        ],
    )
    .into_iter()
    .filter(|(path, _, _)| !path.starts_with("store/"))
    .collect();
    assert!(
        outside.is_empty(),
        "database access outside store/: {outside:#?}"
    );
}

#[test]
fn the_domain_imports_nothing_above_it() {
    let above = mentions(
        "domain",
        &[
            "crate::service",
            "crate::store",
            "crate::http",
            "crate::state",
            "crate::error",
            "axum",
            "sqlx",
        ],
    );
    assert!(above.is_empty(), "domain/ importing upward: {above:#?}");
}

#[test]
fn the_store_imports_neither_services_nor_handlers() {
    let above = mentions("store", &["crate::service", "crate::http", "axum"]);
    assert!(above.is_empty(), "store/ importing upward: {above:#?}");
}

#[test]
fn only_the_http_layer_and_the_app_import_the_http_layer() {
    let outside: Vec<_> = mentions("", &["crate::http", "super::http", "xiaxiang_server::http"])
        .into_iter()
        .filter(|(path, _, _)| !path.starts_with("http/") && path != "app.rs")
        .collect();
    assert!(
        outside.is_empty(),
        "the HTTP layer imported from below it: {outside:#?}"
    );
}

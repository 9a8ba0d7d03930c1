//! Keeps `docs/architecture.md` true: every module of `shared/src` imports only the layers
//! below it, and no file outside tests grows past the size a reader takes in at once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may import (`crate::<name>`). The order is the
/// layering of docs/architecture.md, bottom first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("experiments", &[]),
    ("domain", &["error"]),
    ("aggregates", &["domain", "error"]),
    ("sealing", &["domain", "error"]),
    ("auth", &["error"]),
    ("optics", &["domain", "error"]),
    ("import", &["domain", "error"]),
    ("render", &["domain", "error"]),
    ("imaging", &["domain"]),
    ("demo", &["domain", "error", "import"]),
    ("ports", &["domain", "error", "aggregates", "experiments"]),
    ("engine", &["domain", "error", "aggregates", "optics"]),
    ("models", &["domain", "error", "engine", "aggregates"]),
    (
        "service",
        &[
            "domain",
            "error",
            "aggregates",
            "ports",
            "engine",
            "optics",
            "models",
            "auth",
            "experiments",
            "imaging",
        ],
    ),
    (
        "api",
        &[
            "domain",
            "error",
            "service",
            "render",
            "optics",
            "engine",
            "ports",
            "auth",
            "experiments",
        ],
    ),
    (
        "simulation",
        &[
            "domain",
            "error",
            "demo",
            "import",
            "ports",
            "service",
            "experiments",
            "api",
        ],
    ),
    (
        "adapters",
        &[
            "domain",
            "error",
            "aggregates",
            "ports",
            "sealing",
            "experiments",
        ],
    ),
];

/// Files that hold only tests or test support; they may use any module as a fixture.
fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    matches!(
        name,
        "tests.rs" | "testkit.rs" | "testutil.rs" | "conformance.rs"
    ) || name.ends_with("_tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The production part of a file: everything before its first `#[cfg(test)]`.
fn production_code(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// Modules named by `crate::<name>` paths in code; comments (doc links included) do not
/// count, they are not dependencies.
fn crate_references(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `framewise_crate::` or `$crate::` are not this crate's paths.
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let name: String = code[at + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

#[test]
fn when_modules_import_each_other_should_only_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap_or(file);
        let Some(module) = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|m| m.trim_end_matches(".rs").to_string())
        else {
            continue;
        };
        if module == "lib" || is_test_file(relative) {
            continue;
        }
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == module) else {
            violations.push(format!(
                "{}: module `{module}` is not in the layer table",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for used in crate_references(production_code(&text)) {
            if used != module && !allowed.contains(&used.as_str()) {
                violations.push(format!(
                    "{}: `{module}` imports `crate::{used}`",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layering of docs/architecture.md:\n{}",
        violations.join("\n")
    );
}

#[test]
fn when_files_grow_should_stay_under_the_split_threshold() {
    // ~500 lines is the house rule; the margin absorbs formatting, not a new responsibility.
    const MAX_PRODUCTION_LINES: usize = 560;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut too_long = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap_or(file);
        if is_test_file(relative) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines = production_code(&text).lines().count();
        if lines > MAX_PRODUCTION_LINES {
            too_long.push(format!("{}: {lines} lines", relative.display()));
        }
    }
    assert!(
        too_long.is_empty(),
        "split these by responsibility:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn when_a_layer_is_violated_should_be_detected() {
    // The checker itself: a reference up the layers is found, other crates' paths are not.
    let refs = crate_references(
        "use crate::service::Framewise;\n/// see [`crate::api`]\nlet x = $crate::api::y; other_crate::engine",
    );
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["service"]);
    assert_eq!(production_code("a\n#[cfg(test)]\nmod tests {}"), "a\n");
}

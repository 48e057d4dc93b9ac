//! Tidy: architecture rules checked on the source text (after rust-analyzer's `tidy.rs`).
//!
//! The engine is production code a live service could embed: it must not read the clock,
//! touch the filesystem or the terminal, draw OS entropy, spawn threads, iterate hash maps
//! (whose order is not deterministic) or import any other chatsim module. The simulator
//! (`src/sim/`) is held to the same rules, except that it may import what feeds it and
//! what observes it: the engine, the workload, the scenario and the metrics.

use std::path::{Path, PathBuf};

/// Banned text and why.
const BANNED: &[(&str, &str)] = &[
    (
        "std::time",
        "the engine has its own time type; the clock comes in as `now`",
    ),
    ("Instant::now", "no wall clock"),
    ("SystemTime", "no wall clock"),
    (
        "thread_rng",
        "no OS entropy: seed a portable generator from the configuration",
    ),
    ("from_entropy", "no OS entropy"),
    ("OsRng", "no OS entropy"),
    ("getrandom", "no OS entropy"),
    ("std::fs", "no file I/O"),
    ("std::net", "no network I/O"),
    ("std::thread", "no threads"),
    ("rayon", "no threads"),
    ("indicatif", "no terminal output"),
    ("println!", "no terminal output"),
    ("eprintln!", "no terminal output"),
    ("print!(", "no terminal output"),
    ("dbg!", "no terminal output"),
    (
        "HashMap",
        "hash-map iteration order is not deterministic: use BTreeMap or a Vec by id",
    ),
    (
        "HashSet",
        "hash-set iteration order is not deterministic: use BTreeSet",
    ),
];

/// Finds every banned use in `text`; `allowed_crate_modules` are the `crate::` modules
/// the file may import.
fn violations(path: &Path, text: &str, allowed_crate_modules: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (needle, why) in BANNED {
            if code.contains(needle) {
                found.push(format!("{}:{}: `{needle}`: {why}", path.display(), i + 1));
            }
        }
        let mut rest = code;
        while let Some(pos) = rest.find("crate::") {
            let module: String = rest[pos + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !allowed_crate_modules.contains(&module.as_str()) {
                found.push(format!(
                    "{}:{}: imports `crate::{module}`: only {allowed_crate_modules:?} may be used here",
                    path.display(),
                    i + 1
                ));
            }
            rest = &rest[pos + 7..];
        }
        if code.contains("chatsim::") {
            found.push(format!(
                "{}:{}: refers to the chatsim crate by name",
                path.display(),
                i + 1
            ));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable directory").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn check_tree(subdir: &str, allowed: &[&str]) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join(subdir), &mut files);
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("readable source");
            violations(f.strip_prefix(&root).unwrap_or(f), &text, allowed)
        })
        .collect()
}

#[test]
fn engine_is_sans_io_and_self_contained() {
    let found = check_tree("src/engine", &["engine"]);
    assert!(
        found.is_empty(),
        "architecture rules broken:\n{}",
        found.join("\n")
    );
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/engine/mod.rs")
            .exists(),
        "the tidy check must look at the real engine"
    );
}

#[test]
fn simulator_is_deterministic_and_silent() {
    let found = check_tree("src/sim", &["engine", "sim", "workload", "scenario", "metrics"]);
    assert!(
        found.is_empty(),
        "architecture rules broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn tidy_catches_what_it_bans() {
    let text = "use std::time::Instant;\nuse crate::sim::Sim;\nlet x = 1; // println! in a comment is fine\n";
    let found = violations(Path::new("src/engine/x.rs"), text, &["engine"]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("src/engine/x.rs:1: `std::time`"));
    assert!(found[1].starts_with("src/engine/x.rs:2: imports `crate::sim`"));
}

/// README lists every output file exactly as `report::OUTPUTS` describes it (one list feeds
/// the writers, the HTML footer and the documentation).
#[test]
fn readme_lists_every_output_file() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for o in chatsim::report::OUTPUTS {
        let line = format!("- `{}` — {}", o.name, o.what);
        assert!(readme.contains(&line), "README.md lacks the line:\n{line}");
    }
}

/// Text that points at documents outside the repository. A person who clones chatsim has
/// only the repository, so comments and documents cite ARCHITECTURE.md, README.md and
/// `docs/` instead.
const OUTSIDE: &[&str] = &["PRODUCT.md", "../shared", "seed 00", "ORACLES.md"];

/// Every mention of a document outside the repository in `text`, as `path:line: …`.
fn outside_references(path: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for needle in OUTSIDE {
            if line.contains(needle) {
                found.push(format!(
                    "{}:{}: mentions `{needle}`: cite the repository's own documents (ARCHITECTURE.md, README.md, docs/…)",
                    path.display(),
                    i + 1
                ));
            }
        }
    }
    found
}

/// Every file under `dir`, whatever its kind.
fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable directory").path();
        // Build output (the fuzz workspace's own `target/`) is not the repository's text.
        if path.is_dir() && path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn the_repository_cites_only_itself() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in [
        "src",
        "tests",
        "benches",
        "scenarios",
        "docs",
        "fuzz",
        "deploy",
        "scripts",
        ".ci",
    ] {
        all_files(&root.join(dir), &mut files);
    }
    files.sort();
    // This file names what it looks for.
    let this = root.join("tests/it/tidy.rs");
    let found: Vec<String> = files
        .iter()
        .filter(|f| **f != this)
        .flat_map(|f| {
            let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            // A binary file (the chart image) cites nothing.
            String::from_utf8(bytes).map_or_else(
                |_| Vec::new(),
                |text| outside_references(f.strip_prefix(&root).unwrap_or(f), &text),
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "references outside the repository:\n{}",
        found.join("\n")
    );
    assert!(
        files.iter().any(|f| f.ends_with("docs/engine.md")) && files.contains(&this),
        "the check must look at the real tree"
    );
}

#[test]
fn outside_references_are_found_with_their_line() {
    let text = "see docs/engine.md#strategies\n// PRODUCT.md §3.4\n# ../shared/seeds\n";
    let found = outside_references(Path::new("src/x.rs"), text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("src/x.rs:2: mentions `PRODUCT.md`"));
    assert!(found[1].starts_with("src/x.rs:3: mentions `../shared`"));
}

/// A heading's anchor as Markdown renderers make it: lower case, spaces to dashes, other
/// punctuation dropped.
fn anchor(heading: &str) -> String {
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

/// Every citation of a heading of docs/engine.md (`docs/engine.md`, `#`, the anchor) in the code, tests and documents (and every
/// `(#anchor)` link inside docs/engine.md) names a heading that exists, so a citation
/// always leads to the rule it means.
#[test]
fn engine_doc_citations_name_real_headings() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/engine.md")).expect("docs/engine.md");
    let anchors: std::collections::BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect();
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in ["src", "tests", "docs"] {
        all_files(&root.join(dir), &mut files);
    }
    let mut missing = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let own = f.ends_with("docs/engine.md");
        for (i, line) in text.lines().enumerate() {
            let mut cited: Vec<&str> = line.split("docs/engine.md#").skip(1).collect();
            if own {
                cited.extend(line.split("](#").skip(1));
            }
            for rest in cited {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                if !name.is_empty() && !anchors.contains(&name) {
                    missing.push(format!("{}:{}: #{name}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(anchors.contains("same-instant-order") && anchors.contains("rebalance"));
    assert!(
        missing.is_empty(),
        "citations of headings docs/engine.md lacks:\n{}",
        missing.join("\n")
    );
}

//! The bad-scenario catalogue: every file under `tests/scenarios/bad/` holds exactly one
//! deliberate problem, and the validator must report exactly that problem.
//!
//! Each file starts with comment lines that say what is checked:
//!
//! ```toml
//! # rule: S05
//! # expect: {path}:14:9: capacity 101 is out of range (expected 1 to 100, or "unlimited")
//! ```
//!
//! `# rule:` names the validation rule (an id of [`chatsim::scenario::RULES`]); every
//! `# expect:` is one line `chatsim validate` must print to stderr after `error: `, with
//! `{path}` standing for the scenario's path as passed on the command line and `{dir}` for
//! its folder (for errors located in a data file beside it). `chatsim validate` must exit
//! with code 2, print exactly the expected lines (no more: one problem, no cascades) and
//! never panic.
//!
//! The warning catalogue under `tests/scenarios/warn/` works the same way for the rules of
//! ids `W…`: each file draws exactly the `# expect:` lines (whole stderr lines, `warning:`
//! included), `chatsim validate` exits 0 and says `ok`. Together the two catalogues must
//! cover every rule, each with its exact located message.

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Folder of the catalogue, relative to the crate root (as passed to the command).
const BAD_DIR: &str = "tests/scenarios/bad";
/// Folder of the warning catalogue.
const WARN_DIR: &str = "tests/scenarios/warn";

/// What a catalogue file declares about itself.
struct Case {
    /// The path relative to the crate root, with `/` separators.
    path: String,
    rules: Vec<String>,
    /// Expected stderr lines after `error: `, with `{path}` and `{dir}` substituted.
    expected: Vec<String>,
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `*.toml` files directly in `dir` (relative to the crate root), sorted by name.
fn toml_files(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crate_root().join(dir))
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|entry| entry.expect("readable directory").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_name().expect("a file name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(|n| format!("{dir}/{n}")).collect()
}

/// Reads the `# rule:` and `# expect:` lines of the leading comment block.
fn case(path: &str) -> Case {
    let text = std::fs::read_to_string(crate_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let dir = Path::new(path)
        .parent()
        .expect("a file in a folder")
        .to_string_lossy()
        .replace('\\', "/");
    let mut rules = Vec::new();
    let mut expected = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if !line.starts_with('#') {
            if line.is_empty() {
                continue;
            }
            break;
        }
        if let Some(rule) = line.strip_prefix("# rule:") {
            rules.push(rule.trim().to_owned());
        } else if let Some(expect) = line.strip_prefix("# expect:") {
            expected.push(expect.trim().replace("{path}", path).replace("{dir}", &dir));
        }
    }
    Case {
        path: path.to_owned(),
        rules,
        expected,
    }
}

fn catalogue() -> Vec<Case> {
    toml_files(BAD_DIR).iter().map(|p| case(p)).collect()
}

fn warnings() -> Vec<Case> {
    toml_files(WARN_DIR).iter().map(|p| case(p)).collect()
}

/// Runs `chatsim validate <path>` from the crate root: (exit code, stdout, stderr).
fn validate(path: &str) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("chatsim")
        .expect("the chatsim binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate", path])
        .output()
        .expect("chatsim runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every problem with one catalogue file's run (empty when it behaves as declared).
fn check(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let known: BTreeSet<&str> = chatsim::scenario::RULES.iter().map(|(r, _)| r.0).collect();
    if case.rules.is_empty() {
        problems.push("declares no `# rule:`".to_owned());
    }
    for rule in &case.rules {
        if !known.contains(rule.as_str()) {
            problems.push(format!("declares unknown rule {rule:?}"));
        }
    }
    if case.expected.is_empty() {
        problems.push("declares no `# expect:`".to_owned());
    }
    let (code, _stdout, stderr) = validate(&case.path);
    let panicked = stderr.contains("panicked");
    if panicked {
        // The panic message is the line after "panicked at"; the backtrace is noise here.
        let message: Vec<&str> = stderr
            .lines()
            .skip_while(|l| !l.contains("panicked"))
            .take(2)
            .collect();
        problems.push(format!("the validator panicked: {}", message.join(" ")));
    }
    if code != Some(2) {
        problems.push(format!("exit code {code:?} (expected 2)"));
    }
    let actual: Vec<&str> = stderr.lines().collect();
    for want in &case.expected {
        let line = format!("error: {want}");
        if !actual.contains(&line.as_str()) {
            problems.push(format!("missing line: {line}"));
        }
    }
    for got in actual.iter().filter(|_| !panicked) {
        let declared = got
            .strip_prefix("error: ")
            .is_some_and(|rest| case.expected.iter().any(|e| e == rest));
        if !declared {
            problems.push(format!("unexpected line: {got}"));
        }
    }
    problems
}

#[test]
fn every_bad_scenario_is_rejected_with_exactly_its_expected_errors() {
    let cases = catalogue();
    assert!(
        cases.len() >= 24,
        "{BAD_DIR} holds {} scenarios (expected at least 24)",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let problems = check(case);
            (!problems.is_empty()).then(|| format!("{}:\n    {}", case.path, problems.join("\n    ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad scenarios are not reported as declared:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every problem with one warning catalogue file's run (empty when it behaves as declared).
fn check_warning(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    if !case.rules.iter().all(|r| r.starts_with('W')) || case.rules.is_empty() {
        problems.push(format!(
            "declares rules {:?} (expected warning rules, W…)",
            case.rules
        ));
    }
    let (code, stdout, stderr) = validate(&case.path);
    if code != Some(0) {
        problems.push(format!("exit code {code:?} (expected 0)"));
    }
    if !stdout.starts_with(&format!("ok: {} ", case.path)) {
        problems.push(format!("stdout: {stdout}"));
    }
    let actual: Vec<&str> = stderr.lines().collect();
    let expected: Vec<&str> = case.expected.iter().map(String::as_str).collect();
    if actual != expected {
        problems.push(format!("stderr:\n{stderr}expected:\n{}", expected.join("\n")));
    }
    problems
}

#[test]
fn every_warning_scenario_validates_with_exactly_its_warnings() {
    let cases = warnings();
    assert!(cases.len() >= 5, "{WARN_DIR} holds {} scenarios", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let problems = check_warning(case);
            (!problems.is_empty()).then(|| format!("{}:\n    {}", case.path, problems.join("\n    ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every rule id the code uses is in `RULES` (its one list), and every rule has a catalogue
/// entry: a file under `tests/scenarios/bad/` (errors) or `tests/scenarios/warn/` (warnings)
/// whose exact located message the tests above check.
#[test]
fn every_rule_id_in_the_code_is_listed() {
    let known: BTreeSet<&str> = chatsim::scenario::RULES.iter().map(|(r, _)| r.0).collect();
    let text = std::fs::read_to_string(crate_root().join("src/scenario/error.rs")).expect("error.rs");
    for line in text.lines() {
        let line = line.trim();
        // The `rules!` lines: `NAME = "S01";`.
        if let Some((_, id)) = line.split_once(" = \"")
            && let Some(id) = id.strip_suffix("\";")
        {
            assert!(known.contains(id), "rule {id} is defined but not in RULES");
        }
    }
}

#[test]
fn the_catalogue_covers_every_rule() {
    let covered: BTreeSet<String> = catalogue()
        .into_iter()
        .chain(warnings())
        .flat_map(|c| c.rules)
        .collect();
    let missing: Vec<String> = chatsim::scenario::RULES
        .iter()
        .map(|(rule, what)| (rule.0, what))
        .filter(|(id, _)| !covered.contains(*id))
        .map(|(id, what)| format!("{id} ({what})"))
        .collect();
    assert!(
        missing.is_empty(),
        "no file under {BAD_DIR} or {WARN_DIR} tests these rules:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_shipped_scenario_validates() {
    let files = toml_files("scenarios");
    assert!(!files.is_empty(), "scenarios/ ships at least one scenario");
    // The starter scenarios of `chatsim init` too: no warnings in a newcomer's first file.
    let templates = toml_files("scenarios/templates");
    assert_eq!(
        templates.len(),
        3,
        "scenarios/templates/ holds the three init templates"
    );
    let files = files.into_iter().chain(templates);
    for path in files {
        let (code, stdout, stderr) = validate(&path);
        assert_eq!(code, Some(0), "chatsim validate {path}:\n{stderr}");
        assert!(
            stdout.contains(&format!("ok: {path} ")),
            "chatsim validate {path} printed:\n{stdout}"
        );
        assert!(stderr.is_empty(), "chatsim validate {path}:\n{stderr}");
    }
}

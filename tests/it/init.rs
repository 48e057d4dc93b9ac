//! `chatsim init`: every starter scenario is written as shipped, validates without a
//! warning and runs; nothing already at the path is ever replaced (README.md, "Starting a
//! scenario").

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const TEMPLATES: [&str; 3] = ["small-team", "shifts", "groups-menu"];

fn cli() -> Command {
    Command::cargo_bin("chatsim").expect("the chatsim binary is built")
}

fn shipped(template: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/templates/{template}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names of everything in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_template_is_written_as_shipped_validates_without_warnings_and_runs() {
    for template in TEMPLATES {
        let dir = tempfile::tempdir().unwrap();
        // A folder that does not exist yet: init creates it.
        let path = dir.path().join("new").join(format!("my-{template}.toml"));
        cli()
            .args(["init", "--template", template])
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "the {template} starter scenario"
            )))
            .stdout(predicate::str::contains(format!(
                "chatsim run {}",
                path.display()
            )));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            shipped(template),
            "{template}"
        );
        assert_eq!(listing(&path.with_file_name("")), [format!("my-{template}.toml")]);

        cli()
            .arg("validate")
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains("ok: "))
            .stderr("");

        let out = dir.path().join("out");
        cli()
            .arg("run")
            .arg(&path)
            .args(["--replications", "2", "--jobs", "1", "--out"])
            .arg(&out)
            .assert()
            .success()
            // The template names no scenario: the name is the file's stem.
            .stdout(predicate::str::starts_with(format!("my-{template} — seed ")))
            .stdout(predicate::str::contains("Recommended: "))
            .stderr("");
        for file in ["summary.csv", "decision.csv"] {
            assert!(out.join(file).is_file(), "{template}: no {file}");
        }
        let decision = std::fs::read_to_string(out.join("decision.csv")).unwrap();
        assert!(
            decision.lines().count() > 2,
            "{template}: compares nothing:\n{decision}"
        );
    }
}

#[test]
fn default_is_the_small_team_template_in_scenario_toml() {
    let dir = tempfile::tempdir().unwrap();
    cli()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "wrote scenario.toml: the small-team starter scenario",
        ))
        .stdout(predicate::str::ends_with("\n    chatsim run scenario.toml\n"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap(),
        shipped("small-team")
    );
    assert_eq!(
        listing(dir.path()),
        ["scenario.toml"],
        "no temporary file is left"
    );
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, "my own work\n").unwrap();
    for template in TEMPLATES {
        cli()
            .args(["init", "--template", template])
            .arg(&path)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "error: '{}' already exists (a file); chatsim init never overwrites",
                path.display()
            )));
    }
    // The default path too.
    cli().current_dir(dir.path()).arg("init").assert().code(2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my own work\n");
    assert_eq!(listing(dir.path()), ["scenario.toml"]);
}

#[test]
fn a_folder_at_the_path_is_refused_with_a_file_path_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("mine");
    std::fs::create_dir(&folder).unwrap();
    cli()
        .arg("init")
        .arg(&folder)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "'{}' is a folder; chatsim init writes a file: give a file path, such as '{}'",
            folder.display(),
            folder.join("scenario.toml").display()
        )));
    assert!(listing(&folder).is_empty());
}

#[cfg(unix)]
#[test]
fn a_dangling_link_at_the_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scenario.toml");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.toml"), &link).unwrap();
    cli()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'scenario.toml' already exists (a link)",
        ));
    assert!(
        !dir.path().join("elsewhere.toml").exists(),
        "nothing written through the link"
    );
}

#[test]
fn an_unknown_template_lists_the_names() {
    let dir = tempfile::tempdir().unwrap();
    cli()
        .current_dir(dir.path())
        .args(["init", "--template", "big-team"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[possible values: small-team, shifts, groups-menu]",
        ));
    assert!(listing(dir.path()).is_empty());
}

/// The writer itself refuses a path that is taken, whatever happened since any check.
#[test]
fn write_atomic_new_never_replaces_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taken.toml");
    std::fs::write(&path, "first").unwrap();
    let err = chatsim::report::write_atomic_new(&path, b"second").unwrap_err();
    assert_eq!(err.source.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
    assert_eq!(listing(dir.path()), ["taken.toml"]);

    let fresh = dir.path().join("a/b/fresh.toml");
    chatsim::report::write_atomic_new(&fresh, b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "new");
    assert_eq!(listing(&dir.path().join("a/b")), ["fresh.toml"]);
}

//! Validation beyond the one-problem catalogue (`tests/scenarios/bad/`): files that are not
//! files, sizes, speed on large scenarios, warnings, and a closed stderr (issue 14).

use assert_cmd::Command;
use std::path::Path;

fn cli() -> Command {
    Command::cargo_bin("chatsim").expect("the chatsim binary is built")
}

/// A small valid scenario; `extra` is appended (its own tables).
const SMALL: &str = r#"
horizon = "8h"

[engine]
strategy = "round-robin"
max_chats_per_agent = 2

[[teams]]
name = "support"
size = 3

[arrivals]
rate = 10

[handle_time]
distribution = "exponential"
mean = "5m"
"#;

/// `chatsim validate <path>`: (exit code, stderr).
fn validate(path: &Path) -> (Option<i32>, String) {
    let out = cli().arg("validate").arg(path).output().expect("chatsim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issue_14_a_missing_scenario_has_no_made_up_position() {
    let (code, stderr) = validate(Path::new("no/such/scenario.toml"));
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: no/such/scenario.toml: could not read the scenario: No such file or directory (os error 2)\n"
    );
}

#[test]
fn issue_14_a_folder_is_not_read_as_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2));
    assert!(
        stderr.ends_with(": could not read the scenario: it is a folder, not a regular file\n"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn issue_14_devices_and_fifos_are_refused_without_reading_them() {
    // /dev/zero would be read until memory runs out, a FIFO would block for ever: the
    // command must answer at once either way (the test harness's own timeout is the guard).
    for device in ["/dev/zero", "/dev/urandom"] {
        let (code, stderr) = validate(Path::new(device));
        assert_eq!(code, Some(2), "{device}");
        assert_eq!(
            stderr,
            format!("error: {device}: could not read the scenario: it is a device, not a regular file\n")
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("s.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let (code, stderr) = validate(&fifo);
        assert_eq!(code, Some(2));
        assert!(
            stderr
                .ends_with(": could not read the scenario: it is a FIFO (named pipe), not a regular file\n"),
            "{stderr}"
        );
        // As a trace the FIFO is refused where the scenario names it.
        let scenario = dir.path().join("t.toml");
        let text = SMALL.replace("rate = 10", "trace = \"s.toml\"");
        std::fs::write(&scenario, text).unwrap();
        let (code, stderr) = validate(&scenario);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains(":13:9: arrivals.trace: could not read \"")
                && stderr.contains("it is a FIFO (named pipe), not a regular file"),
            "{stderr}"
        );
    }
}

#[test]
fn issue_14_non_utf8_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    let mut bytes = SMALL.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n# caf\xe9 au lait\n");
    std::fs::write(&path, &bytes).unwrap();
    let (code, stderr) = validate(&path);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: {}:19:6: the file is not UTF-8 text (byte 0xe9)\n",
            path.display()
        )
    );
}

#[test]
fn issue_14_an_oversized_scenario_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let file = std::fs::File::create(&path).unwrap();
    // A sparse file: 17 MiB on paper, nothing on disk.
    file.set_len(17 * 1024 * 1024).unwrap();
    let (code, stderr) = validate(&path);
    assert_eq!(code, Some(2));
    assert!(
        stderr.ends_with(": could not read the scenario: it is 17.0 MiB, over the limit of 16.0 MiB\n"),
        "{stderr}"
    );
}

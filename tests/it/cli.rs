//! Command-line behaviour: happy paths and error UX.

use assert_cmd::Command;
use predicates::prelude::*;

fn cli() -> Command {
    Command::cargo_bin("chatsim").expect("the chatsim binary is built")
}

#[test]
fn engine_script_prints_the_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.script");
    std::fs::write(&path, "agent ann\n0:00:01 arrive c1\n").unwrap();
    cli()
        .arg("engine-script")
        .arg(&path)
        .assert()
        .success()
        .stdout("0:00:01 CHAT_ASSIGNED c1 -> ann (auto) -> [ann, admins]\n");
}

#[test]
fn bad_script_exits_2_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.script");
    std::fs::write(&path, "agent ann\n0:00:01 arrive c1 target=bob\n").unwrap();
    cli()
        .arg("engine-script")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.script:2:26: unknown agent \"bob\""));
}

#[test]
fn missing_file_exits_2() {
    cli()
        .args(["engine-script", "/nonexistent/x.script"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("could not read '/nonexistent/x.script'"));
}

#[test]
fn unknown_command_exits_2() {
    cli().arg("frobnicate").assert().code(2);
}

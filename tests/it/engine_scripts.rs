//! Data-driven engine tests: each `tests/engine/NAME.script` holds a workspace, timed inputs
//! and, after a `==== expect` line, the exact event log the engine must produce.
//!
//! Run with `UPDATE_EXPECT=1` to rewrite the expected logs after an intended change, then
//! review the diff line by line: the expected log *is* the specification.

use std::path::PathBuf;

const MARKER: &str = "==== expect\n";

fn check(name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/engine")
        .join(format!("{name}.script"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (script, expected) = text.split_once(MARKER).unwrap_or((&text, ""));
    let actual = chatsim::script::run(script).unwrap_or_else(|e| panic!("{}:{e}", path.display()));
    if actual == expected {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, format!("{script}{MARKER}{actual}")).expect("rewrite the expected log");
        return;
    }
    panic!(
        "{}: event log differs\n--- expected\n{expected}--- actual\n{actual}",
        path.display()
    );
}

macro_rules! scripts {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            check(stringify!($name));
        }
    )*};
}

scripts!(rr_rotation_abc,);

#[test]
fn every_script_file_has_a_test() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/engine");
    let source = include_str!("engine_scripts.rs");
    for entry in std::fs::read_dir(&dir).expect("tests/engine exists") {
        let path = entry.expect("readable directory").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            source.contains(&format!("    {stem},")),
            "{} has no entry in the scripts! list of tests/it/engine_scripts.rs",
            path.display()
        );
    }
}

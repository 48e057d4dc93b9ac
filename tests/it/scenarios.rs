//! Every shipped scenario parses and runs.

use std::path::{Path, PathBuf};

fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable directory").path();
        if path.is_dir() {
            files_with_extension(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_engine_script_runs() {
    let mut files = Vec::new();
    files_with_extension(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        "script",
        &mut files,
    );
    assert!(!files.is_empty(), "scenarios/ ships at least one engine script");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable script");
        let log = chatsim::script::run(&text).unwrap_or_else(|e| panic!("{}:{e}", file.display()));
        assert!(
            !log.contains("ERROR") && !log.contains("VIOLATION"),
            "{}:\n{log}",
            file.display()
        );
        assert!(
            log.contains("CHAT_ASSIGNED"),
            "{} assigns nothing",
            file.display()
        );
    }
}

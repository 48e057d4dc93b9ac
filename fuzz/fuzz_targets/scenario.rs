//! Scenario text through the path `chatsim validate` takes (README.md, "Fuzzing"): parse,
//! validate, expand the `[compare]` matrix and validate every cell. It must never panic, and
//! a refused scenario must be a list of located problems.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `chatsim validate` refuses a file that is not UTF-8 before it parses anything.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Beside the data files the seed scenarios name, so their traces and CSVs are read.
    let path = chatsim_fuzz::data_dir().join("fuzz.toml");
    match chatsim::scenario::experiment_from_str(text, &path) {
        Ok(experiment) => {
            assert!(
                !experiment.cells.is_empty(),
                "a valid scenario has a configuration"
            );
            assert!(
                experiment.baseline < experiment.cells.len(),
                "the baseline is a cell"
            );
        }
        Err(errors) => chatsim_fuzz::assert_located(&errors, &path, text),
    }
});

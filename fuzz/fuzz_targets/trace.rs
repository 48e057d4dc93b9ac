//! The CSV readers (README.md, "Fuzzing"): an arrival trace, a presence trace or an
//! empirical handle-time file, read through scenario validation exactly as `chatsim
//! validate` reads them (docs/workload.md#traces). It must never panic, and a refused file
//! must be a list of problems located in it (or, for an unreadable file, in the scenario).
//!
//! Input: one byte choosing the scenario around the file, then the file's bytes as they are
//! (not necessarily UTF-8).

#![no_main]

use libfuzzer_sys::fuzz_target;

/// What the file is: the scenario key that names it, and the rest of the scenario.
const KINDS: [&str; 3] = [
    // An arrival trace: groups, a target and handle times can be named.
    "[arrivals]\ntrace = \"trace.csv\"\n\n\
     [handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n",
    // A presence trace.
    "[agents]\npresence_trace = \"trace.csv\"\n\n\
     [arrivals]\nrate = 20\n\n\
     [handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n",
    // An empirical handle-time distribution.
    "[arrivals]\nrate = 20\n\n\
     [handle_time]\ndistribution = \"empirical\"\nfile = \"trace.csv\"\n",
];

/// When the scenario starts: ISO timestamps are placed on this calendar.
const STARTS: [&str; 3] = ["", "start = \"monday 07:30\"\n", "start = \"saturday 00:00\"\n"];

const HORIZONS: [&str; 2] = ["horizon = \"9h30m\"\n", "horizon = \"2d\"\n"];

/// The roster, the groups and the inboxes the rows may name (the shipped traces' names).
const ROSTER: &str = "\n[engine]\ngroups = [\"billing\", \"tech\"]\nstrategy = \"round-robin\"\n\n\
    [[teams]]\nname = \"support\"\nagents = [\"ana\", \"ben\", \"chloe\", \"dev\", \"eli\", \"fay\", \"gus\", \"hana\"]\n\n\
    [[teams]]\nname = \"leads\"\nrole = \"admin\"\nagents = [\"zoe\"]\n\n\
    [[inboxes]]\nname = \"web\"\n\n\
    [[inboxes]]\nname = \"vip\"\nagents = [\"ana\", \"ben\"]\n\n";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let mode = usize::from(mode);
    let text = format!(
        "{}{}{ROSTER}{}",
        HORIZONS[mode / 9 % 2],
        STARTS[mode / 3 % 3],
        KINDS[mode % 3]
    );
    // Each process has its own folder, so the file is this input's alone.
    let dir = chatsim_fuzz::data_dir();
    std::fs::write(dir.join("trace.csv"), file).expect("the trace file can be written");
    let path = dir.join("trace.toml");
    if let Err(errors) = chatsim::scenario::experiment_from_str(&text, &path) {
        chatsim_fuzz::assert_located(&errors, &path, &text);
    }
});

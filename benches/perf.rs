//! The performance figures (issue 13): one report, each figure measured against its target.
//!
//! Run `scripts/bench` for every part, `scripts/bench B1 B5` for some (REF is measured every
//! time: B1 is judged against it), `CHATSIM_BENCH_QUICK=1 scripts/bench` for a smoke run
//! with every size shrunk 10×. The script builds the release binary and runs
//! `cargo bench --locked --bench perf -- PARTS…`. Timings are wall clock
//! ([`Instant`]), best of 5 repetitions (a run over a minute is measured once). The two
//! sides of a ratio are measured in turn, round by round (REF beside each B1 case, B2's four
//! sizes, B4's two thread counts), so a machine that speeds up or slows down meanwhile
//! moves both sides alike. Beside a single-threaded time, CPU is the on-CPU time of the
//! measuring thread and of the processes it waited for, and each part ends with how many
//! cores other processes kept busy: on a shared machine the gap between wall clock and CPU
//! is the delay they caused.
//!
//! - **REF** — a minimal M/M/c loop of our own (a [`BinaryHeap`] of completions, a
//!   [`VecDeque`] queue, exponential draws from [`Pcg64Mcg`]): c = 10, ρ = 0.9, mean 60 s,
//!   500 000 chats; ns per chat. The yardstick of B1.
//! - **B1** — ns per chat of one `chatsim::sim::run` (one thread, every metric collected) on
//!   M/M/10 at ρ = 0.9, exponential handle time with mean 60 s, 500 000 chats: each strategy
//!   at capacity 1, least-busy at capacity 3 (λ tripled) and with customer messages.
//!   Judged by REF ns / chatsim ns [≥ 0.2, aim 0.5], REF measured again in turn with each
//!   case. Loading the scenario is not timed.
//! - **B2** — the same per-chat cost at 10, 100, 1 000 and 10 000 agents (capacity 1,
//!   ρ = 0.9, ~500 000 chats each), each strategy: cost(10 000) / cost(10) [≤ 1.5].
//! - **B3** — peak RSS (`VmHWM`) of a whole `chatsim run --jobs 1 --quiet` (report
//!   included) at 10⁵, 10⁶ and 10⁷ chats over a fixed 100 h: the rate varied, 10 agents ×
//!   3 slots at ρ = 0.9 throughout (the handle time shrinks as the rate grows, so as many
//!   chats are open at once at every size); each size in a process of its own (this binary
//!   re-run with a hidden argument): RSS(10⁷) / RSS(10⁵) [≤ 1.2].
//! - **B4** — a comparison matrix (3 strategies × 2 capacities × 8 replications, ~0.04 s a
//!   run) through `chatsim::experiment::run_experiment` on 1 and on 2 threads: t1 / t2
//!   [≥ 1.8].
//! - **B5** — `chatsim run scenarios/quickstart.toml --quiet --out DIR` end to end as a
//!   process, charts included [≤ 0.5 s]; the stages (load, simulate, statistics, render,
//!   write) are timed in-process beside it to show where the time goes.
//! - **B6** — `chatsim run benches/scenarios/sim-10k-full.toml --jobs 1 --quiet` with the
//!   release of commit 0f3c390 and with this one, side by side [speed-up ≥ 10×]. The old
//!   release is built once into `target/bench-baseline/` (offline: the registry cache
//!   holds its dependencies) and reused.
//!
//! The scenarios are generated as TOML text ([`Mmc::toml`]); `scenarios/quickstart.toml` is
//! the tour of the format and docs/workload.md defines each key. Benchmarks are never run
//! in CI; `cargo clippy --all-targets` compiles this file.

use chatsim::experiment::stats::Adjustment;
use chatsim::scenario::Experiment;
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::ffi::OsString;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (benchmarks run from anywhere).
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// The `chatsim` binary cargo built beside this benchmark, with the same profile.
const CHATSIM: &str = env!("CARGO_BIN_EXE_chatsim");
/// The release B6 compares against.
const BASELINE_COMMIT: &str = "0f3c390";
/// The hidden first argument that makes this binary a B3 child: `RSS_CHILD SCENARIO OUT`.
const RSS_CHILD: &str = "--rss-child";
/// Repetitions of every timing; the best counts.
const REPS: usize = 5;
/// A repetition longer than this is not repeated.
const LONG_RUN: Duration = Duration::from_secs(60);
/// The parts that can be selected (REF always runs).
const PARTS: [&str; 6] = ["B1", "B2", "B3", "B4", "B5", "B6"];
/// The strategies every per-chat figure covers.
const STRATEGIES: [&str; 3] = ["least-busy", "round-robin", "random"];
/// Mean handle time of the M/M/c figures, ms.
const HANDLE_MS: f64 = 60_000.0;
/// Occupancy of every generated scenario.
const RHO: f64 = 0.9;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(RSS_CHILD) {
        rss_child(&args[1..]);
        return;
    }
    // `cargo bench` adds `--bench`; anything else is a part name.
    let mut parts = Vec::new();
    for a in args.iter().filter(|a| !a.starts_with("--")) {
        match PARTS.iter().find(|p| p.eq_ignore_ascii_case(a)) {
            Some(p) if !parts.contains(p) => parts.push(*p),
            Some(_) => {}
            None => {
                eprintln!(
                    "unknown part '{a}': expected some of {} (none = all)",
                    PARTS.join(" ")
                );
                std::process::exit(2);
            }
        }
    }
    if parts.is_empty() {
        parts = PARTS.to_vec();
    }
    let quick = std::env::var("CHATSIM_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let sizes = if quick { Sizes::QUICK } else { Sizes::FULL };
    let tmp = TempDir::new();
    let mut report = Report {
        machine: machine(),
        rows: Vec::new(),
    };
    println!("parts: REF {}", parts.join(" "));
    if quick {
        println!("QUICK MODE (CHATSIM_BENCH_QUICK=1): every size shrunk 10×; figures are a smoke test only");
    }
    println!(
        "timings: wall clock, best of {REPS} repetitions (a run over {LONG_RUN:?} is measured once); \
         CPU = on-CPU time of the measuring thread and the processes it waited for (far below the \
         wall clock: other processes delayed the run)\n"
    );

    let whole = Load::start();
    figure_ref(&mut report, sizes.chats);
    for part in parts {
        println!();
        let load = Load::start();
        match part {
            "B1" => figure_b1(&mut report, sizes.chats),
            "B2" => figure_b2(&mut report, sizes.chats),
            "B3" => figure_b3(&mut report, sizes.rss_chats, &tmp),
            "B4" => figure_b4(&mut report, sizes.matrix_horizon_ms),
            "B5" => figure_b5(&mut report, &tmp),
            "B6" => figure_b6(&mut report, sizes.full_horizon, &tmp),
            _ => unreachable!("parts are validated above"),
        }
        report.note(&load.others(part));
    }
    println!();
    report.note(&whole.others("the whole report"));
    report.markdown(quick);
}

/// The sizes of one run of the report.
struct Sizes {
    /// Chats per run of REF, B1 and B2.
    chats: u64,
    /// Chats of the three B3 runs.
    rss_chats: [u64; 3],
    /// Horizon of one B4 run, ms.
    matrix_horizon_ms: u64,
    /// B6's horizon when shrunk (the file's own otherwise).
    full_horizon: Option<&'static str>,
}

impl Sizes {
    const FULL: Self = Self {
        chats: 500_000,
        rss_chats: [100_000, 1_000_000, 10_000_000],
        matrix_horizon_ms: 48 * 3_600_000,
        full_horizon: None,
    };
    const QUICK: Self = Self {
        chats: 50_000,
        rss_chats: [10_000, 100_000, 1_000_000],
        matrix_horizon_ms: 5 * 3_600_000,
        full_horizon: Some("48m"),
    };
}

// ---------------------------------------------------------------------------------------
// The figures

/// REF: our own M/M/10 loop, on its own (B1 measures it again beside each of its cases).
fn figure_ref(report: &mut Report, chats: u64) {
    let c = 10;
    let (time, mean_wait_s) = best_of(|| mmc_reference(c, RHO, HANDLE_MS, chats));
    let ns = per_chat(time.wall, chats);
    let theory = erlang_c_wait_s(c, RHO, HANDLE_MS / 1000.0);
    report.figure(
        "REF",
        &format!("M/M/{c} reference loop, ρ = {RHO}, {chats} chats"),
        format!("{ns:.0} ns/chat (CPU {:.0})", per_chat(time.cpu, chats)),
        "— (B1's yardstick)",
        None,
    );
    report.note(&format!(
        "REF mean wait {mean_wait_s:.1} s (Erlang C: {theory:.1} s)"
    ));
}

/// B1: one thread, M/M/10 at ρ = 0.9, each strategy, capacity 3, messages.
fn figure_b1(report: &mut Report, chats: u64) {
    let mut cases: Vec<(String, Mmc)> = STRATEGIES
        .iter()
        .map(|s| (format!("{s}, capacity 1"), Mmc::new(10, 1, s, chats)))
        .collect();
    cases.push((
        "least-busy, capacity 3".into(),
        Mmc::new(10, 3, "least-busy", chats),
    ));
    cases.push((
        "least-busy, capacity 1, messages".into(),
        Mmc {
            messages: true,
            ..Mmc::new(10, 1, "least-busy", chats)
        },
    ));
    for (label, mmc) in cases {
        // REF again, in turn with this case: the ratio compares runs from the same minutes.
        let mut sim = SimRun::new(&mmc);
        let mut reference = || mmc_reference(10, RHO, HANDLE_MS, chats).to_bits();
        let [(ref_time, _), (time, created)] = best_of_interleaved([&mut reference, &mut || sim.run()]);
        let reference_ns = per_chat(ref_time.wall, chats);
        let (ns, cpu) = (per_chat(time.wall, created), per_chat(time.cpu, created));
        let ratio = reference_ns / ns;
        report.figure(
            "B1",
            &format!("M/M/10 {label}"),
            format!("{ns:.0} ns/chat (CPU {cpu:.0}), REF {reference_ns:.0} → REF/chatsim {ratio:.3}"),
            "≥ 0.2 (aim 0.5)",
            Some(ratio >= 0.2),
        );
    }
}

/// B2: per-chat cost from 10 to 10 000 agents, each strategy.
fn figure_b2(report: &mut Report, chats: u64) {
    let teams = [10, 100, 1_000, 10_000];
    for strategy in STRATEGIES {
        // The four sizes in turn, so the ratio compares runs from the same minutes.
        let mut runs = teams.map(|agents| SimRun::new(&Mmc::new(agents, 1, strategy, chats)));
        let [a, b, c, d] = &mut runs;
        let timed = best_of_interleaved([&mut || a.run(), &mut || b.run(), &mut || c.run(), &mut || d.run()]);
        let costs: Vec<f64> = teams
            .iter()
            .zip(timed)
            .map(|(agents, (time, created))| {
                let (ns, cpu) = (per_chat(time.wall, created), per_chat(time.cpu, created));
                report.note(&format!(
                    "B2 {strategy} at {agents} agents: {ns:.0} ns/chat (CPU {cpu:.0})"
                ));
                ns
            })
            .collect();
        let growth = costs[3] / costs[0];
        let listed: Vec<String> = costs.iter().map(|c| format!("{c:.0}")).collect();
        report.figure(
            "B2",
            &format!("{strategy}: cost(10 000 agents) / cost(10)"),
            format!("{} ns/chat → ×{growth:.2}", listed.join(" / ")),
            "≤ 1.5",
            Some(growth <= 1.5),
        );
    }
}

/// B3: peak RSS of a whole `chatsim run` at three sizes, each in its own process.
fn figure_b3(report: &mut Report, sizes: [u64; 3], tmp: &TempDir) {
    let hours = 100.0;
    let horizon_ms = (hours * 3_600_000.0) as u64;
    let mut peaks = Vec::new();
    for chats in sizes {
        // The same 10 agents × 3 slots at ρ = 0.9 at every size: the rate grows and the
        // handle time shrinks with it, so the number of chats open at once (what a run
        // must hold, by Little's law) stays the same and any growth of the peak is memory
        // kept per chat simulated.
        let rate = chats as f64 / hours;
        let agents = 10;
        let handle_ms = RHO * f64::from(agents * 3) * 3_600_000.0 / rate;
        let mmc = Mmc {
            agents,
            capacity: 3,
            strategy: "least-busy",
            rate,
            horizon_ms,
            handle_ms,
            messages: false,
            replications: 1,
        };
        let scenario = tmp.write(&format!("b3-{chats}.toml"), &mmc.toml("b3"));
        let out = tmp.path.join(format!("b3-{chats}"));
        let child = Command::new(std::env::current_exe().expect("this binary's path"))
            .arg(RSS_CHILD)
            .arg(&scenario)
            .arg(&out)
            .output()
            .expect("re-run this binary");
        if !child.status.success() {
            panic!(
                "B3 child failed ({}): {}",
                child.status,
                String::from_utf8_lossy(&child.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&child.stdout);
        let mut fields = stdout.split_whitespace();
        let kb: f64 = fields
            .next()
            .and_then(|f| f.parse().ok())
            .expect("child prints VmHWM kB");
        let secs: f64 = fields
            .next()
            .and_then(|f| f.parse().ok())
            .expect("child prints seconds");
        let mb = kb / 1024.0;
        report.note(&format!(
            "B3 {chats} chats ({agents} agents × 3, handle {:.1} s): peak RSS {mb:.1} MB, {secs:.1} s",
            handle_ms / 1000.0
        ));
        peaks.push(mb);
        let _ = std::fs::remove_dir_all(&out);
    }
    let growth = peaks[2] / peaks[0];
    report.figure(
        "B3",
        &format!("peak RSS {} / {} / {} chats", sizes[0], sizes[1], sizes[2]),
        format!(
            "{:.0} / {:.0} / {:.0} MB → ×{growth:.2}",
            peaks[0], peaks[1], peaks[2]
        ),
        "≤ 1.2",
        Some(growth <= 1.2),
    );
}

/// The B3 child: one `chatsim run` in this process, then its peak RSS (kB) and seconds.
fn rss_child(args: &[String]) {
    let [scenario, out] = args else {
        eprintln!("usage: perf {RSS_CHILD} SCENARIO OUT");
        std::process::exit(2);
    };
    let started = Instant::now();
    let argv = ["chatsim", "run", scenario, "--jobs", "1", "--quiet", "--out", out];
    if let Err(e) = chatsim::cli::run(argv.into_iter().map(OsString::from)) {
        eprintln!("chatsim run failed: {e}");
        std::process::exit(1);
    }
    let secs = started.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("{kb} {secs}");
}

/// B4: a comparison matrix on 1 and on 2 threads.
fn figure_b4(report: &mut Report, horizon_ms: u64) {
    // 10 agents; at capacity 2 the load is ρ = 0.9, at capacity 3 it is 0.6.
    let base = Mmc {
        horizon_ms,
        replications: 8,
        ..Mmc::new(10, 2, "least-busy", 0)
    };
    let text = format!(
        "{}\n[compare]\nstrategy = [\"least-busy\", \"round-robin\", \"random\"]\n\
         max_chats_per_agent = [2, 3]\n",
        base.toml("b4")
    );
    let experiment: Experiment =
        chatsim::scenario::experiment_from_str(&text, Path::new("b4.toml")).expect("valid B4 scenario");
    let runs = experiment.cells.len() * experiment.base.replications as usize;
    let experiment = &experiment;
    let on = |jobs| {
        move || {
            chatsim::experiment::run_experiment(experiment, jobs, &|| {})
                .expect("worker threads")
                .len()
        }
    };
    // In turn, so a machine that speeds up or slows down meanwhile moves both alike.
    let [(one, _), (two, _)] = best_of_interleaved([&mut on(1), &mut on(2)]);
    let (t1, t2) = (one.wall.as_secs_f64(), two.wall.as_secs_f64());
    let speedup = t1 / t2;
    report.note(&format!(
        "B4 {runs} runs: {:.2} s a run on one thread",
        t1 / runs as f64
    ));
    report.figure(
        "B4",
        &format!("matrix of {runs} runs, 1 vs 2 threads"),
        format!("{t1:.2} s / {t2:.2} s → ×{speedup:.2}"),
        "≥ 1.8",
        Some(speedup >= 1.8),
    );
}

/// B5: the quickstart end to end as a process, and its stages in-process.
fn figure_b5(report: &mut Report, tmp: &TempDir) {
    let scenario = Path::new(REPO).join("scenarios/quickstart.toml");
    let out = tmp.path.join("b5");
    let run = |extra: &[&str]| {
        let mut args: Vec<OsString> = vec!["run".into(), scenario.clone().into(), "--quiet".into()];
        args.extend(extra.iter().map(OsString::from));
        args.extend(["--out".into(), out.clone().into()]);
        best_of(|| process(Path::new(CHATSIM), &args))
            .0
            .wall
            .as_secs_f64()
    };
    let whole = run(&[]);
    report.figure(
        "B5",
        "chatsim run scenarios/quickstart.toml (process, charts)",
        format!("{whole:.3} s"),
        "≤ 0.5 s",
        Some(whole <= 0.5),
    );
    report.note(&format!("B5 with --jobs 1: {:.3} s", run(&["--jobs", "1"])));
    report.note(&format!(
        "B5 with --replications 1: {:.3} s",
        run(&["--replications", "1"])
    ));

    // The same pipeline as `chatsim run` (src/cli/mod.rs), stage by stage, all cores.
    let (load, experiment) =
        best_of(|| chatsim::scenario::load_experiment(&scenario).expect("quickstart loads"));
    let (simulate, results) = best_of(|| {
        chatsim::experiment::run_sequential(&experiment, 0, &|| {})
            .expect("worker threads")
            .0
    });
    let runs: Vec<Vec<chatsim::metrics::RunMetrics>> = results
        .into_iter()
        .map(|cell| cell.into_iter().map(|r| r.metrics).collect())
        .collect();
    let (statistics, results) =
        best_of(|| chatsim::report::Results::new(&experiment, runs.clone(), Adjustment::Unadjusted));
    let (render, files) = best_of(|| chatsim::report::files(&results).expect("charts render"));
    let (write, ()) = best_of(|| {
        for (name, bytes) in &files {
            chatsim::report::write_atomic(&out.join(name), bytes).expect("report written");
        }
    });
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let ms = |t: Timing| t.wall.as_secs_f64() * 1000.0;
    report.note(&format!(
        "B5 in-process stages: load {:.1} ms, simulate {:.1} ms, statistics {:.1} ms, \
         render {} files {:.1} ms, write {:.0} kB {:.1} ms",
        ms(load),
        ms(simulate),
        ms(statistics),
        files.len(),
        ms(render),
        bytes as f64 / 1024.0,
        ms(write)
    ));
    let _ = std::fs::remove_dir_all(&out);
}

/// B6: the 10 000-agent day with every behaviour, old release against this one.
fn figure_b6(report: &mut Report, shrink: Option<&str>, tmp: &TempDir) {
    let old_bin = match baseline_binary() {
        Ok(bin) => bin,
        Err(e) => {
            report.figure(
                "B6",
                &format!("sim-10k-full, {BASELINE_COMMIT} vs now"),
                format!("not measured: {e}"),
                "≥ 10×",
                Some(false),
            );
            return;
        }
    };
    let file = "benches/scenarios/sim-10k-full.toml";
    let current = std::fs::read_to_string(Path::new(REPO).join(file)).expect("read sim-10k-full.toml");
    // QUICK: the same day cut short, for both.
    let shrunk = |text: &str| match shrink {
        Some(h) => text.replacen("horizon = \"8h\"", &format!("horizon = \"{h}\""), 1),
        None => text.to_owned(),
    };
    let new_file = tmp.write("b6-new.toml", &shrunk(&current));
    // The old release gets the current file when it accepts it, else its own.
    let accepts = Command::new(&old_bin)
        .arg("validate")
        .arg(&new_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let old_file = if accepts {
        report.note(&format!(
            "B6 the {BASELINE_COMMIT} release accepts the current {file}: both run it"
        ));
        new_file.clone()
    } else {
        let old = git(&["show", &format!("{BASELINE_COMMIT}:{file}")]);
        report.note(&format!(
            "B6 the {BASELINE_COMMIT} release refuses the current {file}: it runs its own version"
        ));
        tmp.write("b6-old.toml", &shrunk(&old))
    };
    if let Some(h) = shrink {
        report.note(&format!("B6 QUICK: horizon cut from 8h to {h}"));
    }
    let time = |bin: &Path, scenario: &Path, out: &str| {
        let args: Vec<OsString> = vec![
            "run".into(),
            scenario.into(),
            "--jobs".into(),
            "1".into(),
            "--quiet".into(),
            "--out".into(),
            tmp.path.join(out).into(),
        ];
        let (best, ()) = best_of(|| process(bin, &args));
        let _ = std::fs::remove_dir_all(tmp.path.join(out));
        (best.wall.as_secs_f64(), best.cpu.as_secs_f64())
    };
    let (now, now_cpu) = time(Path::new(CHATSIM), &new_file, "b6-new");
    report.note(&format!("B6 this release: {now:.1} s (CPU {now_cpu:.1} s)"));
    let (old, old_cpu) = time(&old_bin, &old_file, "b6-old");
    report.note(&format!(
        "B6 the {BASELINE_COMMIT} release: {old:.1} s (CPU {old_cpu:.1} s)"
    ));
    let speedup = old / now;
    report.figure(
        "B6",
        &format!("sim-10k-full --jobs 1, {BASELINE_COMMIT} vs now"),
        format!("{old:.1} s / {now:.1} s → ×{speedup:.1}"),
        "≥ 10×",
        Some(speedup >= 10.0),
    );
}

/// The release of [`BASELINE_COMMIT`], built once into `target/bench-baseline/` (sources
/// from `git archive`, its own lock file, offline when the registry cache has everything).
fn baseline_binary() -> Result<PathBuf, String> {
    let root = Path::new(REPO).join("target/bench-baseline");
    let bin = root.join("target/release/chatsim");
    if bin.exists() {
        return Ok(bin);
    }
    let src = root.join("src");
    if !src.join("Cargo.toml").exists() {
        println!("B6: extracting {BASELINE_COMMIT} into {}", src.display());
        std::fs::create_dir_all(&src).map_err(|e| format!("create {}: {e}", src.display()))?;
        let mut archive = Command::new("git")
            .args(["archive", BASELINE_COMMIT])
            .current_dir(REPO)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("git archive: {e}"))?;
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&src)
            .stdin(archive.stdout.take().expect("piped"))
            .status()
            .map_err(|e| format!("tar: {e}"))?;
        let git = archive.wait().map_err(|e| format!("git archive: {e}"))?;
        if !git.success() || !tar.success() {
            let _ = std::fs::remove_dir_all(&src);
            return Err(format!("could not extract commit {BASELINE_COMMIT}"));
        }
    }
    println!("B6: building the {BASELINE_COMMIT} release once (a few minutes; cached afterwards)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = |offline: bool| {
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "--release", "--locked", "--manifest-path"])
            .arg(src.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target"));
        if offline {
            cmd.arg("--offline");
        }
        cmd.status().is_ok_and(|s| s.success())
    };
    if (build(true) || build(false)) && bin.exists() {
        Ok(bin)
    } else {
        Err(format!("the {BASELINE_COMMIT} release did not build"))
    }
}

// ---------------------------------------------------------------------------------------
// The reference loop

/// Mean wait (s) of `chats` through an M/M/`c` queue at occupancy `rho`, mean service
/// `service_ms`: FIFO queue, integer-millisecond clock like the simulator's.
fn mmc_reference(c: usize, rho: f64, service_ms: f64, chats: u64) -> f64 {
    let mut rng = Pcg64Mcg::seed_from_u64(13);
    let mean_gap = service_ms / (rho * c as f64);
    let mut busy: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(c);
    let mut queue: VecDeque<u64> = VecDeque::new();
    let mut wait_ms: u64 = 0;
    let mut now: u64 = 0;
    for _ in 0..chats {
        now += exp_ms(&mut rng, mean_gap);
        // Completions up to now: each frees a server for the head of the queue.
        while let Some(&Reverse(done)) = busy.peek() {
            if done > now {
                break;
            }
            busy.pop();
            if let Some(arrived) = queue.pop_front() {
                wait_ms += done - arrived;
                busy.push(Reverse(done + exp_ms(&mut rng, service_ms)));
            }
        }
        if busy.len() < c {
            busy.push(Reverse(now + exp_ms(&mut rng, service_ms)));
        } else {
            queue.push_back(now);
        }
    }
    // Drain: the queue empties as servers free up.
    while let Some(Reverse(done)) = busy.pop() {
        if let Some(arrived) = queue.pop_front() {
            wait_ms += done - arrived;
            busy.push(Reverse(done + exp_ms(&mut rng, service_ms)));
        }
    }
    black_box(wait_ms as f64 / chats as f64 / 1000.0)
}

/// An exponential draw with mean `mean` ms, rounded down to whole ms.
fn exp_ms(rng: &mut Pcg64Mcg, mean: f64) -> u64 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-(1.0 - u).ln() * mean) as u64
}

/// Erlang C mean wait (s) of M/M/`c` at occupancy `rho`, mean service `service_s`.
fn erlang_c_wait_s(c: usize, rho: f64, service_s: f64) -> f64 {
    let load = rho * c as f64;
    // Erlang B by recursion, then C.
    let b = (1..=c).fold(1.0, |b, k| load * b / (k as f64 + load * b));
    let p_wait = c as f64 * b / (c as f64 - load * (1.0 - b));
    p_wait * service_s / (c as f64 - load)
}

// ---------------------------------------------------------------------------------------
// Scenarios and measurements

/// An M/M/c-like scenario: one team, Poisson arrivals, exponential handle time, no patience
/// (docs/workload.md, "Arrivals" and "Handle time").
#[derive(Clone, Debug)]
struct Mmc {
    agents: u32,
    capacity: u32,
    strategy: &'static str,
    /// Chats per hour.
    rate: f64,
    horizon_ms: u64,
    handle_ms: f64,
    /// `[customers] messages = true` (docs/workload.md, "Messages").
    messages: bool,
    /// Replications per configuration.
    replications: u32,
}

impl Mmc {
    /// `agents` × `capacity` slots at ρ = 0.9 with 60 s chats, horizon for about `chats`.
    fn new(agents: u32, capacity: u32, strategy: &'static str, chats: u64) -> Self {
        let rate = RHO * f64::from(agents * capacity) * 3_600_000.0 / HANDLE_MS;
        Self {
            agents,
            capacity,
            strategy,
            rate,
            horizon_ms: (chats as f64 / rate * 3_600_000.0).round() as u64,
            handle_ms: HANDLE_MS,
            messages: false,
            replications: 1,
        }
    }

    /// The scenario file's text.
    fn toml(&self, name: &str) -> String {
        let mut text = format!(
            "name = \"{name}\"\nhorizon = \"{}ms\"\nseed = 1\n\n\
             replications = {}\n\n[engine]\nstrategy = \"{}\"\nmax_chats_per_agent = {}\n\n\
             [[teams]]\nname = \"agents\"\nsize = {}\n\n\
             [arrivals]\nrate = {}\n\n\
             [handle_time]\ndistribution = \"exponential\"\nmean = \"{}ms\"\n",
            self.horizon_ms,
            self.replications,
            self.strategy,
            self.capacity,
            self.agents,
            self.rate,
            self.handle_ms.round() as u64
        );
        if self.messages {
            text.push_str("\n[customers]\nmessages = true\n");
        }
        // Ends in a table: a caller may append tables ([compare]), never top-level keys.
        text
    }
}

/// One `sim::run` of an M/M/c scenario, loaded once (loading is not timed).
struct SimRun {
    scenario: chatsim::scenario::Scenario,
}

impl SimRun {
    fn new(mmc: &Mmc) -> Self {
        let scenario = chatsim::scenario::from_str(&mmc.toml("bench"), Path::new("bench.toml"))
            .unwrap_or_else(|e| panic!("generated scenario is invalid: {e:?}"));
        Self { scenario }
    }

    /// Runs it; returns the chats created.
    fn run(&mut self) -> u64 {
        let counts = chatsim::sim::run(&self.scenario, 0).counts;
        assert_eq!(counts.engine_errors, 0, "engine errors in {}", self.scenario.name);
        counts.created
    }
}

fn per_chat(elapsed: Duration, chats: u64) -> f64 {
    elapsed.as_secs_f64() * 1e9 / chats.max(1) as f64
}

/// How long something took.
#[derive(Clone, Copy, Debug)]
struct Timing {
    /// Wall clock: the figure.
    wall: Duration,
    /// CPU time of the calling thread and of the child processes it waited for: beside the
    /// wall clock it shows how much other processes delayed a single-threaded run (worker
    /// threads are not counted, so ignore it for parallel work).
    cpu: Duration,
}

/// The best times of up to [`REPS`] calls of `f` (one when it takes over [`LONG_RUN`]),
/// and the last call's result.
fn best_of<T>(mut f: impl FnMut() -> T) -> (Timing, T) {
    let [best] = best_of_interleaved([&mut f]);
    best
}

/// [`best_of`] for several measurements taken in turn: [`REPS`] rounds, each calling every
/// function once, the order rotated from one round to the next. A ratio of two of them
/// then compares runs from the same minutes, even on a machine that speeds up or slows
/// down (a shared virtual machine does, by a third within an hour). Stops after a round
/// with a call over [`LONG_RUN`].
fn best_of_interleaved<T, const N: usize>(fs: [&mut dyn FnMut() -> T; N]) -> [(Timing, T); N] {
    let mut best = [Timing {
        wall: Duration::MAX,
        cpu: Duration::MAX,
    }; N];
    let mut last: [Option<T>; N] = std::array::from_fn(|_| None);
    for round in 0..REPS {
        let mut long = false;
        for k in 0..N {
            let i = (round + k) % N;
            let cpu = cpu_time();
            let started = Instant::now();
            let result = black_box(fs[i]());
            let wall = started.elapsed();
            best[i].wall = best[i].wall.min(wall);
            best[i].cpu = best[i].cpu.min(cpu_time().saturating_sub(cpu));
            last[i] = Some(result);
            long |= wall > LONG_RUN;
        }
        if long {
            break;
        }
    }
    let mut last = last.into_iter();
    best.map(|timing| (timing, last.next().flatten().expect("REPS > 0")))
}

/// CPU time so far of this thread (ns, /proc/thread-self/schedstat) plus that of the
/// children waited for (ticks of 10 ms, /proc/self/stat); zero where /proc is missing.
fn cpu_time() -> Duration {
    // A running thread's count is brought up to date when it is scheduled: yield first.
    std::thread::yield_now();
    let thread_ns = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|f| f.parse().ok()))
        .unwrap_or(0);
    let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the parenthesised name: state is field 3, cutime and cstime fields 16 and 17.
    let children_ticks: u64 = own.rsplit_once(')').map_or(0, |(_, rest)| {
        rest.split_whitespace()
            .skip(13)
            .take(2)
            .filter_map(|f| f.parse::<u64>().ok())
            .sum()
    });
    Duration::from_nanos(thread_ns) + Duration::from_millis(children_ticks * 10)
}

/// Runs `bin args` to completion, output discarded; panics with its stderr on failure.
fn process(bin: &Path, args: &[OsString]) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(REPO)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", bin.display()));
    if !out.status.success() {
        panic!(
            "{} {:?} failed ({}): {}",
            bin.display(),
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `git ARGS` in the repository, stdout (empty on failure).
fn git(args: &[&str]) -> String {
    Command::new("git")
        .args(args)
        .current_dir(REPO)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Prints the machine (CPU, cores, compiler, commit); the same in one line.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or("unknown", |(_, m)| m.trim());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "rustc: not found".into());
    let commit = git(&["rev-parse", "--short", "HEAD"]);
    // The measured code is src/ and the lock file: say when they differ from the commit.
    let dirty = !git(&["status", "--porcelain", "--", "src", "Cargo.lock"]).is_empty();
    let commit = format!(
        "{}{}",
        commit.trim(),
        if dirty {
            " (+ uncommitted changes to src/ or Cargo.lock)"
        } else {
            ""
        }
    );
    println!("chatsim performance report");
    println!("machine: {cpu}, {cores} cores");
    println!("compiler: {rustc}");
    println!("commit: {commit}");
    format!("{cpu}, {cores} cores, {rustc}, commit {commit}")
}

/// What else the machine did while we measured: other processes slow every figure down.
struct Load {
    started: Instant,
    /// (machine busy, machine total, ours) in clock ticks.
    ticks: (u64, u64, u64),
}

impl Load {
    fn start() -> Self {
        Self {
            started: Instant::now(),
            ticks: cpu_ticks(),
        }
    }

    /// "other processes kept … of N cores busy during WHAT".
    fn others(&self, what: &str) -> String {
        let (busy, total, ours) = cpu_ticks();
        let (busy0, total0, ours0) = self.ticks;
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let others = busy
            .saturating_sub(busy0)
            .saturating_sub(ours.saturating_sub(ours0)) as f64;
        let share = others / total.saturating_sub(total0).max(1) as f64;
        format!(
            "other processes kept {:.1} of {cores} cores busy during {what} ({:.0} s)",
            share * cores,
            self.started.elapsed().as_secs_f64()
        )
    }
}

/// CPU clock ticks from /proc: (machine busy incl. steal, machine total, this process and
/// its waited-for children). Zeros where /proc is missing.
fn cpu_ticks() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    let own = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the parenthesised name: state is field 3, utime … cstime are fields 14 … 17.
    let ours = own.rsplit_once(')').map_or(0, |(_, rest)| {
        rest.split_whitespace()
            .skip(11)
            .take(4)
            .filter_map(|f| f.parse::<u64>().ok())
            .sum()
    });
    (total - idle, total, ours)
}

// ---------------------------------------------------------------------------------------
// Output

/// The figures so far, for the closing table.
struct Report {
    /// The machine in one line.
    machine: String,
    rows: Vec<[String; 5]>,
}

impl Report {
    /// Prints a figure line and keeps it for the table; `met` is `None` for figures
    /// without a target.
    fn figure(&mut self, id: &str, what: &str, value: String, target: &str, met: Option<bool>) {
        let verdict = match met {
            Some(true) => "ok",
            Some(false) => "MISS",
            None => "",
        };
        println!("{id:<4} {what:<52} {value:<46} target {target:<18} {verdict}");
        self.rows
            .push([id.into(), what.into(), value, target.into(), verdict.into()]);
    }

    /// Prints a detail line (not a figure).
    fn note(&self, text: &str) {
        println!("     · {text}");
    }

    /// The figures as a Markdown table, to paste into README.md.
    fn markdown(&self, quick: bool) {
        println!(
            "\nMarkdown{}:\n",
            if quick {
                " (QUICK MODE — not for README)"
            } else {
                ""
            }
        );
        println!("Measured on {}.\n", self.machine);
        println!("| figure | what | measured | target | |");
        println!("|---|---|---|---|---|");
        for [id, what, value, target, verdict] in &self.rows {
            println!("| {id} | {what} | {value} | {target} | {verdict} |");
        }
    }
}

/// A scratch folder under the system temp dir, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("chatsim-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self { path }
    }

    /// Writes `name` in the folder; its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, text).expect("write to the temp dir");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

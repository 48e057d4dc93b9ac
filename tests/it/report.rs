//! Reports: golden structure of summary.csv, paired differences of identical cells, chart
//! files, HTML escaping.

use assert_cmd::Command;
use std::path::Path;

const TINY: &str = r#"name = "tiny"
question = "Does notify_assignment change anything for customers?"
horizon = "2h"
seed = 3
replications = 4
service_level_targets = ["30s"]
[engine]
strategy = "least-busy"
max_chats_per_agent = 2
[[teams]]
name = "support"
size = 3
[arrivals]
rate = 40
[handle_time]
distribution = "exponential"
mean = "8m"
[patience]
distribution = "exponential"
mean = "2m"
[compare]
notify_assignment = ["assignee-and-admins", "assignee"]
"#;

fn run(dir: &Path, text: &str) -> std::process::Output {
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--quiet")
        .output()
        .unwrap()
}

fn summary_rows(dir: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(dir.join("out/summary.csv")).unwrap();
    reader.records().map(Result::unwrap).collect()
}

#[test]
fn summary_csv_structure_is_stable() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), TINY).status.success());
    let text = std::fs::read_to_string(tmp.path().join("out/summary.csv")).unwrap();
    // The structure — header, and which cell × metric rows exist — not the simulated values.
    let mut structure = String::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    structure.push_str(&reader.headers().unwrap().iter().collect::<Vec<_>>().join(","));
    structure.push('\n');
    for row in reader.records() {
        let row = row.unwrap();
        structure.push_str(&format!(
            "{},{},{},{},{},{}\n",
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[14]
        ));
    }
    insta::assert_snapshot!("summary_csv_structure", structure);
}

#[test]
fn identical_cells_differ_by_exactly_zero() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), TINY).status.success());
    let rows = summary_rows(tmp.path());
    let mut checked = 0;
    for row in rows.iter().filter(|r| &r[0] == "1") {
        // Metrics defined in every replication have a paired difference of exactly 0 ± 0.
        if &row[13] == "4" {
            assert_eq!(
                (&row[10], &row[11], &row[12]),
                ("0", "0", "0"),
                "metric {}",
                &row[3]
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} metrics compared");
}

#[test]
fn charts_exist_parse_and_name_their_series() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), TINY).status.success());
    let charts = tmp.path().join("out/charts");
    for stem in [
        "wait_cdf",
        "wait_p95",
        "service_level",
        "fairness",
        "churn",
        "service_level_by_hour",
        "queue_by_hour",
        "agent_load",
    ] {
        let svg = std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{stem}.svg is not an SVG document"
        );
        // Long labels may be shortened with "…" to fit; their start must be there.
        assert!(
            svg.contains("assignee-and") && svg.contains("assignee"),
            "{stem}.svg does not name its series"
        );
        let png = std::fs::read(charts.join(format!("{stem}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1_000,
            "{stem}.png is not a PNG"
        );
    }
    let churn = std::fs::read_to_string(charts.join("churn.svg")).unwrap();
    for cause in ["offline", "rebalance", "takeover", "manual"] {
        assert!(churn.contains(cause), "the churn chart's legend lacks {cause}");
    }
}

#[test]
fn scenario_text_is_escaped_in_the_html_report() {
    let tmp = tempfile::tempdir().unwrap();
    let text = TINY
        .replace("name = \"tiny\"", "name = \"<script>alert(1)</script>\"")
        .replace(
            "question = \"Does notify_assignment change anything for customers?\"",
            "question = 'Does <b>notify</b> & \"assignment\" change anything?'",
        );
    assert!(run(tmp.path(), &text).status.success());
    let html = std::fs::read_to_string(tmp.path().join("out/report.html")).unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Does &lt;b&gt;notify&lt;/b&gt; &amp; &quot;assignment&quot;"));
    assert!(!html.contains("<script"), "no scripts");
    for external in ["src=\"http", "href=\"http", "<link", "url(http", "@import"] {
        assert!(
            !html.contains(external),
            "the report loads something from outside: {external}"
        );
    }
    // The question and the answer come first.
    let q = html.find("class=\"question\"").unwrap();
    let a = html.find("class=\"answer\"").unwrap();
    let charts = html.find("<h2>Charts</h2>").unwrap();
    assert!(q < a && a < charts);
}

/// The report renders in a real browser with no console message. Needs Debian's
/// `chromium`; `.ci/run` installs it when it can, and the test says so when it cannot run.
#[test]
fn report_renders_in_headless_chromium_without_console_errors() {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!(
            "chromium is not installed: report_renders_in_headless_chromium_without_console_errors checked nothing"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    assert!(run(tmp.path(), TINY).status.success());
    let page = tmp.path().join("out/report.html");
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        dom.contains("<h1>tiny</h1>") && dom.contains("<svg"),
        "the page did not render:\n{log}"
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
}

/// Scenarios with groups get a per-group table (terminal and HTML), and `answer_metrics`
/// lead the ranking and the paired differences.
#[test]
fn groups_get_their_own_table_and_answer_metrics_lead() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY
        .replace(
            "max_chats_per_agent = 2",
            "max_chats_per_agent = 2\ngroups = [\"billing\", \"tech\"]",
        )
        .replace("rate = 40", "rate = 40\ngroups = { billing = 0.6, tech = 0.4 }")
        .replace(
            "question = ",
            "answer_metrics = [\"abandonment\", \"wait_mean\"]\nquestion = ",
        )
        .replace(
            "notify_assignment = [\"assignee-and-admins\", \"assignee\"]",
            "max_chats_per_agent = [1, 2]",
        );
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, &text).unwrap();
    let out = Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("by group"), "{stdout}");
    assert!(stdout.contains("billing") && stdout.contains("tech"), "{stdout}");
    // Capacity 2 abandons less than capacity 1: it ranks first, and the differences talk
    // about abandonment first.
    assert!(
        stdout.contains("Recommended: cap 2 — the lowest abandonment"),
        "{stdout}"
    );
    let diffs = stdout.split("paired differences").nth(1).unwrap();
    // The heading, the table's column headings, then the first difference.
    assert!(diffs.lines().nth(2).unwrap().contains("abandonment"), "{diffs}");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("<h2>By group</h2>"));
}

//! `report.html`: one self-contained page — inline CSS and inline SVG charts, no scripts,
//! no network — that answers the scenario's question in its first lines.
//!
//! Every piece of text that comes from the scenario (name, question, labels, group names)
//! is HTML-escaped here; chart SVG text is escaped by the SVG backend.

use crate::report::csv::interval_numbers;
use crate::report::text::{answer, diff_sentence, metric_name};
use crate::report::{Results, clock_label, fmt_estimate, fmt_half, fmt_value, headline_ids};
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}\
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\
.question{font-size:1.15rem;color:#444;margin:.3rem 0}.answer{font-size:1.15rem;background:#eef6ee;border-left:4px solid #2a7a2a;padding:.6rem .9rem}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.3rem .55rem;text-align:right}td{white-space:nowrap}\
th{background:#f4f4f4}td.l,th.l{text-align:left}tr.best td{font-weight:600}figure{margin:1.2rem 0}figcaption{color:#555;font-size:.9rem}\
svg{max-width:100%;height:auto}footer{margin-top:3rem;color:#777;font-size:.85rem}";

fn cell_value(results: &Results<'_>, c: usize, id: &str) -> String {
    results.summary[c].get(id).and_then(|m| m.estimate).map_or_else(
        || "–".to_owned(),
        |e| match e.half_width {
            Some(h) => format!("{} {}", fmt_value(id, e.mean), fmt_half(id, h)),
            None => fmt_value(id, e.mean),
        },
    )
}

/// The whole page; `charts` are (file stem, SVG text) in display order.
pub fn report_html(results: &Results<'_>, charts: &[(&str, String)]) -> String {
    let scenario = results.scenario();
    let mut h = String::new();
    let title = escape(&scenario.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>chatsim — {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    if let Some(q) = &scenario.question {
        let _ = writeln!(h, "<p class=\"question\">{}</p>", escape(q));
    }
    let _ = writeln!(h, "<p class=\"answer\">{}</p>", escape(&answer(results)));

    // Ranked table.
    let ids = headline_ids(scenario);
    let ranking = results.ranking();
    let _ = writeln!(
        h,
        "<h2>Ranking</h2>\n<table>\n<tr><th>rank</th><th class=\"l\">configuration</th>"
    );
    for id in &ids {
        let _ = write!(h, "<th>{}</th>", escape(&metric_name(id)));
    }
    let _ = writeln!(h, "</tr>");
    for (rank, &c) in ranking.iter().enumerate() {
        let class = if rank == 0 { " class=\"best\"" } else { "" };
        let base = if results.summary[c].baseline && results.summary.len() > 1 {
            " (baseline)"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{class}><td>{}</td><td class=\"l\">{}{base}</td>",
            rank + 1,
            escape(&results.experiment.cells[c].label)
        );
        for id in &ids {
            let _ = write!(h, "<td>{}</td>", escape(&cell_value(results, c, id)));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(
        h,
        "</table>\n<p>Means over replications with 95 % confidence intervals (t, n − 1 degrees of freedom).</p>"
    );

    if results.summary.len() > 1 {
        let base_label = &results.experiment.cells[results.experiment.baseline].label;
        let _ = writeln!(
            h,
            "<h2>Compared with the baseline</h2>\n<p>Differences are paired by replication (every configuration sees the same customers), with {} 95 % confidence intervals.</p>\n<ul>",
            escape(results.adjustment.name())
        );
        // The question's own metrics first, then the headline ones.
        let mut diff_ids: Vec<&String> = results.scenario().answer_metrics.iter().collect();
        diff_ids.extend(ids.iter().filter(|id| !diff_ids.contains(id)).collect::<Vec<_>>());
        for &c in &ranking {
            if results.summary[c].baseline {
                continue;
            }
            for id in &diff_ids {
                if let Some(d) = results.summary[c].get(id).and_then(|m| m.diff) {
                    let s = diff_sentence(
                        &results.experiment.cells[c].label,
                        base_label,
                        id,
                        &d,
                        results.adjustment.name(),
                    );
                    let _ = writeln!(h, "<li>{}</li>", escape(&s));
                }
            }
        }
        let _ = writeln!(h, "</ul>");
    }

    let _ = writeln!(h, "<h2>Charts</h2>");
    for (stem, svg) in charts {
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = writeln!(h, "<figure id=\"{}\">\n{body}\n</figure>", escape(stem));
    }

    // The planner's table for the best configuration.
    let best = ranking[0];
    let _ = writeln!(
        h,
        "<h2>Planner's table — {}</h2>",
        escape(&results.experiment.cells[best].label)
    );
    let _ = write!(
        h,
        "<table>\n<tr><th class=\"l\">interval</th><th>arrivals</th><th>served</th><th>abandoned</th><th>mean wait</th>"
    );
    for t in &scenario.sl_targets {
        let _ = write!(h, "<th>within {}</th>", escape(&t.to_string()));
    }
    let _ = writeln!(
        h,
        "<th>chats in service</th><th>agents available</th><th>queue length</th><th>occupancy</th><th>abandonment</th></tr>"
    );
    let runs = &results.runs[best];
    let n_intervals = runs.iter().map(|r| r.intervals.len()).max().unwrap_or(0);
    for i in 0..n_intervals {
        let rows: Vec<Vec<Option<f64>>> = runs
            .iter()
            .filter_map(|r| r.intervals.get(i))
            .map(interval_numbers)
            .collect();
        let Some(first) = runs.iter().find_map(|r| r.intervals.get(i)) else {
            continue;
        };
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td>",
            escape(&clock_label(scenario, first.start))
        );
        let n_cols = rows.first().map_or(0, Vec::len);
        for col in 0..n_cols {
            let values: Vec<f64> = rows.iter().filter_map(|r| r[col]).collect();
            let text = if values.is_empty() {
                "–".to_owned()
            } else {
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                let is_share = (4..4 + scenario.sl_targets.len()).contains(&col) || col + 2 >= n_cols;
                if is_share {
                    format!("{:.1} %", mean * 100.0)
                } else if col == 3 {
                    format!("{mean:.1} s")
                } else {
                    format!("{mean:.1}")
                }
            };
            let _ = write!(h, "<td>{text}</td>");
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(
        h,
        "</table>\n<p>Means over replications; per-chat columns by interval of arrival.</p>"
    );
    group_table(results, &ranking, &mut h);

    // Every metric.
    let _ = write!(
        h,
        "<h2>All metrics</h2>\n<table>\n<tr><th class=\"l\">metric</th>"
    );
    for cell in &results.experiment.cells {
        let _ = write!(h, "<th>{}</th>", escape(&cell.label));
    }
    let _ = writeln!(h, "</tr>");
    for m in results.summary.first().map_or(&[][..], |s| &s.metrics[..]) {
        let _ = write!(h, "<tr><td class=\"l\">{}</td>", escape(&m.metric));
        for c in 0..results.summary.len() {
            let _ = write!(h, "<td>{}</td>", escape(&cell_value(results, c, &m.metric)));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table>");
    let reps = results.runs.first().map_or(0, Vec::len);
    let _ = writeln!(
        h,
        "<footer>chatsim {} · seed {} · {reps} replications per configuration · files: summary.csv, runs.csv, intervals.csv, groups.csv, inboxes.csv, agents.csv, manifest.json</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        scenario.seed
    );
    h
}

/// Per group (scenarios with groups), then per inbox (scenarios with several), every
/// configuration in rank order.
fn group_table(results: &Results<'_>, ranking: &[usize], h: &mut String) {
    use crate::report::SliceKind;
    let scenario = results.scenario();
    let sl = scenario
        .sl_targets
        .first()
        .map_or_else(|| "service level".to_owned(), |t| format!("within {t}"));
    for kind in [SliceKind::Group, SliceKind::Inbox] {
        if !kind.applies(scenario) {
            continue;
        }
        let noun = kind.noun();
        let _ = writeln!(
            h,
            "<h2>By {noun}</h2>\n<table>\n<tr><th class=\"l\">configuration</th><th class=\"l\">{noun}</th><th>arrivals</th><th>mean wait</th><th>{}</th><th>abandonment</th><th>chats in service</th><th>agents available</th></tr>",
            escape(&sl)
        );
        for &c in ranking {
            for row in results.slice_rows(c, kind) {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&results.experiment.cells[c].label),
                    escape(&row.name),
                    row.arrivals
                        .map_or_else(|| "–".to_owned(), |e| format!("{:.1}", e.mean)),
                    escape(&fmt_estimate("wait_mean", row.wait_mean)),
                    escape(&fmt_estimate("service_level", row.service_level)),
                    escape(&fmt_estimate("abandonment", row.abandonment)),
                    escape(&fmt_estimate("chats_in_service_mean", row.chats_in_service)),
                    escape(&fmt_estimate("agents_available_mean", row.agents_available)),
                );
            }
        }
        let whose = match kind {
            SliceKind::Group => {
                "chats counted in the group they were routed with (\"(none)\": no group); agents available: the group's members (everyone for chats without a group)"
            }
            SliceKind::Inbox => {
                "chats counted in the inbox they arrived in; agents available: those the inbox routes to"
            }
        };
        let _ = writeln!(
            h,
            "</table>\n<p>Means over replications with 95 % confidence intervals; {whose}.</p>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert(1)</script> & \"x\""),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"
        );
    }
}

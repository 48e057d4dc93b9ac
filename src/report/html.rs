//! `report.html`: one self-contained page — inline CSS and inline SVG charts, no scripts,
//! no network — that answers the scenario's question in its first lines.
//!
//! Every piece of text that comes from the scenario (name, question, labels, group names)
//! is HTML-escaped here; chart SVG text is escaped by the SVG backend.

use crate::report::Results;
use crate::report::text::{diff_table, metrics_table, planner_table, ranking_table, slice_table};
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
svg{max-width:100%;height:auto}.scroll{overflow-x:auto;max-width:100%}footer{margin-top:3rem;color:#777;font-size:.85rem}";

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
    let _ = writeln!(
        h,
        "<p class=\"answer\">{}</p>",
        escape(&crate::report::answer::answer(results, &results.outcome))
    );
    let _ = writeln!(h, "<h2>Ranking</h2>");
    h.push_str(&ranking_table(results).html());
    let ranking = results.ranking();
    if results.summary.len() > 1 {
        let _ = writeln!(h, "<h2>Compared with the baseline</h2>");
        h.push_str(&diff_table(results, &ranking).html());
    }
    let _ = writeln!(h, "<h2>Charts</h2>");
    for (stem, svg) in charts {
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = writeln!(h, "<figure id=\"{}\">\n{body}\n</figure>", escape(stem));
    }
    let best = ranking[0];
    let _ = writeln!(
        h,
        "<h2>Planner's table — {}</h2>",
        escape(&results.experiment.cells[best].label)
    );
    h.push_str(&planner_table(results, best).html());
    for kind in [crate::report::SliceKind::Group, crate::report::SliceKind::Inbox] {
        if let Some(table) = slice_table(results, &ranking, kind) {
            let _ = writeln!(h, "<h2>By {}</h2>", kind.noun());
            h.push_str(&table.html());
        }
    }
    let _ = writeln!(h, "<h2>All metrics</h2>");
    for &c in &ranking {
        if results.summary.len() > 1 {
            let _ = writeln!(h, "<h3>{}</h3>", escape(&results.experiment.cells[c].label));
        }
        h.push_str(&metrics_table(&results.summary[c]).html());
    }
    let reps = results.runs.first().map_or(0, Vec::len);
    let files: Vec<&str> = crate::report::OUTPUTS.iter().map(|o| o.name).collect();
    let _ = writeln!(
        h,
        "<footer>chatsim {} · seed {} · {reps} replications per configuration · files: {}</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        scenario.seed,
        escape(&files.join(", "))
    );
    h
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

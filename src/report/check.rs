//! What `chatsim check` prints and writes: the findings as a table (terminal), JUnit XML
//! (one testcase per expectation × configuration; violated = failure, undecided = skipped
//! with its interval) and a Markdown table for a pull-request comment. Pure functions of
//! the findings.

use crate::check::{Expectation, Finding, Status};
use crate::decision::condition::Condition;
use crate::report::table::{Column, Row, Table};

/// Everything the check outputs are made from.
#[derive(Debug)]
pub struct CheckReport<'a> {
    /// The scenario's name.
    pub scenario: &'a str,
    /// The expectations, in file order.
    pub expectations: &'a [Expectation],
    /// Each configuration's label, in matrix order.
    pub labels: Vec<String>,
    /// The baseline configuration's label (for `baseline` conditions judged in the run).
    pub baseline: String,
    /// Where an earlier run's results came from (`--baseline`), if given.
    pub previous: Option<String>,
    /// Every expectation judged for every configuration it applies to.
    pub findings: &'a [Finding],
    /// Replications per configuration.
    pub replications: u32,
    /// Whether undecided expectations fail (`--strict`).
    pub strict: bool,
}

/// The value judged, with its interval: "0.991 [0.989, 0.993]", "difference +4.1 s
/// [1.0 s, 7.2 s] (unpaired, vs the earlier run)".
pub fn judged(condition: &Condition, f: &Finding, baseline: &str) -> String {
    let unit = condition.metric.unit();
    let relative = condition.is_relative();
    let fmt = |x: f64| {
        if relative {
            unit.format_diff(x)
        } else {
            unit.format(x)
        }
    };
    let value = match (f.judgement.mean, f.judgement.interval) {
        (Some(m), Some((lo, hi))) => format!("{} [{}, {}]", fmt(m), fmt(lo), fmt(hi)),
        (Some(m), None) => format!("{} (no interval)", fmt(m)),
        _ => "undefined".to_owned(),
    };
    let mut text = if relative {
        let against = if f.unpaired {
            "the same configuration in the earlier run, unpaired (Welch)".to_owned()
        } else {
            format!("{baseline}, paired by replication")
        };
        format!("difference {value} vs {against}")
    } else {
        value
    };
    if let Some(note) = &f.note {
        text.push_str(&format!(" — {note}"));
    }
    text
}

impl CheckReport<'_> {
    fn counts(&self) -> (usize, usize, usize) {
        let count = |s: Status| self.findings.iter().filter(|f| f.status == s).count();
        (
            count(Status::Met),
            count(Status::Violated),
            count(Status::Undecided),
        )
    }

    /// One line: "3 met, 1 violated, 0 undecided (20 replications per configuration)".
    pub fn summary_line(&self) -> String {
        let (met, violated, undecided) = self.counts();
        format!(
            "{met} met, {violated} violated, {undecided} undecided{} ({} replications per configuration)",
            if self.strict && undecided > 0 {
                " (failing: --strict)"
            } else {
                ""
            },
            self.replications
        )
    }

    /// The findings as a table: expectation, configuration, result, the value judged.
    pub fn table(&self) -> Table {
        let mut table = Table::new(vec![
            Column::text("expectation"),
            Column::text("configuration"),
            Column::text("result"),
            Column::text("judged on (95 % interval)"),
        ]);
        for f in self.findings {
            let e = &self.expectations[f.expectation];
            table.rows.push(Row {
                cells: vec![
                    e.title().to_owned(),
                    self.labels[f.cell].clone(),
                    f.status.name().to_owned(),
                    judged(&e.condition, f, &self.baseline),
                ],
                emphasis: f.status == Status::Violated,
            });
        }
        table.notes.push(
            "met: the whole interval is on the right side; violated: the whole interval is on the wrong side; undecided: it straddles the limit."
                .to_owned(),
        );
        if let Some(p) = &self.previous {
            table.notes.push(format!(
                "baseline conditions are judged against {p} (unpaired: Welch's interval)."
            ));
        }
        table
    }

    /// JUnit XML: a test suite per scenario, a test case per expectation × configuration.
    pub fn junit(&self) -> String {
        let (_, violated, undecided) = self.counts();
        let (violated, undecided) = if self.strict {
            (violated + undecided, 0)
        } else {
            (violated, undecided)
        };
        let a = |s: &str| xml_text(s);
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.push_str(&format!(
            "<testsuites name=\"chatsim check\" tests=\"{n}\" failures=\"{violated}\" skipped=\"{undecided}\">\n\
             <testsuite name=\"{}\" tests=\"{n}\" failures=\"{violated}\" skipped=\"{undecided}\" errors=\"0\">\n",
            a(self.scenario),
            n = self.findings.len()
        ));
        for f in self.findings {
            let e = &self.expectations[f.expectation];
            let what = judged(&e.condition, f, &self.baseline);
            x.push_str(&format!(
                "<testcase classname=\"{}\" name=\"{}\">",
                a(&format!("{}.{}", self.scenario, self.labels[f.cell])),
                a(e.title())
            ));
            match f.status {
                Status::Met => {}
                Status::Violated => x.push_str(&format!(
                    "<failure message=\"{}\" type=\"violated\">{}</failure>",
                    a(&format!("violated: {} — {what}", e.condition.text)),
                    a(&format!(
                        "{} is violated for {}: {what} ({} replications).",
                        e.condition.text, self.labels[f.cell], self.replications
                    ))
                )),
                // Under --strict an undecided expectation fails the job: the report says so.
                Status::Undecided if self.strict => x.push_str(&format!(
                    "<failure message=\"{}\" type=\"undecided\">{}</failure>",
                    a(&format!(
                        "undecided at the cap (--strict): {} — {what}",
                        e.condition.text
                    )),
                    a(&format!(
                        "{} is undecided for {} after {} replications: {what}.",
                        e.condition.text, self.labels[f.cell], self.replications
                    ))
                )),
                Status::Undecided => x.push_str(&format!(
                    "<skipped message=\"{}\"/>",
                    a(&format!("undecided at the cap: {} — {what}", e.condition.text))
                )),
            }
            x.push_str("</testcase>\n");
        }
        x.push_str("</testsuite>\n</testsuites>\n");
        x
    }

    /// A Markdown table for a pull-request comment.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| markdown_cell(s);
        let mut m = format!(
            "### chatsim check — {}\n\n{}\n\n",
            cell(self.scenario),
            self.summary_line()
        );
        m.push_str(
            "| expectation | configuration | result | judged on (95 % interval) |\n|---|---|---|---|\n",
        );
        for f in self.findings {
            let e = &self.expectations[f.expectation];
            let icon = match f.status {
                Status::Met => "✅ met",
                Status::Violated => "❌ violated",
                Status::Undecided => "⚠️ undecided",
            };
            m.push_str(&format!(
                "| {} | {} | {icon} | {} |\n",
                cell(e.title()),
                cell(&self.labels[f.cell]),
                cell(&judged(&e.condition, f, &self.baseline))
            ));
        }
        m
    }
}

/// Text for XML content and attributes: markup escaped, and characters XML 1.0 cannot hold
/// (control characters other than tab and newlines) replaced by U+FFFD.
fn xml_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    crate::report::html::escape(&clean)
}

/// Text for a Markdown table cell: backslashes, pipes and angle brackets escaped, one line.
fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_for_xml_and_markdown() {
        assert_eq!(
            xml_text("a\u{1}b <c> & \"d\""),
            "a\u{FFFD}b &lt;c&gt; &amp; &quot;d&quot;"
        );
        assert_eq!(markdown_cell("x | y \\"), "x \\| y \\\\");
        assert_eq!(markdown_cell("<tag>\nnext"), "&lt;tag&gt; next");
    }
}

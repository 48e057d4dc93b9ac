//! The one presentation model for tables: built once from results, rendered to the
//! terminal (aligned text) and to HTML. Cells are already formatted text; the model only
//! knows alignment, emphasis and footnotes.

use crate::report::html::escape;
use std::fmt::Write as _;

/// A table with a heading row, rows and notes under it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column headings and alignment.
    pub columns: Vec<Column>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Row>,
    /// Notes printed under the table (footnotes, what the numbers are).
    pub notes: Vec<String>,
}

/// One column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Heading.
    pub heading: String,
    /// Left-aligned (text) rather than right-aligned (numbers).
    pub left: bool,
}

impl Column {
    /// A left-aligned text column.
    pub fn text(heading: impl Into<String>) -> Self {
        Self {
            heading: heading.into(),
            left: true,
        }
    }

    /// A right-aligned number column.
    pub fn number(heading: impl Into<String>) -> Self {
        Self {
            heading: heading.into(),
            left: false,
        }
    }
}

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Formatted cells.
    pub cells: Vec<String>,
    /// Shown in bold (the recommended configuration).
    pub emphasis: bool,
}

impl Row {
    /// A plain row.
    pub fn new(cells: Vec<String>) -> Self {
        Self {
            cells,
            emphasis: false,
        }
    }
}

impl Table {
    /// A table with these columns and no rows yet.
    pub fn new(columns: Vec<Column>) -> Self {
        Self {
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Aligned text for the terminal: columns two spaces apart, each as wide as its widest
    /// cell; notes after the rows.
    pub fn text(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                self.rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .map(|s| s.chars().count())
                    .chain([c.heading.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut out = String::new();
            for (i, cell) in cells.enumerate() {
                let (w, left) = (widths[i], self.columns[i].left);
                let pad = w.saturating_sub(cell.chars().count());
                if i > 0 {
                    out.push_str("  ");
                }
                if left {
                    out.push_str(cell);
                    // No trailing spaces after the last column.
                    if i + 1 < widths.len() {
                        out.push_str(&" ".repeat(pad));
                    }
                } else {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
            }
            out.trim_end().to_owned() + "\n"
        };
        let mut out = line(&mut self.columns.iter().map(|c| c.heading.as_str()));
        for row in &self.rows {
            out.push_str(&line(&mut row.cells.iter().map(String::as_str)));
        }
        for note in &self.notes {
            out.push_str(note);
            out.push('\n');
        }
        out
    }

    /// An HTML `<table>` (text escaped) followed by its notes as paragraphs.
    pub fn html(&self) -> String {
        let class = |left: bool| if left { " class=\"l\"" } else { "" };
        // Wide tables scroll on their own instead of widening the page.
        let mut h = String::from("<div class=\"scroll\"><table>\n<tr>");
        for c in &self.columns {
            let _ = write!(h, "<th{}>{}</th>", class(c.left), escape(&c.heading));
        }
        h.push_str("</tr>\n");
        for row in &self.rows {
            h.push_str(if row.emphasis {
                "<tr class=\"best\">"
            } else {
                "<tr>"
            });
            for (c, cell) in self.columns.iter().zip(&row.cells) {
                let _ = write!(h, "<td{}>{}</td>", class(c.left), escape(cell));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table></div>\n");
        for note in &self.notes {
            let _ = writeln!(h, "<p>{}</p>", escape(note));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(vec![Column::text("configuration"), Column::number("p95 wait")]);
        t.rows.push(Row {
            cells: vec!["least-busy".into(), "12.0 s".into()],
            emphasis: true,
        });
        t.rows.push(Row::new(vec!["a <b>".into(), "7.5 s".into()]));
        t.notes.push("means over 20 replications".into());
        t
    }

    #[test]
    fn text_aligns_columns_by_their_widest_cell() {
        assert_eq!(
            sample().text(),
            "configuration  p95 wait\n\
             least-busy       12.0 s\n\
             a <b>             7.5 s\n\
             means over 20 replications\n"
        );
    }

    #[test]
    fn html_escapes_and_marks_emphasis() {
        let h = sample().html();
        assert!(h.contains("<tr class=\"best\"><td class=\"l\">least-busy</td><td>12.0 s</td></tr>"));
        assert!(h.contains("<td class=\"l\">a &lt;b&gt;</td>"));
        assert!(h.ends_with("<p>means over 20 replications</p>\n"));
    }
}

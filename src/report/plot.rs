//! The chart renderer: a [`Chart`] (numbers and words) in, SVG text or PNG bytes out.
//!
//! Four kinds of chart are drawn with plotters, 800 pixels wide: lines with a legend, bars
//! with 95 % CI whiskers, stacked bars with a legend, and strips (a box plot per category
//! with every value jittered beside it). Every text uses DejaVu Sans, shipped in
//! `assets/fonts` and compiled into the binary, so no system font (and no fontconfig) is
//! needed. Colours follow the Okabe–Ito palette, which stays distinguishable for the common
//! kinds of colour blindness.
//!
//! Charts stay readable however many configurations they show:
//! - Items (series, bars, stacks, strips) come in display order, best first. Items that are
//!   exactly equal are drawn once, under one name, and a note under the title says so.
//! - Up to eight items are all drawn in colour, item `i` in colour `i`. Beyond that only the
//!   first six and the baseline are: the others are thin light-grey lines (or grey bars)
//!   without legend entries, and the legend ends with "+ N more configurations in grey".
//! - Category labels are always horizontal: when they do not fit side by side under
//!   vertical bars, the bars turn horizontal, one row per category, and the image grows
//!   taller (from 480 pixels) rather than squeezing the rows.
//! - A legend whose names do not fit beside the plot goes under it, and the image grows.
//!
//! This module does not decide what a chart shows (that is `charts`), and it does no file
//! I/O: callers write the returned text or bytes with the report's atomic writer. Rendering
//! is deterministic: the same chart gives the same bytes (the jitter is a fixed sequence,
//! the PNG encoder below is a plain function of the pixels).
//!
//! Data that cannot be drawn is skipped, never an error: non-finite values are left out (a
//! line breaks at them), negative parts of a stacked bar are left out, and a chart with
//! nothing left to draw shows "no data" in its plotting area.

use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

/// A named line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub name: String,
    /// The points `(x, y)` in drawing order; non-finite points break the line.
    pub points: Vec<(f64, f64)>,
    /// Indexes of points that rest on fewer observations than the others (e.g. an interval
    /// reached by only some replications): drawn as hollow markers. The chart's notes say
    /// what they mean.
    pub sparse: Vec<usize>,
}

/// A bar with its 95 % confidence interval (whisker).
#[derive(Clone, Debug, PartialEq)]
pub struct BarCi {
    /// The category, shown beside the bar.
    pub label: String,
    /// The bar's height; a non-finite mean draws no bar ("n/a").
    pub mean: f64,
    /// The interval `(low, high)`, already clipped to the metric's bounds by the caller;
    /// drawn as a whisker as given (a non-finite end draws none).
    pub interval: Option<(f64, f64)>,
}

/// A stacked bar: parts in a fixed order (same part names for every bar).
#[derive(Clone, Debug, PartialEq)]
pub struct Stacked {
    /// The category, shown beside the bar.
    pub label: String,
    /// `(part name, value)` from the bottom of the stack up; the names of the first bar
    /// make the legend.
    pub parts: Vec<(String, f64)>,
}

/// What a chart shows. Items come in display order (best first).
#[derive(Clone, Debug, PartialEq)]
pub enum ChartKind {
    /// One line per series, with a legend of the series names.
    Lines(Vec<Series>),
    /// Bars with CI whiskers, one per category.
    Bars(Vec<BarCi>),
    /// Stacked bars; the legend names the parts.
    StackedBars(Vec<Stacked>),
    /// Per category a box plot (quartiles, whiskers to min and max) plus every value,
    /// jittered sideways by a fixed sequence (no randomness).
    Strips(Vec<(String, Vec<f64>)>),
}

/// A chart: title and axis titles (axis titles carry units, e.g. "wait (s)").
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The title above the plot.
    pub title: String,
    /// The x-axis title, with its unit (for bars: the categories' axis).
    pub x_label: String,
    /// The y-axis title, with its unit (for bars: the values' axis).
    pub y_label: String,
    /// The data and how to draw it.
    pub kind: ChartKind,
    /// Lines under the title, e.g. which points average fewer replications (each cut
    /// short with "…" if it does not fit).
    pub notes: Vec<String>,
    /// Index of the baseline among the kind's items: always in colour, named
    /// "… (baseline)".
    pub baseline: Option<usize>,
}

impl Chart {
    /// A chart without notes or baseline.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        kind: ChartKind,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            kind,
            notes: Vec::new(),
            baseline: None,
        }
    }
}

/// A chart that could not be drawn (message from plotters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotError(pub String);

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot draw chart: {}", self.0)
    }
}

impl std::error::Error for PlotError {}

/// Canvas width in pixels.
const WIDTH: u32 = 800;
/// Canvas height in pixels, unless many categories or a legend under the plot need more.
const HEIGHT: u32 = 480;
/// The tallest canvas; beyond it category rows get thinner (and labels are thinned out).
const MAX_HEIGHT: i32 = 6000;
/// The one font family; the shipped DejaVu Sans is registered under this name.
const FAMILY: &str = "sans-serif";

/// Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
/// reddish purple, sky blue, yellow, black. Yellow and black come last: yellow is faint on
/// white and black reads as an axis.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];
/// Text and axes.
const INK: RGBColor = RGBColor(34, 34, 34);
/// Grid lines.
const GRID: RGBColor = RGBColor(225, 225, 225);
/// "no data", "n/a" and notes.
const MUTED: RGBColor = RGBColor(100, 100, 100);
/// Items beyond the highlighted few.
const BACKGROUND: RGBColor = RGBColor(200, 200, 200);

/// Up to this many items are all drawn in colour.
const ALL_COLOURED_MAX: usize = 8;
/// With more items, the first this many (plus the baseline) are drawn in colour.
const HIGHLIGHTED: usize = 6;

/// Colour of series (or category, or part) `i`; the palette repeats after eight.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Renders as SVG text (800 pixels wide, at least 480 high).
pub fn render_svg(chart: &Chart) -> Result<String, PlotError> {
    register_font()?;
    let frame = frame(chart);
    let layout = layout(chart, &frame);
    let mut svg = String::new();
    {
        let size = (layout.width as u32, layout.height as u32);
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, &frame, &layout)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// Renders as PNG bytes (800 pixels wide, at least 480 high).
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, PlotError> {
    register_font()?;
    let frame = frame(chart);
    let layout = layout(chart, &frame);
    let (width, height) = (layout.width as u32, layout.height as u32);
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&root, &frame, &layout)?;
        root.present().map_err(plot_error)?;
    }
    encode_png(width, height, &rgb)
}

/// Encodes an RGB buffer as PNG with the `png` crate (the encoder plotters' own bitmap
/// support is built on), in memory.
fn encode_png(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(plot_error)?;
    writer.write_image_data(rgb).map_err(plot_error)?;
    writer.finish().map_err(plot_error)?;
    Ok(out)
}

/// Registers the shipped font with plotters' ab_glyph text support, once per process.
fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(
            FAMILY,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError(
            "the shipped font DejaVuSans.ttf is not a valid font".into(),
        ))
    }
}

fn plot_error(e: impl fmt::Display) -> PlotError {
    PlotError(e.to_string())
}

// ---------------------------------------------------------------------------------------
// Text measurement and fitting
// ---------------------------------------------------------------------------------------

fn font(size: f64) -> FontDesc<'static> {
    (FAMILY, size).into_font()
}

/// Width and height of `text` in pixels at `size` (0 if the font cannot measure it).
fn text_size(text: &str, size: f64) -> (i32, i32) {
    font(size)
        .box_size(text)
        .map_or((0, 0), |(w, h)| (w as i32, h as i32))
}

fn text_width(text: &str, size: f64) -> i32 {
    text_size(text, size).0
}

/// The largest size in `sizes` (descending) at which every text fits in `max_width`, with
/// the texts as they are; else the last size, with texts too wide cut short with "…".
fn fit_texts(texts: &[String], sizes: &[f64], max_width: i32) -> (f64, Vec<String>) {
    for &size in sizes {
        if texts.iter().all(|t| text_width(t, size) <= max_width) {
            return (size, texts.to_vec());
        }
    }
    let size = sizes.last().copied().unwrap_or(12.0);
    (size, texts.iter().map(|t| truncate(t, size, max_width)).collect())
}

/// `text` cut short with "…" so that it fits in `max_width` at `size`. A short closing
/// remark in parentheses ("(baseline)", "(+3 identical)", "(s)") is kept: the cut is made
/// before it.
fn truncate(text: &str, size: f64, max_width: i32) -> String {
    if text_width(text, size) <= max_width {
        return text.to_owned();
    }
    let (head, tail) = match text.rfind(" (") {
        Some(i) if text.ends_with(')') && text_width(&text[i..], size) <= max_width / 2 => text.split_at(i),
        _ => (text, ""),
    };
    let chars: Vec<char> = head.chars().collect();
    for keep in (0..chars.len()).rev() {
        let candidate: String = chars[..keep].iter().chain(std::iter::once(&'…')).collect();
        let candidate = candidate + tail;
        if text_width(&candidate, size) <= max_width {
            return candidate;
        }
    }
    "…".into()
}

fn text_style(size: f64, colour: &RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).color(colour).pos(Pos::new(h, v))
}

// ---------------------------------------------------------------------------------------
// Scales
// ---------------------------------------------------------------------------------------

/// An axis: its range, tick positions and how many decimals their labels show.
#[derive(Clone, Debug, PartialEq)]
struct Scale {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    decimals: usize,
}

impl Scale {
    /// A value axis over the finite `values`, always including zero, with 8 % headroom on
    /// the side(s) away from zero. No finite value, or only zeros: 0 to 1.
    fn values(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for v in values.into_iter().filter(|v| v.is_finite()).map(limit) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let span = hi - lo;
        if span <= 0.0 || !span.is_finite() {
            return Self::nice(0.0, 1.0);
        }
        if hi > 0.0 {
            hi += 0.08 * span;
        }
        if lo < 0.0 {
            lo -= 0.08 * span;
        }
        Self::nice(lo, hi)
    }

    /// A numeric x axis over the finite `values` (no zero forced); `pad` widens it by that
    /// share of the span on both sides. One distinct value: that value ± max(1, 5 %).
    fn positions(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<Self> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()).map(limit) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            return None;
        }
        let span = hi - lo;
        if span <= 0.0 || !span.is_finite() {
            let pad = (lo.abs().max(hi.abs()) * 0.05).clamp(1.0, f64::MAX / 4.0);
            return Some(Self::nice(lo - pad, hi + pad));
        }
        Some(Self::nice(lo - pad * span, hi + pad * span))
    }

    /// Ticks every 1, 2 or 5 × 10^k: the finest such step with at most eight intervals
    /// across `[lo, hi]`.
    fn nice(lo: f64, hi: f64) -> Self {
        let span = hi - lo;
        let magnitude = 10f64.powf((span / 8.0).log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| span / s <= 8.0 + 1e-9)
            .unwrap_or(10.0 * magnitude);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step + 1e-9).floor() as i64;
        let ticks = (first..=last)
            .take(50)
            .map(|k| {
                let v = k as f64 * step;
                if v.abs() < step * 1e-9 { 0.0 } else { v }
            })
            .collect();
        let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
        Self {
            lo,
            hi,
            ticks,
            decimals,
        }
    }

    fn label(&self, v: f64) -> String {
        let s = format!("{v:.*}", self.decimals);
        match s.strip_prefix('-') {
            Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_owned(),
            _ => s,
        }
    }

    fn label_width(&self, size: f64) -> i32 {
        self.ticks
            .iter()
            .map(|&t| text_width(&self.label(t), size))
            .max()
            .unwrap_or(0)
    }
}

/// A [`Scale`] as a plotters coordinate: linear, with exactly the scale's ticks (bold grid
/// lines, no light ones). plotters' own `WithKeyPoints` cannot take a label formatter.
struct Axis {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(scale: &Scale) -> Self {
        Self {
            linear: (scale.lo..scale.hi).into(),
            ticks: scale.ticks.clone(),
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    /// Values far outside the range (or infinite) are pulled in to ten spans beyond it
    /// first: they are off the plot either way, and plotters' pixel arithmetic overflows on
    /// huge ones.
    fn map(&self, value: &f64, pixels: (i32, i32)) -> i32 {
        let Range { start, end } = self.linear.range();
        let reach = 10.0 * (end - start);
        self.linear.map(&value.clamp(start - reach, end + reach), pixels)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// Values beyond ±10³⁰⁰ count as ±10³⁰⁰, so that spans and sums stay finite.
fn limit(v: f64) -> f64 {
    const LIMIT: f64 = 1e300;
    v.clamp(-LIMIT, LIMIT)
}

/// Quartiles by linear interpolation between order statistics (Hyndman & Fan type 7, the
/// default of R and numpy). `sorted` is not empty.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

/// The `j`-th sideways offset of a strip, in [-0.5, 0.5): SplitMix64 of `j`, so that the
/// offsets look random (no pattern even when the values are sorted) yet are the same every
/// time.
fn jitter(j: usize) -> f64 {
    let mut z = (j as u64).wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

// ---------------------------------------------------------------------------------------
// Identical items, names and colours
// ---------------------------------------------------------------------------------------

/// An exact key for a number: equal numbers give equal keys (0 and −0 too, and every NaN).
fn key(v: f64) -> u64 {
    if v == 0.0 {
        0
    } else if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

/// Item indexes grouped by equal keys, groups in order of their first member; an item
/// without a key (nothing to draw) stays alone.
fn coincide(keys: &[Option<Vec<u64>>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<&[u64], usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        match k {
            Some(k) => match by_key.get(k.as_slice()) {
                Some(&g) => groups[g].push(i),
                None => {
                    by_key.insert(k, groups.len());
                    groups.push(vec![i]);
                }
            },
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Names for a group of identical items: a label (legend, category) and the full form (the
/// note). Names that are lists ("cap 2, least-busy") whose members are exactly every
/// combination of the values that differ are written once with those values joined by "/"
/// ("cap 2/3, least-busy"), in both. Otherwise the full form joins the names with " = ",
/// and so does the label for two short names; a longer group is labelled by its first
/// member and a count ("cap 2, least-busy (+3 identical)").
fn group_name(names: &[&str]) -> (String, String) {
    if let [one] = names {
        return ((*one).to_owned(), (*one).to_owned());
    }
    let lists: Vec<Vec<&str>> = names.iter().map(|n| n.split(", ").collect()).collect();
    let k = lists[0].len();
    if k >= 2 && lists.iter().all(|l| l.len() == k) {
        let columns: Vec<Vec<&str>> = (0..k)
            .map(|j| {
                let mut values: Vec<&str> = Vec::new();
                for l in &lists {
                    if !values.contains(&l[j]) {
                        values.push(l[j]);
                    }
                }
                values
            })
            .collect();
        let mut distinct = names.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let combinations = columns.iter().fold(1usize, |p, c| p.saturating_mul(c.len()));
        if combinations == names.len() && distinct.len() == names.len() {
            let name = columns
                .iter()
                .map(|c| alternatives(c))
                .collect::<Vec<_>>()
                .join(", ");
            return (name.clone(), name);
        }
    }
    let full = names.join(" = ");
    let label = if names.len() == 2 && full.chars().count() <= SHORT_GROUP_NAME {
        full.clone()
    } else {
        format!("{} (+{} identical)", names[0], names.len() - 1)
    };
    (label, full)
}

/// Longest group label (in characters) that lists its members.
const SHORT_GROUP_NAME: usize = 48;

/// Values written once with their common start up to a space or "=": "cap 2/3",
/// "grace=1m/2m", "round-robin/random".
fn alternatives(values: &[&str]) -> String {
    let first = values[0];
    let mut cut = 0;
    for (i, c) in first.char_indices() {
        let end = i + c.len_utf8();
        if values.iter().any(|v| !v.starts_with(&first[..end])) {
            break;
        }
        if c == ' ' || c == '=' {
            cut = end;
        }
    }
    let rests: Vec<&str> = values.iter().map(|v| &v[cut..]).collect();
    format!("{}{}", &first[..cut], rests.join("/"))
}

/// How an item is painted: its colour, or `None` for light grey in the background.
type Paint = Option<RGBColor>;

/// Colours for `n` items: each its own colour up to [`ALL_COLOURED_MAX`] items; beyond,
/// the first [`HIGHLIGHTED`] and the baseline (black when it is not among them).
fn paints(n: usize, baseline: Option<usize>) -> Vec<Paint> {
    (0..n)
        .map(|i| {
            if n <= ALL_COLOURED_MAX || i < HIGHLIGHTED {
                Some(colour(i))
            } else if Some(i) == baseline {
                Some(PALETTE[7])
            } else {
                None
            }
        })
        .collect()
}

/// Items after identical ones are merged.
struct Merged {
    /// Item indexes per drawn item, in display order.
    groups: Vec<Vec<usize>>,
    /// The drawn items' names ("… (baseline)" for the baseline's).
    names: Vec<String>,
    paints: Vec<Paint>,
    /// Configurations drawn in grey.
    grey: usize,
    /// What was merged, for the notes.
    note: Option<String>,
}

fn merge(names: &[&str], keys: &[Option<Vec<u64>>], baseline: Option<usize>) -> Merged {
    let groups = coincide(keys);
    let (mut group_names, full): (Vec<String>, Vec<String>) = groups
        .iter()
        .map(|g| group_name(&g.iter().map(|&i| names[i]).collect::<Vec<_>>()))
        .unzip();
    let several: Vec<&String> = groups
        .iter()
        .zip(&full)
        .filter(|(g, _)| g.len() > 1)
        .map(|(_, n)| n)
        .collect();
    let note = match several.as_slice() {
        [] => None,
        [one] => Some(format!("Identical results, drawn once: {one}")),
        many => Some(format!(
            "{} groups of identical results, each drawn once: {}",
            many.len(),
            many.iter().map(|n| n.as_str()).collect::<Vec<_>>().join("; ")
        )),
    };
    let base_group = baseline.and_then(|b| groups.iter().position(|g| g.contains(&b)));
    if let (Some(g), Some(b)) = (base_group, baseline) {
        // A merged group is named after the baseline itself, never after another member
        // with "(baseline)" stuck on.
        group_names[g] = match groups[g].len() {
            1 => format!("{} (baseline)", names[b]),
            n => format!("{} (baseline, +{} identical)", names[b], n - 1),
        };
    }
    let paints = paints(groups.len(), base_group);
    let grey = groups
        .iter()
        .zip(&paints)
        .filter(|(_, p)| p.is_none())
        .map(|(g, _)| g.len())
        .sum();
    Merged {
        groups,
        names: group_names,
        paints,
        grey,
        note,
    }
}

// ---------------------------------------------------------------------------------------
// What is drawn
// ---------------------------------------------------------------------------------------

/// What goes along the x axis (for horizontal bars: down the y axis).
enum XAxis {
    /// A numeric axis (lines).
    Numeric(Scale),
    /// One slot per category, centred on 0, 1, 2…
    Categories(Vec<String>),
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Swatch {
    /// A line, with a marker if the series has them.
    Line { colour: RGBColor, marker: bool },
    /// A thin grey line: the series without an entry of their own.
    Grey,
    /// A filled square.
    Block(RGBColor),
}

/// A line as drawn.
struct Line {
    points: Vec<(f64, f64)>,
    sparse: Vec<usize>,
    paint: Paint,
}

/// A bar as drawn.
struct Bar {
    mean: f64,
    interval: Option<(f64, f64)>,
    paint: Paint,
}

/// The items as drawn, identical ones merged.
enum Body {
    Lines(Vec<Line>),
    Bars(Vec<Bar>),
    /// The parts of each stack.
    Stacks(Vec<Vec<f64>>),
    Strips(Vec<(Vec<f64>, Paint)>),
}

/// A chart's data reduced to what is drawn.
struct Frame {
    body: Body,
    x: XAxis,
    /// The value axis.
    y: Scale,
    legend: Vec<(String, Swatch)>,
    notes: Vec<String>,
    has_data: bool,
}

/// Lines with at most this many points get a marker on every point.
const MARKER_MAX_POINTS: usize = 30;

fn finite_points(points: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
}

fn frame(chart: &Chart) -> Frame {
    let mut notes = chart.notes.clone();
    match &chart.kind {
        ChartKind::Lines(series) => {
            let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
            let keys: Vec<Option<Vec<u64>>> = series
                .iter()
                .map(|s| {
                    finite_points(&s.points).next()?;
                    let mut k: Vec<u64> = s.points.iter().flat_map(|&(x, y)| [key(x), key(y)]).collect();
                    k.push(u64::MAX);
                    k.extend(s.sparse.iter().map(|&i| i as u64));
                    Some(k)
                })
                .collect();
            let m = merge(&names, &keys, chart.baseline);
            let all: Vec<(f64, f64)> = series.iter().flat_map(|s| finite_points(&s.points)).collect();
            let marked = |s: &Series| finite_points(&s.points).count() <= MARKER_MAX_POINTS;
            let pad = if series.iter().any(marked) { 0.02 } else { 0.0 };
            let x = Scale::positions(all.iter().map(|p| p.0), pad).unwrap_or_else(|| Scale::nice(0.0, 1.0));
            let mut legend: Vec<(String, Swatch)> = m
                .groups
                .iter()
                .zip(&m.names)
                .zip(&m.paints)
                .filter_map(|((g, name), paint)| {
                    let colour = (*paint)?;
                    let marker = marked(&series[g[0]]);
                    Some((name.clone(), Swatch::Line { colour, marker }))
                })
                .collect();
            if m.grey > 0 {
                let what = if m.grey == 1 {
                    "configuration"
                } else {
                    "configurations"
                };
                legend.push((format!("+ {} more {what} in grey", m.grey), Swatch::Grey));
            }
            notes.extend(m.note);
            Frame {
                body: Body::Lines(
                    m.groups
                        .iter()
                        .zip(&m.paints)
                        .map(|(g, &paint)| Line {
                            points: series[g[0]].points.clone(),
                            sparse: series[g[0]].sparse.clone(),
                            paint,
                        })
                        .collect(),
                ),
                x: XAxis::Numeric(x),
                y: Scale::values(all.iter().map(|p| p.1)),
                legend,
                notes,
                has_data: !all.is_empty(),
            }
        }
        ChartKind::Bars(bars) => {
            let names: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
            let keys: Vec<Option<Vec<u64>>> = bars
                .iter()
                .map(|b| {
                    let interval = b.interval.map_or(vec![0], |(lo, hi)| vec![1, key(lo), key(hi)]);
                    b.mean.is_finite().then(|| [vec![key(b.mean)], interval].concat())
                })
                .collect();
            let m = merge(&names, &keys, chart.baseline);
            let values = bars.iter().filter(|b| b.mean.is_finite()).flat_map(|b| {
                let (lo, hi) = b.interval.unwrap_or((b.mean, b.mean));
                [b.mean, lo, hi]
            });
            notes.extend(m.note);
            Frame {
                body: Body::Bars(
                    m.groups
                        .iter()
                        .zip(&m.paints)
                        .map(|(g, &paint)| Bar {
                            mean: bars[g[0]].mean,
                            interval: bars[g[0]].interval,
                            paint,
                        })
                        .collect(),
                ),
                x: XAxis::Categories(m.names),
                y: Scale::values(values),
                legend: Vec::new(),
                notes,
                has_data: bars.iter().any(|b| b.mean.is_finite()),
            }
        }
        ChartKind::StackedBars(stacks) => {
            let names: Vec<&str> = stacks.iter().map(|s| s.label.as_str()).collect();
            let keys: Vec<Option<Vec<u64>>> = stacks
                .iter()
                .map(|s| {
                    s.parts
                        .iter()
                        .any(|p| p.1.is_finite())
                        .then(|| s.parts.iter().map(|p| key(p.1)).collect())
                })
                .collect();
            let m = merge(&names, &keys, chart.baseline);
            let totals = stacks
                .iter()
                .map(|s| s.parts.iter().map(|p| stack_part(p.1)).sum::<f64>());
            let parts: Vec<String> = stacks
                .first()
                .map(|s| s.parts.iter().map(|p| p.0.clone()).collect())
                .unwrap_or_default();
            notes.extend(m.note);
            Frame {
                body: Body::Stacks(
                    m.groups
                        .iter()
                        .map(|g| stacks[g[0]].parts.iter().map(|p| p.1).collect())
                        .collect(),
                ),
                x: XAxis::Categories(m.names),
                y: Scale::values(totals),
                // Top of the stack first, so the legend reads like the bars.
                legend: parts
                    .into_iter()
                    .enumerate()
                    .rev()
                    .map(|(i, n)| (n, Swatch::Block(colour(i))))
                    .collect(),
                notes,
                // All zeros is data (nothing happened), only non-finite values are not.
                has_data: stacks.iter().flat_map(|s| &s.parts).any(|p| p.1.is_finite()),
            }
        }
        ChartKind::Strips(strips) => {
            let names: Vec<&str> = strips.iter().map(|s| s.0.as_str()).collect();
            let keys: Vec<Option<Vec<u64>>> = strips
                .iter()
                .map(|(_, v)| {
                    v.iter()
                        .any(|v| v.is_finite())
                        .then(|| v.iter().map(|&v| key(v)).collect())
                })
                .collect();
            let m = merge(&names, &keys, chart.baseline);
            let values = strips.iter().flat_map(|(_, v)| v.iter().copied());
            notes.extend(m.note);
            Frame {
                body: Body::Strips(
                    m.groups
                        .iter()
                        .zip(&m.paints)
                        .map(|(g, &paint)| (strips[g[0]].1.clone(), paint))
                        .collect(),
                ),
                x: XAxis::Categories(m.names),
                y: Scale::values(values.clone()),
                legend: Vec::new(),
                notes,
                has_data: values.clone().any(f64::is_finite),
            }
        }
    }
}

/// The height a part adds to its stack: positive finite values only.
fn stack_part(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { limit(v) } else { 0.0 }
}

// ---------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------

// Sizes in plotters' units (the font's pixel height; SVG font-size is this / 1.24).
const TITLE_SIZES: [f64; 6] = [22.0, 20.0, 18.0, 17.0, 16.0, 15.0];
const NOTE_SIZE: f64 = 13.0;
const DESC_SIZES: [f64; 5] = [17.0, 16.0, 15.0, 14.0, 13.0];
const TICK_SIZE: f64 = 14.0;
/// Sizes for category labels side by side under vertical bars; below these the bars turn
/// horizontal.
const LABEL_SIZES: [f64; 4] = [15.0, 14.0, 13.0, 12.0];
/// Sizes for category labels beside horizontal bars.
const ROW_LABEL_SIZES: [f64; 3] = [14.0, 13.0, 12.0];
/// Longest category label beside horizontal bars, in pixels; longer ones are cut short.
const ROW_LABEL_MAX: i32 = 340;
const LEGEND_SIZES: [f64; 5] = [15.0, 14.0, 13.0, 12.0, 11.0];
/// Widest legend text beside the plot, in pixels; longer names move the legend under it.
const LEGEND_TEXT_MAX: i32 = 190;
/// Room for a legend swatch and the gap after it.
const SWATCH_WIDTH: i32 = 28;
const OUTER: i32 = 10;
/// Space between the axis line and its labels (plotters puts tick labels at twice the
/// tick mark size, 5 by default).
const LABEL_GAP: i32 = 10;
/// Thickest horizontal bar, in pixels.
const MAX_BAR_THICKNESS: f64 = 28.0;

/// Where the legend goes and how it is set.
struct Legend {
    size: f64,
    texts: Vec<String>,
    /// Height of one entry.
    row: i32,
    /// Under the plot (else beside it, on the right).
    below: bool,
    /// Width taken beside the plot.
    width: i32,
    /// Height taken under the plot.
    height: i32,
    columns: usize,
}

/// Every position and size of a drawing.
struct Layout {
    width: i32,
    height: i32,
    title_size: f64,
    title: String,
    title_height: i32,
    notes: Vec<String>,
    note_row: i32,
    /// Top of the plot's label area above it (or of the plot itself).
    top: i32,
    legend: Legend,
    /// Categories down the y axis, bars growing rightwards.
    horizontal: bool,
    /// Category labels as drawn: size and texts.
    labels: Option<(f64, Vec<String>)>,
    /// Label areas under, above (tall charts only) and left of the plot.
    x_area: i32,
    top_area: i32,
    y_area: i32,
    plot_height: i32,
    desc_size: f64,
    x_desc: String,
    y_desc: String,
}

/// The legend beside the plot if its names fit there whole, else under it.
fn layout(chart: &Chart, frame: &Frame) -> Layout {
    let beside = layout_with(chart, frame, false);
    let fits = beside.legend.texts.iter().eq(frame.legend.iter().map(|l| &l.0))
        && beside.legend.row * frame.legend.len() as i32 <= beside.plot_height;
    if fits {
        beside
    } else {
        layout_with(chart, frame, true)
    }
}

fn layout_with(chart: &Chart, frame: &Frame, below: bool) -> Layout {
    let w = WIDTH as i32;

    let (title_size, title) = fit_texts(std::slice::from_ref(&chart.title), &TITLE_SIZES, w - 2 * OUTER);
    let title_height = text_size("Ag", title_size).1;
    let note_row = text_size("Ag", NOTE_SIZE).1 + 4;
    let notes: Vec<String> = frame
        .notes
        .iter()
        .map(|n| truncate(n, NOTE_SIZE, w - 2 * OUTER))
        .collect();
    let top = OUTER + title_height + 14 + notes.len() as i32 * note_row;

    let names: Vec<String> = frame.legend.iter().map(|l| l.0.clone()).collect();
    let legend = if names.is_empty() {
        Legend {
            size: LEGEND_SIZES[0],
            texts: Vec::new(),
            row: 0,
            below: false,
            width: 0,
            height: 0,
            columns: 1,
        }
    } else if below {
        let full = w - 2 * OUTER - 12;
        let (size, texts) = fit_texts(&names, &LEGEND_SIZES, full - SWATCH_WIDTH);
        let columns = if texts
            .iter()
            .all(|t| text_width(t, size) + SWATCH_WIDTH + 16 <= full / 2)
        {
            2
        } else {
            1
        };
        let row = text_size("Ag", size).1 + 8;
        let rows = texts.len().div_ceil(columns) as i32;
        Legend {
            size,
            texts,
            row,
            below: true,
            width: 0,
            height: rows * row + 12,
            columns,
        }
    } else {
        let (size, texts) = fit_texts(&names, &LEGEND_SIZES, LEGEND_TEXT_MAX);
        let width = texts.iter().map(|t| text_width(t, size)).max().unwrap_or(0) + SWATCH_WIDTH + 16;
        Legend {
            size,
            texts,
            row: text_size("Ag", size).1 + 10,
            below: false,
            width,
            height: 0,
            columns: 1,
        }
    };

    let tick_height = text_size("0", TICK_SIZE).1;
    let desc_height = text_size("Ag", DESC_SIZES[0]).1;
    let numbers_under = LABEL_GAP + tick_height + 10 + desc_height + 4;
    let numbers_left = desc_height + 8 + frame.y.label_width(TICK_SIZE) + LABEL_GAP + 4;
    let upright_width = (w - 2 * OUTER - legend.width - numbers_left).max(1);

    // Categories side by side under the plot if they fit at some size, else down its side.
    let (horizontal, labels) = match &frame.x {
        XAxis::Categories(labels) if !labels.is_empty() => {
            let slot = upright_width / labels.len() as i32;
            match LABEL_SIZES
                .iter()
                .find(|&&s| labels.iter().all(|l| text_width(l, s) <= slot - 16))
            {
                Some(&size) => (false, Some((size, labels.clone()))),
                None => (true, Some(fit_texts(labels, &ROW_LABEL_SIZES, ROW_LABEL_MAX))),
            }
        }
        _ => (false, None),
    };
    let (x_area, y_area) = match &labels {
        Some((size, texts)) if horizontal => {
            let longest = texts.iter().map(|t| text_width(t, *size)).max().unwrap_or(0);
            (numbers_under, desc_height + 8 + longest + LABEL_GAP + 4)
        }
        Some((size, _)) => (
            LABEL_GAP + text_size("Ag", *size).1 + 10 + desc_height + 4,
            numbers_left,
        ),
        None => (numbers_under, numbers_left),
    };
    let plot_width = (w - 2 * OUTER - legend.width - y_area).max(1);

    // The plot's height in a canvas of the usual height; rows of horizontal bars that do
    // not fit there make the canvas taller, with the value axis repeated above the plot.
    let usual = (HEIGHT as i32 - top - x_area - OUTER).max(1);
    let (plot_height, top_area) = match &labels {
        Some((size, texts)) if horizontal => {
            let needed = texts.len() as i32 * (text_size("Ag", *size).1 + 6);
            if needed <= usual {
                (usual, 0)
            } else {
                let room = MAX_HEIGHT - top - 2 * x_area - OUTER - legend.height;
                (needed.min(room).max(usual), x_area)
            }
        }
        _ => (usual, 0),
    };
    let height = top + top_area + plot_height + x_area + OUTER + legend.height;

    // Axis titles: one size for both, the largest at which each fits along its axis.
    let (along_x, along_y) = if horizontal {
        (&chart.y_label, &chart.x_label)
    } else {
        (&chart.x_label, &chart.y_label)
    };
    let desc_size = DESC_SIZES
        .iter()
        .copied()
        .find(|&s| text_width(along_x, s) <= plot_width && text_width(along_y, s) <= plot_height)
        .unwrap_or(DESC_SIZES[DESC_SIZES.len() - 1]);
    Layout {
        width: w,
        height,
        title_size,
        title: title[0].clone(),
        title_height,
        notes,
        note_row,
        top,
        legend,
        horizontal,
        labels,
        x_area,
        top_area,
        y_area,
        plot_height,
        desc_size,
        x_desc: truncate(along_x, desc_size, plot_width),
        y_desc: truncate(along_y, desc_size, plot_height),
    }
}

// ---------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------

/// Where an item's point goes: `at(category or x, value)` in plot coordinates, with the
/// categories down the y axis (first at the top) when the bars are horizontal.
#[derive(Clone, Copy)]
struct Place {
    horizontal: bool,
    /// The last category's index.
    last: f64,
    /// Half a bar's thickness, in category slots.
    half: f64,
}

impl Place {
    fn at(&self, c: f64, v: f64) -> (f64, f64) {
        if self.horizontal {
            (v, self.last - c)
        } else {
            (c, v)
        }
    }
}

/// The whole drawing: title, notes, axes, data, category labels, legend.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, frame: &Frame, l: &Layout) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let centre = l.width / 2;
    root.draw(&Text::new(
        l.title.clone(),
        (centre, OUTER),
        text_style(l.title_size, &INK, HPos::Center, VPos::Top),
    ))
    .map_err(plot_error)?;
    for (k, note) in l.notes.iter().enumerate() {
        root.draw(&Text::new(
            note.clone(),
            (centre, OUTER + l.title_height + 8 + k as i32 * l.note_row),
            text_style(NOTE_SIZE, &MUTED, HPos::Center, VPos::Top),
        ))
        .map_err(plot_error)?;
    }

    let n = match &frame.x {
        XAxis::Categories(c) => c.len(),
        XAxis::Numeric(_) => 0,
    };
    let slots = Scale {
        lo: -0.5,
        hi: n.max(1) as f64 - 0.5,
        ticks: (0..n).map(|i| i as f64).collect(),
        decimals: 0,
    };
    let (x_scale, y_scale) = match &frame.x {
        XAxis::Numeric(s) => (s.clone(), frame.y.clone()),
        XAxis::Categories(_) if l.horizontal => (frame.y.clone(), slots),
        XAxis::Categories(_) => (slots, frame.y.clone()),
    };
    let row_px = f64::from(l.plot_height) / n.max(1) as f64;
    let place = Place {
        horizontal: l.horizontal,
        last: n as f64 - 1.0,
        half: if l.horizontal {
            (MAX_BAR_THICKNESS / 2.0 / row_px).min(0.3)
        } else {
            0.3
        },
    };

    let mut builder = ChartBuilder::on(root);
    builder
        .margin_top(l.top)
        .margin_bottom(OUTER + l.legend.height)
        .margin_left(OUTER)
        .margin_right(OUTER + l.legend.width)
        .x_label_area_size(l.x_area)
        .y_label_area_size(l.y_area);
    if l.top_area > 0 {
        builder.top_x_label_area_size(l.top_area);
    }
    let mut plot = builder
        .build_cartesian_2d(Axis::new(&x_scale), Axis::new(&y_scale))
        .map_err(plot_error)?;

    let categories = matches!(frame.x, XAxis::Categories(_));
    let numeric_x = !categories || l.horizontal;
    let numeric_y = !(categories && l.horizontal);
    let x_format = |v: &f64| {
        if numeric_x {
            x_scale.label(*v)
        } else {
            String::new()
        }
    };
    let y_format = |v: &f64| {
        if numeric_y {
            y_scale.label(*v)
        } else {
            String::new()
        }
    };
    let mut mesh = plot.configure_mesh();
    mesh.bold_line_style(GRID)
        .axis_style(INK)
        .label_style(font(TICK_SIZE).color(&INK))
        .axis_desc_style(font(l.desc_size).color(&INK))
        .x_desc(l.x_desc.clone())
        .y_desc(l.y_desc.clone())
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format);
    if !numeric_x {
        mesh.disable_x_mesh();
    }
    if !numeric_y {
        mesh.disable_y_mesh();
    }
    mesh.draw().map_err(plot_error)?;

    if frame.y.lo < 0.0 {
        let ends = match &frame.x {
            XAxis::Numeric(s) => [(s.lo, 0.0), (s.hi, 0.0)],
            XAxis::Categories(_) => [place.at(-0.5, 0.0), place.at(n as f64 - 0.5, 0.0)],
        };
        plot.draw_series([PathElement::new(ends.to_vec(), INK.stroke_width(1))])
            .map_err(plot_error)?;
    }
    match &frame.body {
        Body::Lines(lines) => draw_lines(&mut plot, lines)?,
        Body::Bars(bars) => draw_bars(&mut plot, bars, place)?,
        Body::Stacks(stacks) => draw_stacks(&mut plot, stacks, place)?,
        Body::Strips(strips) => draw_strips(&mut plot, strips, place)?,
    }

    if let Some((size, texts)) = &l.labels {
        let text_height = text_size("Ag", *size).1;
        // Rows thinner than a label (only beyond the tallest canvas) label every k-th.
        let step = if l.horizontal {
            ((f64::from(text_height + 2) / row_px).ceil() as usize).max(1)
        } else {
            1
        };
        for (i, text) in texts.iter().enumerate().step_by(step) {
            let (x, y) = plot.backend_coord(&place.at(i as f64, frame.y.lo));
            let (at, style) = if l.horizontal {
                (
                    (x - LABEL_GAP, y),
                    text_style(*size, &INK, HPos::Right, VPos::Center),
                )
            } else {
                (
                    (x, y + LABEL_GAP),
                    text_style(*size, &INK, HPos::Center, VPos::Top),
                )
            };
            root.draw(&Text::new(text.clone(), at, style))
                .map_err(plot_error)?;
        }
    }

    if !frame.has_data {
        let (xs, ys) = plot.plotting_area().get_pixel_range();
        root.draw(&Text::new(
            "no data",
            ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
            text_style(20.0, &MUTED, HPos::Center, VPos::Center),
        ))
        .map_err(plot_error)?;
    }

    draw_legend(root, frame, l)
}

/// Legend entries beside the plot from its top down, or under it in one or two columns
/// (read down the first column, then the second).
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    frame: &Frame,
    l: &Layout,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let lg = &l.legend;
    let rows = lg.texts.len().div_ceil(lg.columns.max(1)).max(1);
    let column_width = (l.width - 2 * OUTER - 12) / lg.columns.max(1) as i32;
    for (k, ((_, swatch), text)) in frame.legend.iter().zip(&lg.texts).enumerate() {
        let (x, y) = if lg.below {
            let (column, row) = (k / rows, k % rows);
            (
                OUTER + 12 + column as i32 * column_width,
                l.height - OUTER - lg.height + 6 + lg.row / 2 + row as i32 * lg.row,
            )
        } else {
            (
                l.width - OUTER - lg.width + 12,
                l.top + l.top_area + lg.row / 2 + k as i32 * lg.row,
            )
        };
        let line_end = x + SWATCH_WIDTH - 6;
        match *swatch {
            Swatch::Line { colour, marker } => {
                root.draw(&PathElement::new(
                    vec![(x, y), (line_end, y)],
                    colour.stroke_width(2),
                ))
                .map_err(plot_error)?;
                if marker {
                    root.draw(&Circle::new(((x + line_end) / 2, y), 3, colour.filled()))
                        .map_err(plot_error)?;
                }
            }
            Swatch::Grey => {
                root.draw(&PathElement::new(
                    vec![(x, y), (line_end, y)],
                    BACKGROUND.stroke_width(2),
                ))
                .map_err(plot_error)?;
            }
            Swatch::Block(colour) => {
                let c = (x + line_end) / 2;
                root.draw(&Rectangle::new([(c - 6, y - 6), (c + 6, y + 6)], colour.filled()))
                    .map_err(plot_error)?;
            }
        }
        root.draw(&Text::new(
            text.clone(),
            (x + SWATCH_WIDTH, y),
            text_style(lg.size, &INK, HPos::Left, VPos::Center),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The four kinds
// ---------------------------------------------------------------------------------------

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Grey lines first, thin and without markers but for hollow ones on sparse points; then
/// the coloured ones, the first (best) on top, hollow markers on their sparse points.
fn draw_lines<DB: DrawingBackend>(plot: &mut Plot<'_, DB>, lines: &[Line]) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let greys = lines.iter().filter(|l| l.paint.is_none());
    let coloured = lines.iter().rev().filter_map(|l| Some((l, l.paint?)));
    for line in greys {
        for run in runs(&line.points) {
            plot.draw_series(LineSeries::new(run.iter().copied(), BACKGROUND.stroke_width(1)))
                .map_err(plot_error)?;
        }
        let sparse = line.sparse.iter().filter_map(|&i| line.points.get(i));
        plot.draw_series(
            sparse
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&p| Circle::new(p, 3, BACKGROUND.stroke_width(1))),
        )
        .map_err(plot_error)?;
    }
    for (line, c) in coloured {
        let markers = finite_points(&line.points).count() <= MARKER_MAX_POINTS;
        for run in runs(&line.points) {
            plot.draw_series(LineSeries::new(run.iter().copied(), c.stroke_width(2)))
                .map_err(plot_error)?;
        }
        for (i, &(x, y)) in line.points.iter().enumerate() {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let alone = !line
                .points
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.0.is_finite() && p.1.is_finite())
                && !line
                    .points
                    .get(i + 1)
                    .is_some_and(|p| p.0.is_finite() && p.1.is_finite());
            if line.sparse.contains(&i) {
                plot.draw_series([
                    Circle::new((x, y), 4, WHITE.filled()),
                    Circle::new((x, y), 4, c.stroke_width(2)),
                ])
                .map_err(plot_error)?;
            } else if markers || alone {
                plot.draw_series([Circle::new((x, y), 3, c.filled())])
                    .map_err(plot_error)?;
            }
        }
    }
    Ok(())
}

/// Runs of finite points; a non-finite point breaks the line.
fn runs(points: &[(f64, f64)]) -> impl Iterator<Item = &[(f64, f64)]> {
    points
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .filter(|r| !r.is_empty())
}

fn draw_bars<DB: DrawingBackend>(plot: &mut Plot<'_, DB>, bars: &[Bar], place: Place) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    for (i, b) in bars.iter().enumerate() {
        let c = i as f64;
        if !b.mean.is_finite() {
            let (px, py) = plot.backend_coord(&place.at(c, 0.0));
            let (at, style) = if place.horizontal {
                ((px + 4, py), text_style(14.0, &MUTED, HPos::Left, VPos::Center))
            } else {
                ((px, py - 4), text_style(14.0, &MUTED, HPos::Center, VPos::Bottom))
            };
            plot.plotting_area()
                .strip_coord_spec()
                .draw(&Text::new("n/a", at, style))
                .map_err(plot_error)?;
            continue;
        }
        let fill = b.paint.unwrap_or(BACKGROUND);
        plot.draw_series([Rectangle::new(
            [place.at(c - place.half, 0.0), place.at(c + place.half, b.mean)],
            fill.filled(),
        )])
        .map_err(plot_error)?;
        if let Some((lo, hi)) = b
            .interval
            .filter(|(lo, hi)| lo.is_finite() && hi.is_finite() && hi > lo)
        {
            let cap = place.half / 3.0;
            let whisker = [
                vec![place.at(c, lo), place.at(c, hi)],
                vec![place.at(c - cap, lo), place.at(c + cap, lo)],
                vec![place.at(c - cap, hi), place.at(c + cap, hi)],
            ];
            plot.draw_series(
                whisker
                    .into_iter()
                    .map(|p| PathElement::new(p, INK.stroke_width(2))),
            )
            .map_err(plot_error)?;
        }
    }
    Ok(())
}

fn draw_stacks<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    stacks: &[Vec<f64>],
    place: Place,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    for (i, parts) in stacks.iter().enumerate() {
        let c = i as f64;
        let mut base = 0.0;
        for (j, &v) in parts.iter().enumerate() {
            let v = stack_part(v);
            if v <= 0.0 {
                continue;
            }
            let corners = [place.at(c - place.half, base), place.at(c + place.half, base + v)];
            let block = Rectangle::new(corners, colour(j).filled());
            let edge = Rectangle::new(corners, WHITE.stroke_width(1));
            plot.draw_series([block, edge]).map_err(plot_error)?;
            base += v;
        }
    }
    Ok(())
}

fn draw_strips<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    strips: &[(Vec<f64>, Paint)],
    place: Place,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let box_half = place.half * 0.25 / 0.3;
    let jitter_width = place.half;
    for (i, (values, paint)) in strips.iter().enumerate() {
        let x = i as f64;
        let c = paint.unwrap_or(BACKGROUND);
        let finite: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .map(limit)
            .collect();
        if finite.is_empty() {
            continue;
        }
        let mut sorted = finite.clone();
        sorted.sort_by(f64::total_cmp);
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let (q1, median, q3) = (
            quantile(&sorted, 0.25),
            quantile(&sorted, 0.5),
            quantile(&sorted, 0.75),
        );
        let cap = box_half / 2.0;
        let outline = c.stroke_width(2);
        plot.draw_series([Rectangle::new(
            [place.at(x - box_half, q1), place.at(x + box_half, q3)],
            c.mix(0.18).filled(),
        )])
        .map_err(plot_error)?;
        let lines = [
            vec![
                (x - box_half, q1),
                (x + box_half, q1),
                (x + box_half, q3),
                (x - box_half, q3),
                (x - box_half, q1),
            ],
            vec![(x - box_half, median), (x + box_half, median)],
            vec![(x, q3), (x, max)],
            vec![(x, q1), (x, min)],
            vec![(x - cap, max), (x + cap, max)],
            vec![(x - cap, min), (x + cap, min)],
        ];
        plot.draw_series(lines.into_iter().map(|p| {
            PathElement::new(
                p.into_iter().map(|(a, b)| place.at(a, b)).collect::<Vec<_>>(),
                outline,
            )
        }))
        .map_err(plot_error)?;
        let points = finite
            .iter()
            .enumerate()
            .map(|(j, &v)| place.at(x + jitter(j) * jitter_width, v));
        plot.draw_series(points.map(|p| Circle::new(p, 3, INK.mix(0.55).filled())))
            .map_err(plot_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        [
            "round-robin, cap 2",
            "round-robin, cap 3",
            "least-busy, cap 2",
            "least-busy, cap 3",
            "random, cap 2",
            "random, cap 3",
            "manual",
            "least-busy, cap 4",
        ]
        .iter()
        .take(n)
        .map(|s| (*s).to_owned())
        .collect()
    }

    fn lines() -> Chart {
        let series = names(4)
            .into_iter()
            .enumerate()
            .map(|(i, name)| Series {
                name,
                sparse: Vec::new(),
                points: (0..=120)
                    .map(|s| {
                        (
                            s as f64,
                            100.0 * (1.0 - (-(s as f64) / (10.0 + 8.0 * i as f64)).exp()),
                        )
                    })
                    .collect(),
            })
            .collect();
        Chart::new(
            "Queue wait: share of served chats answered within x",
            "wait (s)",
            "served chats (%)",
            ChartKind::Lines(series),
        )
    }

    fn bars() -> Chart {
        let bars = names(8)
            .into_iter()
            .enumerate()
            .map(|(i, label)| BarCi {
                label,
                mean: 20.0 + 7.5 * i as f64,
                interval: (i != 3).then_some((18.0 + 6.5 * i as f64, 22.0 + 8.5 * i as f64)),
            })
            .collect();
        Chart::new(
            "95th-percentile queue wait per configuration (95 % CI)",
            "configuration",
            "p95 wait (s)",
            ChartKind::Bars(bars),
        )
    }

    fn stacked() -> Chart {
        let stacks = names(5)
            .into_iter()
            .enumerate()
            .map(|(i, label)| Stacked {
                label,
                parts: ["offline", "rebalance", "takeover", "manual"]
                    .iter()
                    .enumerate()
                    .map(|(j, p)| ((*p).to_owned(), 1.0 + ((i * 3 + j * 5) % 7) as f64))
                    .collect(),
            })
            .collect();
        Chart::new(
            "Reassignments by cause per configuration",
            "configuration",
            "reassignments per 100 chats",
            ChartKind::StackedBars(stacks),
        )
    }

    fn strips() -> Chart {
        let strips = names(3)
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c,
                    (0..30)
                        .map(|j| 40.0 + 10.0 * i as f64 + ((j * 37 % 23) as f64 - 11.0) * 1.5)
                        .collect(),
                )
            })
            .collect();
        Chart::new(
            "p95 wait per replication",
            "configuration",
            "p95 wait (s)",
            ChartKind::Strips(strips),
        )
    }

    fn kinds() -> Vec<Chart> {
        vec![lines(), bars(), stacked(), strips()]
    }

    /// The words a reader must find in a chart: title, axis titles, series/category names.
    fn words(chart: &Chart) -> Vec<String> {
        let mut words = vec![chart.title.clone(), chart.x_label.clone(), chart.y_label.clone()];
        match &chart.kind {
            ChartKind::Lines(s) => words.extend(s.iter().map(|s| s.name.clone())),
            ChartKind::Bars(b) => words.extend(b.iter().map(|b| b.label.clone())),
            ChartKind::StackedBars(s) => {
                words.extend(s.iter().map(|s| s.label.clone()));
                words.extend(s.iter().flat_map(|s| s.parts.iter().map(|p| p.0.clone())));
            }
            ChartKind::Strips(s) => words.extend(s.iter().map(|s| s.0.clone())),
        }
        words
    }

    /// The contents of every `<text>` element, as written (escaped).
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect()
    }

    fn xml_escape(s: &str) -> String {
        s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }

    /// Width and height from the IHDR chunk, which must come first.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&png[16..20]), be(&png[20..24]))
    }

    #[test]
    fn every_kind_renders_svg_with_its_words() {
        for chart in kinds() {
            let svg = render_svg(&chart).unwrap();
            assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
            assert!(svg.trim_end().ends_with("</svg>"));
            assert!(svg.contains(r#"width="800""#) && svg.contains(r#"height="480""#));
            let texts = texts(&svg);
            for word in words(&chart) {
                assert!(
                    texts.contains(&xml_escape(&word).as_str()),
                    "{word:?} missing from the SVG"
                );
            }
            assert!(!texts.contains(&"no data"));
        }
    }

    #[test]
    fn every_kind_renders_png_of_the_right_size() {
        for chart in kinds() {
            let bytes = render_png(&chart).unwrap();
            assert_eq!(png_size(&bytes), (WIDTH, HEIGHT));
            let pixels = decode_png(&bytes);
            assert!(pixels.iter().any(|&b| b != 255), "a blank image");
            assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        for chart in kinds() {
            assert_eq!(render_svg(&chart).unwrap(), render_svg(&chart.clone()).unwrap());
            assert!(render_png(&chart).unwrap() == render_png(&chart.clone()).unwrap());
        }
    }

    #[test]
    fn degenerate_inputs_draw_without_panicking() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let chart = |kind| Chart::new("", "", "", kind);
        let line = |name: &str, points: Vec<(f64, f64)>| Series {
            name: name.into(),
            points,
            sparse: Vec::new(),
        };
        let no_data = [
            ChartKind::Lines(vec![]),
            ChartKind::Lines(vec![line("a", vec![])]),
            ChartKind::Lines(vec![line("a", vec![(nan, 1.0), (1.0, inf)])]),
            ChartKind::Bars(vec![]),
            ChartKind::Bars(vec![BarCi {
                label: "a".into(),
                mean: nan,
                interval: Some((nan, nan)),
            }]),
            ChartKind::StackedBars(vec![]),
            ChartKind::StackedBars(vec![Stacked {
                label: "a".into(),
                parts: vec![],
            }]),
            ChartKind::StackedBars(vec![Stacked {
                label: "a".into(),
                parts: vec![("y".into(), nan)],
            }]),
            ChartKind::Strips(vec![]),
            ChartKind::Strips(vec![("a".into(), vec![]), ("b".into(), vec![nan, -inf])]),
        ];
        let drawable = [
            ChartKind::Lines(vec![line("one", vec![(3.0, 7.0)])]),
            ChartKind::Lines(vec![line("zeros", vec![(0.0, 0.0), (0.0, 0.0)])]),
            ChartKind::Lines(vec![line(
                "gap",
                vec![(0.0, 1.0), (1.0, nan), (2.0, -3.0), (3.0, 1e12)],
            )]),
            ChartKind::Lines(vec![line("tiny", vec![(0.0, 1e-12), (1e-9, 2e-12)])]),
            ChartKind::Bars(vec![BarCi {
                label: "zero".into(),
                mean: 0.0,
                interval: Some((0.0, 0.0)),
            }]),
            ChartKind::Bars(vec![
                BarCi {
                    label: "negative".into(),
                    mean: -2.0,
                    interval: Some((-inf, inf)),
                },
                BarCi {
                    label: "missing".into(),
                    mean: nan,
                    interval: None,
                },
            ]),
            ChartKind::StackedBars(vec![Stacked {
                label: "a".into(),
                parts: vec![("x".into(), -1.0), ("y".into(), 2.0)],
            }]),
            ChartKind::Strips(vec![
                ("one".into(), vec![5.0]),
                ("same".into(), vec![2.0, 2.0, 2.0]),
            ]),
            ChartKind::Strips(vec![("zeros".into(), vec![0.0; 10])]),
            ChartKind::StackedBars(vec![Stacked {
                label: "zeros".into(),
                parts: vec![("x".into(), 0.0), ("y".into(), nan)],
            }]),
            ChartKind::Lines(vec![line("huge", vec![(1e300, 1e300)])]),
            ChartKind::Lines(vec![line(
                "extreme",
                vec![
                    (f64::MAX, -f64::MAX),
                    (-f64::MAX, f64::MAX),
                    (f64::MIN_POSITIVE, 0.0),
                ],
            )]),
            ChartKind::Bars(vec![BarCi {
                label: "max".into(),
                mean: f64::MAX,
                interval: Some((0.0, f64::MAX)),
            }]),
            ChartKind::Strips(vec![("wide".into(), vec![-f64::MAX, f64::MAX])]),
        ];
        for (kind, expect_no_data) in no_data
            .into_iter()
            .map(|k| (k, true))
            .chain(drawable.into_iter().map(|k| (k, false)))
        {
            let c = chart(kind);
            let svg = render_svg(&c).unwrap();
            assert_eq!(texts(&svg).contains(&"no data"), expect_no_data, "{:?}", c.kind);
            assert_eq!(png_size(&render_png(&c).unwrap()), (WIDTH, HEIGHT));
        }
    }

    #[test]
    fn very_long_texts_and_many_categories_do_not_panic() {
        let long = "a very long configuration name that goes on and on, cap 2, grace 30 s".repeat(3);
        let bars = (0..40)
            .map(|i| BarCi {
                label: format!("{long} {i}"),
                mean: i as f64,
                interval: None,
            })
            .collect();
        let chart = Chart::new(long.clone(), long.clone(), long.clone(), ChartKind::Bars(bars));
        assert!(render_svg(&chart).unwrap().starts_with("<svg"));
        let series = (0..20)
            .map(|i| series(&format!("{long} {i}"), vec![(0.0, i as f64)]))
            .collect();
        let chart = Chart {
            kind: ChartKind::Lines(series),
            ..chart
        };
        let (w, h) = png_size(&render_png(&chart).unwrap());
        assert!(w == WIDTH && h >= HEIGHT, "{w}×{h}");
    }

    fn series(name: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            sparse: Vec::new(),
        }
    }

    /// 60 configurations named like a 3 × 5 × 4 comparison, all different.
    fn sixty_names() -> Vec<String> {
        let mut names = Vec::new();
        for cap in 1..=5 {
            for grace in ["1m", "2m", "5m", "10m"] {
                for strategy in ["round-robin", "least-busy", "random"] {
                    names.push(format!("cap {cap}, offline_grace={grace}, {strategy}"));
                }
            }
        }
        names
    }

    fn sixty_lines() -> Chart {
        let series = sixty_names()
            .into_iter()
            .enumerate()
            .map(|(i, name)| Series {
                name,
                points: (0..=24)
                    .map(|h| (h as f64, 100.0 - i as f64 - (h as f64 / 3.0).sin()))
                    .collect(),
                sparse: vec![24],
            })
            .collect();
        Chart {
            notes: vec![
                "Hollow points average fewer replications than the others — mon 00:00: 6 of 20".into(),
            ],
            baseline: Some(40),
            ..Chart::new(
                "Service level by hour",
                "hour",
                "served (%)",
                ChartKind::Lines(series),
            )
        }
    }

    fn sixty_bars() -> Chart {
        let bars = sixty_names()
            .into_iter()
            .enumerate()
            .map(|(i, label)| BarCi {
                label,
                mean: 60.0 - i as f64,
                interval: Some((57.0 - i as f64, 63.0 - i as f64)),
            })
            .collect();
        Chart {
            baseline: Some(40),
            ..Chart::new("p95 wait", "configuration", "p95 wait (s)", ChartKind::Bars(bars))
        }
    }

    #[test]
    fn sixty_series_show_the_best_few_and_the_baseline_and_count_the_rest() {
        let chart = sixty_lines();
        let f = frame(&chart);
        assert!(
            f.legend.len() <= HIGHLIGHTED + 2,
            "{} legend entries",
            f.legend.len()
        );
        let svg = render_svg(&chart).unwrap();
        let texts = texts(&svg);
        let names = sixty_names();
        for (i, name) in names.iter().enumerate() {
            let shown = if i == 40 {
                texts.contains(&format!("{name} (baseline)").as_str())
            } else {
                texts.contains(&name.as_str())
            };
            assert_eq!(shown, i < HIGHLIGHTED || i == 40, "{name}");
        }
        assert!(texts.contains(&"+ 53 more configurations in grey"), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with("Hollow points")));
        let grey = format!("#{:02X}{:02X}{:02X}", BACKGROUND.0, BACKGROUND.1, BACKGROUND.2);
        assert!(svg.matches(&grey).count() >= 53, "the other lines are grey");
        // Every legend row lies inside the image.
        let l = layout(&chart, &f);
        assert!(l.legend.below && l.height <= HEIGHT as i32 + l.legend.height);
    }

    #[test]
    fn sixty_bars_turn_horizontal_and_grow_with_every_label_readable() {
        let chart = sixty_bars();
        let svg = render_svg(&chart).unwrap();
        let texts = texts(&svg);
        for (i, name) in sixty_names().iter().enumerate() {
            let label = if i == 40 {
                format!("{name} (baseline)")
            } else {
                name.clone()
            };
            assert!(texts.contains(&label.as_str()), "{label} missing");
        }
        let l = layout(&chart, &frame(&chart));
        assert!(l.horizontal);
        let (w, h) = png_size(&render_png(&chart).unwrap());
        assert_eq!(w, WIDTH);
        // At least a label's height per row.
        assert!(
            h as i32 >= 60 * text_size("Ag", ROW_LABEL_SIZES[ROW_LABEL_SIZES.len() - 1]).1,
            "{h}"
        );
        assert!((h as i32) < MAX_HEIGHT);
    }

    #[test]
    fn many_charts_render_the_same_bytes_twice() {
        for chart in [sixty_lines(), sixty_bars()] {
            assert_eq!(render_svg(&chart).unwrap(), render_svg(&chart.clone()).unwrap());
            assert!(render_png(&chart).unwrap() == render_png(&chart.clone()).unwrap());
        }
    }

    #[test]
    fn identical_items_are_drawn_once_and_named_together() {
        let up = vec![(0.0, 1.0), (1.0, 2.0)];
        let chart = Chart::new(
            "t",
            "x",
            "y",
            ChartKind::Lines(vec![
                series("round-robin", up.clone()),
                series("least-busy", vec![(0.0, 1.0), (1.0, 3.0)]),
                series("random", up.clone()),
                series("manual", up),
            ]),
        );
        let f = frame(&chart);
        let Body::Lines(lines) = &f.body else {
            panic!("lines")
        };
        assert_eq!(lines.len(), 2);
        let svg = render_svg(&chart).unwrap();
        let texts = texts(&svg);
        assert!(
            texts.contains(&"Identical results, drawn once: round-robin = random = manual"),
            "{texts:?}"
        );
        assert!(texts.contains(&"round-robin (+2 identical)"));
        // Bars: the same mean and interval coincide; a different interval does not.
        let bar = |label: &str, interval| BarCi {
            label: label.into(),
            mean: 5.0,
            interval,
        };
        let chart = Chart::new(
            "t",
            "x",
            "y",
            ChartKind::Bars(vec![
                bar("a", Some((4.0, 6.0))),
                bar("b", Some((4.0, 6.0))),
                bar("c", Some((3.0, 6.0))),
                bar("d", None),
                bar("e", Some((4.0, 6.0))),
            ]),
        );
        let f = frame(&chart);
        let XAxis::Categories(labels) = &f.x else {
            panic!("categories")
        };
        assert_eq!(labels, &["a (+2 identical)", "c", "d"]);
        assert_eq!(f.notes, ["Identical results, drawn once: a = b = e"]);
        // Two groups.
        let chart = Chart::new(
            "t",
            "x",
            "y",
            ChartKind::Bars(vec![
                bar("a", Some((4.0, 6.0))),
                bar("b", None),
                bar("c", Some((4.0, 6.0))),
                bar("d", None),
            ]),
        );
        assert_eq!(
            frame(&chart).notes,
            ["2 groups of identical results, each drawn once: a = c; b = d"]
        );
    }

    #[test]
    fn group_names_are_short() {
        assert_eq!(group_name(&["a"]).0, "a");
        assert_eq!(group_name(&["a", "b"]), ("a = b".into(), "a = b".into()));
        let cross = [
            "cap 2, grace=1m, rr",
            "cap 3, grace=1m, rr",
            "cap 2, grace=1m, lb",
            "cap 3, grace=1m, lb",
        ];
        assert_eq!(group_name(&cross).0, "cap 2/3, grace=1m, rr/lb");
        let diagonal = ["cap 2, rr", "cap 3, lb"];
        assert_eq!(group_name(&diagonal).0, "cap 2, rr = cap 3, lb");
        assert_eq!(
            group_name(&["x", "y", "z"]),
            ("x (+2 identical)".into(), "x = y = z".into())
        );
        assert_eq!(alternatives(&["grace=1m", "grace=10m"]), "grace=1m/10m");
        assert_eq!(alternatives(&["round-robin", "random"]), "round-robin/random");
    }

    #[test]
    fn truncation_keeps_a_short_closing_remark() {
        let long = "cap 5, offline_grace=1m/2m/5m/10m, round-robin/least-busy/random (baseline)";
        let cut = truncate(long, 12.0, 250);
        assert!(cut.ends_with("… (baseline)"), "{cut}");
        assert!(text_width(&cut, 12.0) <= 250);
    }

    #[test]
    fn whiskers_clipped_at_zero_keep_the_axis_at_zero() {
        // A wait's interval clipped to its bound 0 by the caller: the axis starts at 0.
        let chart = Chart::new(
            "t",
            "x",
            "wait (s)",
            ChartKind::Bars(vec![BarCi {
                label: "a".into(),
                mean: 1.0,
                interval: Some((0.0, 4.0)),
            }]),
        );
        let f = frame(&chart);
        assert_eq!(f.y.lo, 0.0);
        assert!(f.y.hi >= 4.0);
        assert!(
            !texts(&render_svg(&chart).unwrap())
                .iter()
                .any(|t| t.starts_with('-'))
        );
    }

    #[test]
    fn special_characters_are_escaped() {
        let chart = Chart::new(
            "a < b & c > d",
            "x \"quoted\"",
            "y",
            ChartKind::Lines(vec![series("<script>", vec![(0.0, 1.0), (1.0, 2.0)])]),
        );
        let svg = render_svg(&chart).unwrap();
        assert!(svg.contains("a &lt; b &amp; c &gt; d"));
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
    }

    #[test]
    fn bars_and_strips_share_the_series_colours() {
        assert_eq!(colour(0), colour(PALETTE.len()));
        let svg = render_svg(&bars()).unwrap();
        for c in &PALETTE {
            assert!(
                svg.contains(&format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)),
                "{c:?}"
            );
        }
    }

    #[test]
    fn scales_start_at_zero_with_headroom_and_nice_ticks() {
        let s = Scale::values([10.0, 50.0, f64::NAN]);
        assert_eq!(s.lo, 0.0);
        assert!((s.hi - 54.0).abs() < 1e-9, "{}", s.hi);
        assert_eq!(s.ticks, vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(s.label(10.0), "10");
        let s = Scale::values([-1.0, 0.5]);
        assert!(s.lo < -1.0 && s.hi > 0.5);
        assert_eq!(s.label(-0.0), "0.0");
        assert_eq!(Scale::values([0.0, 0.0]), Scale::nice(0.0, 1.0));
        assert_eq!(Scale::values([]), Scale::nice(0.0, 1.0));
        let s = Scale::values([0.97]);
        assert_eq!(s.decimals, 1);
        assert_eq!(Scale::positions([f64::NAN], 0.0), None);
        let one = Scale::positions([5.0], 0.0).unwrap();
        assert_eq!((one.lo, one.hi), (4.0, 6.0));
    }

    #[test]
    fn quartiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_eq!(quantile(&[7.0], 0.75), 7.0);
        assert!((0..1000).map(jitter).all(|j| (-0.5..0.5).contains(&j)));
    }

    // --- the PNG encoder, checked against an independent decoder -------------------------

    /// The RGB pixels of a PNG, decoded by the `png` crate.
    fn decode_png(bytes: &[u8]) -> Vec<u8> {
        let mut reader = png::Decoder::new(bytes).read_info().expect("a valid PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("one frame");
        buf.truncate(info.buffer_size());
        buf
    }
}

//! The chart renderer: a [`Chart`] (numbers and words) in, SVG text or PNG bytes out.
//!
//! Four kinds of chart are drawn with plotters on an 800×480 canvas: lines with a legend,
//! bars with 95 % CI whiskers, stacked bars with a legend, and strips (a box plot per
//! category with every value jittered beside it). Every text uses DejaVu Sans, shipped in
//! `assets/fonts` and compiled into the binary, so no system font (and no fontconfig) is
//! needed. Colours follow the Okabe–Ito palette, which stays distinguishable for the common
//! kinds of colour blindness; series `i` always gets colour `i`.
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
}

/// A bar with an optional 95 % CI half-width (whisker).
#[derive(Clone, Debug, PartialEq)]
pub struct BarCi {
    /// The category, shown under the bar.
    pub label: String,
    /// The bar's height; a non-finite mean draws no bar ("n/a").
    pub mean: f64,
    /// Half the width of the 95 % confidence interval, drawn as a whisker around the mean.
    pub half_width: Option<f64>,
}

/// A stacked bar: parts in a fixed order (same part names for every bar).
#[derive(Clone, Debug, PartialEq)]
pub struct Stacked {
    /// The category, shown under the bar.
    pub label: String,
    /// `(part name, value)` from the bottom of the stack up; the names of the first bar
    /// make the legend.
    pub parts: Vec<(String, f64)>,
}

/// What a chart shows.
#[derive(Clone, Debug, PartialEq)]
pub enum ChartKind {
    /// One line per series, with a legend of the series names.
    Lines(Vec<Series>),
    /// Vertical bars with CI whiskers; the labels are the x categories.
    Bars(Vec<BarCi>),
    /// Stacked vertical bars; the legend names the parts.
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
    /// The x-axis title, with its unit.
    pub x_label: String,
    /// The y-axis title, with its unit.
    pub y_label: String,
    /// The data and how to draw it.
    pub kind: ChartKind,
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
/// Canvas height in pixels.
const HEIGHT: u32 = 480;
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
/// "no data" and "n/a".
const MUTED: RGBColor = RGBColor(120, 120, 120);

/// Colour of series (or category, or part) `i`; the palette repeats after eight.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Renders as SVG text (800×480).
pub fn render_svg(chart: &Chart) -> Result<String, PlotError> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// Renders as PNG bytes (800×480).
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, PlotError> {
    register_font()?;
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(plot_error)?;
    }
    encode_png(WIDTH, HEIGHT, &rgb)
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

/// `text` cut short with "…" so that it fits in `max_width` at `size`.
fn truncate(text: &str, size: f64, max_width: i32) -> String {
    if text_width(text, size) <= max_width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (0..chars.len()).rev() {
        let candidate: String = chars[..keep].iter().chain(std::iter::once(&'…')).collect();
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
// Layout
// ---------------------------------------------------------------------------------------

/// What goes along the x axis.
enum XAxis {
    /// A numeric axis (lines).
    Numeric(Scale),
    /// One slot per category, centred on 0, 1, 2…
    Categories(Vec<String>),
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Swatch {
    /// A line, with a marker if the series has one.
    Line { marker: bool },
    /// A filled square.
    Block,
}

/// A chart's data reduced to what the layout needs.
struct Frame {
    x: XAxis,
    y: Scale,
    legend: Vec<(String, RGBColor, Swatch)>,
    has_data: bool,
}

/// Lines with at most this many points get a marker on every point.
const MARKER_MAX_POINTS: usize = 30;

fn frame(kind: &ChartKind) -> Frame {
    match kind {
        ChartKind::Lines(series) => {
            let finite = |s: &Series| -> Vec<(f64, f64)> {
                s.points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect()
            };
            let all: Vec<(f64, f64)> = series.iter().flat_map(finite).collect();
            let markers = series.iter().any(|s| finite(s).len() <= MARKER_MAX_POINTS);
            let pad = if markers { 0.02 } else { 0.0 };
            let x = Scale::positions(all.iter().map(|p| p.0), pad).unwrap_or_else(|| Scale::nice(0.0, 1.0));
            Frame {
                x: XAxis::Numeric(x),
                y: Scale::values(all.iter().map(|p| p.1)),
                legend: series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let marker = finite(s).len() <= MARKER_MAX_POINTS;
                        (s.name.clone(), colour(i), Swatch::Line { marker })
                    })
                    .collect(),
                has_data: !all.is_empty(),
            }
        }
        ChartKind::Bars(bars) => {
            let values = bars.iter().filter(|b| b.mean.is_finite()).flat_map(|b| {
                let h = b.half_width.filter(|h| h.is_finite() && *h > 0.0).unwrap_or(0.0);
                [b.mean, b.mean - h, b.mean + h]
            });
            Frame {
                x: XAxis::Categories(bars.iter().map(|b| b.label.clone()).collect()),
                y: Scale::values(values),
                legend: Vec::new(),
                has_data: bars.iter().any(|b| b.mean.is_finite()),
            }
        }
        ChartKind::StackedBars(stacks) => {
            let totals = stacks
                .iter()
                .map(|s| s.parts.iter().map(|p| stack_part(p.1)).sum::<f64>());
            let names: Vec<String> = stacks
                .first()
                .map(|s| s.parts.iter().map(|p| p.0.clone()).collect())
                .unwrap_or_default();
            Frame {
                x: XAxis::Categories(stacks.iter().map(|s| s.label.clone()).collect()),
                y: Scale::values(totals),
                // Top of the stack first, so the legend reads like the bars.
                legend: names
                    .into_iter()
                    .enumerate()
                    .rev()
                    .map(|(i, n)| (n, colour(i), Swatch::Block))
                    .collect(),
                // All zeros is data (nothing happened), only non-finite values are not.
                has_data: stacks.iter().flat_map(|s| &s.parts).any(|p| p.1.is_finite()),
            }
        }
        ChartKind::Strips(strips) => {
            let values = strips.iter().flat_map(|(_, v)| v.iter().copied());
            Frame {
                x: XAxis::Categories(strips.iter().map(|(c, _)| c.clone()).collect()),
                y: Scale::values(values.clone()),
                legend: Vec::new(),
                has_data: values.clone().any(f64::is_finite),
            }
        }
    }
}

/// The height a part adds to its stack: positive finite values only.
fn stack_part(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { limit(v) } else { 0.0 }
}

// Sizes in plotters' units (the font's pixel height; SVG font-size is this / 1.24).
const TITLE_SIZES: [f64; 6] = [22.0, 20.0, 18.0, 17.0, 16.0, 15.0];
const DESC_SIZES: [f64; 5] = [17.0, 16.0, 15.0, 14.0, 13.0];
const TICK_SIZE: f64 = 14.0;
/// Sizes for horizontal category labels; below these they turn vertical.
const LABEL_SIZES: [f64; 4] = [15.0, 14.0, 13.0, 12.0];
/// Sizes for vertical category labels.
const VERTICAL_LABEL_SIZES: [f64; 4] = [14.0, 13.0, 12.0, 11.0];
const LEGEND_SIZES: [f64; 5] = [15.0, 14.0, 13.0, 12.0, 11.0];
/// Widest legend text in pixels; longer names shrink, then are cut short.
const LEGEND_TEXT_MAX: i32 = 190;
/// Longest vertical category label in pixels; longer ones shrink, then are cut short.
const VERTICAL_LABEL_MAX: i32 = 150;
const OUTER: i32 = 10;
/// Space between the axis line and its labels (plotters puts tick labels at twice the
/// tick mark size, 5 by default).
const LABEL_GAP: i32 = 10;

/// Category labels as laid out under the axis.
struct CategoryLabels {
    texts: Vec<String>,
    size: f64,
    vertical: bool,
    /// Room they need below the axis, gap included.
    height: i32,
}

/// Horizontal if every label fits its slot at some size in [`LABEL_SIZES`]; otherwise
/// turned to read upwards (as long as the longest fits in [`VERTICAL_LABEL_MAX`]).
fn layout_categories(labels: &[String], slot: i32) -> CategoryLabels {
    for &size in &LABEL_SIZES {
        if labels.iter().all(|l| text_width(l, size) <= slot - 16) {
            return CategoryLabels {
                texts: labels.to_vec(),
                size,
                vertical: false,
                height: LABEL_GAP + text_size("Ag", size).1,
            };
        }
    }
    let (size, texts) = fit_texts(labels, &VERTICAL_LABEL_SIZES, VERTICAL_LABEL_MAX);
    let longest = texts.iter().map(|t| text_width(t, size)).max().unwrap_or(0);
    CategoryLabels {
        texts,
        size,
        vertical: true,
        height: LABEL_GAP + longest,
    }
}

/// The whole drawing: title, axes, data, category labels, legend.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let (w, h) = (WIDTH as i32, HEIGHT as i32);
    root.fill(&WHITE).map_err(plot_error)?;

    // Title.
    let (title_size, title) = fit_texts(std::slice::from_ref(&chart.title), &TITLE_SIZES, w - 2 * OUTER);
    let title_height = text_size("Ag", title_size).1;
    root.draw(&Text::new(
        title[0].clone(),
        (w / 2, OUTER),
        text_style(title_size, &INK, HPos::Center, VPos::Top),
    ))
    .map_err(plot_error)?;
    let top = OUTER + title_height + 14;

    let frame = frame(&chart.kind);

    // Legend on the right, outside the plot so that it never covers data.
    let names: Vec<String> = frame.legend.iter().map(|l| l.0.clone()).collect();
    let (legend_size, legend_texts) = fit_texts(&names, &LEGEND_SIZES, LEGEND_TEXT_MAX);
    let swatch_width = 28;
    let legend_width = legend_texts
        .iter()
        .map(|t| text_width(t, legend_size))
        .max()
        .map_or(0, |m| m + swatch_width + 16);

    // Axis titles: one size for both, the largest at which each fits along its axis.
    let y_ticks_width = frame.y.label_width(TICK_SIZE);
    let tick_height = text_size("0", TICK_SIZE).1;
    let probe_desc_height = text_size("Ag", DESC_SIZES[0]).1;
    let y_area = probe_desc_height + 8 + y_ticks_width + LABEL_GAP + 4;
    let plot_left = OUTER + y_area;
    let plot_right = w - OUTER - legend_width;
    let plot_width = (plot_right - plot_left).max(1);

    let categories = match &frame.x {
        XAxis::Categories(labels) if !labels.is_empty() => {
            Some(layout_categories(labels, plot_width / labels.len() as i32))
        }
        _ => None,
    };
    let x_ticks_height = categories.as_ref().map_or(LABEL_GAP + tick_height, |c| c.height);
    let x_area = x_ticks_height + 10 + probe_desc_height + 4;
    let plot_height = (h - OUTER - x_area - top).max(1);
    let desc_size = DESC_SIZES
        .iter()
        .copied()
        .find(|&s| {
            text_width(&chart.x_label, s) <= plot_width && text_width(&chart.y_label, s) <= plot_height
        })
        .unwrap_or(DESC_SIZES[DESC_SIZES.len() - 1]);
    let x_desc = truncate(&chart.x_label, desc_size, plot_width);
    let y_desc = truncate(&chart.y_label, desc_size, plot_height);

    let x_scale = match &frame.x {
        XAxis::Numeric(s) => s.clone(),
        XAxis::Categories(labels) => Scale {
            lo: -0.5,
            hi: labels.len().max(1) as f64 - 0.5,
            ticks: (0..labels.len()).map(|i| i as f64).collect(),
            decimals: 0,
        },
    };
    let y_scale = &frame.y;

    let mut plot = ChartBuilder::on(root)
        .margin_top(top)
        .margin_bottom(OUTER)
        .margin_left(OUTER)
        .margin_right(OUTER + legend_width)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(Axis::new(&x_scale), Axis::new(y_scale))
        .map_err(plot_error)?;

    let numeric_x = matches!(frame.x, XAxis::Numeric(_));
    let x_format = |v: &f64| {
        if numeric_x {
            x_scale.label(*v)
        } else {
            String::new()
        }
    };
    let y_format = |v: &f64| y_scale.label(*v);
    let mut mesh = plot.configure_mesh();
    mesh.bold_line_style(GRID)
        .axis_style(INK)
        .label_style(font(TICK_SIZE).color(&INK))
        .axis_desc_style(font(desc_size).color(&INK))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format);
    if !numeric_x {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(plot_error)?;

    if y_scale.lo < 0.0 {
        let zero = PathElement::new(vec![(x_scale.lo, 0.0), (x_scale.hi, 0.0)], INK.stroke_width(1));
        plot.draw_series([zero]).map_err(plot_error)?;
    }
    match &chart.kind {
        ChartKind::Lines(series) => draw_lines(&mut plot, series)?,
        ChartKind::Bars(bars) => draw_bars(&mut plot, bars)?,
        ChartKind::StackedBars(stacks) => draw_stacks(&mut plot, stacks)?,
        ChartKind::Strips(strips) => draw_strips(&mut plot, strips)?,
    }

    if let Some(c) = &categories {
        let axis_y = plot.backend_coord(&(0.0, y_scale.lo)).1;
        for (i, text) in c.texts.iter().enumerate() {
            let x = plot.backend_coord(&(i as f64, y_scale.lo)).0;
            let style = if c.vertical {
                text_style(c.size, &INK, HPos::Right, VPos::Center).transform(FontTransform::Rotate270)
            } else {
                text_style(c.size, &INK, HPos::Center, VPos::Top)
            };
            root.draw(&Text::new(text.clone(), (x, axis_y + LABEL_GAP), style))
                .map_err(plot_error)?;
        }
    }

    if !frame.has_data {
        let (x0, y0) = plot.backend_coord(&(x_scale.lo, y_scale.hi));
        let (x1, y1) = plot.backend_coord(&(x_scale.hi, y_scale.lo));
        let centre = ((x0 + x1) / 2, (y0 + y1) / 2);
        root.draw(&Text::new(
            "no data",
            centre,
            text_style(20.0, &MUTED, HPos::Center, VPos::Center),
        ))
        .map_err(plot_error)?;
    }

    // Legend entries from the top of the plotting area down.
    let row = (text_size("Ag", legend_size).1 + 10)
        .min(plot_height / frame.legend.len().max(1) as i32)
        .max(1);
    let legend_x = w - OUTER - legend_width + 12;
    for (k, ((_, c, swatch), text)) in frame.legend.iter().zip(&legend_texts).enumerate() {
        let y = top + row / 2 + k as i32 * row;
        match swatch {
            Swatch::Line { marker } => {
                root.draw(&PathElement::new(
                    vec![(legend_x, y), (legend_x + swatch_width - 6, y)],
                    c.stroke_width(2),
                ))
                .map_err(plot_error)?;
                if *marker {
                    root.draw(&Circle::new(
                        (legend_x + (swatch_width - 6) / 2, y),
                        3,
                        c.filled(),
                    ))
                    .map_err(plot_error)?;
                }
            }
            Swatch::Block => {
                let x = legend_x + (swatch_width - 6) / 2;
                root.draw(&Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], c.filled()))
                    .map_err(plot_error)?;
            }
        }
        root.draw(&Text::new(
            text.clone(),
            (legend_x + swatch_width, y),
            text_style(legend_size, &INK, HPos::Left, VPos::Center),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The four kinds
// ---------------------------------------------------------------------------------------

type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

fn draw_lines<DB: DrawingBackend>(plot: &mut Plot<'_, DB>, series: &[Series]) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    for (i, s) in series.iter().enumerate() {
        let c = colour(i);
        // Runs of finite points; a non-finite point breaks the line.
        let runs: Vec<&[(f64, f64)]> = s
            .points
            .split(|(x, y)| !(x.is_finite() && y.is_finite()))
            .filter(|r| !r.is_empty())
            .collect();
        let finite: usize = runs.iter().map(|r| r.len()).sum();
        let markers = finite <= MARKER_MAX_POINTS;
        for run in runs {
            plot.draw_series(LineSeries::new(run.iter().copied(), c.stroke_width(2)))
                .map_err(plot_error)?;
            if markers || run.len() == 1 {
                plot.draw_series(run.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(plot_error)?;
            }
        }
    }
    Ok(())
}

/// Half the width of a bar, in category slots.
const BAR_HALF: f64 = 0.3;

fn draw_bars<DB: DrawingBackend>(plot: &mut Plot<'_, DB>, bars: &[BarCi]) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    for (i, b) in bars.iter().enumerate() {
        let x = i as f64;
        if !b.mean.is_finite() {
            let (px, py) = plot.backend_coord(&(x, 0.0));
            plot.plotting_area()
                .strip_coord_spec()
                .draw(&Text::new(
                    "n/a",
                    (px, py - 4),
                    text_style(14.0, &MUTED, HPos::Center, VPos::Bottom),
                ))
                .map_err(plot_error)?;
            continue;
        }
        let c = colour(i);
        plot.draw_series(std::iter::once(Rectangle::new(
            [(x - BAR_HALF, 0.0), (x + BAR_HALF, b.mean)],
            c.filled(),
        )))
        .map_err(plot_error)?;
        if let Some(h) = b.half_width.filter(|h| h.is_finite() && *h > 0.0) {
            let (lo, hi) = (b.mean - h, b.mean + h);
            let cap = BAR_HALF / 3.0;
            let whisker = [
                vec![(x, lo), (x, hi)],
                vec![(x - cap, lo), (x + cap, lo)],
                vec![(x - cap, hi), (x + cap, hi)],
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

fn draw_stacks<DB: DrawingBackend>(plot: &mut Plot<'_, DB>, stacks: &[Stacked]) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    for (i, s) in stacks.iter().enumerate() {
        let x = i as f64;
        let mut base = 0.0;
        for (j, (_, v)) in s.parts.iter().enumerate() {
            let v = stack_part(*v);
            if v <= 0.0 {
                continue;
            }
            let block = Rectangle::new(
                [(x - BAR_HALF, base), (x + BAR_HALF, base + v)],
                colour(j).filled(),
            );
            let edge = Rectangle::new(
                [(x - BAR_HALF, base), (x + BAR_HALF, base + v)],
                WHITE.stroke_width(1),
            );
            plot.draw_series([block, edge]).map_err(plot_error)?;
            base += v;
        }
    }
    Ok(())
}

fn draw_strips<DB: DrawingBackend>(
    plot: &mut Plot<'_, DB>,
    strips: &[(String, Vec<f64>)],
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    const BOX_HALF: f64 = 0.25;
    const JITTER_WIDTH: f64 = 0.3;
    for (i, (_, values)) in strips.iter().enumerate() {
        let x = i as f64;
        let c = colour(i);
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
        let cap = BOX_HALF / 2.0;
        let outline = c.stroke_width(2);
        plot.draw_series([Rectangle::new(
            [(x - BOX_HALF, q1), (x + BOX_HALF, q3)],
            c.mix(0.18).filled(),
        )])
        .map_err(plot_error)?;
        let lines = [
            vec![
                (x - BOX_HALF, q1),
                (x + BOX_HALF, q1),
                (x + BOX_HALF, q3),
                (x - BOX_HALF, q3),
                (x - BOX_HALF, q1),
            ],
            vec![(x - BOX_HALF, median), (x + BOX_HALF, median)],
            vec![(x, q3), (x, max)],
            vec![(x, q1), (x, min)],
            vec![(x - cap, max), (x + cap, max)],
            vec![(x - cap, min), (x + cap, min)],
        ];
        plot.draw_series(lines.into_iter().map(|p| PathElement::new(p, outline)))
            .map_err(plot_error)?;
        let points = finite
            .iter()
            .enumerate()
            .map(|(j, &v)| (x + jitter(j) * JITTER_WIDTH, v));
        plot.draw_series(points.map(|p| Circle::new(p, 3, INK.mix(0.55).filled())))
            .map_err(plot_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PNG encoding
// ---------------------------------------------------------------------------------------

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
        Chart {
            title: "Queue wait: share of served chats answered within x".into(),
            x_label: "wait (s)".into(),
            y_label: "served chats (%)".into(),
            kind: ChartKind::Lines(series),
        }
    }

    fn bars() -> Chart {
        let bars = names(8)
            .into_iter()
            .enumerate()
            .map(|(i, label)| BarCi {
                label,
                mean: 20.0 + 7.5 * i as f64,
                half_width: (i != 3).then_some(2.0 + i as f64),
            })
            .collect();
        Chart {
            title: "95th-percentile queue wait per configuration (95 % CI)".into(),
            x_label: "configuration".into(),
            y_label: "p95 wait (s)".into(),
            kind: ChartKind::Bars(bars),
        }
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
        Chart {
            title: "Reassignments by cause per configuration".into(),
            x_label: "configuration".into(),
            y_label: "reassignments per 100 chats".into(),
            kind: ChartKind::StackedBars(stacks),
        }
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
        Chart {
            title: "p95 wait per replication".into(),
            x_label: "configuration".into(),
            y_label: "p95 wait (s)".into(),
            kind: ChartKind::Strips(strips),
        }
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
        let chart = |kind| Chart {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            kind,
        };
        let no_data = [
            ChartKind::Lines(vec![]),
            ChartKind::Lines(vec![Series {
                name: "a".into(),
                points: vec![],
            }]),
            ChartKind::Lines(vec![Series {
                name: "a".into(),
                points: vec![(nan, 1.0), (1.0, inf)],
            }]),
            ChartKind::Bars(vec![]),
            ChartKind::Bars(vec![BarCi {
                label: "a".into(),
                mean: nan,
                half_width: Some(nan),
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
            ChartKind::Lines(vec![Series {
                name: "one".into(),
                points: vec![(3.0, 7.0)],
            }]),
            ChartKind::Lines(vec![Series {
                name: "zeros".into(),
                points: vec![(0.0, 0.0), (0.0, 0.0)],
            }]),
            ChartKind::Lines(vec![Series {
                name: "gap".into(),
                points: vec![(0.0, 1.0), (1.0, nan), (2.0, -3.0), (3.0, 1e12)],
            }]),
            ChartKind::Lines(vec![Series {
                name: "tiny".into(),
                points: vec![(0.0, 1e-12), (1e-9, 2e-12)],
            }]),
            ChartKind::Bars(vec![BarCi {
                label: "zero".into(),
                mean: 0.0,
                half_width: Some(0.0),
            }]),
            ChartKind::Bars(vec![
                BarCi {
                    label: "negative".into(),
                    mean: -2.0,
                    half_width: Some(inf),
                },
                BarCi {
                    label: "missing".into(),
                    mean: nan,
                    half_width: None,
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
            ChartKind::Lines(vec![Series {
                name: "huge".into(),
                points: vec![(1e300, 1e300)],
            }]),
            ChartKind::Lines(vec![Series {
                name: "extreme".into(),
                points: vec![
                    (f64::MAX, -f64::MAX),
                    (-f64::MAX, f64::MAX),
                    (f64::MIN_POSITIVE, 0.0),
                ],
            }]),
            ChartKind::Bars(vec![BarCi {
                label: "max".into(),
                mean: f64::MAX,
                half_width: Some(f64::MAX),
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
                half_width: None,
            })
            .collect();
        let chart = Chart {
            title: long.clone(),
            x_label: long.clone(),
            y_label: long.clone(),
            kind: ChartKind::Bars(bars),
        };
        assert!(render_svg(&chart).unwrap().starts_with("<svg"));
        let series = (0..20)
            .map(|i| Series {
                name: format!("{long} {i}"),
                points: vec![(0.0, i as f64)],
            })
            .collect();
        let chart = Chart {
            kind: ChartKind::Lines(series),
            ..chart
        };
        assert_eq!(png_size(&render_png(&chart).unwrap()), (WIDTH, HEIGHT));
    }

    #[test]
    fn special_characters_are_escaped() {
        let chart = Chart {
            title: "a < b & c > d".into(),
            x_label: "x \"quoted\"".into(),
            y_label: "y".into(),
            kind: ChartKind::Lines(vec![Series {
                name: "<script>".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
            }]),
        };
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

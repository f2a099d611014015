//! SVG line plots (plotters, SVG backend only), written atomically.

use std::path::Path;

use anyhow::Context;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// One panel of a grid: a title and its curves as (x, y) points.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Caption above the panel.
    pub title: String,
    /// Curves drawn as lines.
    pub curves: Vec<Vec<(f64, f64)>>,
}

/// Draws `panels` in a grid of `columns` columns (each panel x in [0, x_max], y in
/// [0, 1]) and writes the SVG to `path` (temp file + rename).
pub fn curve_grid(
    path: &Path,
    title: &str,
    panels: &[Panel],
    columns: usize,
    x_label: &str,
    x_max: f64,
) -> anyhow::Result<()> {
    let columns = columns.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(columns).max(1);
    let (w, h) = (360 * columns as u32, 60 + 300 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 22))?;
        for (panel, area) in panels.iter().zip(root.split_evenly((rows, columns))) {
            let mut chart = ChartBuilder::on(&area)
                .caption(&panel.title, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(44)
                .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc("y")
                .x_labels(5)
                .y_labels(5)
                .light_line_style(WHITE)
                .draw()?;
            for (i, curve) in panel.curves.iter().enumerate() {
                let color = Palette99::pick(i).mix(0.8);
                chart.draw_series(LineSeries::new(
                    curve.iter().copied(),
                    color.stroke_width(1),
                ))?;
            }
        }
        root.present()?;
    }
    thaw_data::atomic::write_bytes(path, svg.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Ten colours that stay apart on white (matplotlib's "tab10").
const DISTINCT: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One line of a [`line_chart`]: a legend label and its (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// Y axis of a [`line_chart`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YAxis {
    /// Linear from `lo` to `hi`.
    Linear {
        /// Bottom.
        lo: f64,
        /// Top.
        hi: f64,
    },
    /// Logarithmic from `floor` to `hi`; values below `floor` are drawn at `floor`.
    Log {
        /// Bottom (> 0).
        floor: f64,
        /// Top.
        hi: f64,
    },
}

/// One chart with a line and a legend entry per series, x from 0 to `x_max`; writes the
/// SVG to `path` atomically.
pub fn line_chart(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    x_max: f64,
    y: YAxis,
    series: &[Series],
) -> anyhow::Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, 520)).into_drawing_area();
        root.fill(&WHITE)?;
        match y {
            YAxis::Linear { lo, hi } => {
                let mut chart =
                    chart_builder(&root, title).build_cartesian_2d(0.0..x_max, lo..hi)?;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_desc(y_label)
                    .light_line_style(WHITE.mix(0.0))
                    .draw()?;
                draw_lines(&mut chart, series, |v| v, SeriesLabelPosition::UpperRight)?;
            }
            YAxis::Log { floor, hi } => {
                let mut chart = chart_builder(&root, title)
                    .build_cartesian_2d(0.0..x_max, (floor..hi).log_scale())?;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_desc(y_label)
                    .y_label_formatter(&|v| format!("{v:.0e}"))
                    .light_line_style(WHITE.mix(0.0))
                    .draw()?;
                let clamp = move |v: f64| v.max(floor);
                draw_lines(&mut chart, series, clamp, SeriesLabelPosition::LowerLeft)?;
            }
        }
        root.present()?;
    }
    thaw_data::atomic::write_bytes(path, svg.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Draws one line per series (y mapped through `y`) and the legend at `legend`.
fn draw_lines<'a, 'b, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, Y>>,
    series: &[Series],
    y: impl Fn(f64) -> f64,
    legend: SeriesLabelPosition,
) -> anyhow::Result<()>
where
    Y: Ranged<ValueType = f64>,
    'b: 'a,
{
    let style = |i: usize| {
        let (r, g, b) = DISTINCT[i % DISTINCT.len()];
        RGBColor(r, g, b).stroke_width(2)
    };
    for (i, s) in series.iter().enumerate() {
        let points = s.points.iter().map(|&(px, py)| (px, y(py)));
        chart
            .draw_series(LineSeries::new(points, style(i)))?
            .label(&s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style(i)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend)
        .draw()?;
    Ok(())
}

fn chart_builder<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60);
    b
}

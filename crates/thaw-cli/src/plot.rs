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
    /// Logarithmic to `hi`; values below `floor` (zero included) are drawn at `floor`,
    /// which lies above the axis's bottom so that such a line stays in sight.
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
                    .build_cartesian_2d(0.0..x_max, (floor / 3.0..hi).log_scale())?;
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

/// A surrogate's forecast of one curve: (x, mean, lower, upper), x ascending.
pub type Forecast = Vec<(f64, f64, f64, f64)>;

/// One trial in the learning-curve panel of [`study_chart`].
#[derive(Debug, Clone)]
pub struct TrialCurve {
    /// Written at the curve's last observed point ("#12").
    pub label: String,
    /// Observed (epoch, y), epochs ascending.
    pub observed: Vec<(f64, f64)>,
    /// Failed epochs as (epoch, y): marked with a cross.
    pub failed: Vec<(f64, f64)>,
    /// A surrogate's forecast: drawn as a dashed mean.
    pub forecast: Forecast,
    /// Whether the forecast's band (lower to upper) is shaded.
    pub band: bool,
}

/// The learning-curve panel of [`study_chart`]: y in [0, 1], x in [0, `x_max`].
#[derive(Debug, Clone)]
pub struct CurvesPanel {
    /// Caption.
    pub title: String,
    /// What the y axis shows.
    pub y_label: String,
    /// Last epoch.
    pub x_max: f64,
    /// The trials drawn.
    pub trials: Vec<TrialCurve>,
    /// Legend entry of the forecasts' mean and of their band (unused without forecasts).
    pub forecast_labels: (String, String),
    /// Lines of text written in the panel's top-left corner.
    pub notes: Vec<String>,
}

/// The incumbent panel of [`study_chart`]: a step line in the metric's own units.
#[derive(Debug, Clone)]
pub struct StepPanel {
    /// Caption.
    pub title: String,
    /// What the x and y axes show.
    pub labels: (String, String),
    /// Right end of the x axis.
    pub x_max: f64,
    /// The step line's corners.
    pub steps: Vec<(f64, f64)>,
    /// Points where it improved (marked with a dot).
    pub marks: Vec<(f64, f64)>,
    /// Lines of text written in the panel's top-right corner.
    pub notes: Vec<String>,
}

fn tab10(i: usize) -> RGBColor {
    let (r, g, b) = DISTINCT[i % DISTINCT.len()];
    RGBColor(r, g, b)
}

/// A study on one SVG: learning curves with forecast bands on the left, the incumbent
/// over epochs spent on the right; written to `path` atomically.
pub fn study_chart(
    path: &Path,
    title: &str,
    curves: &CurvesPanel,
    steps: &StepPanel,
) -> anyhow::Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1500, 620)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 20))?;
        let (left, right) = root.split_horizontally(860);
        draw_curves(&left, curves)?;
        draw_steps(&right, steps)?;
        root.present()?;
    }
    thaw_data::atomic::write_bytes(path, svg.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

/// The y range of the curves panel: what the trials and their forecasts span, with a
/// margin, on a 0.05 grid, within [0, 1] (a study whose curves all lie in 0.1–0.3 uses
/// the height of the panel, not a tenth of it).
pub fn y_range(trials: &[TrialCurve]) -> (f64, f64) {
    let mut ys = trials.iter().flat_map(|t| {
        let band = t.band;
        t.observed.iter().map(|p| p.1).chain(
            t.forecast
                .iter()
                .flat_map(move |&(_, m, lo, hi)| if band { vec![m, lo, hi] } else { vec![m] }),
        )
    });
    let Some(first) = ys.next() else {
        return (0.0, 1.0);
    };
    let (lo, hi) = ys.fold((first, first), |(a, b), y| (a.min(y), b.max(y)));
    let margin = ((hi - lo) * 0.08).max(0.02);
    let lo = ((lo - margin) / 0.05).floor() * 0.05;
    let hi = ((hi + margin) / 0.05).ceil() * 0.05;
    (lo.max(0.0), hi.min(1.0).max(lo.max(0.0) + 0.05))
}

/// Label heights that keep labels at least `gap` apart, each as near its curve's end as
/// that allows (labels sorted by height, pushed up from the lowest, then the stack
/// shifted down where it passes `top`).
pub fn spread_labels(ys: &[f64], gap: f64, top: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by(|&a, &b| ys[a].total_cmp(&ys[b]).then(a.cmp(&b)));
    let mut placed = ys.to_vec();
    let mut last = f64::NEG_INFINITY;
    for &i in &order {
        placed[i] = ys[i].max(last + gap);
        last = placed[i];
    }
    if let Some(&highest) = order.last() {
        let over = placed[highest] - top;
        if over > 0.0 {
            for p in &mut placed {
                *p -= over;
            }
        }
    }
    placed
}

fn draw_curves(area: &Area<'_>, p: &CurvesPanel) -> anyhow::Result<()> {
    let x_max = if p.x_max > 0.0 { p.x_max } else { 1.0 };
    let (y_lo, y_hi) = y_range(&p.trials);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max * 1.06, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(&p.y_label)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Bands first, so every line stays visible above them.
    for (i, t) in p.trials.iter().enumerate() {
        if t.band && t.forecast.len() >= 2 {
            let mut ring: Vec<(f64, f64)> =
                t.forecast.iter().map(|&(x, _, _, hi)| (x, hi)).collect();
            ring.extend(t.forecast.iter().rev().map(|&(x, _, lo, _)| (x, lo)));
            chart.draw_series(std::iter::once(Polygon::new(
                ring.clone(),
                tab10(i).mix(0.10).filled(),
            )))?;
            // An outline in the trial's colour tells overlapping bands apart.
            ring.push(ring[0]);
            chart.draw_series(std::iter::once(PathElement::new(
                ring,
                tab10(i).mix(0.45).stroke_width(1),
            )))?;
        }
    }
    for (i, t) in p.trials.iter().enumerate() {
        let c = tab10(i);
        chart.draw_series(LineSeries::new(
            t.observed.iter().copied(),
            c.stroke_width(2),
        ))?;
        if t.forecast.len() >= 2 {
            chart.draw_series(DashedLineSeries::new(
                t.forecast.iter().map(|&(x, m, _, _)| (x, m)),
                6,
                4,
                c.stroke_width(2),
            ))?;
        }
        chart.draw_series(
            t.failed
                .iter()
                .map(|&pt| Cross::new(pt, 5, RGBColor(200, 0, 0).stroke_width(2))),
        )?;
    }
    // One label per trial at the end of its line (forecast or observed), spread so that
    // none covers another.
    let ends: Vec<(usize, f64, f64)> = p
        .trials
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let end = t
                .forecast
                .last()
                .map(|&(x, m, _, _)| (x, m))
                .or_else(|| t.observed.last().copied())?;
            Some((i, end.0, end.1))
        })
        .collect();
    let heights: Vec<f64> = ends.iter().map(|e| e.2).collect();
    let placed = spread_labels(&heights, (y_hi - y_lo) * 0.035, y_hi);
    for (&(i, x, _), y) in ends.iter().zip(placed) {
        let style = ("sans-serif", 11).into_font().color(&tab10(i));
        let label = p.trials[i].label.clone();
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x + x_max * 0.005, y),
            style,
        )))?;
    }
    let grey = RGBColor(90, 90, 90);
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("observed (one colour per trial, #number at its line's end)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey.stroke_width(2)));
    if p.trials.iter().any(|t| !t.failed.is_empty()) {
        chart
            .draw_series(std::iter::empty::<Cross<(f64, f64), i32>>())?
            .label("failed epoch (the worst value, y = 0)")
            .legend(|(x, y)| Cross::new((x + 9, y), 5, RGBColor(200, 0, 0).stroke_width(2)));
    }
    if p.trials.iter().any(|t| t.forecast.len() >= 2) {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label(&p.forecast_labels.0)
            .legend(move |(x, y)| {
                plotters::element::DashedPathElement::new(
                    vec![(x, y), (x + 18, y)],
                    4,
                    3,
                    grey.stroke_width(2),
                )
            });
    }
    if p.trials.iter().any(|t| t.band && t.forecast.len() >= 2) {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label(&p.forecast_labels.1)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 18, y + 5)], grey.mix(0.3).filled())
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    draw_notes(area, &p.notes, (70, 40))
}

fn draw_steps(area: &Area<'_>, p: &StepPanel) -> anyhow::Result<()> {
    let x_max = if p.x_max > 0.0 { p.x_max } else { 1.0 };
    let (lo, hi) = value_range(p.steps.iter().map(|s| s.1));
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc(&p.labels.0)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(&p.labels.1)
        .y_label_formatter(&|v| format!("{v:.4}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let c = tab10(0);
    chart.draw_series(LineSeries::new(p.steps.iter().copied(), c.stroke_width(2)))?;
    chart.draw_series(p.marks.iter().map(|&pt| Circle::new(pt, 3, c.filled())))?;
    // Notes at the right, away from the line's end (low for a line that ends high).
    let (w, h) = area.dim_in_pixel();
    let widest = p.notes.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let x = (w as i32 - 24 - (widest as f64 * 6.2) as i32).max(80);
    let ends_high = p.steps.last().is_some_and(|s| s.1 > 0.5 * (lo + hi));
    let y = if ends_high {
        h as i32 - 70 - 16 * p.notes.len() as i32
    } else {
        40
    };
    draw_notes(area, &p.notes, (x, y))
}

/// The y range of a step line: its values with 5 % room (a flat line gets ± 5 % of its
/// value, or ± 0.5 at 0; no value at all gives [0, 1]).
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !(lo <= hi) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else if lo != 0.0 {
        0.05 * lo.abs()
    } else {
        0.5
    };
    (lo - pad, hi + pad)
}

/// Writes `notes` one per line from pixel `at` of `area`.
fn draw_notes(area: &Area<'_>, notes: &[String], at: (i32, i32)) -> anyhow::Result<()> {
    let style = ("sans-serif", 12).into_font().color(&RGBColor(60, 60, 60));
    for (i, n) in notes.iter().enumerate() {
        area.draw(&Text::new(
            n.clone(),
            (at.0, at.1 + 16 * i as i32),
            style.clone(),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    fn curve(observed: &[f64], forecast: &[(f64, f64, f64)], band: bool) -> TrialCurve {
        TrialCurve {
            label: "#0".into(),
            observed: observed
                .iter()
                .enumerate()
                .map(|(e, &y)| ((e + 1) as f64, y))
                .collect(),
            failed: Vec::new(),
            forecast: forecast
                .iter()
                .enumerate()
                .map(|(e, &(m, lo, hi))| ((e + 10) as f64, m, lo, hi))
                .collect(),
            band,
        }
    }

    #[test]
    fn the_y_range_fits_the_curves_and_their_bands() {
        // Curves in 0.15..0.3: the axis spans about that, not 0..1.
        let (lo, hi) = y_range(&[curve(&[0.15, 0.2, 0.3], &[], false)]);
        assert!(
            (0.05..=0.15).contains(&lo) && (0.3..=0.4).contains(&hi),
            "{lo}..{hi}"
        );
        // A banded forecast widens it; an unbanded one counts its mean only.
        let (lo, hi) = y_range(&[curve(&[0.2], &[(0.25, 0.1, 0.6)], true)]);
        assert!(lo <= 0.1 && hi >= 0.6, "{lo}..{hi}");
        let (_, hi) = y_range(&[curve(&[0.2], &[(0.25, 0.1, 0.6)], false)]);
        assert!(hi < 0.6, "{hi}");
        // Always inside [0, 1], never empty.
        let (lo, hi) = y_range(&[curve(&[0.0, 1.0], &[], false)]);
        assert_eq!((lo, hi), (0.0, 1.0));
        let (lo, hi) = y_range(&[curve(&[0.5, 0.5], &[], false)]);
        assert!(lo < 0.5 && hi > 0.5);
        assert_eq!(y_range(&[]), (0.0, 1.0));
    }

    #[test]
    fn labels_are_spread_apart_and_stay_below_the_top() {
        let ys = [0.50, 0.50, 0.51, 0.90, 0.20];
        let placed = spread_labels(&ys, 0.03, 1.0);
        let mut sorted = placed.clone();
        sorted.sort_by(f64::total_cmp);
        for w in sorted.windows(2) {
            assert!(w[1] - w[0] >= 0.03 - 1e-12, "{placed:?}");
        }
        assert_eq!(placed[4], 0.20, "an isolated label stays at its curve");
        assert_eq!(placed[3], 0.90);
        // A stack that would pass the top is shifted down.
        let placed = spread_labels(&[0.99, 0.99, 0.99], 0.05, 1.0);
        assert!(placed.iter().all(|&y| y <= 1.0), "{placed:?}");
    }
}

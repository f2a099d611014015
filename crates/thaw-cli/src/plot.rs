//! SVG line plots (plotters, SVG backend only), written atomically.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
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
    thaw_data::atomic::write_atomically(path, |f| {
        f.write_all(svg.as_bytes())
            .map_err(|e| thaw_data::DataError::io(path, e))
    })
    .with_context(|| format!("writing {}", path.display()))
}

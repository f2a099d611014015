//! Tables of the learning-curve benchmark: medians over tasks in the layout of the
//! paper's Table 1 (with its numbers beside ours) and the CSV of every score.

use std::collections::BTreeMap;
use std::fmt::Write;

use thaw_data::CsvTable;

use crate::lc::LcRecord;
use crate::paper::paper_cell;
use crate::score::{Score, median};

/// Median over tasks of the per-task mean over draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Log-likelihood (density).
    pub ll: f64,
    /// MSE.
    pub mse: f64,
    /// Seconds per draw (fit + predict).
    pub seconds: f64,
    /// Tasks aggregated.
    pub tasks: usize,
}

/// Method names in first-seen order.
pub fn methods(records: &[LcRecord]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in records {
        if !out.contains(&r.method) {
            out.push(r.method.clone());
        }
    }
    out
}

/// Context sizes, ascending.
pub fn contexts(records: &[LcRecord]) -> Vec<usize> {
    let mut c: Vec<usize> = records.iter().map(|r| r.context).collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// The aggregated cell of `method` at `context`.
pub fn cell(records: &[LcRecord], method: &str, context: usize) -> Option<Cell> {
    let mut per_task: BTreeMap<&str, Vec<&LcRecord>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.method == method && r.context == context)
    {
        per_task.entry(&r.task).or_default().push(r);
    }
    let mean = |rs: &[&LcRecord], f: &dyn Fn(&LcRecord) -> f64| {
        rs.iter().map(|r| f(r)).sum::<f64>() / rs.len() as f64
    };
    let collect = |f: &dyn Fn(&LcRecord) -> f64| -> Vec<f64> {
        per_task.values().map(|rs| mean(rs, f)).collect()
    };
    Some(Cell {
        ll: median(&collect(&|r| r.ll))?,
        mse: median(&collect(&|r| r.mse))?,
        seconds: median(&collect(&|r| r.fit_s + r.predict_s))?,
        tasks: per_task.len(),
    })
}

/// Median over tasks of the per-task mean over draws of `f` (draws where `f` is `None`
/// are left out; a task with none is left out).
pub fn aggregate(
    records: &[LcRecord],
    method: &str,
    context: usize,
    f: &dyn Fn(&LcRecord) -> Option<f64>,
) -> Option<f64> {
    let mut per_task: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.method == method && r.context == context)
    {
        if let Some(v) = f(r) {
            per_task.entry(&r.task).or_default().push(v);
        }
    }
    let means: Vec<f64> = per_task
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    median(&means)
}

/// The table of started and unstarted configurations: per method and context,
/// `LL / MSE / ρ` (ρ: Spearman of predicted means and true final values) over the
/// configurations with ≥ 1 observed epoch, then over the rest.
pub fn markdown_parts(records: &[LcRecord]) -> String {
    let ctx = contexts(records);
    let mut s = String::from("| Method | part |");
    for c in &ctx {
        let _ = write!(s, " context {c} |");
    }
    let _ = writeln!(s, "\n|---|---|{}", "---|".repeat(ctx.len()));
    for m in methods(records) {
        for (label, part) in [
            (
                "started",
                &(|r: &LcRecord| r.started) as &dyn Fn(&LcRecord) -> Option<Score>,
            ),
            ("unstarted", &|r: &LcRecord| r.unstarted),
        ] {
            let _ = write!(s, "| {m} | {label} |");
            for &c in &ctx {
                let ll = aggregate(records, &m, c, &|r| part(r).map(|x| x.ll));
                let mse = aggregate(records, &m, c, &|r| part(r).map(|x| x.mse));
                let rho = aggregate(records, &m, c, &|r| part(r).and_then(|x| x.rho));
                let rho = rho.map_or("—".into(), |v| format!("{v:.2}"));
                let cell = match (ll, mse) {
                    (Some(l), Some(e)) => format!("{l:.3} / {e:.5} / {rho}"),
                    _ => "—".into(),
                };
                let _ = write!(s, " {cell} |");
            }
            s.push('\n');
        }
    }
    s
}

/// The id gain of every row that has an ids-zeroed twin (`eval-lc --id-gain`): per
/// task, context and draw, the started configurations' LL of the row minus its twin's
/// (the same draw; positive: the model uses a curve's own points), and the same for ρ;
/// cells are medians over tasks of means over draws. `None` when no row has a twin.
pub fn markdown_id_gain(records: &[LcRecord]) -> Option<String> {
    let ctx = contexts(records);
    let names = methods(records);
    let mut s = header("id gain (started)", &ctx);
    let mut any = false;
    for m in &names {
        let twin = crate::method::Method::ids_zeroed_name(m);
        if !names.contains(&twin) {
            continue;
        }
        any = true;
        let zeroed: BTreeMap<(&str, usize, usize), &LcRecord> = records
            .iter()
            .filter(|r| r.method == twin)
            .map(|r| ((r.task.as_str(), r.context, r.draw), r))
            .collect();
        let gain = |r: &LcRecord, f: fn(&Score) -> Option<f64>| {
            let z = zeroed.get(&(r.task.as_str(), r.context, r.draw))?;
            Some(f(r.started.as_ref()?)? - f(z.started.as_ref()?)?)
        };
        let ll = |r: &LcRecord| gain(r, |x| Some(x.ll));
        let rho = |r: &LcRecord| gain(r, |x| x.rho);
        let _ = write!(s, "| {m} | ΔLL / Δρ |");
        for &c in &ctx {
            let cell = match (
                aggregate(records, m, c, &ll),
                aggregate(records, m, c, &rho),
            ) {
                (Some(l), Some(r)) => format!("{l:+.3} / {r:+.2}"),
                (Some(l), None) => format!("{l:+.3} / —"),
                _ => "—".into(),
            };
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
    }
    any.then_some(s)
}

/// `| Method | second | context c … |` and its separator line.
fn header(second: &str, ctx: &[usize]) -> String {
    let mut s = format!("| Method | {second} |");
    for c in ctx {
        let _ = write!(s, " context {c} |");
    }
    let _ = write!(s, "\n|---|---|{}\n", "---|".repeat(ctx.len()));
    s
}

fn fmt_cell(ll: f64, mse: f64, seconds: Option<f64>) -> String {
    let t = seconds.map_or("n/a".into(), |s| format!("{s:.3}"));
    format!("{ll:.3} / {mse:.5} / {t}")
}

/// The Markdown table: one row per method (ours), each followed by the paper's row
/// where it has one. Cells: LL / MSE / seconds.
pub fn markdown(records: &[LcRecord]) -> String {
    let ctx = contexts(records);
    let mut s = header("source", &ctx);
    for m in methods(records) {
        let flagged = records.iter().any(|r| r.method == m && r.trained_on_task);
        let label = if flagged {
            format!("{m} †")
        } else {
            m.clone()
        };
        let _ = write!(s, "| {label} | thaw |");
        for &c in &ctx {
            let cell = cell(records, &m, c)
                .map_or("—".into(), |x| fmt_cell(x.ll, x.mse, Some(x.seconds)));
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
        if ctx.iter().any(|&c| paper_cell(&m, c).is_some()) {
            let _ = write!(s, "| {m} | paper |");
            for &c in &ctx {
                let cell = paper_cell(&m, c).map_or("—".into(), |(l, e, t)| fmt_cell(l, e, t));
                let _ = write!(s, " {cell} |");
            }
            s.push('\n');
        }
    }
    if records.iter().any(|r| r.trained_on_task) {
        s.push_str("\n† scored on tasks its checkpoint was trained on (--allow-train-tasks): not a held-out result.\n");
    }
    s
}

/// Median time of each method relative to `reference` per context (e.g. DPL / FT-PFN).
pub fn time_ratios(records: &[LcRecord], reference: &str) -> String {
    let ctx = contexts(records);
    let mut s = header(&format!("time ÷ {reference}"), &ctx);
    for m in methods(records).into_iter().filter(|m| m != reference) {
        let _ = write!(s, "| {m} | |");
        for &c in &ctx {
            let r = match (cell(records, &m, c), cell(records, reference, c)) {
                (Some(a), Some(b)) if b.seconds > 0.0 => format!("{:.1}×", a.seconds / b.seconds),
                _ => "—".into(),
            };
            let _ = write!(s, " {r} |");
        }
        s.push('\n');
    }
    s
}

/// Every record as CSV (header first).
pub fn csv(records: &[LcRecord]) -> CsvTable {
    let mut t = CsvTable::new([
        "method",
        "task",
        "context",
        "draw",
        "ll",
        "mse",
        "fit_s",
        "predict_s",
        "queries",
        "observed_configs",
        "trained_on_task",
        "ll_started",
        "mse_started",
        "ll_unstarted",
        "mse_unstarted",
        "rho_started",
        "rho_unstarted",
    ]);
    let rho = |s: Option<Score>| {
        s.and_then(|x| x.rho)
            .map_or(String::new(), |v| v.to_string())
    };
    let part =
        |s: Option<Score>, f: fn(Score) -> f64| s.map_or(String::new(), |x| f(x).to_string());
    for r in records {
        t.row([
            r.method.clone(),
            r.task.clone(),
            r.context.to_string(),
            r.draw.to_string(),
            r.ll.to_string(),
            r.mse.to_string(),
            format!("{:.6}", r.fit_s),
            format!("{:.6}", r.predict_s),
            r.queries.to_string(),
            r.observed_configs.to_string(),
            r.trained_on_task.to_string(),
            part(r.started, |x| x.ll),
            part(r.started, |x| x.mse),
            part(r.unstarted, |x| x.ll),
            part(r.unstarted, |x| x.mse),
            rho(r.started),
            rho(r.unstarted),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(method: &str, task: &str, context: usize, draw: usize, ll: f64) -> LcRecord {
        LcRecord {
            method: method.into(),
            task: task.into(),
            context,
            draw,
            ll,
            mse: 0.001,
            started: Some(Score {
                ll,
                mse: 0.002,
                rho: Some(0.5),
            }),
            unstarted: (draw == 0).then_some(Score {
                ll: -ll,
                mse: 0.003,
                rho: None,
            }),
            fit_s: 1.0,
            predict_s: 0.5,
            queries: 10,
            observed_configs: 3,
            trained_on_task: false,
        }
    }

    #[test]
    fn the_id_gain_pairs_each_draw_with_its_ids_zeroed_twin() {
        let with = |m: &str, task: &str, draw: usize, ll: f64| {
            let mut r = rec(m, task, 400, draw, 0.0);
            r.started = Some(Score {
                ll,
                mse: 0.0,
                rho: Some(ll / 10.0),
            });
            r
        };
        let z = "PFN (ids zeroed)";
        let records = vec![
            with("PFN", "a", 0, 2.0),
            with("PFN", "a", 1, 3.0),
            with(z, "a", 1, 1.0),
            with(z, "a", 0, 1.5),
            with("PFN", "b", 0, 1.0),
            with(z, "b", 0, 2.0),
            with("Other", "a", 0, 9.0),
        ];
        // Task a: mean of (2 − 1.5, 3 − 1) = 1.25; task b: −1; median 0.125.
        let md = markdown_id_gain(&records).unwrap();
        assert!(md.contains("| PFN | ΔLL / Δρ | +0.125 / +0.01 |"), "{md}");
        assert!(!md.contains("Other"), "{md}");
        assert!(markdown_id_gain(&records[..2]).is_none());
    }

    #[test]
    fn cells_are_medians_over_tasks_of_means_over_draws() {
        let r = vec![
            rec("DPL", "a", 400, 0, 1.0),
            rec("DPL", "a", 400, 1, 3.0), // task a: 2
            rec("DPL", "b", 400, 0, 10.0),
            rec("DPL", "c", 400, 0, -4.0),
        ];
        let c = cell(&r, "DPL", 400).unwrap();
        assert_eq!((c.ll, c.tasks), (2.0, 3));
        assert_eq!(c.seconds, 1.5);
        let md = markdown(&r);
        assert!(
            md.contains("| DPL | thaw | 2.000 / 0.00100 / 1.500 |"),
            "{md}"
        );
        assert!(
            md.contains("| DPL | paper | -29.752 / 0.00191 / 17.790 |"),
            "{md}"
        );
        assert_eq!(csv(&r).into_string().lines().count(), 5);
        // Started: like the overall LL; unstarted: −LL of draw 0 only (task a: −1).
        assert_eq!(
            aggregate(&r, "DPL", 400, &|x| x.started.map(|s| s.ll)),
            Some(2.0)
        );
        assert_eq!(
            aggregate(&r, "DPL", 400, &|x| x.unstarted.map(|s| s.ll)),
            Some(-1.0)
        );
        let parts = markdown_parts(&r);
        assert!(
            parts.contains("| DPL | started | 2.000 / 0.00200 / 0.50 |"),
            "{parts}"
        );
        assert!(
            parts.contains("| DPL | unstarted | -1.000 / 0.00300 / — |"),
            "{parts}"
        );
    }
}

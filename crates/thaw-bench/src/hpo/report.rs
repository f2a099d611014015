//! Tables of the HPO benchmark: mean normalised regret and average rank by method over
//! epochs (CSV), per-run results (CSV), and a Markdown summary at chosen epochs with
//! the paper's values beside ours.

use std::fmt::Write;

use super::metrics::{RunCurve, mean_by_method, normalised_regret, ranks};
use super::runner::RunRecord;
use crate::paper::paper_hpo;
use thaw_data::CsvTable;

/// Mean regret and rank of every method at epochs 1 ..= budget.
#[derive(Debug, Clone, PartialEq)]
pub struct HpoSummary {
    /// Budget in epochs.
    pub budget: usize,
    /// Method names, in the order of the records.
    pub methods: Vec<String>,
    /// Mean normalised regret over tasks and seeds, per method, at epochs 1 ..= budget.
    pub regret: Vec<Vec<f64>>,
    /// Average rank over tasks and seeds, per method, at epochs 1 ..= budget.
    pub rank: Vec<Vec<f64>>,
    /// Per-run regret at epochs 1 ..= budget, in record order.
    pub run_regret: Vec<Vec<f64>>,
    /// Per-run rank at epochs 1 ..= budget, in record order.
    pub run_rank: Vec<Vec<f64>>,
}

/// Regret and ranks of `records` (reference §6 definitions, see [`super::metrics`]).
pub fn summarise(records: &[RunRecord], budget: usize) -> HpoSummary {
    let runs: Vec<RunCurve> = records
        .iter()
        .map(|r| RunCurve {
            method: r.method.clone(),
            task: r.task.clone(),
            seed: r.seed,
            incumbent: r.incumbent.clone(),
        })
        .collect();
    let run_regret = normalised_regret(&runs, budget);
    let run_rank = ranks(&runs, budget);
    let regret = mean_by_method(&runs, &run_regret);
    let rank = mean_by_method(&runs, &run_rank);
    HpoSummary {
        budget,
        methods: regret.iter().map(|(m, _)| m.clone()).collect(),
        regret: regret.into_iter().map(|(_, v)| v).collect(),
        rank: rank.into_iter().map(|(_, v)| v).collect(),
        run_regret,
        run_rank,
    }
}

/// The epochs a summary table shows: 100, 250, 500, 1000 up to the budget, and the budget.
pub fn table_epochs(budget: usize) -> Vec<usize> {
    let mut e: Vec<usize> = [100, 250, 500, 1000]
        .into_iter()
        .filter(|&e| e < budget)
        .collect();
    e.push(budget.max(1));
    e
}

/// `method,epoch,regret,rank` for every method and epoch.
pub fn curves_csv(s: &HpoSummary) -> CsvTable {
    let mut out = CsvTable::new(["method", "epoch", "regret", "rank"]);
    for (m, name) in s.methods.iter().enumerate() {
        for t in 0..s.budget {
            out.row([
                name.clone(),
                (t + 1).to_string(),
                s.regret[m][t].to_string(),
                s.rank[m][t].to_string(),
            ]);
        }
    }
    out
}

/// One row per run: final regret and rank, overhead and wall time.
pub fn runs_csv(records: &[RunRecord], s: &HpoSummary) -> CsvTable {
    let mut out = CsvTable::new([
        "method",
        "task",
        "seed",
        "budget",
        "final_incumbent",
        "regret",
        "rank",
        "configs_started",
        "decision_ms_mean",
        "decision_ms_max",
        "wall_s",
        "trained_on_task",
    ]);
    let last = s.budget.saturating_sub(1);
    for (i, r) in records.iter().enumerate() {
        out.row([
            r.method.clone(),
            r.task.clone(),
            r.seed.to_string(),
            r.budget.to_string(),
            r.incumbent.last().copied().unwrap_or(f64::NAN).to_string(),
            s.run_regret[i]
                .get(last)
                .copied()
                .unwrap_or(f64::NAN)
                .to_string(),
            s.run_rank[i]
                .get(last)
                .copied()
                .unwrap_or(f64::NAN)
                .to_string(),
            r.configs_started.to_string(),
            format!("{:.3}", r.decision_s_mean * 1e3),
            format!("{:.3}", r.decision_s_max * 1e3),
            format!("{:.3}", r.wall_s),
            r.trained_on_task.to_string(),
        ]);
    }
    out
}

/// A regret in a readable width: three decimals down to 0.01, then scientific.
pub fn fmt_regret(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    }
}

/// Milliseconds: one decimal from 1 ms, two significant digits below.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// The Markdown summary: mean regret and average rank at [`table_epochs`], the
/// paper's values at 1000 epochs beside them, and each method's overhead.
pub fn markdown(records: &[RunRecord], s: &HpoSummary) -> String {
    let epochs = table_epochs(s.budget);
    let mut out = String::new();
    let mut tasks: Vec<&str> = records.iter().map(|r| r.task.as_str()).collect();
    tasks.sort_unstable();
    tasks.dedup();
    let mut seeds: Vec<u64> = records.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let _ = writeln!(
        out,
        "{} methods × {} tasks × {} seeds, budget {} epochs. Regret: mean normalised regret over tasks and seeds; rank: average rank among these {} methods (1 = best). Paper: Adam-PFN paper at 1000 epochs, TaskSet-8P, 12 tasks, 10 methods (read off its figure).\n",
        s.methods.len(),
        tasks.len(),
        seeds.len(),
        s.budget,
        s.methods.len()
    );
    let mut head = String::from("| Method |");
    for e in &epochs {
        let _ = write!(head, " regret @{e} |");
    }
    head.push_str(" paper regret @1000 |");
    for e in &epochs {
        let _ = write!(head, " rank @{e} |");
    }
    head.push_str(" paper rank @1000 | ms / decision |");
    let cols = 2 * epochs.len() + 3;
    let _ = writeln!(out, "{head}\n|---|{}", "---|".repeat(cols));
    for (m, name) in s.methods.iter().enumerate() {
        let mine: Vec<&RunRecord> = records.iter().filter(|r| &r.method == name).collect();
        let dagger = if mine.iter().any(|r| r.trained_on_task) {
            " †"
        } else {
            ""
        };
        let mut row = format!("| {name}{dagger} |");
        for &e in &epochs {
            let _ = write!(row, " {} |", fmt_regret(s.regret[m][e - 1]));
        }
        let paper = paper_hpo(name);
        let _ = write!(
            row,
            " {} |",
            paper.map_or("—".into(), |(r, _)| fmt_regret(r))
        );
        for &e in &epochs {
            let _ = write!(row, " {:.2} |", s.rank[m][e - 1]);
        }
        let ms = mine.iter().map(|r| r.decision_s_mean).sum::<f64>() / mine.len().max(1) as f64;
        let _ = write!(
            row,
            " {} | {} |",
            paper.map_or("—".into(), |(_, k)| format!("{k:.1}")),
            fmt_ms(ms * 1e3)
        );
        let _ = writeln!(out, "{row}");
    }
    if records.iter().any(|r| r.trained_on_task) {
        out.push_str("\n† ifBO ran on tasks its checkpoint was trained on (--allow-train-tasks): not a held-out result.\n");
    }
    out.push_str(&per_task(records, s, &tasks));
    out
}

/// Final regret of every method on every task, mean over seeds (tasks as T1, T2, …).
fn per_task(records: &[RunRecord], s: &HpoSummary, tasks: &[&str]) -> String {
    let last = s.budget - 1;
    let mut out = format!(
        "\nRegret at {} epochs by task (mean over seeds):\n\n| Method |",
        s.budget
    );
    for t in 1..=tasks.len() {
        let _ = write!(out, " T{t} |");
    }
    let _ = writeln!(out, "\n|---|{}", "---|".repeat(tasks.len()));
    for name in &s.methods {
        let _ = write!(out, "| {name} |");
        for task in tasks {
            let v: Vec<f64> = records
                .iter()
                .zip(&s.run_regret)
                .filter(|(r, _)| &r.method == name && r.task == *task)
                .map(|(_, g)| g[last])
                .collect();
            let cell = if v.is_empty() {
                "—".to_string()
            } else {
                fmt_regret(v.iter().sum::<f64>() / v.len() as f64)
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, t) in tasks.iter().enumerate() {
        let _ = writeln!(out, "T{}: {t}  ", i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(method: &str, task: &str, seed: u64, inc: &[f64]) -> RunRecord {
        RunRecord {
            method: method.into(),
            spec: method.into(),
            task: task.into(),
            seed,
            budget: inc.len(),
            incumbent: inc.to_vec(),
            configs_started: 1,
            decision_s_mean: 0.002,
            decision_s_max: 0.004,
            wall_s: 1.0,
            trained_on_task: false,
        }
    }

    #[test]
    fn table_epochs_stop_at_the_budget() {
        assert_eq!(table_epochs(1000), vec![100, 250, 500, 1000]);
        assert_eq!(table_epochs(300), vec![100, 250, 300]);
        assert_eq!(table_epochs(50), vec![50]);
    }

    #[test]
    fn summary_csv_and_markdown_by_hand() {
        // Task a: losses HyperBand 0.5, 0.5; DPL 0.9, 0.3 → L = 0.3, U = 0.9.
        let records = vec![
            record("HyperBand", "a", 0, &[0.5, 0.5]),
            record("DPL", "a", 0, &[0.1, 0.7]),
        ];
        let s = summarise(&records, 2);
        assert_eq!(s.methods, vec!["HyperBand", "DPL"]);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(s.regret[0][1], 0.2 / 0.6) && close(s.regret[1][1], 0.0));
        assert_eq!(s.rank[0], vec![1.0, 2.0]);
        let csv = curves_csv(&s).into_string();
        assert_eq!(csv.lines().count(), 1 + 2 * 2);
        assert!(csv.contains("DPL,2,0,1\n"), "{csv}");
        let runs = runs_csv(&records, &s).into_string();
        assert!(
            runs.lines()
                .nth(2)
                .unwrap()
                .starts_with("DPL,a,0,2,0.7,0,1,")
        );
        let md = markdown(&records, &s);
        assert!(md.contains("| regret @2 |"), "{md}");
        // HyperBand's row: regret at the budget, the paper's 0.25 and rank 7.0.
        assert!(
            md.contains("| HyperBand | 0.333 | 0.250 | 2.00 | 7.0 | 2.0 |"),
            "{md}"
        );
    }

    #[test]
    fn regret_formatting() {
        assert_eq!(fmt_regret(0.0), "0");
        assert_eq!(fmt_regret(0.25), "0.250");
        assert_eq!(fmt_regret(0.0012), "1.2e-3");
    }
}

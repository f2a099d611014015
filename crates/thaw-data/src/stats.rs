//! Statistics of a group of tasks (a benchmark file, a generated corpus), made to be set
//! side by side: how many configurations learn or diverge, where final values lie, how
//! rough the curves are, and whether configurations rank alike across tasks and by
//! which hyperparameters. What `thaw data stats` prints.

use crate::normalise::median;
use crate::ranking::spearman;
use crate::task::Task;

/// A configuration whose y never reaches this (on the normalised scale: its loss never
/// falls 1 % below the task's median initial loss) does not learn.
pub const LEARNS_ABOVE: f32 = 0.01;

/// A fall of y by more than this between two epochs counts as a drop.
pub const DROP: f32 = 0.01;

/// The statistics of one group of tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// Tasks in the group.
    pub tasks: usize,
    /// Configurations, all tasks together.
    pub configs: usize,
    /// Share of configurations that never learn (best y below [`LEARNS_ABOVE`]).
    pub non_learning: f64,
    /// Share of configurations whose raw curve holds NaN or infinite values.
    pub nan: f64,
    /// Share of configurations whose finite raw curve blew up (normalisation's count).
    pub diverged: f64,
    /// Quantiles 10, 25, 50, 75, 90 % of the final y over every configuration.
    pub final_quantiles: [f64; 5],
    /// Median over tasks of the task's best final y.
    pub best_final: f64,
    /// Median over the learning curves of the mean |second difference| of y.
    pub roughness: f64,
    /// Share of a learning curve's epoch-to-epoch steps where y falls by more than
    /// [`DROP`], over every learning curve.
    pub drops: f64,
    /// Mean Spearman ρ of the final y between every pair of tasks with the same
    /// configurations (configuration i of one task is configuration i of the other);
    /// `None` with fewer than 2 such tasks.
    pub rank_correlation: Option<f64>,
    /// Per hyperparameter (name, mean over tasks of Spearman ρ of the final y with the
    /// encoded hyperparameter).
    pub hp_correlation: Vec<(String, f64)>,
}

impl GroupStats {
    /// The statistics of `tasks` (`None` for no tasks).
    pub fn of(tasks: &[Task]) -> Option<Self> {
        let first = tasks.first()?;
        // Each task's final y, once: the quantiles, correlations and bests all use it.
        let per_task: Vec<Vec<f64>> = tasks
            .iter()
            .map(|t| t.curves.final_y().iter().map(|&v| f64::from(v)).collect())
            .collect();
        let mut finals = Vec::new();
        let mut bests = Vec::new();
        let (mut configs, mut non_learning, mut nan, mut diverged) = (0, 0, 0, 0);
        let (mut rough, mut steps, mut drops) = (Vec::new(), 0usize, 0usize);
        for (task, task_finals) in tasks.iter().zip(&per_task) {
            let c = &task.curves;
            configs += c.configs;
            nan += task.report.nonfinite_curves;
            diverged += task.report.diverged_curves;
            bests.push(
                task_finals
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max),
            );
            finals.extend_from_slice(task_finals);
            for k in 0..c.configs {
                let y = c.curve(k);
                if y.iter().all(|&v| v < LEARNS_ABOVE) {
                    non_learning += 1;
                    continue;
                }
                if y.len() >= 3 {
                    let second: f64 = y
                        .windows(3)
                        .map(|w| f64::from((w[2] - 2.0 * w[1] + w[0]).abs()))
                        .sum();
                    rough.push(second / (y.len() - 2) as f64);
                }
                steps += y.len().saturating_sub(1);
                drops += y.windows(2).filter(|w| w[1] < w[0] - DROP).count();
            }
        }
        let share = |k: usize| k as f64 / configs.max(1) as f64;
        let mut sorted = finals.clone();
        sorted.sort_by(f64::total_cmp);
        let final_quantiles = [0.1, 0.25, 0.5, 0.75, 0.9].map(|q| quantile(&sorted, q));
        Some(Self {
            tasks: tasks.len(),
            configs,
            non_learning: share(non_learning),
            nan: share(nan),
            diverged: share(diverged),
            final_quantiles,
            best_final: median(&mut bests).unwrap_or(f64::NAN),
            roughness: median(&mut rough).unwrap_or(f64::NAN),
            drops: drops as f64 / steps.max(1) as f64,
            rank_correlation: rank_correlation(tasks, &per_task),
            hp_correlation: first
                .hp_names
                .iter()
                .enumerate()
                .map(|(j, name)| (name.clone(), hp_correlation(tasks, &per_task, j)))
                .collect(),
        })
    }
}

/// The q-quantile of sorted values by linear interpolation (NaN if empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Mean Spearman ρ of final y (`finals`, per task) over the pairs of tasks with
/// identical configurations.
fn rank_correlation(tasks: &[Task], finals: &[Vec<f64>]) -> Option<f64> {
    let mut rhos = Vec::new();
    for a in 0..tasks.len() {
        for b in a + 1..tasks.len() {
            if tasks[a].curves.hps == tasks[b].curves.hps
                && let Some(r) = spearman(&finals[a], &finals[b])
            {
                rhos.push(r);
            }
        }
    }
    (!rhos.is_empty()).then(|| rhos.iter().sum::<f64>() / rhos.len() as f64)
}

/// Mean over tasks of Spearman ρ(final y, hyperparameter `j`), the final y per task in
/// `finals`; NaN if undefined.
fn hp_correlation(tasks: &[Task], finals: &[Vec<f64>], j: usize) -> f64 {
    let rhos: Vec<f64> = tasks
        .iter()
        .zip(finals)
        .filter(|(t, _)| j < t.curves.n_hps)
        .filter_map(|(t, y)| {
            let c = &t.curves;
            let hp: Vec<f64> = (0..c.configs).map(|k| f64::from(c.hp(k)[j])).collect();
            spearman(&hp, y)
        })
        .collect();
    if rhos.is_empty() {
        f64::NAN
    } else {
        rhos.iter().sum::<f64>() / rhos.len() as f64
    }
}

/// A Markdown table with one column per group (`names[i]` heads `groups[i]`) and one
/// row per statistic; hyperparameter rows follow the first group's names.
pub fn format_side_by_side(names: &[String], groups: &[GroupStats]) -> String {
    let mut out = format!("| statistic | {} |\n", names.join(" | "));
    out.push_str(&format!("|---|{}\n", "---|".repeat(names.len())));
    let mut row = |label: &str, cell: &dyn Fn(&GroupStats) -> String| {
        let cells: Vec<String> = groups.iter().map(cell).collect();
        out.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
    };
    let pct = |v: f64| format!("{:.1} %", 100.0 * v);
    row("tasks", &|g| g.tasks.to_string());
    row("configurations", &|g| g.configs.to_string());
    row("never learn (best y < 0.01)", &|g| pct(g.non_learning));
    row("NaN curves", &|g| pct(g.nan));
    row("diverged (finite blow-up)", &|g| pct(g.diverged));
    for (i, q) in ["10", "25", "50", "75", "90"].iter().enumerate() {
        row(&format!("final y, {q} % quantile"), &|g| {
            format!("{:.3}", g.final_quantiles[i])
        });
    }
    row("best final y (median task)", &|g| {
        format!("{:.3}", g.best_final)
    });
    row("roughness: mean abs. 2nd difference", &|g| {
        format!("{:.4}", g.roughness)
    });
    row("drops: steps where y falls > 0.01", &|g| pct(g.drops));
    row("rank corr. of configurations across tasks", &|g| {
        g.rank_correlation
            .map_or_else(|| "—".into(), |r| format!("{r:.2}"))
    });
    let hp_names: Vec<String> = groups
        .first()
        .map(|g| g.hp_correlation.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    for (j, name) in hp_names.iter().enumerate() {
        row(&format!("ρ(final y, {name})"), &|g| {
            g.hp_correlation
                .get(j)
                .map_or_else(|| "—".into(), |(_, r)| format!("{r:.2}"))
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{CleaningReport, CurveSet};

    /// A task of 4 configurations × 4 epochs with one hyperparameter.
    fn task(name: &str, curves: [[f32; 4]; 4], hps: [f32; 4]) -> Task {
        Task {
            name: name.into(),
            benchmark: "test".into(),
            hp_names: vec!["lr".into()],
            curves: CurveSet {
                configs: 4,
                epochs: 4,
                n_hps: 1,
                hps: hps.to_vec(),
                y: curves.iter().flatten().copied().collect(),
            },
            raw: crate::raw::RawTask {
                name: name.into(),
                config_ids: (0..4).collect(),
                hps: hps.iter().map(|&v| f64::from(v)).collect(),
                points: 5,
                curves: Default::default(),
            },
            report: CleaningReport {
                nonfinite_curves: 1,
                ..Default::default()
            },
        }
    }

    #[test]
    fn statistics_by_hand() {
        let a = task(
            "a",
            [
                [0.0, 0.0, 0.0, 0.0],
                [0.1, 0.2, 0.3, 0.4],
                [0.1, 0.5, 0.2, 0.6],
                [0.2, 0.4, 0.6, 0.8],
            ],
            [0.1, 0.2, 0.3, 0.4],
        );
        let b = task(
            "b",
            [
                [0.0, 0.0, 0.0, 0.005],
                [0.3, 0.3, 0.3, 0.3],
                [0.1, 0.2, 0.3, 0.1],
                [0.5, 0.6, 0.7, 0.9],
            ],
            [0.1, 0.2, 0.3, 0.4],
        );
        let s = GroupStats::of(&[a.clone(), b]).unwrap();
        assert_eq!((s.tasks, s.configs), (2, 8));
        assert_eq!(s.non_learning, 2.0 / 8.0);
        assert_eq!(s.nan, 2.0 / 8.0);
        // Finals: 0, .4, .6, .8, .005, .3, .1, .9 → sorted 0, .005, .1, .3, .4, .6, .8, .9;
        // the median interpolates .3 and .4.
        assert!(
            (s.final_quantiles[2] - 0.35).abs() < 1e-6,
            "{:?}",
            s.final_quantiles
        );
        assert!((s.best_final - 0.85).abs() < 1e-6);
        // Drops (> 0.01): a's curve 2 falls once (.5 → .2), b's curve 2 once (.3 → .1):
        // 2 of the 6 learning curves' 18 steps.
        assert!((s.drops - 2.0 / 18.0).abs() < 1e-9, "{}", s.drops);
        // Roughness: mean |Δ²| per learning curve: a1 0, a2 (0.7 + 0.7)/2 = 0.7, a3 0,
        // b1 0, b2 (0 + 0.3)/2 = 0.15, b3 (0 + 0.1)/2 = 0.05 → median of
        // 0, 0, 0, 0.05, 0.15, 0.7 = 0.025.
        assert!((s.roughness - 0.025).abs() < 1e-6, "{}", s.roughness);
        // Same configurations: ρ of finals (0, .4, .6, .8) and (.005, .3, .1, .9) =
        // ρ of ranks (1, 2, 3, 4) and (1, 3, 2, 4) = 0.8.
        assert!((s.rank_correlation.unwrap() - 0.8).abs() < 1e-9);
        // ρ(final, lr): 1 on a, 0.8 on b.
        assert!((s.hp_correlation[0].1 - 0.9).abs() < 1e-9);
        // Other configurations: no pair to correlate.
        let mut c = a.clone();
        c.curves.hps = vec![0.9, 0.8, 0.7, 0.6];
        assert_eq!(GroupStats::of(&[a, c]).unwrap().rank_correlation, None);
        assert_eq!(GroupStats::of(&[]), None);
        let table = format_side_by_side(&["x".into()], &[s]);
        assert!(
            table.contains("| never learn (best y < 0.01) | 25.0 % |"),
            "{table}"
        );
        assert!(table.contains("| ρ(final y, lr) | 0.90 |"), "{table}");
    }
}

//! Normalised regret and average rank of freeze-thaw runs (reference §6).
//!
//! Losses are 1 − incumbent, the incumbent being the best y seen at any epoch. Per task,
//! L = the best final incumbent loss over all methods and seeds, U = the worst first
//! incumbent loss over all methods and seeds; regret(t) = (loss(t) − L) / (U − L)
//! (0 when U = L). Ranks: per task and seed, at every budget t, methods are ranked by
//! loss (1 = best, ties share the mean rank), then averaged over tasks and seeds.

use std::collections::BTreeMap;

/// One run: a method on a task with a seed, its incumbent y after each epoch spent.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCurve {
    /// Method name.
    pub method: String,
    /// Task name.
    pub task: String,
    /// Seed.
    pub seed: u64,
    /// Incumbent y after epochs 1, 2, … (a shorter run keeps its last value).
    pub incumbent: Vec<f64>,
}

impl RunCurve {
    /// Loss 1 − incumbent after `t` epochs (1-based; the last value past the end).
    fn loss(&self, t: usize) -> f64 {
        let i = t.min(self.incumbent.len()).max(1) - 1;
        1.0 - self.incumbent.get(i).copied().unwrap_or(0.0)
    }
}

/// Normalised regret of every run at t = 1 ..= budget, in run order.
pub fn normalised_regret(runs: &[RunCurve], budget: usize) -> Vec<Vec<f64>> {
    let mut bounds: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for r in runs {
        let e = bounds
            .entry(&r.task)
            .or_insert((f64::INFINITY, f64::NEG_INFINITY));
        e.0 = e.0.min(r.loss(budget));
        e.1 = e.1.max(r.loss(1));
    }
    runs.iter()
        .map(|r| {
            let (l, u) = bounds[r.task.as_str()];
            (1..=budget)
                .map(|t| {
                    if u > l {
                        (r.loss(t) - l) / (u - l)
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// Mean of per-run curves by method (methods in first-seen order).
pub fn mean_by_method(runs: &[RunCurve], curves: &[Vec<f64>]) -> Vec<(String, Vec<f64>)> {
    let mut out: Vec<(String, Vec<f64>, usize)> = Vec::new();
    for (r, c) in runs.iter().zip(curves) {
        let i = match out.iter().position(|(m, _, _)| *m == r.method) {
            Some(i) => i,
            None => {
                out.push((r.method.clone(), vec![0.0; c.len()], 0));
                out.len() - 1
            }
        };
        out[i].1.iter_mut().zip(c).for_each(|(a, v)| *a += v);
        out[i].2 += 1;
    }
    out.into_iter()
        .map(|(m, s, n)| (m, s.into_iter().map(|v| v / n as f64).collect()))
        .collect()
}

/// Rank of every run among the runs of the same task and seed at t = 1 ..= budget.
pub fn ranks(runs: &[RunCurve], budget: usize) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; budget]; runs.len()];
    let mut groups: BTreeMap<(&str, u64), Vec<usize>> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        groups.entry((&r.task, r.seed)).or_default().push(i);
    }
    for members in groups.values() {
        for t in 1..=budget {
            for &i in members {
                let li = runs[i].loss(t);
                let better = members.iter().filter(|&&j| runs[j].loss(t) < li).count();
                let equal = members.iter().filter(|&&j| runs[j].loss(t) == li).count();
                out[i][t - 1] = better as f64 + (equal as f64 + 1.0) / 2.0;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(method: &str, task: &str, seed: u64, inc: &[f64]) -> RunCurve {
        RunCurve {
            method: method.into(),
            task: task.into(),
            seed,
            incumbent: inc.to_vec(),
        }
    }

    #[test]
    fn regret_and_ranks_by_hand() {
        // Task a: losses A = 0.9, 0.5, 0.2; B = 0.8, 0.8, 0.4 → L = 0.2, U = 0.9.
        let runs = vec![
            run("A", "a", 0, &[0.1, 0.5, 0.8]),
            run("B", "a", 0, &[0.2, 0.2, 0.6]),
        ];
        let r = normalised_regret(&runs, 3);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(r[0][0], 1.0) && close(r[0][1], 0.3 / 0.7) && close(r[0][2], 0.0));
        assert!(close(r[1][0], 0.6 / 0.7) && close(r[1][2], 0.2 / 0.7));
        let k = ranks(&runs, 3);
        assert_eq!(k[0], vec![2.0, 1.0, 1.0]);
        assert_eq!(k[1], vec![1.0, 2.0, 2.0]);
        let mean = mean_by_method(&runs, &k);
        assert_eq!(mean[0], ("A".to_string(), vec![2.0, 1.0, 1.0]));
    }

    #[test]
    fn ties_share_ranks_short_runs_keep_their_last_value_and_groups_are_separate() {
        let runs = vec![
            run("A", "a", 0, &[0.5, 0.7]),
            run("B", "a", 0, &[0.5]),
            run("C", "a", 0, &[0.4, 0.4]),
            run("A", "a", 1, &[0.9, 0.9]),
        ];
        let k = ranks(&runs, 2);
        assert_eq!(k[0], vec![1.5, 1.0]);
        assert_eq!(k[1], vec![1.5, 2.0]);
        assert_eq!(k[2], vec![3.0, 3.0]);
        assert_eq!(k[3], vec![1.0, 1.0], "alone in its (task, seed) group");
        // All runs equal: regret 0 rather than 0/0.
        let same = vec![run("A", "b", 0, &[0.3]), run("B", "b", 0, &[0.3])];
        assert_eq!(normalised_regret(&same, 1), vec![vec![0.0], vec![0.0]]);
    }
}

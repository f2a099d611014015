//! Thaw's results beside a peer's: per (problem, method), the median and quartiles of
//! the final regret over seeds, and whether thaw's median lies within the peer's
//! interquartile range or below it.

use std::fmt::Write as _;

use super::{FUNCTIONS, Function, PEER_METHODS, PeerMethod, PeerRun};

/// The 25 %, 50 % and 75 % quantiles (linear interpolation between order statistics,
/// numpy's default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    /// 25 %.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// 75 %.
    pub q75: f64,
}

/// The quartiles of `values` (NaN for none).
pub fn quartiles(values: &[f64]) -> Quartiles {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if v.is_empty() {
            return f64::NAN;
        }
        let h = p * (v.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (h - lo as f64) * (v[hi] - v[lo])
    };
    Quartiles {
        q25: q(0.25),
        median: q(0.5),
        q75: q(0.75),
    }
}

/// Where thaw's median falls against the peer's quartiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Below the peer's 25 % quantile (lower regret).
    Better,
    /// Within [q25, q75].
    Within,
    /// Above the peer's 75 % quantile.
    Worse,
}

impl Verdict {
    /// Word in the table.
    pub fn word(self) -> &'static str {
        match self {
            Self::Better => "better",
            Self::Within => "within",
            Self::Worse => "**worse**",
        }
    }
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Problem (a TaskSet aggregate is `taskset (mean of N tables)`).
    pub problem: String,
    /// Method name.
    pub method: String,
    /// Thaw's final regrets' quartiles and the number of seeds.
    pub thaw: (Quartiles, usize),
    /// The peer's.
    pub peer: (Quartiles, usize),
    /// Mean seconds per run, thaw and peer.
    pub seconds: (f64, f64),
    /// Thaw's median against the peer's quartiles.
    pub verdict: Verdict,
}

fn is_function(problem: &str) -> bool {
    Function::named(problem).is_some()
}

/// Per (problem, method, seed) final regret of the problems in `runs`, and, over the
/// TaskSet tables (every problem that is not a test function), per (method, seed) the
/// mean regret over the tables, for seeds that have every table.
fn finals(runs: &[PeerRun]) -> Vec<(String, String, u64, f64, f64)> {
    let mut out: Vec<(String, String, u64, f64, f64)> = runs
        .iter()
        .map(|r| {
            (
                r.problem.clone(),
                r.method.clone(),
                r.seed,
                r.regret(),
                r.seconds,
            )
        })
        .collect();
    let mut tables: Vec<&str> = runs
        .iter()
        .map(|r| r.problem.as_str())
        .filter(|p| !is_function(p))
        .collect();
    tables.sort_unstable();
    tables.dedup();
    if tables.len() > 1 {
        let mut keys: Vec<(&str, u64)> = runs
            .iter()
            .filter(|r| !is_function(&r.problem))
            .map(|r| (r.method.as_str(), r.seed))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let name = format!("taskset (mean of {} tables)", tables.len());
        for (m, s) in keys {
            let of: Vec<&PeerRun> = runs
                .iter()
                .filter(|r| r.method == m && r.seed == s && !is_function(&r.problem))
                .collect();
            if of.len() == tables.len() {
                let n = of.len() as f64;
                let regret = of.iter().map(|r| r.regret()).sum::<f64>() / n;
                let seconds = of.iter().map(|r| r.seconds).sum::<f64>();
                out.push((name.clone(), m.into(), s, regret, seconds));
            }
        }
    }
    out
}

/// Every (problem, method) that both sides ran, in thaw's order (functions first, then
/// the tables, then the TaskSet aggregate; methods in [`PEER_METHODS`] order).
pub fn compare(thaw: &[PeerRun], peer: &[PeerRun]) -> Vec<Row> {
    let (t, p) = (finals(thaw), finals(peer));
    let mut problems: Vec<String> = Vec::new();
    for (prob, ..) in &t {
        if !problems.contains(prob) {
            problems.push(prob.clone());
        }
    }
    let rank = |name: &str| {
        FUNCTIONS.iter().position(|f| f.name() == name).unwrap_or(
            if name.starts_with("taskset (") {
                usize::MAX
            } else {
                FUNCTIONS.len()
            },
        )
    };
    problems.sort_by_key(|n| rank(n));
    let mut methods: Vec<String> = PEER_METHODS.iter().map(|m| m.name().into()).collect();
    for (_, m, ..) in &t {
        if !methods.contains(m) {
            methods.push(m.clone());
        }
    }
    let mut rows = Vec::new();
    for prob in &problems {
        for m in &methods {
            let pick = |side: &[(String, String, u64, f64, f64)]| -> (Vec<f64>, f64) {
                let of: Vec<&(String, String, u64, f64, f64)> = side
                    .iter()
                    .filter(|(p, mm, ..)| p == prob && mm == m)
                    .collect();
                let secs = of.iter().map(|r| r.4).sum::<f64>() / of.len().max(1) as f64;
                (of.iter().map(|r| r.3).collect(), secs)
            };
            let ((tv, ts), (pv, ps)) = (pick(&t), pick(&p));
            if tv.is_empty() || pv.is_empty() {
                continue;
            }
            let (tq, pq) = (quartiles(&tv), quartiles(&pv));
            let verdict = if tq.median < pq.q25 {
                Verdict::Better
            } else if tq.median <= pq.q75 {
                Verdict::Within
            } else {
                Verdict::Worse
            };
            rows.push(Row {
                problem: prob.clone(),
                method: m.clone(),
                thaw: (tq, tv.len()),
                peer: (pq, pv.len()),
                seconds: (ts, ps),
                verdict,
            });
        }
    }
    rows
}

/// `v` to 3 significant digits: plain between 0.001 and 10,000, else in e-notation.
pub fn sig3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.2e}")
    }
}

fn label(method: &str) -> (&str, &str) {
    match PeerMethod::named(method) {
        Some(PeerMethod::Random) => ("random search", "RandomSampler"),
        Some(PeerMethod::Tpe) => ("TPE", "TPESampler"),
        Some(PeerMethod::CmaEs) => ("CMA-ES", "CmaEsSampler"),
        Some(PeerMethod::GpBo) => ("GP-BO", "GPSampler"),
        None => (method, method),
    }
}

/// A TaskSet task's name without the common `FixedTextRNNClassification_imdb_` prefix.
pub fn short_problem(problem: &str) -> &str {
    problem
        .strip_prefix("FixedTextRNNClassification_imdb_")
        .unwrap_or(problem)
}

/// The comparison as a Markdown table, `peer` naming the other side ("Optuna").
pub fn markdown(rows: &[Row], peer: &str) -> String {
    let mut out = format!(
        "| problem | thaw method | thaw median [q25, q75] | {peer} sampler | {peer} median [q25, q75] | thaw vs {peer} IQR | s / run thaw, {peer} |\n|---|---|---|---|---|---|---|\n"
    );
    let q = |x: &Quartiles| format!("{} [{}, {}]", sig3(x.median), sig3(x.q25), sig3(x.q75));
    for r in rows {
        let (ours, theirs) = label(&r.method);
        let _ = writeln!(
            out,
            "| {} | {ours} | {} | {theirs} | {} | {} | {:.2}, {:.2} |",
            short_problem(&r.problem),
            q(&r.thaw.0),
            q(&r.peer.0),
            r.verdict.word(),
            r.seconds.0,
            r.seconds.1
        );
    }
    let ok = rows.iter().filter(|r| r.verdict != Verdict::Worse).count();
    let seeds: Vec<usize> = rows.iter().map(|r| r.thaw.1.min(r.peer.1)).collect();
    let _ = writeln!(
        out,
        "\n{ok} of {} rows within {peer}'s interquartile range or better (seeds per side: {}–{}).",
        rows.len(),
        seeds.iter().min().unwrap_or(&0),
        seeds.iter().max().unwrap_or(&0),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(problem: &str, method: &str, seed: u64, regret: f64) -> PeerRun {
        PeerRun {
            problem: problem.into(),
            method: method.into(),
            seed,
            curve: vec![regret],
            seconds: 1.0,
        }
    }

    #[test]
    fn quartiles_verdicts_and_the_taskset_mean_by_hand() {
        let q = quartiles(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!((q.q25, q.median, q.q75), (2.0, 3.0, 4.0));
        let q = quartiles(&[1.0, 2.0]);
        assert_eq!((q.q25, q.median, q.q75), (1.25, 1.5, 1.75));
        // Peer quartiles on branin: 2, 3, 4.
        let peer: Vec<PeerRun> = (0..5)
            .flat_map(|s| {
                let v = 1.0 + s as f64;
                [run("branin", "tpe", s, v), run("branin", "random", s, v)]
            })
            .chain((0..2).flat_map(|s| [run("t1", "tpe", s, 0.1), run("t2", "tpe", s, 0.3)]))
            .collect();
        let thaw = vec![
            run("branin", "tpe", 0, 1.5),
            run("branin", "tpe", 1, 1.9),
            run("branin", "random", 0, 4.5),
            run("t1", "tpe", 0, 0.2),
            run("t2", "tpe", 0, 0.2),
            run("t1", "tpe", 1, 0.4),
        ];
        let rows = compare(&thaw, &peer);
        let got: Vec<(&str, &str, Verdict)> = rows
            .iter()
            .map(|r| (r.problem.as_str(), r.method.as_str(), r.verdict))
            .collect();
        assert_eq!(
            got,
            vec![
                ("branin", "random", Verdict::Worse),
                ("branin", "tpe", Verdict::Better),
                ("t1", "tpe", Verdict::Worse),
                ("t2", "tpe", Verdict::Better),
                ("taskset (mean of 2 tables)", "tpe", Verdict::Within),
            ]
        );
        // Thaw's seed 1 lacks t2: one seed in the mean, 0.2 = the peer's 0.2.
        let agg = rows.last().unwrap();
        assert_eq!(
            (agg.thaw.1, agg.thaw.0.median, agg.peer.0.median),
            (1, 0.2, 0.2)
        );
        let md = markdown(&rows, "Optuna");
        assert!(md.contains(
            "| branin | TPE | 1.70 [1.60, 1.80] | TPESampler | 3.00 [2.00, 4.00] | better |"
        ));
        assert!(md.contains("3 of 5 rows"));
        assert_eq!(
            [
                sig3(0.0),
                sig3(0.012345),
                sig3(123.45),
                sig3(4.5e-6),
                sig3(2.5e5)
            ],
            ["0", "0.0123", "123", "4.50e-6", "2.50e5"]
        );
    }
}

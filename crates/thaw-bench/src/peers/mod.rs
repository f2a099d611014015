//! Thaw's classic HPO methods beside their peers (Optuna's samplers, run by
//! `scripts/bench-optuna-reference`): the same problems, budgets and seeds, the final
//! simple regret of every run, and a table of medians and quartiles side by side.
//!
//! Problems ([`Problem`]):
//! - continuous test functions ([`functions`]): the methods propose points of [0, 1]^d
//!   directly ([`ProposePoint`]), each evaluated where it was proposed; regret = best f
//!   found − f* (raw, in f's units);
//! - TaskSet tables at full fidelity: a configuration's value is its normalised y at the
//!   last epoch; the methods act on the pool (TPE and CMA-ES through the pool rule, GP-BO
//!   scoring the members, random search drawing them); regret = best final y in the
//!   table − best final y found.
//!
//! The results file (one row per run, the same format on both sides):
//! `problem,method,seed,evaluations,regret,seconds,curve`, `curve` being the regret after
//! each evaluation, space-separated.

pub mod compare;
pub mod functions;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use thaw_data::{CurveSet, Task};
use thaw_hpo::optimizers::RandomSearch;
use thaw_hpo::optimizers::cmaes::{CmaEs, CmaEsSettings};
use thaw_hpo::optimizers::continuous::{ProposePoint, run_continuous};
use thaw_hpo::optimizers::gp_bo::{GpBo, GpBoSettings};
use thaw_hpo::optimizers::tpe::{Tpe, TpeSettings};
use thaw_hpo::{TabularObjective, optimise};

use crate::error::{BenchError, Result};
pub use functions::{FUNCTIONS, Function};

/// A method compared with its peer; every one with its default settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerMethod {
    /// Random search (Optuna: `RandomSampler`).
    Random,
    /// TPE (Optuna: `TPESampler`).
    Tpe,
    /// CMA-ES (Optuna: `CmaEsSampler`).
    CmaEs,
    /// GP-BO (Optuna: `GPSampler`).
    GpBo,
}

/// Every method, in table order.
pub const PEER_METHODS: [PeerMethod; 4] = [
    PeerMethod::Random,
    PeerMethod::Tpe,
    PeerMethod::CmaEs,
    PeerMethod::GpBo,
];

impl PeerMethod {
    /// Name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Tpe => "tpe",
            Self::CmaEs => "cma-es",
            Self::GpBo => "gp-bo",
        }
    }

    /// The method of `name`, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        PEER_METHODS.into_iter().find(|m| m.name() == name)
    }

    /// The method seeded with `seed`, default settings.
    pub fn build(self, seed: u64) -> Box<dyn ProposePoint> {
        match self {
            Self::Random => Box::new(RandomSearch::new(seed)),
            Self::Tpe => Box::new(Tpe::new(TpeSettings::default(), seed)),
            Self::CmaEs => Box::new(CmaEs::new(CmaEsSettings::default(), seed)),
            Self::GpBo => Box::new(GpBo::new(GpBoSettings::default(), seed)),
        }
    }
}

/// Evaluations per run, by problem family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Branin.
    pub branin: usize,
    /// Hartmann-6.
    pub hartmann6: usize,
    /// Rosenbrock-10.
    pub rosenbrock10: usize,
    /// Full trainings per TaskSet table.
    pub taskset: usize,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            branin: 40,
            hartmann6: 60,
            rosenbrock10: 100,
            taskset: 30,
        }
    }
}

impl Budgets {
    /// The defaults with `spec`'s overrides: `family=n,…` (branin, hartmann6,
    /// rosenbrock10, taskset).
    pub fn parse(spec: &str) -> Result<Self> {
        let mut b = Self::default();
        for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || BenchError::InvalidArgument(format!("budget `{part}`: want FAMILY=N"));
            let (k, v) = part.split_once('=').ok_or_else(bad)?;
            let n: usize = v.trim().parse().map_err(|_| bad())?;
            if n == 0 {
                return Err(BenchError::InvalidArgument(format!(
                    "budget `{part}`: at least 1"
                )));
            }
            match k.trim() {
                "branin" => b.branin = n,
                "hartmann6" => b.hartmann6 = n,
                "rosenbrock10" => b.rosenbrock10 = n,
                "taskset" => b.taskset = n,
                other => {
                    return Err(BenchError::InvalidArgument(format!(
                        "budget `{part}`: no family `{other}` (branin, hartmann6, rosenbrock10, taskset)"
                    )));
                }
            }
        }
        Ok(b)
    }

    /// The budget of `function`.
    pub fn of(&self, function: Function) -> usize {
        match function {
            Function::Branin => self.branin,
            Function::Hartmann6 => self.hartmann6,
            Function::Rosenbrock10 => self.rosenbrock10,
        }
    }
}

/// A problem of the comparison.
#[derive(Debug, Clone)]
pub enum Problem {
    /// A continuous test function.
    Function(Function),
    /// A TaskSet table (normalised curves), searched at full fidelity.
    Table {
        /// Task name.
        name: String,
        /// Its curves.
        curves: CurveSet,
    },
}

impl Problem {
    /// The table of `task`.
    pub fn table(task: &Task) -> Self {
        Self::Table {
            name: task.name.clone(),
            curves: task.curves.clone(),
        }
    }

    /// Name in files.
    pub fn name(&self) -> &str {
        match self {
            Self::Function(f) => f.name(),
            Self::Table { name, .. } => name,
        }
    }

    /// Evaluations per run.
    pub fn budget(&self, budgets: &Budgets) -> usize {
        match self {
            Self::Function(f) => budgets.of(*f),
            Self::Table { curves, .. } => budgets.taskset.min(curves.configs),
        }
    }
}

/// The best final value in a table: regret 0.
pub fn table_optimum(curves: &CurveSet) -> f64 {
    (0..curves.configs)
        .map(|c| f64::from(curves.curve(c)[curves.epochs - 1]))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// One run: regret after each evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRun {
    /// Problem name.
    pub problem: String,
    /// Method name ([`PeerMethod::name`]).
    pub method: String,
    /// Seed.
    pub seed: u64,
    /// Regret after evaluations 1, 2, … (non-increasing).
    pub curve: Vec<f64>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
}

impl PeerRun {
    /// Regret at the end.
    pub fn regret(&self) -> f64 {
        self.curve.last().copied().unwrap_or(f64::INFINITY)
    }
}

/// One run of `method` with `seed` on `problem`.
pub fn run_one(
    problem: &Problem,
    method: PeerMethod,
    seed: u64,
    budgets: &Budgets,
) -> Result<PeerRun> {
    let budget = problem.budget(budgets);
    let failed = |source: thaw_hpo::HpoError| BenchError::Run {
        method: method.name().into(),
        task: problem.name().into(),
        seed,
        source: Box::new(source),
    };
    let mut opt = method.build(seed);
    let started = Instant::now();
    let mut best = f64::INFINITY;
    let mut curve = Vec::with_capacity(budget);
    match problem {
        Problem::Function(f) => {
            let optimum = f.optimum();
            run_continuous(opt.as_mut(), f.dims(), budget, &mut |u| {
                let v = f.at_unit(u);
                best = best.min(v - optimum);
                curve.push(best);
                f.observed(v)
            })
            .map_err(failed)?;
        }
        Problem::Table { curves, .. } => {
            let optimum = table_optimum(curves);
            let mut objective = TabularObjective::new(curves.clone()).map_err(failed)?;
            let epochs = curves.epochs;
            let mut on_step = |s: &optimise::Step, _: &thaw_hpo::History| {
                if s.epoch == epochs {
                    best = best.min(optimum - f64::from(s.y));
                    curve.push(best);
                }
            };
            let opt: &mut dyn thaw_hpo::Optimizer = opt.as_mut();
            optimise::run(opt, &mut objective, budget * epochs, &mut on_step).map_err(failed)?;
        }
    }
    Ok(PeerRun {
        problem: problem.name().into(),
        method: method.name().into(),
        seed,
        curve,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Every (problem, method, seed), `threads` at a time (GP-BO first: the slow one);
/// `done` is called after each run. Returned in (problem, method, seed) order, so the
/// result does not depend on `threads`.
pub fn run_all(
    problems: &[Problem],
    methods: &[PeerMethod],
    seeds: &[u64],
    budgets: &Budgets,
    threads: usize,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<PeerRun>> {
    let mut jobs = Vec::new();
    for p in problems {
        for &m in methods {
            for &s in seeds {
                jobs.push((p, m, s));
            }
        }
    }
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| jobs[j].1 != PeerMethod::GpBo);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| BenchError::InvalidArgument(format!("thread pool: {e}")))?;
    let runs: Vec<Result<PeerRun>> = pool.install(|| {
        order
            .par_iter()
            .map(|&j| {
                let (p, m, s) = jobs[j];
                let r = run_one(p, m, s, budgets);
                done();
                r
            })
            .collect()
    });
    let mut slots: Vec<Option<PeerRun>> = vec![None; jobs.len()];
    for (&j, r) in order.iter().zip(runs) {
        slots[j] = Some(r?);
    }
    Ok(slots.into_iter().flatten().collect())
}

/// The results file's header.
pub const CSV_HEADER: &str = "problem,method,seed,evaluations,regret,seconds,curve";

/// The results file of `runs`.
pub fn to_csv(runs: &[PeerRun]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for r in runs {
        let curve: Vec<String> = r.curve.iter().map(|v| format!("{v:.4e}")).collect();
        let _ = writeln!(
            out,
            "{},{},{},{},{:e},{:.3},{}",
            r.problem,
            r.method,
            r.seed,
            r.curve.len(),
            r.regret(),
            r.seconds,
            curve.join(" ")
        );
    }
    out
}

/// Reads a results file (thaw's or a peer's): see [`parse_csv`].
pub fn read_csv(path: &Path) -> Result<Vec<PeerRun>> {
    let text = std::fs::read_to_string(path).map_err(|e| BenchError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    parse_csv(&text, &path.display().to_string())
}

/// Every row of a results file's `text` (`name` in messages), the final regret at the
/// precision written.
pub fn parse_csv(text: &str, name: &str) -> Result<Vec<PeerRun>> {
    let bad = |line: usize, what: &str| {
        BenchError::InvalidArgument(format!("{name}:{}: {what}", line + 1))
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == CSV_HEADER => {}
        _ => return Err(bad(0, &format!("the header must be `{CSV_HEADER}`"))),
    }
    let mut runs = Vec::new();
    for (i, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 7 {
            return Err(bad(i, "want 7 comma-separated fields"));
        }
        let num = |s: &str, what: &str| -> Result<f64> {
            s.parse::<f64>()
                .map_err(|_| bad(i, &format!("{what} `{s}` is not a number")))
        };
        let regret = num(f[4], "regret")?;
        let mut curve = f[6]
            .split_whitespace()
            .map(|v| num(v, "curve value"))
            .collect::<Result<Vec<f64>>>()?;
        // The final regret is kept at full precision (the curve is rounded).
        match curve.last_mut() {
            Some(last) => *last = regret,
            None => curve.push(regret),
        }
        runs.push(PeerRun {
            problem: f[0].into(),
            method: f[1].into(),
            seed: f[2]
                .parse()
                .map_err(|_| bad(i, &format!("seed `{}`", f[2])))?,
            curve,
            seconds: num(f[5], "seconds")?,
        });
    }
    Ok(runs)
}

/// The TaskSet pools for the peer script: `task,config,value,u0,…,u{d−1}` (the final
/// normalised y and the encoding, as thaw's methods see them; f32 values printed so that
/// they read back exactly).
pub fn pools_csv(tasks: &[Task]) -> String {
    let d = tasks.first().map_or(0, |t| t.curves.n_hps);
    let mut out = String::from("task,config,value");
    for j in 0..d {
        let _ = write!(out, ",u{j}");
    }
    out.push('\n');
    for t in tasks {
        let c = &t.curves;
        for k in 0..c.configs {
            let _ = write!(out, "{},{k},{:?}", t.name, c.curve(k)[c.epochs - 1]);
            for v in c.hp(k) {
                let _ = write!(out, ",{v:?}");
            }
            out.push('\n');
        }
    }
    out
}

/// The problems and budgets as JSON, for the peer script: `[{"problem", "kind"
/// ("function" or "table"), "dims", "budget", "optimum"}]`.
pub fn problems_json(problems: &[Problem], budgets: &Budgets) -> String {
    let rows: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| {
            let (kind, dims, optimum) = match p {
                Problem::Function(f) => ("function", f.dims(), f.optimum()),
                Problem::Table { curves, .. } => ("table", curves.n_hps, table_optimum(curves)),
            };
            serde_json::json!({
                "problem": p.name(),
                "kind": kind,
                "dims": dims,
                "budget": p.budget(budgets),
                "optimum": optimum,
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_table() -> CurveSet {
        // 30 configurations in [0, 1]², 3 epochs, final value 1 − |x − (0.2, 0.8)|².
        let hps: Vec<f32> = (0..60).map(|i| ((i * 37) % 61) as f32 / 60.0).collect();
        let y = (0..30)
            .flat_map(|c| {
                let (a, b) = (hps[2 * c], hps[2 * c + 1]);
                let fin = 1.0 - (a - 0.2).powi(2) - (b - 0.8).powi(2);
                [0.3 * fin, 0.6 * fin, fin]
            })
            .collect();
        CurveSet {
            configs: 30,
            epochs: 3,
            n_hps: 2,
            hps,
            y,
        }
    }

    #[test]
    fn runs_spend_their_budget_and_repeat_with_the_seed() {
        let budgets = Budgets::parse("branin=7,taskset=6").unwrap();
        let problems = [
            Problem::Function(Function::Branin),
            Problem::Table {
                name: "tiny".into(),
                curves: tiny_table(),
            },
        ];
        let seeds = [0, 1];
        let runs = run_all(&problems, &PEER_METHODS, &seeds, &budgets, 2, &|| {}).unwrap();
        assert_eq!(runs.len(), 2 * 4 * 2);
        let again = run_all(&problems, &PEER_METHODS, &seeds, &budgets, 1, &|| {}).unwrap();
        for (r, a) in runs.iter().zip(&again) {
            assert_eq!(
                (&r.problem, &r.method, r.seed),
                (&a.problem, &a.method, a.seed)
            );
            assert_eq!(r.curve, a.curve, "{} {} {}", r.problem, r.method, r.seed);
            let want = if r.problem == "branin" { 7 } else { 6 };
            assert_eq!(r.curve.len(), want);
            assert!(r.curve.windows(2).all(|w| w[1] <= w[0]) && r.regret() >= 0.0);
        }
        // The file reads back (final regret exact, curve rounded).
        let back = parse_csv(&to_csv(&runs), "r.csv").unwrap();
        assert_eq!(back.len(), runs.len());
        for (b, r) in back.iter().zip(&runs) {
            assert_eq!((b.regret(), b.curve.len()), (r.regret(), r.curve.len()));
        }
        assert!(Budgets::parse("branin=0").is_err() && Budgets::parse("ackley=3").is_err());
    }
}

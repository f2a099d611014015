//! Grid search at full fidelity, optionally coarse-to-fine.
//!
//! A grid has `k` equal cells per dimension in the current box; its points are the cell
//! centres. They are visited in a fixed, spread-out order (see [`Grid`]), each mapped to
//! the pool with the shared rule ([`nearest_open`]) and trained to the last epoch. A
//! grid point whose configuration was already handed out in this grid (or evaluated) is
//! skipped. Once a grid is used up and its members are back, coarse-to-fine search
//! re-grids a box `shrink` times as wide, centred on the best evaluation so far; plain
//! grid search continues with the rule's configurations of uniform random points.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::pool_rule::{evaluations, nearest_open};
use crate::error::Result;
use crate::history::{History, Hold};
use crate::optimizer::{Action, Optimizer};

/// At most this many points of one grid are visited (a grid of 2^d points in high
/// dimension is cut here and counts as used up).
const MAX_GRID_POINTS: usize = 1 << 16;

/// Points of the automatic grid: the largest k with k^d at most this.
const AUTO_GRID_POINTS: usize = 64;

/// Settings of [`Grid`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GridSettings {
    /// Cells per dimension; 0 (the default) = automatic: the largest k with
    /// k^d ≤ 64, at least 2.
    pub points_per_dim: usize,
    /// Coarse-to-fine: re-grid around the best evaluation once a grid is used up
    /// (default true).
    pub refine: bool,
    /// Width of each refined box as a fraction of the previous one (default 0.5;
    /// clamped to [0, 1]).
    pub shrink: f64,
}

impl Default for GridSettings {
    fn default() -> Self {
        Self {
            points_per_dim: 0,
            refine: true,
            shrink: 0.5,
        }
    }
}

impl GridSettings {
    /// Cells per dimension for `d` hyperparameters.
    pub fn cells(&self, d: usize) -> usize {
        if self.points_per_dim > 0 {
            return self.points_per_dim;
        }
        if d == 0 {
            return 2;
        }
        let fits = |k: usize| {
            k.checked_pow(d as u32)
                .is_some_and(|n| n <= AUTO_GRID_POINTS)
        };
        (2..=AUTO_GRID_POINTS)
            .take_while(|&k| fits(k))
            .last()
            .unwrap_or(2)
    }
}

/// The current grid: its box, the order of its cells and where the visit stands.
#[derive(Debug, Clone)]
struct Layer {
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Cell indices in visiting order along one dimension (van der Corput order).
    cells_by_rank: Vec<usize>,
    /// Current level L: points whose largest per-dimension rank is L.
    level: usize,
    /// Next rank tuple of level `level` to try, as a lexicographic index in (L + 1)^d.
    index: usize,
    /// Points visited so far.
    visited: usize,
    /// Configurations handed out by this grid.
    handed: Vec<usize>,
}

impl Layer {
    fn new(lo: Vec<f64>, hi: Vec<f64>, k: usize) -> Self {
        // Cells 0..k sorted by the bit-reversal of their index: 0, k/2, k/4, 3k/4, …
        // for k a power of two, so every prefix of the order is spread out.
        let mut cells_by_rank: Vec<usize> = (0..k).collect();
        cells_by_rank.sort_by_key(|&c| (c as u32).reverse_bits());
        Self {
            lo,
            hi,
            cells_by_rank,
            level: 0,
            index: 0,
            visited: 0,
            handed: Vec::new(),
        }
    }

    /// The next grid point in the fixed order, or None once the grid is used up.
    ///
    /// Order: by level (the largest per-dimension rank of the point's cells, ranks
    /// taken in the van der Corput order of each dimension), then lexicographically in
    /// the ranks, the first dimension slowest. Levels 0 ..= L form a nested
    /// (L + 1)^d sub-grid, so the visit runs coarse to fine inside a grid too.
    fn next_point(&mut self) -> Option<Vec<f32>> {
        let k = self.cells_by_rank.len();
        let d = self.lo.len();
        while self.level < k && self.visited < MAX_GRID_POINTS {
            let side = self.level + 1;
            let count = side.checked_pow(d as u32).unwrap_or(usize::MAX);
            if self.index >= count {
                self.level += 1;
                self.index = 0;
                continue;
            }
            let mut ranks = vec![0; d];
            let mut rest = self.index;
            for r in ranks.iter_mut().rev() {
                *r = rest % side;
                rest /= side;
            }
            self.index += 1;
            // A point of a lower level (every rank < L) was visited already.
            if self.level > 0 && ranks.iter().all(|&r| r < self.level) {
                continue;
            }
            self.visited += 1;
            return Some(
                ranks
                    .iter()
                    .enumerate()
                    .map(|(j, &r)| {
                        let centre = (self.cells_by_rank[r] as f64 + 0.5) / k as f64;
                        (self.lo[j] + centre * (self.hi[j] - self.lo[j])) as f32
                    })
                    .collect(),
            );
        }
        None
    }

    /// Whether a configuration this grid handed out is still being trained.
    fn waiting(&self, history: &History) -> bool {
        self.handed
            .iter()
            .any(|&c| history.held(c) == Some(Hold::Running))
    }
}

/// Grid search: every grid point, in a fixed order, becomes the pool configuration the
/// shared rule maps it to ([`nearest_open`]), trained to the last epoch.
///
/// Deterministic: the seed is used only by plain (non-refining) grid search once its
/// grid is used up, to draw the random points it continues with.
pub struct Grid {
    settings: GridSettings,
    rng: StdRng,
    layer: Option<Layer>,
}

impl Grid {
    /// Grid search with `settings`; `seed` seeds the random points that plain grid
    /// search continues with after its grid.
    pub fn new(settings: GridSettings, seed: u64) -> Self {
        Self {
            settings,
            rng: StdRng::seed_from_u64(seed),
            layer: None,
        }
    }

    /// The box of the current grid as (lower, upper) corners, once the first call made
    /// one.
    pub fn current_box(&self) -> Option<(&[f64], &[f64])> {
        self.layer.as_ref().map(|l| (&l.lo[..], &l.hi[..]))
    }

    fn shrink(&self) -> f64 {
        let s = self.settings.shrink;
        if s.is_nan() { 0.5 } else { s.clamp(0.0, 1.0) }
    }

    /// The next grid: `shrink` times the width of the current box, centred on the best
    /// evaluation (ties: the lowest index) and shifted into [0, 1] keeping its width.
    /// Without an evaluation the box stays as it is.
    fn refined(&self, history: &History, layer: &Layer) -> Layer {
        let k = self.settings.cells(history.n_hps());
        let best = evaluations(history)
            .into_iter()
            .reduce(|a, b| if b.1 > a.1 { b } else { a });
        let Some((best, _)) = best else {
            return Layer::new(layer.lo.clone(), layer.hi.clone(), k);
        };
        let shrink = self.shrink();
        let (lo, hi) = history
            .config(best)
            .iter()
            .zip(layer.lo.iter().zip(&layer.hi))
            .map(|(&c, (&lo, &hi))| {
                let w = (shrink * (hi - lo)).clamp(0.0, 1.0);
                let lo = (f64::from(c) - 0.5 * w).clamp(0.0, 1.0 - w);
                (lo, lo + w)
            })
            .unzip();
        Layer::new(lo, hi, k)
    }

    /// The next configuration of `layer` not handed out by it yet, if any.
    fn from_grid(history: &History, layer: &mut Layer) -> Option<usize> {
        let max = history.max_epochs();
        // Every open configuration came from this grid already: nothing new can.
        let all_handed = (0..history.n_configs())
            .filter(|&c| history.is_open(c))
            .all(|c| layer.handed.contains(&c));
        if all_handed {
            return None;
        }
        loop {
            let point = layer.next_point()?;
            let c = nearest_open(history, &point)?;
            if history.curve(c).len() < max && !layer.handed.contains(&c) {
                layer.handed.push(c);
                return Some(c);
            }
        }
    }

    fn choose(&mut self, history: &History) -> Result<usize> {
        if !(0..history.n_configs()).any(|c| history.is_open(c)) {
            return Err(history.nothing_open());
        }
        let d = history.n_hps();
        let k = self.settings.cells(d);
        let mut layer = self
            .layer
            .take()
            .unwrap_or_else(|| Layer::new(vec![0.0; d], vec![1.0; d], k));
        // At most one re-grid per call: a fresh grid always yields an open
        // configuration (its first point maps to one this grid has not handed out).
        let mut result = None;
        for _ in 0..2 {
            if let Some(c) = Self::from_grid(history, &mut layer) {
                result = Some(Ok(c));
                break;
            }
            if layer.waiting(history) {
                result = Some(Err(history.nothing_open()));
                break;
            }
            if !self.settings.refine {
                let point: Vec<f32> = (0..d).map(|_| self.rng.random::<f32>()).collect();
                result = Some(nearest_open(history, &point).ok_or_else(|| history.nothing_open()));
                break;
            }
            layer = self.refined(history, &layer);
        }
        self.layer = Some(layer);
        result.unwrap_or_else(|| Err(history.nothing_open()))
    }
}

impl Optimizer for Grid {
    fn name(&self) -> String {
        if self.settings.refine {
            "Grid search (coarse-to-fine)".into()
        } else {
            "Grid search".into()
        }
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        let config = self.choose(history)?;
        Ok(Action {
            config,
            to_epoch: history.max_epochs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HpoError;
    use crate::objective::TabularObjective;
    use crate::optimise::Step;
    use crate::optimizers::RandomSearch;
    use crate::optimizers::test_pools::{random_task, steps, task};
    use rand::RngExt;

    fn plain() -> GridSettings {
        GridSettings {
            refine: false,
            ..GridSettings::default()
        }
    }

    #[test]
    fn automatic_cells_fit_64_points() {
        let s = GridSettings::default();
        let got: Vec<usize> = (0..=7).map(|d| s.cells(d)).collect();
        assert_eq!(got, vec![2, 64, 8, 4, 2, 2, 2, 2]);
        let fixed = GridSettings {
            points_per_dim: 3,
            ..s
        };
        assert_eq!(fixed.cells(5), 3);
    }

    #[test]
    fn points_come_in_the_nested_order() {
        // k = 4 in one dimension: cells 0, 2, 1, 3 (bit reversal).
        let mut l = Layer::new(vec![0.0], vec![1.0], 4);
        let xs: Vec<f32> = std::iter::from_fn(|| l.next_point())
            .map(|p| p[0])
            .collect();
        assert_eq!(xs, vec![0.125, 0.625, 0.375, 0.875]);
        // k = 2 in two dimensions, box [0.5, 1] × [0, 0.5]: level 0 is (0, 0), level 1
        // the rest lexicographically in the ranks.
        let mut l = Layer::new(vec![0.5, 0.0], vec![1.0, 0.5], 2);
        let ps: Vec<Vec<f32>> = std::iter::from_fn(|| l.next_point()).collect();
        let want = [
            [0.625, 0.125],
            [0.625, 0.375],
            [0.875, 0.125],
            [0.875, 0.375],
        ];
        assert_eq!(ps, want.map(|p| p.to_vec()).to_vec());
        // k = 4, d = 2: the coarse 2 × 2 sub-grid (ranks ≤ 1, cells {0, 2}) first.
        let mut l = Layer::new(vec![0.0, 0.0], vec![1.0, 1.0], 4);
        let ps: Vec<Vec<f32>> = std::iter::from_fn(|| l.next_point()).collect();
        assert_eq!(ps.len(), 16);
        let first: Vec<Vec<f32>> = ps[..4].to_vec();
        let want = [
            [0.125, 0.125],
            [0.125, 0.625],
            [0.625, 0.125],
            [0.625, 0.625],
        ];
        assert_eq!(first, want.map(|p| p.to_vec()).to_vec());
        let mut all = ps.clone();
        all.sort_by(|a, b| a.partial_cmp(b).unwrap());
        all.dedup();
        assert_eq!(all.len(), 16, "every cell exactly once");
        // d = 0: a single (empty) point.
        let mut l = Layer::new(vec![], vec![], 2);
        assert_eq!(l.next_point(), Some(vec![]));
        assert_eq!(l.next_point(), None);
    }

    #[test]
    fn hand_checked_grid_and_refined_box() {
        // 1-d pool: 9 configs at 0, 1/8, …, 1; value peaks at x = 0.75.
        let xs: Vec<f32> = (0..9).map(|i| i as f32 / 8.0).collect();
        let fin: Vec<f32> = xs.iter().map(|x| 1.0 - (x - 0.75).abs()).collect();
        let mut obj = task(xs.clone(), 1, &fin, 2);
        let settings = GridSettings {
            points_per_dim: 2,
            refine: true,
            shrink: 0.5,
        };
        let mut g = Grid::new(settings, 0);
        // Grid 1 on [0, 1]: centres 0.25, 0.75 → configs 2, 6.
        // Best is config 6 (x = 0.75): box width 0.5 centred there = [0.5, 1].
        // Grid 2: centres 0.625, 0.875 → configs 5, 7.
        // Best is still 6: width 0.25 → [0.625, 0.875], centres 0.6875 and 0.8125.
        // Fresh configs left: x = 0, 0.125, 0.375, 0.5, 1. Nearest to 0.6875 is config 4
        // (x = 0.5, distance 0.1875; config 8 is 0.3125 away), nearest to 0.8125 is
        // config 8 (0.1875; config 3 is 0.4375 away).
        let s = steps(&mut g, &mut obj, 12);
        let order: Vec<usize> = s
            .iter()
            .filter(|s| s.epoch == 2)
            .map(|s| s.config)
            .collect();
        assert_eq!(order, vec![2, 6, 5, 7, 4, 8]);
        assert_eq!(g.current_box(), Some((&[0.625][..], &[0.875][..])));
        // The refined box is shifted to stay inside [0, 1]: best at x = 1, width 0.5.
        let mut h = History::new(vec![vec![0.0], vec![1.0], vec![0.6]], 1).unwrap();
        h.observe(1, 0.9).unwrap();
        let layer = Layer::new(vec![0.0], vec![1.0], 2);
        let r = g.refined(&h, &layer);
        assert_eq!((r.lo, r.hi), (vec![0.5], vec![1.0]));
    }

    #[test]
    fn same_seed_same_trajectory() {
        for settings in [GridSettings::default(), plain()] {
            let run_once = |seed| {
                let mut obj = random_task(40, 2, 3, 7);
                steps(&mut Grid::new(settings, seed), &mut obj, 100)
            };
            assert_eq!(run_once(3), run_once(3));
        }
    }

    #[test]
    fn spends_exactly_the_budget() {
        let mut rng = StdRng::seed_from_u64(11);
        for case in 0..30u64 {
            let configs = rng.random_range(1..40);
            let epochs = rng.random_range(1..6);
            let d = rng.random_range(1..4);
            let budget = rng.random_range(1..configs * epochs + 10);
            let settings = GridSettings {
                points_per_dim: rng.random_range(0..4),
                refine: case % 2 == 0,
                shrink: rng.random::<f64>(),
            };
            let mut obj = random_task(configs, d, epochs, case);
            let s = steps(&mut Grid::new(settings, case), &mut obj, budget);
            assert_eq!(s.len(), budget.min(configs * epochs), "case {case}");
            for (i, st) in s.iter().enumerate() {
                assert_eq!(st.spent, i + 1);
            }
        }
    }

    #[test]
    fn odd_histories_do_not_panic() {
        // One configuration, d = 1.
        let mut h = History::new(vec![vec![0.3]], 2).unwrap();
        let mut g = Grid::new(GridSettings::default(), 0);
        assert_eq!(
            g.next(&h, 5).unwrap(),
            Action {
                config: 0,
                to_epoch: 2
            }
        );
        h.hold(0, Hold::Running).unwrap();
        assert!(matches!(g.next(&h, 5), Err(HpoError::Busy)));
        // Every configuration held: Busy while one runs, then Exhausted.
        let mut h = History::new(vec![vec![0.1, 0.2], vec![0.9, 0.8]], 3).unwrap();
        h.hold(0, Hold::Running).unwrap();
        h.hold(1, Hold::Failed).unwrap();
        for settings in [GridSettings::default(), plain()] {
            let mut g = Grid::new(settings, 1);
            assert!(matches!(g.next(&h, 5), Err(HpoError::Busy)));
        }
        let mut h = History::new(vec![vec![0.1], vec![0.9]], 1).unwrap();
        h.hold(0, Hold::Failed).unwrap();
        h.observe(1, 0.5).unwrap();
        assert!(matches!(
            Grid::new(GridSettings::default(), 0).next(&h, 1),
            Err(HpoError::Exhausted)
        ));
        // d = 0, identical configurations and values, degenerate settings.
        let h = History::new(vec![vec![], vec![]], 1).unwrap();
        assert_eq!(
            Grid::new(GridSettings::default(), 0)
                .next(&h, 1)
                .unwrap()
                .config,
            0
        );
        let weird = GridSettings {
            points_per_dim: 1,
            refine: true,
            shrink: f64::NAN,
        };
        let hps = vec![0.5; 20];
        let mut obj = task(hps, 2, &[0.4; 10], 1);
        assert_eq!(steps(&mut Grid::new(weird, 0), &mut obj, 10).len(), 10);
    }

    #[test]
    fn grid_members_running_means_busy_then_refine() {
        let configs: Vec<Vec<f32>> = (0..9).map(|i| vec![i as f32 / 8.0]).collect();
        let mut h = History::new(configs, 1).unwrap();
        let settings = GridSettings {
            points_per_dim: 2,
            ..GridSettings::default()
        };
        let mut g = Grid::new(settings, 0);
        let a = g.next(&h, 10).unwrap().config;
        h.hold(a, Hold::Running).unwrap();
        let b = g.next(&h, 10).unwrap().config;
        h.hold(b, Hold::Running).unwrap();
        assert_eq!((a, b), (2, 6));
        // The grid is used up while both run: wait.
        assert!(matches!(g.next(&h, 10), Err(HpoError::Busy)));
        // Both come back (history rebuilt without the holds); 2 is the best → refine
        // around x = 0.25: box [0, 0.5], centres 0.125 and 0.375 → configs 1 and 3.
        let mut back = History::new((0..9).map(|i| vec![i as f32 / 8.0]).collect(), 1).unwrap();
        back.observe(2, 0.8).unwrap();
        back.observe(6, 0.3).unwrap();
        assert_eq!(g.next(&back, 10).unwrap().config, 1);
        assert_eq!(g.current_box(), Some((&[0.0][..], &[0.5][..])));
    }

    /// Pool of 400 configurations (a jittered 20 × 20 grid) whose final value is a
    /// smooth bump around a seeded optimum.
    fn bump_task(seed: u64) -> TabularObjective {
        let mut rng = StdRng::seed_from_u64(seed);
        let centre = [
            rng.random_range(0.15..0.85f32),
            rng.random_range(0.15..0.85f32),
        ];
        let mut hps = Vec::new();
        let mut fin = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let x = ((i as f32 + rng.random::<f32>()) / 20.0).min(1.0);
                let y = ((j as f32 + rng.random::<f32>()) / 20.0).min(1.0);
                let r2 = (x - centre[0]).powi(2) + (y - centre[1]).powi(2);
                hps.extend([x, y]);
                fin.push((-r2 / (2.0 * 0.2 * 0.2)).exp());
            }
        }
        task(hps, 2, &fin, 2)
    }

    #[test]
    fn coarse_to_fine_beats_random_search() {
        let budget = 2 * 80; // 80 full evaluations of 2 epochs
        let (mut grid, mut random, mut plain_regret) = (0.0, 0.0, 0.0);
        let seeds = 0..6u64;
        let n = seeds.clone().count() as f32;
        for seed in seeds {
            let mut obj = bump_task(seed);
            let best = obj.best_value();
            let regret = |s: &[Step]| best - s.last().unwrap().incumbent;
            grid += regret(&steps(
                &mut Grid::new(GridSettings::default(), seed),
                &mut obj,
                budget,
            ));
            plain_regret += regret(&steps(&mut Grid::new(plain(), seed), &mut obj, budget));
            random += regret(&steps(&mut RandomSearch::new(seed), &mut obj, budget));
        }
        let (grid, random, plain_regret) = (grid / n, random / n, plain_regret / n);
        assert!(
            grid < random,
            "coarse-to-fine regret {grid} vs random {random}"
        );
        assert!(
            grid < plain_regret,
            "refinement must help: {grid} vs plain {plain_regret}"
        );
    }
}

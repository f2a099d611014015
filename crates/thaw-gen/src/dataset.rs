//! The data of a task: three splits (train, validation, test) of standardised features
//! with class labels or standardised regression targets.
//!
//! Embedded tables ([`Table`], shipped in `linfa-datasets`, nothing downloaded) are split
//! 60/20/20 by a permutation drawn from the task's seed, so every task sees its own split.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// What the network predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Classes `0..k`: softmax cross-entropy.
    Classes(usize),
    /// One real value (standardised): mean squared error.
    Regression,
}

impl Target {
    /// Output units of the network.
    pub fn outputs(self) -> usize {
        match self {
            Self::Classes(k) => k,
            Self::Regression => 1,
        }
    }
}

/// Rows of one split: features row-major and one target per row (a class index as f32
/// for classification).
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// `rows × features` values.
    pub x: Vec<f32>,
    /// One target per row.
    pub y: Vec<f32>,
}

impl Split {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }
}

/// A task's data.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Training rows.
    pub train: Split,
    /// Validation rows.
    pub valid: Split,
    /// Test rows (TaskSet's outer-validation split).
    pub test: Split,
    /// Features per row.
    pub features: usize,
    /// What is predicted.
    pub target: Target,
}

/// The embedded tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Red wine quality (UCI, Cortez et al. 2009): 1,599 × 11, 6 classes.
    Wine,
    /// Diabetes progression (Efron et al. 2004): 442 × 10, regression.
    Diabetes,
    /// Iris (Fisher 1936): 150 × 4, 3 classes.
    Iris,
}

impl Table {
    /// Every table, in the order tasks cycle through them.
    pub const ALL: [Table; 3] = [Table::Wine, Table::Diabetes, Table::Iris];

    /// Its name in task names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wine => "wine",
            Self::Diabetes => "diabetes",
            Self::Iris => "iris",
        }
    }

    /// Features row-major, targets, and what they are.
    fn load(self) -> (Vec<f64>, usize, Vec<f64>, Target) {
        fn classes(
            features: usize,
            x: Vec<f64>,
            raw: Vec<usize>,
        ) -> (Vec<f64>, usize, Vec<f64>, Target) {
            let low = raw.iter().copied().min().unwrap_or(0);
            let y: Vec<f64> = raw.iter().map(|&c| (c - low) as f64).collect();
            let k = raw.iter().map(|&c| c - low).max().unwrap_or(0) + 1;
            (x, features, y, Target::Classes(k))
        }
        macro_rules! table {
            ($d:expr) => {{
                let d = $d;
                (
                    d.records.ncols(),
                    d.records.iter().copied().collect::<Vec<f64>>(),
                    d.targets.iter().copied().collect::<Vec<_>>(),
                )
            }};
        }
        match self {
            Self::Wine => {
                let (f, x, y) = table!(linfa_datasets::winequality());
                classes(f, x, y)
            }
            Self::Iris => {
                let (f, x, y) = table!(linfa_datasets::iris());
                classes(f, x, y)
            }
            Self::Diabetes => {
                let (f, x, y) = table!(linfa_datasets::diabetes());
                (x, f, y, Target::Regression)
            }
        }
    }

    /// The table split 60/20/20 by a permutation from `seed`, standardised with the
    /// training rows' statistics.
    pub fn dataset(self, seed: u64) -> Dataset {
        let (x, features, y, target) = self.load();
        let rows = y.len();
        let mut order: Vec<usize> = (0..rows).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let n_train = rows * 3 / 5;
        let n_valid = rows / 5;
        let (train, rest) = order.split_at(n_train);
        let (valid, test) = rest.split_at(n_valid);
        from_rows(&x, &y, features, target, [train, valid, test])
    }
}

/// Mean and standard deviation of each column of `x` over `rows`.
fn moments(x: &[f64], cols: usize, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0; cols];
    for &r in rows {
        for (j, m) in mean.iter_mut().enumerate() {
            *m += x[r * cols + j] / n;
        }
    }
    let mut var = vec![0.0; cols];
    for &r in rows {
        for (j, v) in var.iter_mut().enumerate() {
            *v += (x[r * cols + j] - mean[j]).powi(2) / n;
        }
    }
    (mean, var.iter().map(|v| v.sqrt().max(1e-12)).collect())
}

/// Three splits of the rows `parts` of (x, y), features (and regression targets)
/// standardised with the first part's statistics.
pub fn from_rows(
    x: &[f64],
    y: &[f64],
    features: usize,
    target: Target,
    parts: [&[usize]; 3],
) -> Dataset {
    let (mean, sd) = moments(x, features, parts[0]);
    let (y_mean, y_sd) = match target {
        Target::Regression => {
            let (m, s) = moments(y, 1, parts[0]);
            (m[0], s[0])
        }
        Target::Classes(_) => (0.0, 1.0),
    };
    let split = |rows: &[usize]| Split {
        x: rows
            .iter()
            .flat_map(|&r| (0..features).map(move |j| (r, j)))
            .map(|(r, j)| ((x[r * features + j] - mean[j]) / sd[j]) as f32)
            .collect(),
        y: rows
            .iter()
            .map(|&r| ((y[r] - y_mean) / y_sd) as f32)
            .collect(),
    };
    Dataset {
        train: split(parts[0]),
        valid: split(parts[1]),
        test: split(parts[2]),
        features,
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_split() {
        for t in Table::ALL {
            let d = t.dataset(1);
            let total = d.train.rows() + d.valid.rows() + d.test.rows();
            assert!(total > 100, "{}", t.name());
            assert_eq!(d.train.x.len(), d.train.rows() * d.features);
            if let Target::Classes(k) = d.target {
                assert!(d.train.y.iter().all(|&c| c >= 0.0 && (c as usize) < k));
            }
        }
        assert_eq!(Table::Wine.dataset(1).target, Target::Classes(6));
        assert_eq!(Table::Iris.dataset(1).target, Target::Classes(3));
    }
}

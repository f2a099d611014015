//! The red wine-quality data (Cortez et al. 2009, UCI; shipped in `linfa-datasets`):
//! 1,599 wines, 11 physico-chemical features, quality 3..=8 as 6 classes. A fixed
//! 80/20 split (independent of the `seed` parameter), features standardised with the
//! training rows' mean and standard deviation.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Seed of the fixed train/validation split.
const SPLIT_SEED: u64 = 0x7a11_5eed;
/// Share of rows held out for validation.
const VALIDATION_SHARE: f64 = 0.2;

/// Rows of features with class labels.
#[derive(Debug, Clone)]
pub struct Split {
    /// Row-major features, `len() * features` values.
    pub x: Vec<f32>,
    /// Class of each row.
    pub y: Vec<i64>,
}

impl Split {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }
}

/// The data set, split and standardised.
#[derive(Debug, Clone)]
pub struct Data {
    /// Training rows.
    pub train: Split,
    /// Validation rows.
    pub val: Split,
    /// Features per row.
    pub features: usize,
    /// Number of classes.
    pub classes: usize,
}

impl Data {
    /// Loads the embedded table (same result on every call).
    pub fn wine() -> Self {
        let table = linfa_datasets::winequality();
        let records = &table.records;
        let (rows, features) = (records.nrows(), records.ncols());
        let x: Vec<f64> = records.iter().copied().collect();
        let quality: Vec<usize> = table.targets.iter().copied().collect();
        let lowest = quality.iter().copied().min().unwrap_or(0);
        let y: Vec<i64> = quality.iter().map(|&q| (q - lowest) as i64).collect();
        let classes = y.iter().copied().max().unwrap_or(0) as usize + 1;

        let order = permutation(rows, &mut StdRng::seed_from_u64(SPLIT_SEED));
        let n_val = (rows as f64 * VALIDATION_SHARE).round() as usize;
        let (val_rows, train_rows) = order.split_at(n_val);

        let mut mean = vec![0.0f64; features];
        let mut var = vec![0.0f64; features];
        for &r in train_rows {
            for (j, m) in mean.iter_mut().enumerate() {
                *m += x[r * features + j];
            }
        }
        mean.iter_mut().for_each(|m| *m /= train_rows.len() as f64);
        for &r in train_rows {
            for (j, v) in var.iter_mut().enumerate() {
                *v += (x[r * features + j] - mean[j]).powi(2);
            }
        }
        let sd: Vec<f64> = var
            .iter()
            .map(|v| (v / train_rows.len() as f64).sqrt().max(1e-12))
            .collect();
        let take = |rows: &[usize]| Split {
            x: rows
                .iter()
                .flat_map(|&r| (0..features).map(move |j| (r, j)))
                .map(|(r, j)| ((x[r * features + j] - mean[j]) / sd[j]) as f32)
                .collect(),
            y: rows.iter().map(|&r| y[r]).collect(),
        };
        Self {
            train: take(train_rows),
            val: take(val_rows),
            features,
            classes,
        }
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut StdRng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wine_table() {
        let d = Data::wine();
        assert_eq!((d.features, d.classes), (11, 6));
        assert_eq!((d.train.len(), d.val.len()), (1279, 320));
        assert_eq!(d.train.x.len(), 1279 * 11);
        // Standardised training features.
        let mean0: f32 = (0..d.train.len()).map(|r| d.train.x[r * 11]).sum::<f32>() / 1279.0;
        assert!(mean0.abs() < 1e-4, "{mean0}");
        assert!(d.val.y.iter().all(|&c| (0..6).contains(&c)));
        // The split is fixed.
        assert_eq!(Data::wine().val.y, d.val.y);
    }
}

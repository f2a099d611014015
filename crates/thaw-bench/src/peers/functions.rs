//! The continuous test problems, minimised, with known optima (Surjanovic & Bingham's
//! "Virtual Library of Simulation Experiments" definitions and domains). Every problem is
//! evaluated at a point u of the unit box [0, 1]^d, mapped linearly onto its domain.

/// A continuous test problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// Branin–Hoo on [−5, 10] × [0, 15]; minimum 0.397887 at three points.
    Branin,
    /// Hartmann-6 on [0, 1]^6; minimum −3.32237 at (0.20169, 0.150011, 0.476874,
    /// 0.275332, 0.311652, 0.6573).
    Hartmann6,
    /// Rosenbrock in 10 dimensions on [−5, 10]^10; minimum 0 at (1, …, 1).
    Rosenbrock10,
}

/// Every function, in table order.
pub const FUNCTIONS: [Function; 3] = [
    Function::Branin,
    Function::Hartmann6,
    Function::Rosenbrock10,
];

const HARTMANN_ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
const HARTMANN_A: [[f64; 6]; 4] = [
    [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
    [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
    [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
    [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
];
const HARTMANN_P: [[f64; 6]; 4] = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

impl Function {
    /// Name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Branin => "branin",
            Self::Hartmann6 => "hartmann6",
            Self::Rosenbrock10 => "rosenbrock10",
        }
    }

    /// The function of `name`, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        FUNCTIONS.into_iter().find(|f| f.name() == name)
    }

    /// Dimension d.
    pub fn dims(self) -> usize {
        match self {
            Self::Branin => 2,
            Self::Hartmann6 => 6,
            Self::Rosenbrock10 => 10,
        }
    }

    /// Per coordinate, the domain [low, high] that u ∈ [0, 1] maps onto.
    pub fn domain(self) -> Vec<(f64, f64)> {
        match self {
            Self::Branin => vec![(-5.0, 10.0), (0.0, 15.0)],
            Self::Hartmann6 => vec![(0.0, 1.0); 6],
            Self::Rosenbrock10 => vec![(-5.0, 10.0); 10],
        }
    }

    /// The global minimum f*.
    pub fn optimum(self) -> f64 {
        match self {
            Self::Branin => 5.0 / (4.0 * std::f64::consts::PI),
            Self::Hartmann6 => -3.322_368_011_415_515,
            Self::Rosenbrock10 => 0.0,
        }
    }

    /// An upper bound of f on the domain (Branin's maximum is 308.13 at (−5, 0),
    /// Hartmann-6 is negative everywhere, Rosenbrock-10 is below 9 · 1,102,581).
    pub fn upper_bound(self) -> f64 {
        match self {
            Self::Branin => 310.0,
            Self::Hartmann6 => 0.0,
            Self::Rosenbrock10 => 1e7,
        }
    }

    /// f at the point x of the domain (not of the unit box).
    pub fn at(self, x: &[f64]) -> f64 {
        match self {
            Self::Branin => {
                let pi = std::f64::consts::PI;
                let (b, c, t) = (5.1 / (4.0 * pi * pi), 5.0 / pi, 1.0 / (8.0 * pi));
                let (x1, x2) = (x[0], x[1]);
                (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
            }
            Self::Hartmann6 => -(0..4)
                .map(|i| {
                    let inner: f64 = (0..6)
                        .map(|j| HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j]).powi(2))
                        .sum();
                    HARTMANN_ALPHA[i] * (-inner).exp()
                })
                .sum::<f64>(),
            Self::Rosenbrock10 => x
                .windows(2)
                .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
                .sum(),
        }
    }

    /// The domain point of the unit-box point `u`.
    pub fn to_domain(self, u: &[f32]) -> Vec<f64> {
        u.iter()
            .zip(self.domain())
            .map(|(&v, (lo, hi))| lo + (hi - lo) * f64::from(v))
            .collect()
    }

    /// f at the unit-box point `u`.
    pub fn at_unit(self, u: &[f32]) -> f64 {
        self.at(&self.to_domain(u))
    }

    /// What thaw's methods observe for the value f (they maximise values in [0, 1]): the
    /// affine map (upper − f) / (upper − f*), 1 at the optimum. Rank-based methods (TPE,
    /// CMA-ES) are invariant to it and GP-BO standardises its outputs, so every method
    /// sees the raw problem; the value is stored as f32, which resolves f to
    /// (upper − f*) · 6e-8 near the optimum (Branin 2e-5, Hartmann-6 2e-7,
    /// Rosenbrock-10 0.6). Regret is computed from f itself, in f64.
    pub fn observed(self, f: f64) -> f32 {
        let (hi, lo) = (self.upper_bound(), self.optimum());
        ((hi - f) / (hi - lo)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_optima_by_hand() {
        let pi = std::f64::consts::PI;
        for x in [[-pi, 12.275], [pi, 2.275], [9.424_78, 2.475]] {
            let f = Function::Branin.at(&x);
            assert!((f - 0.397_887).abs() < 1e-5, "Branin at {x:?}: {f}");
        }
        assert!((Function::Branin.optimum() - 0.397_887).abs() < 1e-6);
        let x = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
        let f = Function::Hartmann6.at(&x);
        assert!((f - -3.32237).abs() < 1e-5, "Hartmann-6 at x*: {f}");
        assert!(f >= Function::Hartmann6.optimum() - 1e-12);
        assert_eq!(Function::Rosenbrock10.at(&[1.0; 10]), 0.0);
        // One term by hand: x = (0, …, 0): 9 × (1 − 0)² = 9.
        assert_eq!(Function::Rosenbrock10.at(&[0.0; 10]), 9.0);
        // The unit box maps onto the domain; the bounds hold at its worst corners.
        let u: Vec<f32> = vec![0.0, 0.0];
        assert_eq!(Function::Branin.to_domain(&u), vec![-5.0, 0.0]);
        let worst = Function::Branin.at(&[-5.0, 0.0]);
        assert!(worst > 308.0 && worst < Function::Branin.upper_bound());
        let corner: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 10.0 } else { -5.0 })
            .collect();
        assert!(Function::Rosenbrock10.at(&corner) < Function::Rosenbrock10.upper_bound());
        for f in FUNCTIONS {
            assert_eq!(f.observed(f.optimum()), 1.0);
            assert_eq!(f.observed(f.upper_bound()), 0.0);
            assert_eq!(Function::named(f.name()), Some(f));
            assert_eq!(f.domain().len(), f.dims());
        }
    }
}

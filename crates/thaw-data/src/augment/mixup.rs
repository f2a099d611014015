//! Mixup for learning curves (Lee et al. 2024, reference §3), on tasks that share
//! one configuration grid:
//! 1. task mixup — permutation π of tasks, λ_i ~ Beta(a, a):
//!    y_i ← λ_i y_i + (1 − λ_i) y_π(i);
//! 2. config mixup — permutation σ of configs, λ_j ~ Beta(b, b):
//!    x_j ← λ_j x_j + (1 − λ_j) x_σ(j), y[:, j, :] ← λ_j y[:, j, :] + (1 − λ_j) y[:, σ(j), :].
//!
//! The random draws are a [`MixupPlan`], applied by a pure function.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};

use crate::error::{DataError, Result};
use crate::task::CurveSet;

/// Beta concentrations of the two mixups (defaults a = b = 1: λ uniform).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixupConfig {
    /// a of λ_i ~ Beta(a, a) for task mixup.
    pub task_alpha: f64,
    /// b of λ_j ~ Beta(b, b) for config mixup.
    pub config_alpha: f64,
}

impl Default for MixupConfig {
    fn default() -> Self {
        Self {
            task_alpha: 1.0,
            config_alpha: 1.0,
        }
    }
}

/// The random part of one mixup: permutations and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct MixupPlan {
    /// π: task i is mixed with task `task_perm[i]`.
    pub task_perm: Vec<usize>,
    /// λ_i per task.
    pub task_lambda: Vec<f64>,
    /// σ: config j is mixed with config `config_perm[j]`.
    pub config_perm: Vec<usize>,
    /// λ_j per config.
    pub config_lambda: Vec<f64>,
}

impl MixupPlan {
    /// Draws a plan for `tasks` tasks of `configs` configurations.
    pub fn draw<R: Rng + ?Sized>(
        tasks: usize,
        configs: usize,
        cfg: MixupConfig,
        rng: &mut R,
    ) -> Result<Self> {
        let beta = |a: f64, name: &'static str| {
            Beta::new(a, a).map_err(|e| DataError::InvalidArgument {
                name,
                detail: format!("{a}: {e}"),
            })
        };
        let (bt, bc) = (
            beta(cfg.task_alpha, "mixup task alpha")?,
            beta(cfg.config_alpha, "mixup config alpha")?,
        );
        let mut task_perm: Vec<usize> = (0..tasks).collect();
        task_perm.shuffle(rng);
        let task_lambda = (0..tasks).map(|_| bt.sample(rng)).collect();
        let mut config_perm: Vec<usize> = (0..configs).collect();
        config_perm.shuffle(rng);
        let config_lambda = (0..configs).map(|_| bc.sample(rng)).collect();
        Ok(Self {
            task_perm,
            task_lambda,
            config_perm,
            config_lambda,
        })
    }

    /// Task mixup only (step 1).
    pub fn mix_tasks(&self, tasks: &[CurveSet]) -> Result<Vec<CurveSet>> {
        check_grid(tasks, self)?;
        Ok(tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (l, other) = (self.task_lambda[i] as f32, &tasks[self.task_perm[i]]);
                let mut out = t.clone();
                for (y, o) in out.y.iter_mut().zip(&other.y) {
                    *y = mix(l, *y, *o);
                }
                out
            })
            .collect())
    }

    /// Config mixup only (step 2), the same σ and λ_j for every task.
    pub fn mix_configs(&self, tasks: &[CurveSet]) -> Result<Vec<CurveSet>> {
        check_grid(tasks, self)?;
        Ok(tasks
            .iter()
            .map(|t| {
                let mut out = t.clone();
                for j in 0..t.configs {
                    let (l, s) = (self.config_lambda[j] as f32, self.config_perm[j]);
                    for (k, x) in out.hps[j * t.n_hps..(j + 1) * t.n_hps]
                        .iter_mut()
                        .enumerate()
                    {
                        *x = mix(l, t.hps[j * t.n_hps + k], t.hps[s * t.n_hps + k]);
                    }
                    for (e, y) in out.y[j * t.epochs..(j + 1) * t.epochs]
                        .iter_mut()
                        .enumerate()
                    {
                        *y = mix(l, t.y_at(j, e), t.y_at(s, e));
                    }
                }
                out
            })
            .collect())
    }

    /// Both steps: task mixup, then config mixup.
    pub fn apply(&self, tasks: &[CurveSet]) -> Result<Vec<CurveSet>> {
        self.mix_configs(&self.mix_tasks(tasks)?)
    }
}

/// Draws a fresh plan and applies it: one mixed copy of every task.
pub fn mixup<R: Rng + ?Sized>(
    tasks: &[CurveSet],
    cfg: MixupConfig,
    rng: &mut R,
) -> Result<Vec<CurveSet>> {
    let first = tasks.first().ok_or(DataError::InvalidArgument {
        name: "mixup tasks",
        detail: "no tasks given".into(),
    })?;
    MixupPlan::draw(tasks.len(), first.configs, cfg, rng)?.apply(tasks)
}

/// λ a + (1 − λ) b, kept inside [min(a, b), max(a, b)] despite rounding.
#[inline]
fn mix(l: f32, a: f32, b: f32) -> f32 {
    (l * a + (1.0 - l) * b).clamp(a.min(b), a.max(b))
}

fn check_grid(tasks: &[CurveSet], plan: &MixupPlan) -> Result<()> {
    let bad = |detail: String| {
        Err(DataError::InvalidArgument {
            name: "mixup tasks",
            detail,
        })
    };
    let Some(first) = tasks.first() else {
        return bad("no tasks given".into());
    };
    if plan.task_perm.len() != tasks.len() || plan.config_perm.len() != first.configs {
        return bad("the plan was drawn for a different number of tasks or configurations".into());
    }
    for t in tasks {
        if !t.same_shape(first) {
            return bad(format!(
                "shapes differ: {}x{}x{} vs {}x{}x{} (configs x epochs x hps)",
                t.configs, t.epochs, t.n_hps, first.configs, first.epochs, first.n_hps
            ));
        }
        if t.hps != first.hps {
            return bad(
                "tasks do not share one configuration grid (their hyperparameters differ)".into(),
            );
        }
    }
    Ok(())
}

//! Successive-halving arithmetic shared by SHA, HyperBand and ASHA (η-fold reduction).
//!
//! With maximum budget R (epochs), minimum r_min and reduction factor η, HyperBand has
//! s_max + 1 brackets, s_max = ⌊log_η(R / r_min)⌋ (computed exactly in integers). Bracket
//! s starts n_s = ⌈(s_max + 1) / (s + 1) · η^s⌉ configurations; rung i ∈ 0..=s keeps
//! ⌊n_s / η^i⌋ of them and trains them to r_i = R · η^(i − s) epochs, rounded to the
//! nearest integer and at least r_min (the last rung is exactly R). SHA is one bracket
//! (s = s_max); ASHA uses the rung budgets of that bracket asynchronously.

/// One rung: how many configurations reach it and their budget in epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// Configurations trained to this rung.
    pub configs: usize,
    /// Epochs of training they have after it.
    pub epochs: usize,
}

/// s_max = ⌊log_η(max / min)⌋, exactly (no floating point).
pub fn s_max(max_epochs: usize, min_epochs: usize, eta: usize) -> usize {
    let (eta, min) = (eta.max(2), min_epochs.max(1));
    let mut s = 0;
    let mut reach = min;
    while reach * eta <= max_epochs {
        reach *= eta;
        s += 1;
    }
    s
}

/// Rung budgets of a bracket with `s` halvings: R · η^(i − s), rounded, ≥ min, last = R.
pub fn rung_epochs(max_epochs: usize, min_epochs: usize, eta: usize, s: usize) -> Vec<usize> {
    let eta = eta.max(2) as f64;
    (0..=s)
        .map(|i| {
            let r = (max_epochs as f64 * eta.powi(i as i32 - s as i32)).round() as usize;
            r.clamp(min_epochs.max(1), max_epochs)
        })
        .collect()
}

/// The rungs of HyperBand bracket `s`.
pub fn bracket(max_epochs: usize, min_epochs: usize, eta: usize, s: usize) -> Vec<Rung> {
    let smax = s_max(max_epochs, min_epochs, eta);
    let eta_u = eta.max(2);
    let pow = |k: usize| eta_u.pow(k as u32);
    // ⌈(s_max + 1) η^s / (s + 1)⌉ in integers.
    let n = ((smax + 1) * pow(s)).div_ceil(s + 1);
    rung_epochs(max_epochs, min_epochs, eta, s)
        .into_iter()
        .enumerate()
        .map(|(i, epochs)| Rung {
            configs: (n / pow(i)).max(1),
            epochs,
        })
        .collect()
}

/// Every HyperBand bracket, most exploratory (s = s_max) first.
pub fn hyperband(max_epochs: usize, min_epochs: usize, eta: usize) -> Vec<Vec<Rung>> {
    let smax = s_max(max_epochs, min_epochs, eta);
    (0..=smax)
        .rev()
        .map(|s| bracket(max_epochs, min_epochs, eta, s))
        .collect()
}

/// Epochs one bracket costs when every promoted configuration resumes where it stopped.
pub fn bracket_cost(rungs: &[Rung]) -> usize {
    let mut prev = 0;
    rungs
        .iter()
        .map(|r| {
            let c = r.configs * (r.epochs - prev);
            prev = r.epochs;
            c
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rungs(v: &[(usize, usize)]) -> Vec<Rung> {
        v.iter()
            .map(|&(configs, epochs)| Rung { configs, epochs })
            .collect()
    }

    #[test]
    fn hyperband_for_50_epochs_eta_3_by_hand() {
        // s_max = ⌊log3 50⌋ = 3 (27 ≤ 50 < 81).
        assert_eq!(s_max(50, 1, 3), 3);
        let hb = hyperband(50, 1, 3);
        assert_eq!(hb.len(), 4);
        // s = 3: n = ⌈4/4 · 27⌉ = 27; budgets 50/27 = 1.85 → 2, 50/9 = 5.56 → 6, 50/3 = 16.7 → 17, 50.
        assert_eq!(hb[0], rungs(&[(27, 2), (9, 6), (3, 17), (1, 50)]));
        // s = 2: n = ⌈4/3 · 9⌉ = 12; budgets 5.56 → 6, 16.7 → 17, 50.
        assert_eq!(hb[1], rungs(&[(12, 6), (4, 17), (1, 50)]));
        // s = 1: n = ⌈4/2 · 3⌉ = 6; budgets 16.7 → 17, 50.
        assert_eq!(hb[2], rungs(&[(6, 17), (2, 50)]));
        // s = 0: n = 4 full trainings.
        assert_eq!(hb[3], rungs(&[(4, 50)]));
        // Costs with resumption: 27·2 + 9·4 + 3·11 + 1·33 = 156.
        assert_eq!(bracket_cost(&hb[0]), 156);
        assert_eq!(bracket_cost(&hb[1]), 12 * 6 + 4 * 11 + 33);
        assert_eq!(bracket_cost(&hb[3]), 200);
    }

    #[test]
    fn small_and_degenerate_ranges() {
        // R = 9, η = 3: s_max 2, budgets 1, 3, 9 exactly.
        assert_eq!(rung_epochs(9, 1, 3, 2), vec![1, 3, 9]);
        assert_eq!(bracket(9, 1, 3, 2), rungs(&[(9, 1), (3, 3), (1, 9)]));
        // R = 2: one halving would need 3 epochs: s_max = 0, a single full-budget bracket.
        assert_eq!(s_max(2, 1, 3), 0);
        assert_eq!(hyperband(2, 1, 3), vec![rungs(&[(1, 2)])]);
        // The minimum is respected.
        assert_eq!(rung_epochs(50, 4, 3, 3), vec![4, 6, 17, 50]);
    }
}

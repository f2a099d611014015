//! How methods that propose points of the continuous space (TPE, CMA-ES, grid) act on a
//! fixed pool of configurations (a tabular benchmark's table, or `thaw tune`'s candidate
//! pool): one rule, the same for every such method. A proposed point becomes the
//! **nearest never-trained open configuration** in the encoding (Euclidean distance in
//! [0, 1]^d; ties go to the lowest index); if every open configuration has been started,
//! the nearest open one. Full-fidelity methods observe a configuration's value at its
//! last epoch.

use crate::history::History;

/// Squared Euclidean distance.
pub fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The configuration the rule maps `point` to, or None when nothing is open. The
/// [first](History::first_due) configuration, while due, comes before any point.
pub fn nearest_open(history: &History, point: &[f32]) -> Option<usize> {
    if let Some(c) = history.first_due() {
        return Some(c);
    }
    let pick = |fresh_only: bool| {
        (0..history.n_configs())
            .filter(|&c| history.is_open(c) && (!fresh_only || history.curve(c).is_empty()))
            .map(|c| (sq_dist(history.config(c), point), c))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, c)| c)
    };
    pick(true).or_else(|| pick(false))
}

/// Full-fidelity evaluations: every configuration trained to the last epoch, with its
/// value there (higher is better), in index order.
pub fn evaluations(history: &History) -> Vec<(usize, f32)> {
    (0..history.n_configs())
        .filter_map(|c| {
            let curve = history.curve(c);
            (curve.len() == history.max_epochs()).then(|| (c, curve[curve.len() - 1]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Hold;

    #[test]
    fn nearest_fresh_then_nearest_open() {
        let configs = vec![
            vec![0.0, 0.0],
            vec![0.5, 0.5],
            vec![0.52, 0.5],
            vec![1.0, 1.0],
        ];
        let mut h = History::new(configs, 2).unwrap();
        assert_eq!(
            nearest_open(&h, &[0.51, 0.5]),
            Some(1),
            "a tie goes to the lower index"
        );
        h.observe(1, 0.3).unwrap();
        assert_eq!(
            nearest_open(&h, &[0.5, 0.5]),
            Some(2),
            "never-trained ones first"
        );
        h.hold(2, Hold::Running).unwrap();
        h.observe_prefix(0, &[0.1, 0.2]).unwrap();
        h.observe(3, 0.1).unwrap();
        // Nothing fresh is open: the nearest open (started) one.
        assert_eq!(nearest_open(&h, &[0.5, 0.5]), Some(1));
        assert_eq!(evaluations(&h), vec![(0, 0.2)]);
        h.observe(1, 0.9).unwrap();
        h.observe(3, 0.4).unwrap();
        assert_eq!(nearest_open(&h, &[0.5, 0.5]), None);
    }
}

//! The FT-PFN prior against reference §2 (statistical checks with fixed seeds).

use std::collections::HashMap;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use thaw_prior::ftpfn::{RankTable, SyntheticCurve, SyntheticTask};
use thaw_prior::{ContextSize, FEATURES, FtPfnPrior, HpCount, MAX_HPS, Prior, sample_curves};

/// `tasks` random tasks with `per_task` random configurations each.
fn curves(tasks: usize, per_task: usize, seed: u64) -> Vec<Vec<SyntheticCurve>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..tasks)
        .map(|_| {
            let d = rng.random_range(1..=MAX_HPS);
            let task = SyntheticTask::sample(d, &mut rng);
            let configs: Vec<f32> = (0..per_task * d).map(|_| rng.random()).collect();
            task.curves(&configs, RankTable::reference(), &mut rng)
        })
        .collect()
}

#[test]
fn every_token_lies_in_the_unit_box() {
    let prior = FtPfnPrior::new(ContextSize::Uniform, HpCount::Uniform).unwrap();
    for step in 0..6 {
        let b = prior.sample(3, step, 4, 300).unwrap();
        assert!(
            b.y.iter().all(|y| (0.0..=1.0).contains(y)),
            "y outside [0, 1]"
        );
        for tok in b.x.chunks_exact(FEATURES) {
            assert!(tok[0] > 0.0 && tok[0] <= 1.0, "t = {}", tok[0]);
            // h·10/d lies in [0, 10/d] ⊂ [0, 10]
            assert!(tok[1..].iter().all(|h| (0.0..=10.0).contains(h)));
        }
    }
}

#[test]
fn basis_weights_sum_to_one_and_divergence_is_about_37_percent() {
    let (mut diverging, mut total) = (0usize, 0usize);
    for task in curves(300, 10, 1) {
        for c in task {
            assert!((c.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(c.weights.iter().all(|&w| w > 0.0));
            for b in c.bases {
                total += 1;
                diverging += usize::from(b.r_psat < 0.0);
                assert!(b.r_psat <= 1.0 && b.prec >= 1.0 && b.prec <= 1000.0 + 1e-9);
            }
        }
    }
    let frac = diverging as f64 / total as f64;
    // P(1 − Exp(1) < 0) = e^−1 ≈ 0.368; quantiles come from MLP ranks, so allow ±0.04.
    assert!(
        (frac - (-1f64).exp()).abs() < 0.04,
        "divergence in {frac:.3} of bases"
    );
}

#[test]
fn every_basis_rises_until_its_saturation_point() {
    for task in curves(100, 5, 2) {
        for c in task {
            for b in c.bases {
                let end = b.x_sat.min(1.0);
                let mut last = f64::NEG_INFINITY;
                for i in 1..=200 {
                    let x = end * i as f64 / 200.0;
                    let v = b.value(x, c.y0, c.y_inf);
                    assert!(
                        v.is_finite() && v >= last - 1e-12,
                        "{:?} falls before X_sat",
                        b.kind
                    );
                    last = v;
                }
            }
        }
    }
}

#[test]
fn hyperparameters_matter_nearby_configs_have_closer_curves() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let table = RankTable::reference();
    let (mut near, mut far) = (0.0, 0.0);
    let grid: Vec<f64> = (1..=20).map(|i| i as f64 / 20.0).collect();
    for _ in 0..200 {
        let d = rng.random_range(1..=MAX_HPS);
        let task = SyntheticTask::sample(d, &mut rng);
        let a: Vec<f32> = (0..d).map(|_| rng.random()).collect();
        let b: Vec<f32> = a.iter().map(|v| (v + 0.02).min(1.0)).collect();
        let c: Vec<f32> = (0..d).map(|_| rng.random()).collect();
        let cs = task.curves(&[a, b, c].concat(), table, &mut rng);
        let dist = |p: &SyntheticCurve, q: &SyntheticCurve| {
            grid.iter()
                .map(|&x| (p.mean(x) - q.mean(x)).abs())
                .sum::<f64>()
                / grid.len() as f64
        };
        near += dist(&cs[0], &cs[1]);
        far += dist(&cs[0], &cs[2]);
    }
    assert!(near < 0.5 * far, "near {near:.3} vs far {far:.3}");
}

#[test]
fn layout_prefixes_queries_and_ids_follow_the_rules() {
    let prior = FtPfnPrior::new(ContextSize::Uniform, HpCount::Fixed(3)).unwrap();
    let mut checked_unseen = 0;
    for step in 0..30 {
        let b = prior.sample(11, step, 4, 200).unwrap();
        for s in 0..b.batch {
            // Curves are identified by their (continuous, distinct) configurations.
            let mut ctx: HashMap<Vec<u32>, (i64, Vec<f32>)> = HashMap::new();
            let tok = |i: usize| &b.x[(s * b.seq_len + i) * FEATURES..][..FEATURES];
            let key = |i: usize| tok(i)[1..].iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            for i in 0..b.n_ctx {
                let id = b.ids[s * b.seq_len + i];
                let e = ctx.entry(key(i)).or_insert((id, Vec::new()));
                assert_eq!(e.0, id, "one id per curve");
                e.1.push(tok(i)[0]);
            }
            let mut ids: Vec<i64> = ctx.values().map(|v| v.0).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), ctx.len(), "distinct ids for distinct curves");
            for (id, ts) in ctx.values() {
                assert!(*id >= 1 && *id <= 1000);
                let step_t = ts[0];
                for (j, t) in ts.iter().enumerate() {
                    assert!(
                        (t - step_t * (j + 1) as f32).abs() < 1e-5,
                        "context is the prefix 1..k"
                    );
                }
            }
            let mut future: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
            for i in b.n_ctx..b.seq_len {
                let id = b.ids[s * b.seq_len + i];
                let t = tok(i)[0];
                match ctx.get(&key(i)) {
                    Some((cid, ts)) => {
                        assert_eq!(id, *cid, "a query of a seen curve carries its id");
                        assert!(t > *ts.last().unwrap() + 1e-7, "query after the context");
                    }
                    None => {
                        assert_eq!(id, 0, "unseen curves have id 0");
                        checked_unseen += 1;
                    }
                }
                let f = future.entry(key(i)).or_default();
                assert!(!f.contains(&t.to_bits()), "a query point appears twice");
                f.push(t.to_bits());
            }
        }
    }
    assert!(
        checked_unseen > 100,
        "the test saw too few unseen-curve queries"
    );
}

#[test]
fn batches_are_deterministic_per_seed_and_step() {
    let prior = FtPfnPrior::new(ContextSize::Uniform, HpCount::Uniform).unwrap();
    let a = prior.sample(1, 5, 3, 120).unwrap();
    assert_eq!(a, prior.sample(1, 5, 3, 120).unwrap());
    assert_ne!(a, prior.sample(1, 6, 3, 120).unwrap());
    assert_ne!(a, prior.sample(2, 5, 3, 120).unwrap());
    // Longer than the 1000 curve ids: the levels grow so that enough points exist.
    let long = prior.sample(1, 0, 1, 2500).unwrap();
    assert_eq!(long.seq_len, 2500);
}

#[test]
fn sample_curves_gives_one_task_and_rejects_bad_shapes() {
    let (hps, y) = sample_curves(30, 50, 4, 9).unwrap();
    assert_eq!((hps.len(), y.len()), (30 * 4, 30 * 50));
    assert!(y.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(
        (hps.clone(), y.clone()),
        sample_curves(30, 50, 4, 9).unwrap()
    );
    assert!(sample_curves(30, 50, 11, 9).is_err());
    assert!(sample_curves(0, 50, 2, 9).is_err());
    assert!(FtPfnPrior::new(ContextSize::Uniform, HpCount::Fixed(0)).is_err());
}

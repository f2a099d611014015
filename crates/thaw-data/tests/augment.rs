//! Properties of CDF-augment and Mixup on random curves.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_data::augment::{BetaForm, CdfAugment, MixupConfig, MixupPlan, cdf_augment, mixup};
use thaw_data::{BetaCdf, CurveSet};

fn random_curves(rng: &mut StdRng, configs: usize, epochs: usize, n_hps: usize) -> CurveSet {
    let mut y = Vec::with_capacity(configs * epochs);
    for _ in 0..configs {
        // monotone-ish curves with ties, exact zeros and ones, like real tasks
        let kind = rng.random_range(0..4);
        let mut v: f32 = if kind == 0 { 0.0 } else { rng.random() };
        for _ in 0..epochs {
            v = match kind {
                0 => 0.0,
                1 => 1.0,
                _ => (v + 0.05 * rng.random::<f32>()).min(1.0),
            };
            y.push(v);
        }
    }
    let hps = (0..configs * n_hps).map(|_| rng.random()).collect();
    CurveSet {
        configs,
        epochs,
        n_hps,
        hps,
        y,
    }
}

#[test]
fn cdf_augment_stays_in_unit_interval_is_monotone_and_keeps_rankings() {
    let mut rng = StdRng::seed_from_u64(7);
    for form in [BetaForm::Mode, BetaForm::Mean] {
        let aug = CdfAugment {
            form,
            ..Default::default()
        };
        for _ in 0..40 {
            let curves = random_curves(&mut rng, 60, 12, 3);
            let warp = aug.sample(&mut rng).unwrap();
            let out = cdf_augment(&curves, &warp);
            assert_eq!(out.hps, curves.hps);
            assert!(out.y.iter().all(|y| (0.0..=1.0).contains(y)), "{form:?}");
            // monotone in y over all values of the task
            let mut pairs: Vec<(f32, f32)> = curves
                .y
                .iter()
                .copied()
                .zip(out.y.iter().copied())
                .collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in pairs.windows(2) {
                assert!(
                    w[0].1 <= w[1].1,
                    "{form:?} a={} b={}: {w:?}",
                    warp.alpha(),
                    warp.beta()
                );
            }
            // ranking of configurations at every epoch: strict order never reverses, ties stay ties
            for e in 0..curves.epochs {
                for i in 0..curves.configs {
                    for j in 0..curves.configs {
                        let (a, b) = (curves.y_at(i, e), curves.y_at(j, e));
                        let (a2, b2) = (out.y_at(i, e), out.y_at(j, e));
                        if a < b {
                            assert!(a2 <= b2);
                        }
                        if a == b {
                            assert_eq!(a2, b2);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn cdf_augment_with_kappa_two_in_mode_form_is_the_identity() {
    let mut rng = StdRng::seed_from_u64(3);
    let curves = random_curves(&mut rng, 100, 20, 2);
    for mu in [0.0, 0.3, 0.5, 0.91, 1.0] {
        let (a, b) = BetaForm::Mode.shapes(mu, 2.0).unwrap();
        assert_eq!((a, b), (1.0, 1.0));
        let out = cdf_augment(&curves, &BetaCdf::new(a, b).unwrap());
        for (x, y) in curves.y.iter().zip(&out.y) {
            assert!((x - y).abs() <= 1e-6, "mu={mu}: {x} -> {y}");
        }
    }
}

#[test]
fn cdf_augment_changes_hardness_and_is_seeded() {
    let mut rng = StdRng::seed_from_u64(11);
    let curves = random_curves(&mut rng, 100, 20, 2);
    let aug = CdfAugment::default();
    let a = aug.apply(&curves, &mut StdRng::seed_from_u64(5)).unwrap();
    let b = aug.apply(&curves, &mut StdRng::seed_from_u64(5)).unwrap();
    let c = aug.apply(&curves, &mut StdRng::seed_from_u64(6)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.y, c.y);
    assert_ne!(a.y, curves.y, "a random warp is not the identity");
    assert!(
        BetaForm::Mode.shapes(0.5, 1.5).is_err(),
        "mode form needs kappa >= 2"
    );
}

fn grid_tasks(rng: &mut StdRng, n: usize) -> Vec<CurveSet> {
    let first = random_curves(rng, 30, 8, 4);
    (0..n)
        .map(|_| {
            let mut t = random_curves(rng, 30, 8, 4);
            t.hps = first.hps.clone();
            t
        })
        .collect()
}

fn between(v: f32, a: f32, b: f32) -> bool {
    a.min(b) <= v && v <= a.max(b)
}

#[test]
fn task_and_config_mixup_are_convex_combinations_of_their_sources() {
    let mut rng = StdRng::seed_from_u64(1);
    let tasks = grid_tasks(&mut rng, 5);
    let plan = MixupPlan::draw(5, 30, MixupConfig::default(), &mut rng).unwrap();
    let step1 = plan.mix_tasks(&tasks).unwrap();
    for (i, t) in step1.iter().enumerate() {
        let other = &tasks[plan.task_perm[i]];
        for k in 0..t.y.len() {
            assert!(between(t.y[k], tasks[i].y[k], other.y[k]));
        }
        assert_eq!(t.hps, tasks[i].hps);
    }
    let step2 = plan.mix_configs(&step1).unwrap();
    for (src, t) in step1.iter().zip(&step2) {
        assert!(t.same_shape(src));
        for j in 0..t.configs {
            let s = plan.config_perm[j];
            for e in 0..t.epochs {
                assert!(between(t.y_at(j, e), src.y_at(j, e), src.y_at(s, e)));
            }
            for h in 0..t.n_hps {
                assert!(between(t.hp(j)[h], src.hp(j)[h], src.hp(s)[h]));
            }
        }
    }
    assert_eq!(plan.apply(&tasks).unwrap(), step2);
    assert!(
        plan.task_lambda
            .iter()
            .chain(&plan.config_lambda)
            .all(|l| (0.0..=1.0).contains(l))
    );
}

#[test]
fn mixup_keeps_shapes_is_seeded_and_rejects_mismatched_grids() {
    let mut rng = StdRng::seed_from_u64(2);
    let tasks = grid_tasks(&mut rng, 3);
    let a = mixup(
        &tasks,
        MixupConfig::default(),
        &mut StdRng::seed_from_u64(9),
    )
    .unwrap();
    let b = mixup(
        &tasks,
        MixupConfig::default(),
        &mut StdRng::seed_from_u64(9),
    )
    .unwrap();
    let c = mixup(
        &tasks,
        MixupConfig::default(),
        &mut StdRng::seed_from_u64(10),
    )
    .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 3);
    assert!(a.iter().zip(&tasks).all(|(x, y)| x.same_shape(y)));
    assert!(
        a.windows(2).all(|w| w[0].hps == w[1].hps),
        "mixed tasks still share one grid"
    );

    let mut other = tasks.clone();
    other[1].hps[0] = 0.123;
    assert!(
        mixup(&other, MixupConfig::default(), &mut rng)
            .unwrap_err()
            .to_string()
            .contains("grid")
    );
    other[1] = random_curves(&mut rng, 10, 8, 4);
    assert!(
        mixup(&other, MixupConfig::default(), &mut rng)
            .unwrap_err()
            .to_string()
            .contains("shapes")
    );
    let bad = MixupConfig {
        task_alpha: 0.0,
        ..Default::default()
    };
    assert!(mixup(&tasks, bad, &mut rng).is_err());
}

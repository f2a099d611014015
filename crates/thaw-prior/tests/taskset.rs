//! The TaskSet prior on small synthetic tasks.

use std::collections::HashMap;

use thaw_data::{CdfAugment, CleaningReport, CurveSet, MixupConfig, RawTask, Task};
use thaw_prior::{Augment, ContextSize, FEATURES, Prior, TaskSetPrior};

/// A task of `configs` curves over `epochs` epochs with 2 hyperparameters; y depends on
/// (config, epoch) in a way that identifies both (y = (c·epochs + e + 1) / (configs·epochs + 1)).
fn task(name: &str, configs: usize, epochs: usize) -> Task {
    let hps = (0..configs)
        .flat_map(|c| [c as f32 / configs as f32, 0.5])
        .collect();
    let total = (configs * epochs + 1) as f32;
    let y = (0..configs * epochs)
        .map(|i| (i + 1) as f32 / total)
        .collect();
    Task {
        name: name.into(),
        benchmark: "test".into(),
        hp_names: vec!["a".into(), "b".into()],
        curves: CurveSet {
            configs,
            epochs,
            n_hps: 2,
            hps,
            y,
        },
        raw: RawTask {
            name: name.into(),
            config_ids: vec![],
            hps: vec![],
            points: 0,
            curves: Default::default(),
        },
        report: CleaningReport::default(),
    }
}

#[test]
fn batches_are_deterministic_per_seed_and_step() {
    let prior = TaskSetPrior::new(
        &[task("a", 30, 10), task("b", 30, 10)],
        Augment::Cdf(CdfAugment::default()),
        ContextSize::Uniform,
    )
    .unwrap();
    let a = prior.sample(1, 5, 4, 50).unwrap();
    assert_eq!(a, prior.sample(1, 5, 4, 50).unwrap());
    assert_ne!(a, prior.sample(1, 6, 4, 50).unwrap());
    assert_ne!(a, prior.sample(2, 5, 4, 50).unwrap());
}

#[test]
fn tokens_follow_the_layout_rules() {
    let (configs, epochs) = (30, 10);
    let prior = TaskSetPrior::new(
        &[task("a", configs, epochs)],
        Augment::None,
        ContextSize::Uniform,
    )
    .unwrap();
    for step in 0..20 {
        let b = prior.sample(3, step, 3, 60).unwrap();
        for s in 0..b.batch {
            let mut label_of: HashMap<usize, i64> = HashMap::new();
            let mut labels = std::collections::HashSet::new();
            for i in 0..b.seq_len {
                let k = s * b.seq_len + i;
                let x = &b.x[k * FEATURES..(k + 1) * FEATURES];
                // y identifies the (config, epoch) point; t and hps must agree with it.
                let idx = (b.y[k] * (configs * epochs + 1) as f32).round() as usize - 1;
                let (c, e) = (idx / epochs, idx % epochs + 1);
                assert!(
                    (x[0] - e as f32 / epochs as f32).abs() < 1e-6,
                    "t of token {i}"
                );
                assert!(
                    (x[1] - 5.0 * c as f32 / configs as f32).abs() < 1e-5,
                    "hp scaled by 10/d"
                );
                assert!(
                    (x[2] - 2.5).abs() < 1e-6 && x[3..].iter().all(|&v| v == 0.0),
                    "padding"
                );
                let id = b.ids[k];
                if i < b.n_ctx {
                    assert!((1..=1000).contains(&id));
                    let prev = *label_of.entry(c).or_insert(id);
                    assert_eq!(prev, id, "one label per curve");
                    if prev == id && labels.insert(id) {
                        // first time we see this label: it must belong to this curve only
                    }
                } else {
                    assert_eq!(
                        id,
                        label_of.get(&c).copied().unwrap_or(0),
                        "query id = its curve's label or 0"
                    );
                }
            }
            assert_eq!(
                labels.len(),
                label_of.len(),
                "labels are distinct across curves"
            );
        }
    }
}

#[test]
fn cdf_augment_keeps_the_order_of_values() {
    let (configs, epochs) = (30, 10);
    let prior = TaskSetPrior::new(
        &[task("a", configs, epochs)],
        Augment::Cdf(CdfAugment::default()),
        ContextSize::Fixed(20),
    )
    .unwrap();
    let b = prior.sample(4, 0, 1, 80).unwrap();
    // The unwarped value of each token, recovered from its t and hyperparameter.
    let plain: Vec<f32> = (0..80)
        .map(|k| {
            let x = &b.x[k * FEATURES..(k + 1) * FEATURES];
            let e = (x[0] * epochs as f32).round() as usize;
            let c = (x[1] / 5.0 * configs as f32).round() as usize;
            (c * epochs + e) as f32 / (configs * epochs + 1) as f32
        })
        .collect();
    assert!(
        plain.iter().zip(&b.y).any(|(p, w)| (p - w).abs() > 1e-3),
        "values are warped"
    );
    for i in 0..80 {
        for j in 0..80 {
            if plain[i] < plain[j] {
                assert!(b.y[i] <= b.y[j], "order kept");
            }
        }
    }
}

#[test]
fn bad_settings_are_errors() {
    let t = [task("a", 30, 10), task("b", 20, 10)];
    assert!(
        TaskSetPrior::new(
            &t,
            Augment::Mixup(MixupConfig::default()),
            ContextSize::Uniform
        )
        .is_err()
    );
    assert!(TaskSetPrior::new(&[], Augment::None, ContextSize::Uniform).is_err());
    let prior = TaskSetPrior::new(&t, Augment::None, ContextSize::Uniform).unwrap();
    assert_eq!(prior.max_seq_len(), 200);
    assert!(prior.sample(0, 0, 2, 201).is_err());
    assert!(prior.sample(0, 0, 2, 1).is_err());
    let mixed = TaskSetPrior::new(
        &t[..1],
        Augment::Mixup(MixupConfig::default()),
        ContextSize::Uniform,
    )
    .unwrap();
    assert!(mixed.sample(0, 0, 2, 50).is_ok());
}

/// Per sequence, the config whose hyperparameters each curve (config) carries.
fn hp_owner(b: &thaw_prior::Batch, configs: usize, epochs: usize) -> Vec<HashMap<usize, usize>> {
    (0..b.batch)
        .map(|s| {
            let mut owner = HashMap::new();
            for i in 0..b.seq_len {
                let k = s * b.seq_len + i;
                let idx = (b.y[k] * (configs * epochs + 1) as f32).round() as usize - 1;
                let c = idx / epochs;
                let h = (b.x[k * FEATURES + 1] * configs as f32 / 5.0).round() as usize;
                assert_eq!(*owner.entry(c).or_insert(h), h, "one hp vector per curve");
            }
            owner
        })
        .collect()
}

#[test]
fn hp_shuffle_permutes_hyperparameters_among_a_sequences_curves_only() {
    let (configs, epochs) = (30, 10);
    let tasks = [task("a", configs, epochs)];
    let plain = TaskSetPrior::new(&tasks, Augment::None, ContextSize::Uniform).unwrap();
    let shuffled = |share| plain.clone().with_hp_shuffle(share).unwrap();
    assert!(plain.clone().with_hp_shuffle(1.5).is_err());
    let (mut moved, mut kept) = (0, 0);
    for step in 0..10 {
        let p = plain.sample(3, step, 4, 60).unwrap();
        assert_eq!(
            p,
            shuffled(0.0).sample(3, step, 4, 60).unwrap(),
            "share 0 = off"
        );
        let all = shuffled(1.0).sample(3, step, 4, 60).unwrap();
        // The same curves, points and ids; only the hyperparameters move.
        assert_eq!((&all.y, &all.ids, all.n_ctx), (&p.y, &p.ids, p.n_ctx));
        for (s, owner) in hp_owner(&all, configs, epochs).iter().enumerate() {
            let identity = owner.iter().all(|(c, h)| c == h);
            assert!(
                !identity || owner.len() < 3,
                "sequence {s} of step {step} unshuffled"
            );
            // Each curve carries the hyperparameters of a configuration of the same
            // task, no two the same (a permutation within the sequence's pool).
            let mut hs: Vec<_> = owner.values().collect();
            hs.sort_unstable();
            hs.dedup();
            assert_eq!(hs.len(), owner.len(), "distinct hyperparameters");
        }
        for owner in hp_owner(
            &shuffled(0.5).sample(3, step, 4, 60).unwrap(),
            configs,
            epochs,
        ) {
            if owner.iter().all(|(c, h)| c == h) {
                kept += 1;
            } else {
                moved += 1;
            }
        }
        for owner in hp_owner(&p, configs, epochs) {
            assert!(owner.iter().all(|(c, h)| c == h), "unshuffled");
        }
    }
    assert!(
        moved > 8 && kept > 8,
        "share 0.5: {moved} shuffled, {kept} not"
    );
}

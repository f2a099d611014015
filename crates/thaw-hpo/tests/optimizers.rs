//! Freeze-thaw optimisers on small tabular tasks: exact budget accounting for every
//! method, HyperBand and ASHA schedules by hand, determinism.

mod common;

use rand::RngExt;
use thaw_data::CurveSet;
use thaw_hpo::models::UniformModel;
use thaw_hpo::optimise::{Step, resume, run};
use thaw_hpo::optimizers::{Acquisition, Asha, ModelBased, RandomSearch, SuccessiveHalving};
use thaw_hpo::{Optimizer, TabularObjective};

/// A task whose config c has y(e) = q_c · e / epochs, q_c a seeded random quality.
fn task(configs: usize, epochs: usize, seed: u64) -> TabularObjective {
    let mut rng = common::rng(seed);
    let q: Vec<f32> = (0..configs).map(|_| rng.random::<f32>()).collect();
    let y = (0..configs)
        .flat_map(|c| (1..=epochs).map(move |e| (c, e)))
        .map(|(c, e)| q[c] * e as f32 / epochs as f32)
        .collect();
    TabularObjective::new(CurveSet {
        configs,
        epochs,
        n_hps: 1,
        hps: (0..configs).map(|c| c as f32 / configs as f32).collect(),
        y,
    })
    .unwrap()
}

fn all_methods(seed: u64) -> Vec<Box<dyn Optimizer>> {
    let classic = ["bohb", "tpe", "gp-bo", "cma-es", "grid", "rl-hpo"].map(|m| {
        thaw_hpo::MethodSpec::named(m, std::path::Path::new("checkpoints"))
            .unwrap()
            .build(seed, &Default::default())
            .unwrap()
    });
    let mut v: Vec<Box<dyn Optimizer>> = classic.into_iter().collect();
    v.extend::<Vec<Box<dyn Optimizer>>>(vec![
        Box::new(RandomSearch::new(seed)),
        Box::new(SuccessiveHalving::sha(3, 1, seed)),
        Box::new(SuccessiveHalving::hyperband(3, 1, seed)),
        Box::new(Asha::new(3, 1, seed)),
        Box::new(ModelBased::new(
            "ifBO (uniform)",
            Box::new(UniformModel),
            Acquisition::MfpiRandom,
            seed,
        )),
        Box::new(ModelBased::new(
            "EI (uniform)",
            Box::new(UniformModel),
            Acquisition::OneStepEi,
            seed,
        )),
    ]);
    v
}

fn trajectory(opt: &mut dyn Optimizer, obj: &mut TabularObjective, budget: usize) -> Vec<Step> {
    run(opt, obj, budget, &mut |_, _| {}).unwrap().steps
}

#[test]
fn every_method_spends_exactly_the_budget() {
    let mut rng = common::rng(99);
    for case in 0..25u64 {
        let configs = rng.random_range(2..30);
        let epochs = rng.random_range(1..20);
        let budget = rng.random_range(1..configs * epochs + 10);
        for mut opt in all_methods(case) {
            let mut obj = task(configs, epochs, case);
            let t = run(opt.as_mut(), &mut obj, budget, &mut |_, _| {}).unwrap();
            let want = budget.min(configs * epochs);
            assert_eq!(
                t.steps.len(),
                want,
                "{} on {configs}×{epochs}, budget {budget}",
                opt.name()
            );
            assert_eq!(t.history.n_observed(), want);
            for (i, s) in t.steps.iter().enumerate() {
                assert_eq!(s.spent, i + 1);
                assert!(s.epoch >= 1 && s.epoch <= epochs);
            }
            // The incumbent is the running maximum of the observed values.
            let mut best = f32::NEG_INFINITY;
            for s in &t.steps {
                best = best.max(s.y);
                assert_eq!(s.incumbent, best);
            }
        }
    }
}

#[test]
fn hyperband_runs_its_first_bracket_as_computed_by_hand() {
    // 50 epochs, η = 3: the first bracket is 27 configs × 2 epochs, the best 9 to 6,
    // the best 3 to 17, the best 1 to 50 (cost 156).
    let mut obj = task(200, 50, 1);
    let steps = trajectory(&mut SuccessiveHalving::hyperband(3, 1, 5), &mut obj, 156);
    let at = |s: &[Step], e: usize| -> Vec<usize> {
        let mut c: Vec<usize> = s
            .iter()
            .filter(|x| x.epoch == e)
            .map(|x| x.config)
            .collect();
        c.dedup();
        c
    };
    let rung0 = at(&steps[..54], 2);
    assert_eq!(rung0.len(), 27);
    let y2 = |c: usize| {
        steps
            .iter()
            .find(|s| s.config == c && s.epoch == 2)
            .unwrap()
            .y
    };
    let mut ranked = rung0.clone();
    ranked.sort_by(|&a, &b| y2(b).total_cmp(&y2(a)));
    let mut rung1 = at(&steps[54..54 + 36], 6);
    rung1.sort_unstable();
    let mut top9 = ranked[..9].to_vec();
    top9.sort_unstable();
    assert_eq!(rung1, top9);
    assert_eq!(at(&steps[90..123], 17).len(), 3);
    let last = at(&steps[123..], 50);
    assert_eq!(
        last,
        vec![ranked[0]],
        "the best config is the one trained to 50"
    );
    // The next bracket (s = 2) starts 12 new configurations at 6 epochs.
    let more = trajectory(
        &mut SuccessiveHalving::hyperband(3, 1, 5),
        &mut task(200, 50, 1),
        156 + 6,
    );
    assert!(
        more[156..]
            .iter()
            .all(|s| s.config == more[156].config && !rung0.contains(&s.config))
    );
    assert_eq!(more.last().unwrap().epoch, 6);
}

#[test]
fn asha_promotes_the_top_third_as_soon_as_it_exists() {
    // 9 epochs, η = 3: rungs 1, 3, 9. Decisions: three new configs to epoch 1; the 4th
    // promotes the best of them to 3; new configs until six have reached rung 0; then
    // the second best of rung 0 is promoted.
    let mut obj = task(100, 9, 2);
    let mut asha = Asha::new(3, 1, 8);
    let steps = trajectory(&mut asha, &mut obj, 3 + 2 + 3 + 2);
    assert_eq!(asha.rungs(), &[1, 3, 9]);
    let first: Vec<usize> = steps[..3].iter().map(|s| s.config).collect();
    assert!(steps[..3].iter().all(|s| s.epoch == 1));
    let y1 = |c: usize| {
        steps
            .iter()
            .find(|s| s.config == c && s.epoch == 1)
            .unwrap()
            .y
    };
    let best = *first
        .iter()
        .max_by(|&&a, &&b| y1(a).total_cmp(&y1(b)))
        .unwrap();
    assert_eq!(
        (steps[3].config, steps[3].epoch, steps[4].epoch),
        (best, 2, 3)
    );
    assert!(
        steps[5..8].iter().all(|s| s.epoch == 1),
        "three more new configurations"
    );
    let rung0: Vec<usize> = steps
        .iter()
        .filter(|s| s.epoch == 1)
        .map(|s| s.config)
        .collect();
    assert_eq!(rung0.len(), 6);
    let mut ranked = rung0.clone();
    ranked.sort_by(|&a, &b| y1(b).total_cmp(&y1(a)));
    let second = if ranked[0] == best {
        ranked[1]
    } else {
        ranked[0]
    };
    assert_eq!((steps[8].config, steps[8].epoch), (second, 2));
}

#[test]
fn the_same_seed_gives_the_same_trajectory() {
    for (a, b) in all_methods(3).into_iter().zip(all_methods(3)) {
        let (mut a, mut b) = (a, b);
        let ta = trajectory(a.as_mut(), &mut task(40, 10, 4), 120);
        let tb = trajectory(b.as_mut(), &mut task(40, 10, 4), 120);
        assert_eq!(ta, tb, "{}", a.name());
    }
    let ta = trajectory(&mut RandomSearch::new(1), &mut task(40, 10, 4), 60);
    let tb = trajectory(&mut RandomSearch::new(2), &mut task(40, 10, 4), 60);
    assert_ne!(ta, tb, "different seeds differ");
}

#[test]
fn a_resumed_study_replays_its_record_and_ends_where_an_uninterrupted_one_does() {
    for (a, b) in all_methods(5).into_iter().zip(all_methods(5)) {
        let (mut a, mut b) = (a, b);
        let whole = trajectory(a.as_mut(), &mut task(30, 9, 2), 100);
        let mut seen = Vec::new();
        let resumed = resume(
            b.as_mut(),
            &mut task(30, 9, 2),
            100,
            &whole[..37],
            &mut |s, _| seen.push(s.spent),
        )
        .unwrap();
        assert_eq!(resumed.steps, whole, "{}", a.name());
        assert_eq!(seen, (1..=100).collect::<Vec<_>>());
    }
    // A record from another seed is refused, naming the epoch where it differs.
    let other = trajectory(&mut RandomSearch::new(8), &mut task(30, 9, 2), 50);
    let err = resume(
        &mut RandomSearch::new(9),
        &mut task(30, 9, 2),
        100,
        &other,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("the record says"), "{err}");
}

/// A uniform model that records the number of observed points at every fit.
struct CountingFits(std::sync::Arc<std::sync::Mutex<Vec<usize>>>);

impl thaw_hpo::CurveModel for CountingFits {
    fn name(&self) -> String {
        "counting".into()
    }
    fn fit(&mut self, history: &thaw_hpo::History) -> thaw_hpo::Result<()> {
        self.0.lock().unwrap().push(history.n_observed());
        Ok(())
    }
    fn predict(
        &self,
        history: &thaw_hpo::History,
        queries: &[thaw_hpo::At],
    ) -> thaw_hpo::Result<Vec<thaw_hpo::Predictive>> {
        UniformModel.predict(history, queries)
    }
}

#[test]
fn refits_follow_the_growth_schedule() {
    let fits_with = |g: f64| {
        let fits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut opt = ModelBased::new(
            "counting",
            Box::new(CountingFits(fits.clone())),
            Acquisition::OneStepEi,
            5,
        )
        .with_refit_growth(g);
        trajectory(&mut opt, &mut task(20, 10, 1), 30);
        std::mem::take(&mut *fits.lock().unwrap())
    };
    // Every step: one fit per decision after the initial design, at 1 ..= 29 points.
    assert_eq!(fits_with(0.0), (1..=29).collect::<Vec<_>>());
    // Growth 0.5: a fit once the points reach 1.5 × those of the last fit.
    assert_eq!(fits_with(0.5), vec![1, 2, 3, 5, 8, 12, 18, 27]);
}

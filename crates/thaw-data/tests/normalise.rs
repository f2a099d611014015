//! ifBO normalisation on hand-made tasks: y in [0, 1], higher is better,
//! NaN and diverged values → 0, every cleaning counted.

use std::collections::BTreeMap;

use thaw_data::RawTask;
use thaw_data::import::taskset;
use thaw_data::normalise::normalise;

fn raw(curves: &[[f32; 4]]) -> RawTask {
    let n = curves.len();
    RawTask {
        name: "t".into(),
        config_ids: (0..n as u32).collect(),
        hps: (0..n)
            .flat_map(|_| [1e-3, 0.9, 0.999, 1e-8, 1e-6, 1e-6, 1e-6, 1e-5])
            .collect(),
        points: 4,
        curves: BTreeMap::from([(
            "valid".to_string(),
            curves.iter().flatten().copied().collect(),
        )]),
    }
}

#[test]
fn losses_become_y_in_unit_interval_higher_is_better() {
    // initial losses 1, 2, 3 → M = 2
    let task = normalise(
        &taskset::meta(vec!["valid".into()]),
        raw(&[
            [1.0, 0.5, 1.0, 0.0],
            [2.0, 1.0, 0.5, 0.2],
            [3.0, f32::NAN, 3.0, 50.0],
        ]),
    )
    .unwrap();
    assert_eq!(task.report.reference_loss, 2.0);
    assert_eq!(task.curves.epochs, 3, "the initial point is dropped");
    assert_eq!(task.curves.curve(0), &[0.75, 0.5, 1.0]);
    assert_eq!(task.curves.curve(1), &[0.5, 0.75, 0.9]);
    assert_eq!(
        task.curves.curve(2),
        &[0.0, 0.0, 0.0],
        "NaN and losses above M are the worst value"
    );
    assert!(task.curves.y.iter().all(|y| (0.0..=1.0).contains(y)));
    let r = task.report;
    assert_eq!(
        (r.nonfinite_curves, r.nonfinite_values, r.clipped_values),
        (1, 1, 2)
    );
    assert_eq!(
        r.diverged_curves, 0,
        "curve 2 has a NaN: it counts as a NaN curve"
    );
}

#[test]
fn blow_ups_count_as_diverged_and_negative_losses_as_best() {
    let task = normalise(
        &taskset::meta(vec!["valid".into()]),
        raw(&[
            [1.0, 1e18, 0.5, 0.5],
            [1.0, -0.1, 0.5, 0.5],
            [1.0, 1.0, 1.0, 1.0],
        ]),
    )
    .unwrap();
    assert_eq!(task.report.diverged_curves, 1);
    assert_eq!(task.report.negative_values, 1);
    assert_eq!(task.curves.curve(0)[0], 0.0);
    assert_eq!(task.curves.curve(1)[0], 1.0);
}

#[test]
fn hyperparameters_are_encoded_in_unit_interval_and_out_of_bounds_counted() {
    let mut r = raw(&[[1.0, 0.5, 0.5, 0.5], [1.0, 0.5, 0.5, 0.5]]);
    r.hps[0] = 100.0; // learning rate above its bound 10
    let task = normalise(&taskset::meta(vec!["valid".into()]), r).unwrap();
    assert_eq!(task.report.clamped_hps, 1);
    assert_eq!(task.curves.hp(0)[0], 1.0);
    assert!(task.curves.hps.iter().all(|x| (0.0..=1.0).contains(x)));
    // beta1 = 0.9 → 1 − β = 0.1 = 10^-1 of the log-range [1e-4, 1]: u = ln 0.1 / ln 1e-4 = 0.25
    assert!((task.curves.hp(1)[1] - 0.25).abs() < 1e-6);
}

#[test]
fn a_task_without_finite_initial_loss_is_an_error_naming_it() {
    let e = normalise(
        &taskset::meta(vec!["valid".into()]),
        raw(&[[f32::NAN, 0.5, 0.5, 0.5]]),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("task `t`") && e.to_string().contains("initial"),
        "{e}"
    );
}

//! The inference API: validation, determinism, chunking, query independence.

use burn::tensor::Device;
use thaw_pfn::checkpoint::CheckpointConfig;
use thaw_pfn::model::Pfn;
use thaw_pfn::surrogate::{Observation, Query};
use thaw_pfn::{PfnConfig, PfnError, Surrogate};

fn surrogate() -> Surrogate {
    surrogate_with(false)
}

/// An untrained tiny surrogate, with or without the history extension.
fn surrogate_with(history: bool) -> Surrogate {
    let device = Device::flex();
    let model = PfnConfig {
        history,
        ..PfnConfig::tiny()
    };
    let config = CheckpointConfig::untrained(model.clone());
    Surrogate::from_model(Pfn::new(&model, 3, &device), config, device)
}

fn context() -> Vec<Observation> {
    (1..=5)
        .flat_map(|e| {
            [
                Observation {
                    hps: vec![0.1, 0.9],
                    t: e as f32 / 10.0,
                    y: 0.1 * e as f32,
                },
                Observation {
                    hps: vec![0.7, 0.2],
                    t: e as f32 / 10.0,
                    y: 0.05 * e as f32,
                },
            ]
        })
        .collect()
}

fn queries() -> Vec<Query> {
    (0..7)
        .map(|i| Query {
            hps: vec![0.1 * i as f32, 0.5],
            t: 1.0,
        })
        .chain([Query {
            hps: vec![0.1, 0.9],
            t: 1.0,
        }])
        .collect()
}

fn means(p: &[thaw_pfn::BarPredictive]) -> Vec<f64> {
    p.iter().map(|p| p.mean()).collect()
}

#[test]
fn predictions_are_deterministic_and_chunk_free() {
    for history in [false, true] {
        let s = surrogate_with(history);
        let a = s.predict(&context(), &queries()).unwrap();
        assert_eq!(a.len(), 8);
        assert_eq!(
            means(&a),
            means(&s.predict(&context(), &queries()).unwrap())
        );
        let chunked = surrogate_with(history)
            .with_chunk(3)
            .predict(&context(), &queries())
            .unwrap();
        for (x, y) in means(&a).iter().zip(means(&chunked)) {
            assert!((x - y).abs() < 1e-6, "history {history}");
        }
        // A query's answer does not depend on the other queries asked with it.
        let alone = s.predict(&context(), &queries()[2..3]).unwrap();
        assert!((alone[0].mean() - a[2].mean()).abs() < 1e-6);
        let last = s.predict(&context(), &queries()[7..]).unwrap();
        assert!(
            (last[0].mean() - a[7].mean()).abs() < 1e-6,
            "history {history}"
        );
    }
}

#[test]
fn predictive_summaries_are_consistent() {
    let p = &surrogate().predict(&context(), &queries()).unwrap()[0];
    assert!((0.0..=1.0).contains(&p.mean()));
    assert!(p.lcb() <= p.quantile(0.5) && p.quantile(0.5) <= p.ucb());
    assert!((p.pi(0.0) - 1.0).abs() < 1e-9);
    assert!(p.ei(0.0) > 0.0 && p.ei(1.0) == 0.0);
    assert!(p.log_pdf(0.5).is_finite());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let s = surrogate();
    let err = |ctx: Vec<Observation>, q: Vec<Query>| match s.predict(&ctx, &q) {
        Err(PfnError::InvalidInput(m)) => m,
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert!(err(vec![], queries()).contains("empty"));
    let mut c = context();
    c[3].y = 1.5;
    assert!(err(c, queries()).contains("y = 1.5"));
    let mut c = context();
    c[0].t = f32::NAN;
    assert!(err(c, queries()).contains("t = NaN"));
    let mut q = queries();
    q[1].hps = vec![0.5; 11];
    assert!(err(context(), q).contains("at most 10"));
    let mut q = queries();
    q[1].hps = vec![0.5];
    assert!(err(context(), q).contains("first context point has 2"));
    let mut q = queries();
    q[0].hps[1] = -0.1;
    assert!(err(context(), q).contains("not in [0, 1]"));
    let many: Vec<Observation> = (0..1001)
        .map(|i| Observation {
            hps: vec![i as f32 / 1001.0],
            t: 0.1,
            y: 0.5,
        })
        .collect();
    assert!(
        err(
            many,
            vec![Query {
                hps: vec![0.5],
                t: 1.0
            }]
        )
        .contains("distinct configurations")
    );
    assert!(s.predict(&context(), &[]).unwrap().is_empty());
}

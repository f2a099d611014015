//! The candidate pool of a study on a continuous or mixed space. Optimisers choose among
//! a finite set of configurations, so before each decision the pool is topped up:
//!
//! - the defaults first, when every parameter has one (and, with
//!   [`PoolSettings::default_first`], the study marks them as the configuration every
//!   method starts first);
//! - random configurations, until at least `random` never-trained ones are open;
//! - for model-based methods, `local` moves around the incumbent (every coordinate moved
//!   by N(0, σ²) in the encoding), so that the surrogate can refine the best region;
//!
//! never beyond `max` configurations in all, and never a duplicate (configurations are
//! compared by their snapped encoding). The draws of decision k use a generator seeded
//! by (study seed, k), and the new candidates are stored with the decision, so replays
//! see the same pool.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::space::SearchSpace;

/// How the pool grows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolSettings {
    /// Never-trained random candidates kept open.
    pub random: usize,
    /// Local moves around the incumbent added per decision (model-based methods only).
    pub local: usize,
    /// σ of a local move, in the encoding.
    pub sigma: f32,
    /// Most configurations a study holds.
    pub max: usize,
    /// Whether the defaults (when every parameter has one) are started before any
    /// other configuration, whatever the method. Studies stored before this setting
    /// existed read `false` and keep their trajectory; new studies get `true`.
    #[serde(default)]
    pub default_first: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            random: 64,
            local: 8,
            sigma: 0.1,
            max: 1000,
            default_first: true,
        }
    }
}

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The space's defaults.
    Default,
    /// Drawn uniformly.
    Random,
    /// A local move around the incumbent.
    Local,
}

impl Origin {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Random => "random",
            Self::Local => "local",
        }
    }
}

/// What the pool looks like before a decision.
pub struct PoolView<'a> {
    /// Every configuration's encoding, in number order.
    pub encoded: &'a [Vec<f32>],
    /// How many are never trained and open.
    pub fresh_open: usize,
    /// The incumbent's encoding, if any configuration has been trained.
    pub incumbent: Option<&'a [f32]>,
}

/// The candidates to add before decision `decision` (0-based).
pub fn top_up(
    space: &SearchSpace,
    settings: &PoolSettings,
    model_based: bool,
    seed: u64,
    decision: u64,
    view: &PoolView<'_>,
) -> Vec<(Vec<f32>, Origin)> {
    let mut rng =
        StdRng::seed_from_u64(seed ^ decision.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out: Vec<(Vec<f32>, Origin)> = Vec::new();
    let room = settings.max.saturating_sub(view.encoded.len());
    let known = |u: &[f32], out: &[(Vec<f32>, Origin)]| {
        view.encoded.iter().any(|e| e.as_slice() == u) || out.iter().any(|(e, _)| e.as_slice() == u)
    };
    if view.encoded.is_empty()
        && let Some(d) = space.default_point()
    {
        out.push((d, Origin::Default));
    }
    if model_based && let Some(center) = view.incumbent {
        for _ in 0..settings.local * 4 {
            if out.iter().filter(|(_, o)| *o == Origin::Local).count() >= settings.local
                || out.len() >= room
            {
                break;
            }
            let u = space.perturb(center, settings.sigma, &mut rng);
            if !known(&u, &out) {
                out.push((u, Origin::Local));
            }
        }
    }
    let mut fresh = view.fresh_open + out.len();
    // Small discrete spaces run out of new points: a bounded number of tries.
    let mut tries = 0;
    while fresh < settings.random && out.len() < room && tries < settings.random * 20 {
        tries += 1;
        let u = space.sample(&mut rng);
        if !known(&u, &out) {
            out.push((u, Origin::Random));
            fresh += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Domain, Param};
    use serde_json::json;

    #[test]
    fn tops_up_without_duplicates_within_the_cap() {
        let space = SearchSpace::new(vec![
            Param {
                name: "x".into(),
                domain: Domain::Int {
                    low: 0,
                    high: 9,
                    log: false,
                },
                default: Some(json!(3)),
                mutable: None,
            },
            Param {
                name: "c".into(),
                domain: Domain::Categorical {
                    choices: vec![json!("a"), json!("b")],
                },
                default: Some(json!("a")),
                mutable: None,
            },
        ])
        .unwrap();
        let s = PoolSettings {
            random: 8,
            local: 3,
            sigma: 0.2,
            max: 15,
            default_first: true,
        };
        let view = PoolView {
            encoded: &[],
            fresh_open: 0,
            incumbent: None,
        };
        let first = top_up(&space, &s, true, 1, 0, &view);
        assert_eq!(first[0].1, Origin::Default);
        assert_eq!(first.len(), 8);
        assert_eq!(
            first,
            top_up(&space, &s, true, 1, 0, &view),
            "deterministic"
        );
        let enc: Vec<Vec<f32>> = first.iter().map(|(u, _)| u.clone()).collect();
        let inc = enc[0].clone();
        let view = PoolView {
            encoded: &enc,
            fresh_open: 2,
            incumbent: Some(&inc),
        };
        let more = top_up(&space, &s, true, 1, 1, &view);
        assert!(more.iter().filter(|(_, o)| *o == Origin::Local).count() <= 3);
        assert!(more.len() <= 7, "cap of 15");
        let mut all = enc.clone();
        all.extend(more.iter().map(|(u, _)| u.clone()));
        for (i, u) in all.iter().enumerate() {
            assert!(!all[..i].contains(u), "duplicate {u:?}");
        }
        // 20 distinct points exist; asking for more ends, it does not loop.
        let big = PoolSettings {
            random: 100,
            local: 0,
            sigma: 0.1,
            max: 1000,
            default_first: true,
        };
        let view = PoolView {
            encoded: &[],
            fresh_open: 0,
            incumbent: None,
        };
        assert_eq!(top_up(&space, &big, false, 1, 0, &view).len(), 20);
    }
}

//! `thaw plot`: one SVG of a study — every trial's learning curve as the optimiser sees
//! it, with a PFN's forecast band for the frozen ones, and the incumbent over epochs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use thaw_hpo::models::PfnModel;
use thaw_hpo::{At, CurveModel, History, MethodSpec, Predictive};
use thaw_pfn::Surrogate;
use thaw_pfn::checkpoint::shipped;
use thaw_study::record::{Record, hold_of};
use thaw_study::{Direction, State};

use super::study_status::StudyArgs;
use crate::args::{CheckpointsArg, DeviceArg};
use crate::plot::{CurvesPanel, Forecast, StepPanel, TrialCurve, study_chart};

const EXAMPLES: &str = "\
Examples:
  thaw plot --out study.svg
  # another study and store, every trial, Adam-PFN's forecasts
  thaw plot --study space --storage sqlite:runs/s.db --trials 0 \\
      --surrogate adam-pfn --out space.svg
  # no forecast (no model is loaded)
  thaw plot --surrogate none --out study.svg

Left: y of every trial that reported (the best --trials by their best y), as the
optimiser sees it (normalised to [0, 1], higher is better); failed epochs are
crosses at y = 0. Each frozen trial (paused, neither done nor failed) gets the
surrogate's predictive mean up to the last epoch (dashed), given everything the
study recorded; the --bands of them with the best forecast final mean also get the
band between its 5 % and 95 % quantiles. Right: the best value of the metric found
so far, in its own units, against epochs spent in the order they were recorded.";

/// The quantile levels of the forecast band.
const BAND: (f64, f64) = (0.05, 0.95);

/// An SVG of a study: learning curves with the forecasts of the frozen trials, and the
/// incumbent over epochs spent.
///
/// The forecasts come from the study's own PFN when its method is ifBO, else from
/// --surrogate (default ft-pfn); `--surrogate none` draws none and loads no model.
#[derive(Debug, Parser)]
#[command(name = "plot", after_help = EXAMPLES)]
pub struct PlotArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Output file (.svg).
    #[arg(long)]
    out: PathBuf,
    /// PFN of the forecasts: adam-pfn, ft-pfn, a checkpoint directory, or none
    /// [default: the study's own for ifBO, else ft-pfn].
    #[arg(long)]
    surrogate: Option<String>,
    /// Trials drawn: the N with the best y (0: every trial that reported).
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Frozen trials whose forecast gets a shaded band: the N with the best forecast
    /// final mean (0: every one); the others get the mean only.
    #[arg(long, default_value_t = 3)]
    bands: usize,
    #[command(flatten)]
    checkpoints: CheckpointsArg,
    #[command(flatten)]
    device: DeviceArg,
}

/// The PFN that forecasts, and why it is that one.
struct Forecaster {
    label: String,
    dir: PathBuf,
    why: String,
}

/// Runs `thaw plot`.
pub fn run(a: PlotArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if a.out.extension().and_then(|e| e.to_str()) != Some("svg") {
        crate::usage!("--out {}: name an .svg file", a.out.display());
    }
    let (storage, rec) = a.study.load()?;
    let s = &rec.settings;
    if rec.spent() == 0 {
        anyhow::bail!(
            "study `{}` in {}: no epoch recorded yet, nothing to plot",
            rec.name,
            storage.label()
        );
    }
    let held: Vec<_> = rec
        .trials
        .iter()
        .filter_map(|t| hold_of(t.state).map(|h| (t.number, h)))
        .collect();
    let history = rec
        .history(rec.trials.len(), rec.last_seq(), &held)
        .with_context(|| format!("normalising study `{}`", rec.name))?;

    // The trials drawn: best y first.
    let mut reported: Vec<(usize, f32)> = (0..history.n_configs())
        .filter_map(|c| {
            let best = history.curve(c).iter().copied().reduce(f32::max)?;
            Some((c, best))
        })
        .collect();
    reported.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    let total = reported.len();
    if a.trials > 0 {
        reported.truncate(a.trials);
    }
    let shown: Vec<usize> = reported.iter().map(|r| r.0).collect();
    let frozen: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&c| rec.trials[c].state == State::Frozen && history.curve(c).len() < s.max_epochs)
        .collect();

    // Forecasts: a model is loaded only when a frozen trial is drawn.
    let forecaster = if frozen.is_empty() {
        None
    } else {
        forecaster(&a, &rec)?
    };
    let (forecasts, band_kind) = match &forecaster {
        Some(f) => forecast(&a, f, &history, &frozen)?,
        None => (Vec::new(), String::new()),
    };
    // The bands: the frozen trials with the best forecast final mean.
    let mut ranked: Vec<(usize, f64)> = forecasts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.last().map(|p| (i, p.1)))
        .collect();
    ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    if a.bands > 0 {
        ranked.truncate(a.bands);
    }
    let banded: Vec<usize> = ranked.iter().map(|r| frozen[r.0]).collect();

    let mut curves = Vec::with_capacity(shown.len());
    for &c in &shown {
        let ys = history.curve(c);
        let observed: Vec<(f64, f64)> = ys
            .iter()
            .enumerate()
            .map(|(e, &y)| ((e + 1) as f64, f64::from(y)))
            .collect();
        let failed = rec
            .epochs
            .iter()
            .filter(|e| e.trial == c as u64 && e.epoch >= 1 && e.value.is_none())
            .filter_map(|e| observed.get(e.epoch - 1).copied())
            .collect();
        let forecast = frozen
            .iter()
            .position(|&f| f == c)
            .and_then(|i| forecasts.get(i).cloned())
            .unwrap_or_default();
        curves.push(TrialCurve {
            label: format!("#{c}"),
            observed,
            failed,
            forecast,
            band: banded.contains(&c),
        });
    }

    let mut notes = vec![if total > shown.len() {
        format!(
            "{} of the {total} trials that reported: the best y (--trials)",
            shown.len()
        )
    } else {
        format!("every trial that reported ({total})")
    }];
    notes.push(rule(&rec)?);
    notes.push(match (&forecaster, a.surrogate.as_deref()) {
        (Some(f), _) => format!(
            "forecasts of the {} frozen trials: {} ({}); bands for {} (--bands)",
            frozen.len(),
            f.label,
            f.why,
            banded.len()
        ),
        (None, Some("none")) => "no forecast (--surrogate none)".into(),
        (None, _) => "no frozen trial drawn: no forecast".into(),
    });
    let label = forecaster.as_ref().map_or("", |f| f.label.as_str());
    let panel = CurvesPanel {
        title: "learning curves (dashed: forecast of a frozen trial)".into(),
        y_label: format!("y: normalised {}, higher is better", s.metric),
        x_max: s.max_epochs as f64,
        trials: curves,
        forecast_labels: (
            format!("{label} predictive mean to epoch {}", s.max_epochs),
            format!("{label} band: {band_kind} (best forecasts)"),
        ),
        notes,
    };
    let steps = incumbent(&rec);

    let title = format!(
        "study `{}` — {}, {} trials, {} of {} epochs spent",
        rec.name,
        s.method.name(),
        total,
        rec.spent(),
        s.budget
    );
    study_chart(&a.out, &title, &panel, &steps)?;
    let forecasts = match &forecaster {
        Some(f) => format!(
            ", {} frozen forecast by {} ({} with a band: {band_kind})",
            frozen.len(),
            f.label,
            banded.len()
        ),
        None => String::new(),
    };
    writeln!(
        out,
        "wrote {}: {} of {total} trials{forecasts}; incumbent over {} epochs",
        a.out.display(),
        shown.len(),
        rec.spent()
    )?;
    Ok(())
}

/// The PFN of the forecasts: --surrogate, else the study's own (ifBO), else FT-PFN;
/// `None` for `--surrogate none`. A checkpoint that is not there is an error naming it.
fn forecaster(a: &PlotArgs, rec: &Record) -> anyhow::Result<Option<Forecaster>> {
    let method = &rec.settings.method;
    let (label, dir, why) = match (a.surrogate.as_deref(), method) {
        (Some("none"), _) => return Ok(None),
        (Some(name), _) => match shipped::resolve(name, &a.checkpoints.checkpoints) {
            Some((label, dir)) => (label, dir, "--surrogate".to_string()),
            None => crate::usage!(
                "--surrogate {name}: not adam-pfn, ft-pfn or none, and no directory {name} exists"
            ),
        },
        (None, MethodSpec::Ifbo { label, checkpoint }) => {
            if !checkpoint.join("config.json").is_file() {
                anyhow::bail!(
                    "the study's surrogate {label} is not at {} any more: name one with --surrogate adam-pfn|ft-pfn|DIR (or none)",
                    checkpoint.display()
                );
            }
            (
                label.clone(),
                checkpoint.clone(),
                "the study's own".to_string(),
            )
        }
        (None, other) => {
            let dir = shipped::FT_PFN.path(&a.checkpoints.checkpoints);
            let why = format!("{} uses no PFN; --surrogate", other.name());
            (shipped::FT_PFN.label.to_string(), dir, why)
        }
    };
    if !dir.join("config.json").is_file() {
        anyhow::bail!(
            "checkpoint {label}: {} holds no config.json (--checkpoints names the folder of the shipped ones)",
            dir.display()
        );
    }
    Ok(Some(Forecaster { label, dir, why }))
}

/// Each frozen trial's forecast from its last observed epoch to the last epoch, as
/// (epoch, mean, lower, upper), and what the band is.
fn forecast(
    a: &PlotArgs,
    f: &Forecaster,
    history: &History,
    frozen: &[usize],
) -> anyhow::Result<(Vec<Forecast>, String)> {
    let device = a.device.select()?;
    let surrogate = Surrogate::load_on(&f.dir, device)
        .with_context(|| format!("loading {} from {}", f.label, f.dir.display()))?;
    let model = PfnModel::new(f.label.clone(), surrogate);
    let max = history.max_epochs();
    let queries: Vec<At> = frozen
        .iter()
        .flat_map(|&c| (history.curve(c).len() + 1..=max).map(move |epoch| At { config: c, epoch }))
        .collect();
    let preds = model
        .predict(history, &queries)
        .with_context(|| format!("forecasting the frozen trials with {}", f.label))?;
    let quantiles = preds.iter().all(|p| matches!(p, Predictive::Bar(_)));
    let band = |p: &Predictive| match p {
        Predictive::Bar(b) if quantiles => (b.quantile(BAND.0), b.quantile(BAND.1)),
        other => {
            let (m, s) = (other.mean(), other.std());
            ((m - 2.0 * s).max(0.0), (m + 2.0 * s).min(1.0))
        }
    };
    let mut out = Vec::with_capacity(frozen.len());
    let mut preds = queries.iter().zip(&preds).peekable();
    for &c in frozen {
        let ys = history.curve(c);
        // The band starts at the last observed point, which is known.
        let mut points: Forecast = ys
            .last()
            .map(|&y| {
                let y = f64::from(y);
                (ys.len() as f64, y, y, y)
            })
            .into_iter()
            .collect();
        while let Some((q, p)) = preds.next_if(|(q, _)| q.config == c) {
            let (lo, hi) = band(p);
            points.push((q.epoch as f64, p.mean(), lo, hi));
        }
        out.push(points);
    }
    let kind = if quantiles {
        format!("{:.0}–{:.0} % quantiles", 100.0 * BAND.0, 100.0 * BAND.1)
    } else {
        "mean ± 2 std".to_string()
    };
    Ok((out, kind))
}

/// The normalisation of the study in words.
fn rule(rec: &Record) -> anyhow::Result<String> {
    let s = &rec.settings;
    let m = &s.metric;
    Ok(match (s.bounds, s.direction) {
        (Some((lo, hi)), Direction::Minimize) => {
            format!("y: {m} {hi} (the bound) is 0, {m} {lo} is 1, in a straight line")
        }
        (Some((lo, hi)), Direction::Maximize) => {
            format!("y: {m} {lo} (the bound) is 0, {m} {hi} is 1, in a straight line")
        }
        (None, Direction::Maximize) => format!("y: {m} as reported (0 to 1)"),
        (None, Direction::Minimize) => {
            let scale = rec
                .scale(rec.epochs.iter())
                .with_context(|| format!("normalising study `{}`", rec.name))?;
            match scale.reference() {
                Some(r) => format!(
                    "y: {m} {r:.4} (the trials' median first value) or more is 0, {m} 0 is 1, in a straight line"
                ),
                None => format!("y: {m} as a share of the trials' median first value (none yet)"),
            }
        }
    })
}

/// The incumbent panel: the best finite value after each epoch ≥ 1, in recording order
/// (the study's incumbent trace).
fn incumbent(rec: &Record) -> StepPanel {
    let s = &rec.settings;
    let trace = thaw_study::trace::incumbent_trace(rec);
    let (mut steps, mut marks) = (Vec::new(), Vec::new());
    let mut last: Option<f64> = None;
    for p in &trace {
        if p.best == last {
            continue;
        }
        let x = p.epochs as f64;
        if let Some(b) = p.best {
            if let Some(l) = last {
                steps.push((x, l));
            }
            steps.push((x, b));
            marks.push((x, b));
        }
        last = p.best;
    }
    let spent = trace.len();
    if let Some(b) = last {
        steps.push((spent as f64, b));
    }
    let failed = rec
        .epochs
        .iter()
        .filter(|e| e.epoch >= 1 && !e.value.is_some_and(f64::is_finite))
        .count();
    let best = rec.incumbent().map(|(t, e, v)| (v, t, e));
    let direction = match s.direction {
        Direction::Minimize => "minimised",
        Direction::Maximize => "maximised",
    };
    let mut notes = vec![match best {
        Some((b, t, e)) => format!("best {} {b:.6} at trial #{t}, epoch {e}", s.metric),
        None => format!("no finite {} recorded yet", s.metric),
    }];
    notes.push(format!("{spent} of {} epochs spent", s.budget));
    if failed > 0 {
        notes.push(format!("{failed} failed epochs (no value)"));
    }
    StepPanel {
        title: format!("incumbent: best {} so far ({direction})", s.metric),
        labels: (
            "epochs spent (in recording order)".into(),
            format!("best {} ({direction})", s.metric),
        ),
        x_max: spent as f64,
        steps,
        marks,
        notes,
    }
}

//! `thaw compare`: studies of the same objective side by side, grouped by method —
//! regret of the incumbent over epochs spent and over wall-clock seconds, as a table and
//! as SVG plots.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use thaw_study::record::{self, Record};
use thaw_study::trace::{TracePoint, best_at_epochs, best_at_seconds, incumbent_trace};
use thaw_study::{Direction, Storage};

use crate::plot::{Series, YAxis, line_chart};

const EXAMPLES: &str = "\
Examples:
  # every study in the store, grouped by method
  thaw compare --storage sqlite:runs.db
  # chosen studies from two stores, with plots
  thaw compare --storage sqlite:a.db --storage sqlite:b.db --study ifbo-1 --study asha-1 --plot out/
  # every study whose name starts with ifbo- or asha-
  thaw compare --study 'ifbo-*' --study 'asha-*'

Regret is the distance of a study's best value so far from the reference: --reference, or
else the best value any compared study found (so the best study ends at regret 0). The
studies must share the metric, its direction and the epochs of a full training.";

/// Compare studies of one objective: regret over epochs and over wall-clock, by method.
#[derive(Debug, Parser)]
#[command(name = "compare", after_help = EXAMPLES)]
pub struct CompareArgs {
    /// Stores to read (repeatable): sqlite:PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: Vec<String>,
    /// Studies to compare (repeatable; `*` and `?` match any text / one character, e.g.
    /// `ifbo-*`) [default: every study of the stores].
    #[arg(long)]
    study: Vec<String>,
    /// The value regret is measured from [default: the best any compared study found].
    #[arg(long, allow_negative_numbers = true)]
    reference: Option<f64>,
    /// Folder for regret-epochs.svg and regret-seconds.svg.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// One study's trace, with its method.
struct Run {
    name: String,
    method: String,
    trace: Vec<TracePoint>,
}

fn load_all(a: &CompareArgs) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for text in &a.storage {
        let storage = Storage::parse(text)?;
        let mut conn = storage.connect_read_only()?;
        for name in record::study_names(&mut conn, &storage)? {
            if a.study.is_empty() || a.study.iter().any(|p| matches_pattern(p, &name)) {
                records.push(record::load(&mut conn, &storage, &name)?);
            }
        }
    }
    for want in &a.study {
        if !records.iter().any(|r| matches_pattern(want, &r.name)) {
            anyhow::bail!("no study matches `{want}` in {}", a.storage.join(", "));
        }
    }
    if records.is_empty() {
        anyhow::bail!("{} hold no study", a.storage.join(", "));
    }
    Ok(records)
}

/// Whether `name` matches `pattern`, where `*` stands for any text and `?` for one
/// character.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((&c, rest)) => n
                .split_first()
                .is_some_and(|(&d, tail)| (c == '?' || c == d) && go(rest, tail)),
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

/// Each study's best value, where it was found and its configuration, best first.
fn write_bests(out: &mut dyn Write, records: &[Record]) -> anyhow::Result<()> {
    let mut rows: Vec<(f64, String)> = Vec::new();
    for r in records {
        let s = &r.settings;
        let Some((t, e, v)) = r.incumbent() else {
            rows.push((f64::NAN, format!("{}: no value yet", r.name)));
            continue;
        };
        let params = serde_json::Value::Object(r.trials[t as usize].params.clone());
        let key = if s.direction == Direction::Minimize {
            v
        } else {
            -v
        };
        rows.push((
            key,
            format!(
                "{} ({}): {} {v} at trial {t}, epoch {e}: {params}",
                r.name,
                s.method.name(),
                s.metric
            ),
        ));
    }
    rows.sort_by(|a, b| a.0.is_nan().cmp(&b.0.is_nan()).then(a.0.total_cmp(&b.0)));
    writeln!(
        out,
        "
best of each study (best first):"
    )?;
    for (_, line) in rows {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// Mean and sample standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Mean ± sd with `digits` decimals ("—" for no value).
fn cell(v: &[f64], digits: usize) -> String {
    if v.is_empty() {
        return "—".into();
    }
    let (m, sd) = mean_sd(v);
    if v.len() > 1 {
        format!("{m:.digits$} ± {sd:.digits$}")
    } else {
        format!("{m:.digits$}")
    }
}

/// Runs `thaw compare`.
pub fn run(a: CompareArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let records = load_all(&a)?;
    let first = &records[0];
    let (metric, direction, max_epochs) = (
        first.settings.metric.clone(),
        first.settings.direction,
        first.settings.max_epochs,
    );
    for r in &records[1..] {
        let s = &r.settings;
        if s.metric != metric || s.direction != direction || s.max_epochs != max_epochs {
            anyhow::bail!(
                "study `{}` ({} {:?}, {} epochs) is not comparable with `{}` ({metric} {direction:?}, {max_epochs} epochs)",
                r.name,
                s.metric,
                s.direction,
                s.max_epochs,
                first.name
            );
        }
    }
    let runs: Vec<Run> = records
        .iter()
        .map(|r| Run {
            name: r.name.clone(),
            method: r.settings.method.name(),
            trace: incumbent_trace(r),
        })
        .collect();
    let best_of = |v: &mut dyn Iterator<Item = f64>| match direction {
        Direction::Minimize => v.fold(f64::INFINITY, f64::min),
        Direction::Maximize => v.fold(f64::NEG_INFINITY, f64::max),
    };
    let found = best_of(&mut runs.iter().filter_map(|r| r.trace.last()?.best));
    let reference = a.reference.unwrap_or(found);
    if !reference.is_finite() {
        anyhow::bail!("no compared study has a finite {metric} yet");
    }
    let regret = |b: Option<f64>| b.map(|b| (b - reference).abs());
    // Grids every study reaches: the fewest epochs any spent, the shortest wall-clock.
    let epochs = runs.iter().map(|r| r.trace.len()).min().unwrap_or(0).max(1);
    let seconds = runs
        .iter()
        .filter_map(|r| r.trace.last().map(|p| p.seconds))
        .fold(f64::INFINITY, f64::min);
    let seconds = if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        1.0
    };
    let mut by_method: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
    for r in &runs {
        by_method.entry(&r.method).or_default().push(r);
    }

    writeln!(
        out,
        "{} studies, {} methods; {metric} ({}), reference {reference} ({})",
        runs.len(),
        by_method.len(),
        if direction == Direction::Minimize {
            "minimised"
        } else {
            "maximised"
        },
        if a.reference.is_some() {
            "--reference"
        } else {
            "the best any study found"
        }
    )?;
    writeln!(
        out,
        "regret at a share of {epochs} epochs (the fewest any study spent) and of {seconds:.1} s (the shortest study); mean ± sd over studies\n"
    )?;
    let fractions = [0.25, 0.5, 1.0];
    let mut header = vec!["method".to_string(), "studies".into()];
    header.extend(
        fractions
            .iter()
            .map(|f| format!("@{:.0}% epochs", f * 100.0)),
    );
    header.extend(
        fractions
            .iter()
            .map(|f| format!("@{:.0}% seconds", f * 100.0)),
    );
    header.push("seconds".into());
    let mut rows = vec![header];
    for (method, group) in &by_method {
        let mut row = vec![method.to_string(), group.len().to_string()];
        for f in fractions {
            let at = ((epochs as f64 * f).round() as usize).max(1);
            let v: Vec<f64> = group
                .iter()
                .filter_map(|r| regret(best_at_epochs(&r.trace, at)))
                .collect();
            row.push(cell(&v, 4));
        }
        for f in fractions {
            let v: Vec<f64> = group
                .iter()
                .filter_map(|r| regret(best_at_seconds(&r.trace, seconds * f)))
                .collect();
            row.push(cell(&v, 4));
        }
        let total: Vec<f64> = group
            .iter()
            .filter_map(|r| r.trace.last().map(|p| p.seconds))
            .collect();
        row.push(cell(&total, 1));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if c == 0 {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect();
        writeln!(out, "{}", line.join("  "))?;
        if i == 0 {
            writeln!(out, "{}", "-".repeat(line.join("  ").chars().count()))?;
        }
    }
    let mut names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    writeln!(out, "\nstudies: {}", names.join(", "))?;
    write_bests(out, &records)?;

    if let Some(dir) = &a.plot {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let floor = runs
            .iter()
            .flat_map(|r| r.trace.iter().filter_map(|p| regret(p.best)))
            .filter(|&v| v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let floor = if floor.is_finite() { floor / 2.0 } else { 1e-6 };
        let hi = runs
            .iter()
            .flat_map(|r| r.trace.iter().filter_map(|p| regret(p.best)))
            .fold(floor * 10.0, f64::max);
        let mean_curve = |group: &[&Run], x: &dyn Fn(&Run, f64) -> Option<f64>, xs: &[f64]| {
            xs.iter()
                .filter_map(|&at| {
                    let v: Vec<f64> = group.iter().filter_map(|r| regret(x(r, at))).collect();
                    (v.len() == group.len()).then(|| (at, mean_sd(&v).0))
                })
                .collect::<Vec<_>>()
        };
        let epoch_grid: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
        let second_grid: Vec<f64> = (1..=200).map(|i| seconds * i as f64 / 200.0).collect();
        let by_epochs = |r: &Run, at: f64| best_at_epochs(&r.trace, at as usize);
        let by_seconds = |r: &Run, at: f64| best_at_seconds(&r.trace, at);
        let series = |x: &dyn Fn(&Run, f64) -> Option<f64>, grid: &[f64]| {
            by_method
                .iter()
                .map(|(m, g)| Series {
                    label: format!("{m} ({})", g.len()),
                    points: mean_curve(g, x, grid),
                })
                .collect::<Vec<_>>()
        };
        let y = YAxis::Log {
            floor,
            hi: hi * 1.2,
        };
        let label = format!("regret of {metric} (mean over studies; 0 drawn at {floor:.0e})");
        let p1 = dir.join("regret-epochs.svg");
        line_chart(
            &p1,
            "Incumbent regret over epochs spent",
            ("epochs spent", &label),
            epochs as f64,
            y,
            &series(&by_epochs, &epoch_grid),
        )?;
        let p2 = dir.join("regret-seconds.svg");
        line_chart(
            &p2,
            "Incumbent regret over wall-clock",
            ("seconds since the study was created", &label),
            seconds,
            y,
            &series(&by_seconds, &second_grid),
        )?;
        writeln!(out, "wrote {} and {}", p1.display(), p2.display())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn study_patterns() {
        assert!(matches_pattern("ifbo-*", "ifbo-s3"));
        assert!(matches_pattern("*", ""));
        assert!(matches_pattern("a?c", "abc") && !matches_pattern("a?c", "ac"));
        assert!(matches_pattern("*-s?", "asha-s1") && !matches_pattern("*-s?", "asha-s10"));
        assert!(
            !matches_pattern("ifbo", "ifbo-s3"),
            "no pattern: the whole name"
        );
    }
}

//! What a study store holds, read back: settings, trials, epochs and decisions, and the
//! optimiser's view of them (a [`History`] at any point of the record).

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::args;
use crate::db::{Conn, DbError, Sql};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thaw_hpo::{History, Hold, MethodSpec};

use crate::error::{Result, StudyError};
use crate::normalise::{Normaliser, Scale};
use crate::pool::PoolSettings;
use crate::space::SearchSpace;
use crate::store::Storage;
use crate::study_file::{Direction, ObjectiveSpec};

/// The `note` of an epoch row copied from another trial (followed by its number). Such
/// rows are part of the new trial's curve but were not trained again: they cost no
/// budget and are not in the incumbent's trace.
pub const INHERITED: &str = "inherited from trial ";

/// How the `origin` of a trial created by PBT begins.
pub const PBT_ORIGIN_PREFIX: &str = "pbt:";

/// The `origin` of a trial created by PBT from `parent` at epoch `epoch`.
pub fn pbt_origin(parent: u64, epoch: usize) -> String {
    format!("{PBT_ORIGIN_PREFIX}{parent}@{epoch}")
}

/// The folder of trial `number` of a study whose trials live in `dir`.
pub fn trial_dir(dir: &std::path::Path, number: u64) -> std::path::PathBuf {
    dir.join("trials").join(format!("{number:05}"))
}

/// Everything that decides a study, stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudySettings {
    /// The search space.
    pub space: SearchSpace,
    /// The metric's name.
    pub metric: String,
    /// Minimise or maximise it.
    pub direction: Direction,
    /// Epochs of a full training.
    pub max_epochs: usize,
    /// The metric's range, if given.
    pub bounds: Option<(f64, f64)>,
    /// The optimiser.
    pub method: MethodSpec,
    /// Seed of every random choice.
    pub seed: u64,
    /// How the candidate pool grows.
    pub pool: PoolSettings,
    /// Epochs the study may spend (may be raised when a study is continued).
    pub budget: usize,
    /// Re-runs of a crashed segment (may change when a study is continued).
    pub retries: u32,
    /// Seconds a lease lasts without a heartbeat (may change).
    pub lease_s: f64,
    /// The program, as the study file that created or last continued the study names it
    /// (`thaw worker` runs it when given no study file). Not part of the identity.
    #[serde(default)]
    pub objective: Option<ObjectiveSpec>,
}

impl StudySettings {
    /// The normalisation rule.
    pub fn normaliser(&self) -> Normaliser {
        Normaliser {
            direction: self.direction,
            bounds: self.bounds,
        }
    }

    /// The first setting that decides the trajectory and differs (old → new), if any.
    /// Budget, retries and lease may change between runs of a study.
    pub fn identity_diff(&self, new: &Self) -> Option<String> {
        let pairs: [(&str, String, String); 8] = [
            // Which parameters a program takes anew on resume matters to PBT only, and
            // PBT keeps it in its settings (the method).
            (
                "space",
                show(&self.space.without_mutable()),
                show(&new.space.without_mutable()),
            ),
            ("metric", self.metric.clone(), new.metric.clone()),
            (
                "direction",
                format!("{:?}", self.direction),
                format!("{:?}", new.direction),
            ),
            (
                "max_epochs",
                self.max_epochs.to_string(),
                new.max_epochs.to_string(),
            ),
            (
                "bounds",
                format!("{:?}", self.bounds),
                format!("{:?}", new.bounds),
            ),
            ("method", self.method.key(), new.method.key()),
            ("seed", self.seed.to_string(), new.seed.to_string()),
            ("pool", show(&self.pool), show(&new.pool)),
        ];
        let found = pairs.into_iter().find(|(_, a, b)| a != b);
        // A method shown by its name where the names differ (its key is internal JSON
        // with checkpoint paths); by its key only where the names agree.
        match found {
            Some(("method", _, _)) if self.method.name() != new.method.name() => Some(format!(
                "method was {}, now {} (a study keeps its method: give this run another --study name)",
                self.method.name(),
                new.method.name()
            )),
            other => other.map(|(name, a, b)| format!("{name} was {a}, now {b}")),
        }
    }
}

fn show<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A trial's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// In the candidate pool, never chosen.
    Candidate,
    /// Chosen (or handed back by a worker whose lease ended), waiting for a worker.
    Pending,
    /// A worker trains it.
    Running,
    /// Trained for a while and paused: may be thawed later.
    Frozen,
    /// Trained to the last epoch.
    Done,
    /// Its program failed for good.
    Failed,
}

impl State {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Candidate => "candidate",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Frozen => "frozen",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Every state, in lifecycle order.
    pub const ALL: [State; 6] = [
        Self::Candidate,
        Self::Pending,
        Self::Running,
        Self::Frozen,
        Self::Done,
        Self::Failed,
    ];
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown trial state {s:?}"))
    }
}

/// One trial as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRow {
    /// Number (its index in the optimiser's candidates).
    pub number: u64,
    /// The configuration.
    pub params: Map<String, Value>,
    /// Its encoding in [0, 1].
    pub encoded: Vec<f32>,
    /// Where the candidate came from (default, random, local, or `pbt:P@E`: PBT's child
    /// of trial P from its epoch E).
    pub origin: String,
    /// State.
    pub state: State,
    /// Epochs recorded.
    pub epochs: usize,
    /// The epoch its current or last assignment trains to.
    pub target: usize,
    /// The worker holding it.
    pub worker: Option<String>,
    /// When the worker's lease ends (Unix seconds).
    pub lease_until: Option<f64>,
    /// Segments started.
    pub attempts: u32,
    /// Failed segments since the last one that completed.
    pub failures: u32,
    /// Why it failed.
    pub reason: Option<String>,
}

impl TrialRow {
    /// A new candidate numbered `number` at the encoded point `u` of `space`, from
    /// `origin`, starting with `epochs` recorded epochs (PBT's child inherits some).
    pub fn candidate(
        number: u64,
        space: &SearchSpace,
        u: Vec<f32>,
        origin: String,
        epochs: usize,
    ) -> Self {
        // The defaults reach the program exactly as the study file gives them (decoding
        // their f32 encoding would round them).
        let params = match space.default_config() {
            Some(d) if origin == crate::pool::Origin::Default.as_str() => d,
            _ => space.decode(&u),
        };
        Self {
            number,
            params,
            encoded: u,
            origin,
            state: State::Candidate,
            epochs,
            target: 0,
            worker: None,
            lease_until: None,
            attempts: 0,
            failures: 0,
            reason: None,
        }
    }

    /// Inserts this candidate into study `id`'s trials.
    pub fn insert_candidate(&self, db: &mut dyn Sql, id: i64) -> std::result::Result<(), DbError> {
        db.exec(
            "INSERT INTO trials (study_id, number, params, encoded, origin, state, epochs) VALUES ($1, $2, $3, $4, $5, 'candidate', $6)",
            args![
                id,
                self.number as i64,
                Value::Object(self.params.clone()).to_string().as_str(),
                serde_json::to_string(&self.encoded).expect("numbers").as_str(),
                self.origin.as_str(),
                self.epochs as i64
            ],
        )?;
        Ok(())
    }

    /// Whether PBT created it from another trial ([`pbt_origin`]).
    pub fn is_pbt_child(&self) -> bool {
        self.origin.starts_with(PBT_ORIGIN_PREFIX)
    }
}

/// One recorded epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRow {
    /// Order of recording.
    pub seq: i64,
    /// Trial number.
    pub trial: u64,
    /// Epoch (0: the value before training).
    pub epoch: usize,
    /// The metric; None for a failed or non-finite epoch (the worst value).
    pub value: Option<f64>,
    /// When it was recorded (Unix seconds).
    pub at: f64,
    /// Why the value is missing, if it is.
    pub note: Option<String>,
    /// The worker that reported it.
    pub worker: Option<String>,
}

impl EpochRow {
    /// Whether it was copied from another trial by PBT's exploit step (not trained in
    /// this trial: no budget, not in the incumbent's trace).
    pub fn inherited(&self) -> bool {
        self.note
            .as_deref()
            .is_some_and(|n| n.starts_with(INHERITED))
    }
}

/// One decision of the optimiser with what it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    /// 0-based order.
    pub seq: i64,
    /// The trial chosen.
    pub trial: u64,
    /// Its epochs when chosen.
    pub from_epoch: usize,
    /// The epoch the optimiser asked for.
    pub to_epoch: usize,
    /// The epoch granted (cut at the budget).
    pub granted: usize,
    /// Epoch rows with seq ≤ this were visible.
    pub seen: i64,
    /// The first `pool` trials were candidates.
    pub pool: usize,
    /// Trials held (running elsewhere or failed).
    pub held: Vec<(u64, Hold)>,
    /// Budget left for the optimiser.
    pub budget_left: usize,
}

/// A study's whole record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Study name.
    pub name: String,
    /// Row id.
    pub id: i64,
    /// When the study was created (Unix seconds).
    pub created_at: f64,
    /// Settings.
    pub settings: StudySettings,
    /// Every trial, by number.
    pub trials: Vec<TrialRow>,
    /// Every epoch, in recording order.
    pub epochs: Vec<EpochRow>,
    /// Every decision, in order.
    pub decisions: Vec<DecisionRow>,
}

fn store_err(storage: &Storage) -> impl Fn(DbError) -> StudyError + '_ {
    move |source| StudyError::Store {
        storage: storage.label(),
        source,
    }
}

fn corrupt(storage: &Storage, detail: String) -> StudyError {
    StudyError::Corrupt {
        storage: storage.label(),
        detail,
    }
}

/// The id and settings of study `name`, if it exists.
pub fn find_study(
    db: &mut dyn Sql,
    storage: &Storage,
    name: &str,
) -> Result<Option<(i64, StudySettings)>> {
    let err = store_err(storage);
    let Some(row) = db
        .query_opt(
            "SELECT id, settings FROM studies WHERE name = $1",
            args![name],
        )
        .map_err(&err)?
    else {
        return Ok(None);
    };
    let (id, text) = (row.int(0).map_err(&err)?, row.text(1).map_err(&err)?);
    serde_json::from_str(&text)
        .map(|s| Some((id, s)))
        .map_err(|e| corrupt(storage, format!("settings of study `{name}`: {e}")))
}

/// The id and settings of study `name`; an error naming the studies there are when it
/// does not exist.
pub fn find_existing(
    db: &mut dyn Sql,
    storage: &Storage,
    name: &str,
) -> Result<(i64, StudySettings)> {
    find_study(db, storage, name)?.ok_or_else(|| {
        let known = study_names(db, storage).unwrap_or_default();
        StudyError::Invalid(format!(
            "{}: no study `{name}` (studies: {})",
            storage.label(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    })
}

/// Names of the studies in a store.
pub fn study_names(db: &mut dyn Sql, storage: &Storage) -> Result<Vec<String>> {
    let err = store_err(storage);
    db.query("SELECT name FROM studies ORDER BY id", &[])
        .map_err(&err)?
        .iter()
        .map(|r| r.text(0).map_err(&err))
        .collect()
}

/// Deletes study `name` and everything recorded of it (trials, epochs, decisions) in
/// one transaction; false when the store holds no such study. Trial folders on disk are
/// not touched.
pub fn delete_study(conn: &mut Conn, storage: &Storage, name: &str) -> Result<bool> {
    let err = store_err(storage);
    let mut tx = conn.write(name).map_err(&err)?;
    let Some((id, _)) = find_study(&mut tx, storage, name)? else {
        return Ok(false);
    };
    for table in ["epochs", "decisions", "trials"] {
        tx.exec(
            &format!("DELETE FROM {table} WHERE study_id = $1"),
            args![id],
        )
        .map_err(&err)?;
    }
    tx.exec("DELETE FROM studies WHERE id = $1", args![id])
        .map_err(&err)?;
    tx.commit().map_err(&err)?;
    Ok(true)
}

/// Reads a study's whole record, as one consistent snapshot.
pub fn load(conn: &mut Conn, storage: &Storage, name: &str) -> Result<Record> {
    let err = store_err(storage);
    let mut tx = conn.read().map_err(&err)?;
    let rec = load_in(&mut tx, storage, name)?;
    tx.commit().map_err(&err)?;
    Ok(rec)
}

/// Reads a study's whole record inside a transaction.
pub fn load_in(db: &mut dyn Sql, storage: &Storage, name: &str) -> Result<Record> {
    let (id, settings) = find_existing(db, storage, name)?;
    let err = store_err(storage);
    let rows = db
        .query(
            "SELECT number, params, encoded, origin, state, epochs, target, worker, lease_until, attempts, failures, reason
             FROM trials WHERE study_id = $1 ORDER BY number",
            args![id],
        )
        .map_err(&err)?;
    let mut trials = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let number = r.int(0).map_err(&err)?;
        let bad = |what: &str| corrupt(storage, format!("study `{name}`, trial {number}: {what}"));
        let column = |e: DbError| bad(&e.to_string());
        if number != i as i64 {
            return Err(bad("trial numbers are not 0, 1, 2, …"));
        }
        let params: Map<String, Value> = serde_json::from_str(&r.text(1).map_err(column)?)
            .map_err(|_| bad("params are not a JSON object"))?;
        let encoded: Vec<f32> = serde_json::from_str(&r.text(2).map_err(column)?)
            .map_err(|_| bad("encoding is not a list of numbers"))?;
        if encoded.len() != settings.space.len() {
            return Err(bad("encoding does not fit the space"));
        }
        trials.push(TrialRow {
            number: number as u64,
            params,
            encoded,
            origin: r.text(3).map_err(column)?,
            state: r
                .text(4)
                .map_err(column)?
                .parse()
                .map_err(|e: String| bad(&e))?,
            epochs: r.int(5).map_err(column)?.max(0) as usize,
            target: r.int(6).map_err(column)?.max(0) as usize,
            worker: r.opt_text(7).map_err(column)?,
            lease_until: r.opt_real(8).map_err(column)?,
            attempts: r.int(9).map_err(column)?.max(0) as u32,
            failures: r.int(10).map_err(column)?.max(0) as u32,
            reason: r.opt_text(11).map_err(column)?,
        });
    }
    let epochs = db
        .query(
            "SELECT seq, trial, epoch, value, note, reported_at, worker FROM epochs WHERE study_id = $1 ORDER BY seq",
            args![id],
        )
        .map_err(&err)?
        .iter()
        .map(|r| -> std::result::Result<EpochRow, DbError> {
            Ok(EpochRow {
                seq: r.int(0)?,
                trial: r.int(1)?.max(0) as u64,
                epoch: r.int(2)?.max(0) as usize,
                value: r.opt_real(3)?,
                note: r.opt_text(4)?,
                at: r.real(5)?,
                worker: r.opt_text(6)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| corrupt(storage, format!("study `{name}`, an epoch row: {e}")))?;
    if let Some(e) = epochs
        .iter()
        .find(|e| e.trial as usize >= trials.len() || e.epoch > settings.max_epochs)
    {
        return Err(corrupt(
            storage,
            format!(
                "study `{name}`: epoch row {} names trial {} epoch {}",
                e.seq, e.trial, e.epoch
            ),
        ));
    }
    let rows = db
        .query(
            "SELECT seq, trial, from_epoch, to_epoch, granted, seen, pool, held, budget_left
             FROM decisions WHERE study_id = $1 ORDER BY seq",
            args![id],
        )
        .map_err(&err)?;
    let mut decisions = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let seq = r.int(0).unwrap_or(-1);
        let bad = |what: &str| corrupt(storage, format!("study `{name}`, decision {seq}: {what}"));
        let column = |e: DbError| bad(&e.to_string());
        let (trial, pool) = (r.int(1).map_err(column)?, r.int(6).map_err(column)?);
        // A decision trains a trial of the pool it saw, or (PBT) the trial it created,
        // numbered one past that pool.
        let spawned = trial == pool
            && trials
                .get(trial.max(0) as usize)
                .is_some_and(TrialRow::is_pbt_child);
        if seq != i as i64
            || pool < 0
            || pool as usize > trials.len()
            || trial < 0
            || (trial >= pool && !spawned)
        {
            return Err(bad("out of order or naming a trial outside its pool"));
        }
        let held: Vec<(u64, String)> = serde_json::from_str(&r.text(7).map_err(column)?)
            .map_err(|_| bad("held trials unreadable"))?;
        let held = held
            .into_iter()
            .map(|(t, h)| match h.as_str() {
                "running" => Ok((t, Hold::Running)),
                "failed" => Ok((t, Hold::Failed)),
                _ => Err(bad("unknown hold")),
            })
            .collect::<Result<Vec<_>>>()?;
        decisions.push(DecisionRow {
            seq,
            trial: trial as u64,
            from_epoch: r.int(2).map_err(column)?.max(0) as usize,
            to_epoch: r.int(3).map_err(column)?.max(0) as usize,
            granted: r.int(4).map_err(column)?.max(0) as usize,
            seen: r.int(5).map_err(column)?,
            pool: pool as usize,
            held,
            budget_left: r.int(8).map_err(column)?.max(0) as usize,
        });
    }
    let created_at = db
        .query_opt("SELECT created_at FROM studies WHERE id = $1", args![id])
        .map_err(&err)?
        .map(|r| r.real(0))
        .transpose()
        .map_err(&err)?
        .unwrap_or(0.0);
    Ok(Record {
        name: name.to_string(),
        id,
        created_at,
        settings,
        trials,
        epochs,
        decisions,
    })
}

/// The hold of a trial in a given state, as the optimiser sees it.
pub fn hold_of(state: State) -> Option<Hold> {
    match state {
        State::Pending | State::Running => Some(Hold::Running),
        State::Failed => Some(Hold::Failed),
        _ => None,
    }
}

/// Hold names as stored.
pub fn hold_name(h: Hold) -> &'static str {
    match h {
        Hold::Running => "running",
        Hold::Failed => "failed",
    }
}

impl Record {
    /// The normalisation given the epoch rows `rows` (every trial's initial value: its
    /// epoch 0 where reported, else its epoch 1).
    pub fn scale<'a>(&self, rows: impl Iterator<Item = &'a EpochRow> + Clone) -> Result<Scale> {
        let mut initial: BTreeMap<u64, (usize, Option<f64>)> = BTreeMap::new();
        for r in rows.filter(|r| r.epoch <= 1 && !r.inherited()) {
            let e = initial.entry(r.trial).or_insert((r.epoch, r.value));
            if r.epoch < e.0 {
                *e = (r.epoch, r.value);
            }
        }
        self.settings
            .normaliser()
            .scale(initial.values().map(|(_, v)| v.unwrap_or(f64::NAN)))
    }

    /// The optimiser's history: the first `pool` trials as candidates, the epoch rows
    /// with seq ≤ `seen` observed (normalised), `held` trials held.
    pub fn history(&self, pool: usize, seen: i64, held: &[(u64, Hold)]) -> Result<History> {
        let configs = self.trials[..pool.min(self.trials.len())]
            .iter()
            .map(|t| t.encoded.clone())
            .collect();
        let mut h = History::new(configs, self.settings.max_epochs)?;
        let visible = self.epochs.iter().filter(|r| r.seq <= seen);
        let scale = self.scale(visible.clone())?;
        let mut rows: Vec<&EpochRow> = visible.filter(|r| r.epoch >= 1).collect();
        rows.sort_by_key(|r| (r.trial, r.epoch));
        for r in rows {
            if (r.trial as usize) < pool {
                h.observe(r.trial as usize, scale.y(r.value))?;
            }
        }
        for &(t, hold) in held {
            if (t as usize) < pool {
                h.hold(t as usize, hold)?;
            }
        }
        if self.settings.pool.default_first
            && let Some(d) = self.trials[..pool.min(self.trials.len())]
                .iter()
                .position(|t| t.origin == crate::pool::Origin::Default.as_str())
        {
            h.set_first(d)?;
        }
        Ok(h)
    }

    /// The last recorded epoch row's seq (0 if none).
    pub fn last_seq(&self) -> i64 {
        self.epochs.last().map_or(0, |e| e.seq)
    }

    /// Epochs spent: every recorded epoch ≥ 1 (failed ones included; inherited ones not).
    pub fn spent(&self) -> usize {
        self.epochs
            .iter()
            .filter(|e| e.epoch >= 1 && !e.inherited())
            .count()
    }

    /// Epochs reserved by assignments not trained yet (pending and running trials).
    pub fn in_flight(&self) -> usize {
        self.trials
            .iter()
            .filter(|t| matches!(t.state, State::Pending | State::Running))
            .map(|t| t.target.saturating_sub(t.epochs))
            .sum()
    }

    /// The best recorded value (raw metric) with its trial and epoch.
    pub fn incumbent(&self) -> Option<(u64, usize, f64)> {
        let direction = self.settings.direction;
        let mut best: Option<(u64, usize, f64)> = None;
        for e in self.epochs.iter().filter(|e| e.epoch >= 1) {
            if let Some(v) = e.value.filter(|v| v.is_finite())
                && best.is_none_or(|(_, _, b)| direction.better(v, b))
            {
                best = Some((e.trial, e.epoch, v));
            }
        }
        best
    }

    /// Trials per state.
    pub fn counts(&self) -> BTreeMap<State, usize> {
        let mut m = BTreeMap::new();
        for t in &self.trials {
            *m.entry(t.state).or_insert(0) += 1;
        }
        m
    }

    /// The recorded values of a trial, epoch by epoch (index 0 = epoch 1).
    pub fn curve(&self, trial: u64) -> Vec<Option<f64>> {
        let mut rows: Vec<&EpochRow> = self
            .epochs
            .iter()
            .filter(|e| e.trial == trial && e.epoch >= 1)
            .collect();
        rows.sort_by_key(|e| e.epoch);
        rows.iter().map(|e| e.value).collect()
    }

    /// The best finite value among `values` (a trial's [`curve`](Record::curve)) in the
    /// study's direction; None when there is none.
    pub fn best_value(&self, values: &[Option<f64>]) -> Option<f64> {
        let direction = self.settings.direction;
        values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .reduce(|a, b| if direction.better(b, a) { b } else { a })
    }
}

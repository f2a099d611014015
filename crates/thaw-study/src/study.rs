//! A durable study: ask/tell over the study store, with the optimiser's state rebuilt
//! from the record.
//!
//! - [`Study::ask`] gives a worker its work: the trial it already holds (asking is
//!   idempotent per worker), else a trial handed back to the queue (a crashed segment to
//!   retry, a lease that expired), else a new decision of the optimiser. Decisions are
//!   budget-exact: the epochs recorded plus those reserved by running assignments never
//!   exceed the budget.
//! - [`Study::tell`] records one epoch as it is reported; [`Study::finish`] ends a
//!   segment (completed, failed, stopped); [`Study::heartbeat`] renews a lease.
//!
//! Every call is one `BEGIN IMMEDIATE` transaction, and before deciding, a study
//! replays the decisions it has not seen (made by an earlier run of thaw, or by another
//! process on the same store): each is asked again of the optimiser with exactly what
//! it saw then and must come out the same. So a study killed at any moment continues
//! as if it had never stopped.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde_json::{Map, Value};
use thaw_hpo::{Hold, HpoError, Optimizer};

use crate::args;
use crate::db::{Conn, DbError, Sql, Tx};
use crate::error::{Result, StudyError};
use crate::pbt_exploit;
use crate::pool::{PoolView, top_up};
use crate::protocol::End;
use crate::record::{self, Record, State, StudySettings, TrialRow, hold_name, hold_of};
use crate::store::Storage;

/// Work for a worker: train `number` from `from_epoch` to `to_epoch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The configuration's number in the study.
    pub number: u64,
    /// The configuration.
    pub config: Map<String, Value>,
    /// Epochs already recorded (and so checkpointed by the program).
    pub from_epoch: usize,
    /// The epoch to train to.
    pub to_epoch: usize,
    /// Epochs of a full training.
    pub max_epochs: usize,
    /// Segments of this trial started before this one.
    pub attempt: u32,
    /// The trial's folder (`checkpoint/`, logs, the trial file).
    pub dir: PathBuf,
    /// Its stable checkpoint folder.
    pub checkpoint_dir: PathBuf,
}

/// The answer to [`Study::ask`].
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// Train this.
    Trial(Trial),
    /// Nothing to do now: running trials hold the rest of the budget, or the optimiser
    /// waits for them. Ask again shortly.
    Wait,
    /// The budget is spent (or every configuration finished) and nothing runs.
    Finished,
}

/// A study opened for work.
pub struct Study {
    conn: Conn,
    storage: Storage,
    name: String,
    settings: StudySettings,
    dir: PathBuf,
    device: Device,
    optimizer: Box<dyn Optimizer>,
    replayed: usize,
    /// The call in progress is being sent again after a lost connection.
    retrying: bool,
    reconnects: u64,
}

pub use crate::store::RECONNECT_VAR;

fn sql(storage: &Storage) -> impl Fn(DbError) -> StudyError + '_ {
    move |source| StudyError::Store {
        storage: storage.label(),
        source,
    }
}

impl Study {
    /// Opens study `name` in `storage`, creating it with `settings` if it does not exist.
    /// An existing study must have the same trajectory-deciding settings (see
    /// [`StudySettings::identity_diff`]); its budget, retries and lease are updated.
    /// Trials keep their files under `dir` (default: `<store folder>/<name>`).
    pub fn open(
        storage: &Storage,
        name: &str,
        settings: StudySettings,
        dir: Option<PathBuf>,
        device: Device,
    ) -> Result<Self> {
        crate::store::until_reached(|| {
            Self::open_once(storage, name, settings.clone(), dir.clone(), device.clone())
        })
    }

    fn open_once(
        storage: &Storage,
        name: &str,
        mut settings: StudySettings,
        dir: Option<PathBuf>,
        device: Device,
    ) -> Result<Self> {
        check_name(name)?;
        if settings.budget == 0 {
            return Err(StudyError::Invalid(
                "the budget must be at least 1 epoch".into(),
            ));
        }
        if settings.pool.random == 0 || settings.pool.max == 0 {
            return Err(StudyError::Invalid(format!(
                "the candidate pool needs at least one random candidate and room for one \
                 configuration (random {}, max {})",
                settings.pool.random, settings.pool.max
            )));
        }
        if !(settings.lease_s > 0.0 && settings.lease_s.is_finite()) {
            return Err(StudyError::Invalid(format!(
                "lease must be positive seconds, got {}",
                settings.lease_s
            )));
        }
        let mut conn = storage.connect(true)?;
        let err = sql(storage);
        let mut tx = conn.write(name).map_err(&err)?;
        match record::find_study(&mut tx, storage, name)? {
            Some((id, old)) => {
                // A study keeps the pool rule it was created with (studies older than
                // `default_first` replay as they ran).
                settings.pool.default_first = old.pool.default_first;
                if let Some(detail) = old.identity_diff(&settings) {
                    return Err(StudyError::SettingsMismatch {
                        study: name.into(),
                        storage: storage.label(),
                        detail,
                    });
                }
                let spent = record::load_in(&mut tx, storage, name)?.spent();
                if settings.budget < spent {
                    return Err(StudyError::Invalid(format!(
                        "study `{name}` has spent {spent} epochs already: a budget of {} is \
                         below that (give at least {spent}, or leave the budget out to keep {})",
                        settings.budget, old.budget
                    )));
                }
                let text = serde_json::to_string(&settings).expect("settings serialise");
                tx.exec(
                    "UPDATE studies SET settings = $1 WHERE id = $2",
                    args![&text, id],
                )
                .map_err(&err)?;
            }
            None => {
                let text = serde_json::to_string(&settings).expect("settings serialise");
                let t = tx.now().map_err(&err)?;
                tx.exec(
                    "INSERT INTO studies (name, settings, created_at) VALUES ($1, $2, $3)",
                    args![name, &text, t],
                )
                .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Self::start(storage, conn, name, settings, dir, device)
    }

    /// The settings stored with study `name`, or None when the store or the study does
    /// not exist yet (e.g. to keep a continued study's budget).
    pub fn stored_settings(storage: &Storage, name: &str) -> Result<Option<StudySettings>> {
        if let Storage::Sqlite(path) = storage
            && !path.exists()
        {
            return Ok(None);
        }
        let mut conn = storage.connect_read_only()?;
        let err = sql(storage);
        let mut tx = conn.read().map_err(&err)?;
        let found = record::find_study(&mut tx, storage, name)?.map(|(_, s)| s);
        tx.commit().map_err(&err)?;
        Ok(found)
    }

    /// Opens study `name`, which exists in `storage`, with the settings stored with it:
    /// a worker joining a study that `thaw tune` or another worker created.
    pub fn join(
        storage: &Storage,
        name: &str,
        dir: Option<PathBuf>,
        device: Device,
    ) -> Result<Self> {
        crate::store::until_reached(|| Self::join_once(storage, name, dir.clone(), device.clone()))
    }

    fn join_once(
        storage: &Storage,
        name: &str,
        dir: Option<PathBuf>,
        device: Device,
    ) -> Result<Self> {
        let mut conn = storage.connect(false)?;
        let err = sql(storage);
        let mut tx = conn.read().map_err(&err)?;
        let (_, settings) = record::find_existing(&mut tx, storage, name)?;
        tx.commit().map_err(&err)?;
        Self::start(storage, conn, name, settings, dir, device)
    }

    fn start(
        storage: &Storage,
        conn: Conn,
        name: &str,
        settings: StudySettings,
        dir: Option<PathBuf>,
        device: Device,
    ) -> Result<Self> {
        let optimizer = settings.method.build(settings.seed, &device)?;
        // Absolute: the program runs in its own working directory.
        let dir = dir.unwrap_or_else(|| storage.folder().join(name));
        let dir =
            std::path::absolute(&dir).map_err(|e| StudyError::io("cannot resolve", &dir, e))?;
        let mut study = Self {
            conn,
            storage: storage.clone(),
            name: name.to_string(),
            settings,
            dir,
            device,
            optimizer,
            replayed: 0,
            retrying: false,
            reconnects: 0,
        };
        let rec = study.record()?;
        replay(
            study.optimizer.as_mut(),
            &mut study.replayed,
            &study.name,
            &rec,
        )?;
        Ok(study)
    }

    /// The study's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its settings.
    pub fn settings(&self) -> &StudySettings {
        &self.settings
    }

    /// The store.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The folder of trial `number`.
    pub fn trial_dir(&self, number: u64) -> PathBuf {
        trial_dir(&self.dir, number)
    }

    /// The study's record as stored now.
    pub fn record(&mut self) -> Result<Record> {
        self.retried(|s| record::load(&mut s.conn, &s.storage, &s.name))
    }

    /// How many times the study reconnected to its server after losing it.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Runs `op`; while the store's server cannot be reached it reconnects and runs
    /// `op` again (for up to [`RECONNECT_VAR`] seconds, default 120). Every call it
    /// wraps is safe to send twice: asking is idempotent per worker, a report already
    /// committed with the same value is not recorded again, and a segment already ended
    /// is not ended twice.
    fn retried<T>(&mut self, mut op: impl FnMut(&mut Self) -> Result<T>) -> Result<T> {
        let mut attempts = 0;
        let result = crate::store::until_reached(|| {
            if attempts > 0 {
                // The previous attempt lost the connection: send it again on a new one.
                self.retrying = true;
                self.conn = self.storage.connect(false)?;
                self.reconnects += 1;
            }
            attempts += 1;
            op(self)
        });
        self.retrying = false;
        result
    }

    /// Rebuilds the optimiser from scratch (after a failed commit left it ahead of the
    /// record).
    fn rebuild(&mut self) -> Result<()> {
        self.optimizer = self
            .settings
            .method
            .build(self.settings.seed, &self.device)?;
        self.replayed = 0;
        let rec = self.record()?;
        replay(
            self.optimizer.as_mut(),
            &mut self.replayed,
            &self.name,
            &rec,
        )
    }

    /// Work for `worker`; see the module docs.
    pub fn ask(&mut self, worker: &str) -> Result<Ask> {
        self.retried(|s| s.ask_once(worker))
    }

    fn ask_once(&mut self, worker: &str) -> Result<Ask> {
        let storage = self.storage.clone();
        let err = sql(&storage);
        let lease = self.settings.lease_s;
        let mut tx = self.conn.write(&self.name).map_err(&err)?;
        let t = tx.now().map_err(&err)?;
        // 0. Assignments whose epochs were all recorded but whose end was not (thaw was
        //    stopped between the last report and the end of the segment) are complete:
        //    queued ones, this worker's own (asking again means it started over) and
        //    those whose lease ended. Another live worker's are its own to end. This is
        //    its own transaction: kept however the ask ends (an ask that finds the
        //    budget spent rolls the rest back).
        tx.exec(
            "UPDATE trials SET state = CASE WHEN epochs >= $1 THEN 'done' ELSE 'frozen' END,
                 worker = NULL, lease_until = NULL, failures = 0
             WHERE study_id = (SELECT id FROM studies WHERE name = $2)
               AND target > 0 AND epochs >= target
               AND (state = 'pending'
                    OR (state = 'running' AND (worker = $3 OR lease_until < $4)))",
            args![self.settings.max_epochs as i64, &self.name, worker, t],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        let mut tx = self.conn.write(&self.name).map_err(&err)?;
        let mut rec = record::load_in(&mut tx, &storage, &self.name)?;
        let id = rec.id;
        // 1. The trial this worker already holds (asking again is idempotent).
        if let Some(tr) = rec
            .trials
            .iter()
            .find(|x| x.state == State::Running && x.worker.as_deref() == Some(worker))
        {
            tx.exec(
                "UPDATE trials SET lease_until = $1 WHERE study_id = $2 AND number = $3",
                args![t + lease, id, tr.number as i64],
            )
            .map_err(&err)?;
            let trial = trial_of(
                &self.dir,
                self.settings.max_epochs,
                tr.number,
                &tr.params,
                tr.epochs,
                tr.target,
                tr.attempts.saturating_sub(1),
            );
            tx.commit().map_err(&err)?;
            return Ok(Ask::Trial(trial));
        }
        // 2. Leases that ended go back to the queue.
        tx.exec(
            "UPDATE trials SET state = 'pending', worker = NULL, lease_until = NULL
             WHERE study_id = $1 AND state = 'running' AND lease_until < $2",
            args![id, t],
        )
        .map_err(&err)?;
        // 3. The queue: handed-back trials, oldest number first.
        let queued = tx
            .query_opt(
                "SELECT number, params, epochs, target, attempts FROM trials
                 WHERE study_id = $1 AND state = 'pending' ORDER BY number LIMIT 1",
                args![id],
            )
            .map_err(&err)?
            .map(|r| -> std::result::Result<_, DbError> {
                Ok((r.int(0)?, r.text(1)?, r.int(2)?, r.int(3)?, r.int(4)?))
            })
            .transpose()
            .map_err(&err)?;
        if let Some((number, p, epochs, target, attempts)) = queued {
            let params_map: Map<String, Value> = serde_json::from_str(&p).unwrap_or_default();
            lease_to(&mut tx, id, number, worker, t + lease).map_err(&err)?;
            let trial = trial_of(
                &self.dir,
                self.settings.max_epochs,
                number as u64,
                &params_map,
                epochs as usize,
                target as usize,
                attempts as u32,
            );
            tx.commit().map_err(&err)?;
            return Ok(Ask::Trial(trial));
        }
        // 4. A new decision, after catching up with the record.
        replay(
            self.optimizer.as_mut(),
            &mut self.replayed,
            &self.name,
            &rec,
        )?;
        let in_flight = rec.in_flight();
        let spent = rec.spent();
        let left = self.settings.budget.saturating_sub(spent + in_flight);
        // Wait while any trial is held, even one with no epoch in flight (all recorded,
        // its end not yet): its worker ends it, or step 0 once its lease ends.
        let held_now = rec
            .trials
            .iter()
            .any(|t| matches!(t.state, State::Running | State::Pending));
        let idle = if held_now { Ask::Wait } else { Ask::Finished };
        if left == 0 {
            return Ok(idle);
        }
        let seq = rec.decisions.len() as i64;
        let seen = rec.last_seq();
        let held: Vec<(u64, Hold)> = rec
            .trials
            .iter()
            .filter_map(|tr| hold_of(tr.state).map(|h| (tr.number, h)))
            .collect();
        let before = rec.history(rec.trials.len(), seen, &held)?;
        let encoded: Vec<Vec<f32>> = rec.trials.iter().map(|tr| tr.encoded.clone()).collect();
        let incumbent = (0..before.n_configs())
            .filter(|&c| !before.curve(c).is_empty())
            .max_by(|&a, &b| {
                let best = |c: usize| before.curve(c).iter().copied().fold(f32::MIN, f32::max);
                best(a).total_cmp(&best(b)).then(b.cmp(&a))
            });
        let fresh_open = (0..before.n_configs())
            .filter(|&c| before.curve(c).is_empty() && before.is_open(c))
            .count();
        let view = PoolView {
            encoded: &encoded,
            fresh_open,
            incumbent: incumbent.map(|c| encoded[c].as_slice()),
        };
        let model_based = self.settings.method.is_model_based();
        let new = top_up(
            &self.settings.space,
            &self.settings.pool,
            model_based,
            self.settings.seed,
            seq as u64,
            &view,
        );
        for (u, origin) in new {
            let number = rec.trials.len() as u64;
            let row =
                TrialRow::candidate(number, &self.settings.space, u, origin.as_str().into(), 0);
            row.insert_candidate(&mut tx, id).map_err(&err)?;
            // The record in hand gains the candidate as the store now holds it.
            rec.trials.push(row);
        }
        let pool = rec.trials.len();
        let history = rec.history(pool, seen, &held)?;
        let action = match self.optimizer.next(&history, left) {
            Ok(a) => a,
            // Neither changed the optimiser: roll back the new candidates too.
            Err(HpoError::Busy) => return Ok(Ask::Wait),
            Err(HpoError::Exhausted) => return Ok(idle),
            Err(e) => return Err(e.into()),
        };
        if action.config == pool {
            // PBT's exploit step: the optimiser creates the configuration it trains.
            let made = match self.optimizer.spawn() {
                Some(spawn) => pbt_exploit::spawn_trial(
                    &mut tx,
                    &err,
                    &self.settings.space,
                    &self.dir,
                    id,
                    &mut rec,
                    &spawn,
                ),
                None => Err(StudyError::Invalid(format!(
                    "{} chose configuration {pool} outside the pool",
                    self.optimizer.name()
                ))),
            };
            if let Err(e) = made {
                drop(tx);
                let _ = self.rebuild();
                return Err(e);
            }
        }
        let tr = rec.trials.get(action.config).ok_or_else(|| {
            StudyError::Invalid(format!(
                "{} chose configuration {} outside the pool",
                self.optimizer.name(),
                action.config
            ))
        })?;
        let from = tr.epochs;
        let granted = action.to_epoch.min(from + left);
        let held_text = serde_json::to_string(
            &held
                .iter()
                .map(|&(n, h)| (n, hold_name(h)))
                .collect::<Vec<_>>(),
        )
        .expect("plain values");
        let written = (|| -> std::result::Result<(), DbError> {
            tx.exec(
                "INSERT INTO decisions (study_id, seq, trial, from_epoch, to_epoch, granted, seen, pool, held, budget_left, worker, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![
                    id,
                    seq,
                    action.config as i64,
                    from as i64,
                    action.to_epoch as i64,
                    granted as i64,
                    seen,
                    pool as i64,
                    &held_text,
                    left as i64,
                    worker,
                    t
                ],
            )?;
            tx.exec(
                "UPDATE trials SET target = $1 WHERE study_id = $2 AND number = $3",
                args![granted as i64, id, action.config as i64],
            )?;
            lease_to(&mut tx, id, action.config as i64, worker, t + lease)?;
            tx.commit()
        })();
        if let Err(e) = written {
            // The optimiser moved on but the record did not: start it over from the record.
            let _ = self.rebuild();
            return Err(err(e));
        }
        self.replayed += 1;
        let params_map = tr.params.clone();
        let attempts = tr.attempts;
        Ok(Ask::Trial(trial_of(
            &self.dir,
            self.settings.max_epochs,
            action.config as u64,
            &params_map,
            from,
            granted,
            attempts,
        )))
    }

    /// A transaction on a trial `worker` must hold; returns its (epochs, target).
    fn held_by<'c>(
        conn: &'c mut Conn,
        storage: &Storage,
        study: &str,
        number: u64,
        worker: &str,
    ) -> Result<(Tx<'c>, i64, usize, usize)> {
        let err = sql(storage);
        let mut tx = conn.write(study).map_err(&err)?;
        let (id, _) = record::find_study(&mut tx, storage, study)?
            .ok_or_else(|| StudyError::Invalid(format!("no study `{study}`")))?;
        let row = tx
            .query_opt(
                "SELECT state, worker, epochs, target FROM trials WHERE study_id = $1 AND number = $2",
                args![id, number as i64],
            )
            .map_err(&err)?
            .ok_or_else(|| StudyError::Invalid(format!("study `{study}` has no trial {number}")))?;
        let row = (|| -> std::result::Result<_, DbError> {
            Ok((row.text(0)?, row.opt_text(1)?, row.int(2)?, row.int(3)?))
        })()
        .map_err(&err)?;
        if row.0 != "running" || row.1.as_deref() != Some(worker) {
            return Err(StudyError::LeaseLost {
                trial: number,
                worker: worker.to_string(),
                state: row.0,
                holder: row.1.unwrap_or_else(|| "none".into()),
            });
        }
        Ok((tx, id, row.2.max(0) as usize, row.3.max(0) as usize))
    }

    /// Records `value` of `epoch` of trial `number`, which `worker` trains. Epochs come in
    /// order (epoch 0, the value before training, only first); a non-finite value is
    /// recorded as the worst value.
    pub fn tell(&mut self, number: u64, worker: &str, epoch: usize, value: f64) -> Result<()> {
        let note = (!value.is_finite()).then(|| format!("reported {value}"));
        self.retried(|s| {
            s.record_epoch(
                number,
                worker,
                epoch,
                value.is_finite().then_some(value),
                note.clone(),
            )
        })
    }

    fn record_epoch(
        &mut self,
        number: u64,
        worker: &str,
        epoch: usize,
        value: Option<f64>,
        note: Option<String>,
    ) -> Result<()> {
        let storage = self.storage.clone();
        let err = sql(&storage);
        let lease = self.settings.lease_s;
        let retrying = self.retrying;
        let (mut tx, id, epochs, target) =
            Self::held_by(&mut self.conn, &storage, &self.name, number, worker)?;
        if retrying && epoch <= epochs {
            // The report is sent again after a lost connection: its first sending may
            // have committed. Recorded with the same value, it is done.
            let row = tx
                .query_opt(
                    "SELECT value FROM epochs WHERE study_id = $1 AND trial = $2 AND epoch = $3",
                    args![id, number as i64, epoch as i64],
                )
                .map_err(&err)?;
            let recorded = row.map(|r| r.opt_real(0)).transpose().map_err(&err)?;
            if recorded.is_some_and(|v| v.map(f64::to_bits) == value.map(f64::to_bits)) {
                return Ok(());
            }
        }
        if epoch == 0 {
            let any = tx
                .query_opt(
                    "SELECT count(*) FROM epochs WHERE study_id = $1 AND trial = $2",
                    args![id, number as i64],
                )
                .map_err(&err)?
                .map_or(Ok(0), |r| r.int(0))
                .map_err(&err)?;
            if any == 1 && epochs == 0 {
                // A first segment run again (thaw was stopped after it recorded epoch 0)
                // measures its start again: the value recorded first stays, since
                // decisions may have seen it.
                return Ok(());
            }
            if any > 0 {
                return Err(StudyError::Invalid(format!(
                    "trial {number}: epoch 0 must be reported first, once"
                )));
            }
        } else if epoch != epochs + 1 || epoch > target {
            return Err(StudyError::Invalid(format!(
                "trial {number}: reported epoch {epoch}, but epoch {} of {target} was due",
                epochs + 1
            )));
        }
        let t = tx.now().map_err(&err)?;
        tx.exec(
            "INSERT INTO epochs (study_id, trial, epoch, value, note, worker, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![id, number as i64, epoch as i64, value, &note, worker, t],
        )
        .map_err(&err)?;
        tx.exec(
            "UPDATE trials SET epochs = epochs + $1, lease_until = $2 WHERE study_id = $3 AND number = $4",
            args![i64::from(epoch > 0), t + lease, id, number as i64],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// Renews `worker`'s lease on trial `number`; an error if the lease was lost.
    pub fn heartbeat(&mut self, number: u64, worker: &str) -> Result<()> {
        self.retried(|s| s.heartbeat_once(number, worker))
    }

    fn heartbeat_once(&mut self, number: u64, worker: &str) -> Result<()> {
        let storage = self.storage.clone();
        let err = sql(&storage);
        let lease = self.settings.lease_s;
        let (mut tx, id, _, _) =
            Self::held_by(&mut self.conn, &storage, &self.name, number, worker)?;
        let t = tx.now().map_err(&err)?;
        tx.exec(
            "UPDATE trials SET lease_until = $1 WHERE study_id = $2 AND number = $3",
            args![t + lease, id, number as i64],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// Ends `worker`'s segment of trial `number`:
    /// - completed: the trial is frozen, or done at the last epoch;
    /// - failed: back to the queue while retries last (when a retry may help), else the
    ///   trial fails, and the epoch it failed at, if it was not recorded, is recorded as
    ///   the worst value;
    /// - stopped: back to the queue at once, its recorded epochs kept.
    pub fn finish(&mut self, number: u64, worker: &str, end: &End) -> Result<()> {
        self.retried(|s| s.finish_once(number, worker, end))
    }

    fn finish_once(&mut self, number: u64, worker: &str, end: &End) -> Result<()> {
        let storage = self.storage.clone();
        let err = sql(&storage);
        let retries = self.settings.retries;
        let max = self.settings.max_epochs;
        let held = Self::held_by(&mut self.conn, &storage, &self.name, number, worker);
        let (mut tx, id, epochs, target) = match held {
            // Sent again after a lost connection: its first sending committed.
            Err(StudyError::LeaseLost { .. }) if self.retrying => return Ok(()),
            r => r?,
        };
        let n = number as i64;
        match end {
            End::Completed => {
                if epochs < target {
                    return Err(StudyError::Invalid(format!(
                        "trial {number}: segment ends at epoch {epochs}, its target is {target}"
                    )));
                }
                let state = if epochs >= max { "done" } else { "frozen" };
                tx.exec(
                    "UPDATE trials SET state = $1, worker = NULL, lease_until = NULL, failures = 0 WHERE study_id = $2 AND number = $3",
                    args![state, id, n],
                )
                .map_err(&err)?;
            }
            End::Stopped => {
                tx.exec(
                    "UPDATE trials SET state = 'pending', worker = NULL, lease_until = NULL WHERE study_id = $1 AND number = $2",
                    args![id, n],
                )
                .map_err(&err)?;
            }
            End::Failed { reason, retry } => {
                let failures = tx
                    .query_opt(
                        "SELECT failures FROM trials WHERE study_id = $1 AND number = $2",
                        args![id, n],
                    )
                    .map_err(&err)?
                    .map_or(Ok(0), |r| r.int(0))
                    .map_err(&err)?;
                if *retry && (failures as u64) < u64::from(retries) {
                    tx.exec(
                        "UPDATE trials SET state = 'pending', worker = NULL, lease_until = NULL, failures = failures + 1, reason = $1
                         WHERE study_id = $2 AND number = $3",
                        args![reason, id, n],
                    )
                    .map_err(&err)?;
                } else {
                    let last_failed: Option<Option<f64>> = tx
                        .query_opt(
                            "SELECT value FROM epochs WHERE study_id = $1 AND trial = $2 AND epoch = $3",
                            args![id, n, epochs as i64],
                        )
                        .map_err(&err)?
                        .map(|r| r.opt_real(0))
                        .transpose()
                        .map_err(&err)?;
                    // A non-finite report already recorded the worst value at `epochs`.
                    let recorded_worst = epochs > 0 && matches!(last_failed, Some(None));
                    if !recorded_worst && epochs < target && epochs < max {
                        let t = tx.now().map_err(&err)?;
                        tx.exec(
                            "INSERT INTO epochs (study_id, trial, epoch, value, note, worker, reported_at) VALUES ($1, $2, $3, NULL, $4, $5, $6)",
                            args![id, n, epochs as i64 + 1, format!("failed: {reason}").as_str(), worker, t],
                        )
                        .map_err(&err)?;
                        tx.exec("UPDATE trials SET epochs = epochs + 1 WHERE study_id = $1 AND number = $2", args![id, n])
                            .map_err(&err)?;
                    }
                    tx.exec(
                        "UPDATE trials SET state = 'failed', worker = NULL, lease_until = NULL, failures = failures + 1, reason = $1
                         WHERE study_id = $2 AND number = $3",
                        args![reason, id, n],
                    )
                    .map_err(&err)?;
                }
            }
        }
        tx.commit().map_err(&err)
    }

    /// Library shorthand: trial `number` failed for good (no retry).
    pub fn fail(&mut self, number: u64, worker: &str, reason: &str) -> Result<()> {
        self.finish(
            number,
            worker,
            &End::Failed {
                reason: reason.into(),
                retry: false,
            },
        )
    }
}

/// The longest study name: it names a folder and, with a worker identity, a lock file.
pub const MAX_NAME: usize = 100;

/// Checks a study name before anything is written: 1 to [`MAX_NAME`] letters, digits,
/// `-`, `_` and `.`, not starting with `.`.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || name.starts_with('.')
    {
        return Err(StudyError::Invalid(format!(
            "study name {name:?}: use 1 to {MAX_NAME} letters, digits, `-`, `_` and `.`, \
             not starting with `.` (it names a folder); choose one with --study"
        )));
    }
    Ok(())
}

fn lease_to(
    tx: &mut Tx<'_>,
    id: i64,
    number: i64,
    worker: &str,
    until: f64,
) -> std::result::Result<u64, DbError> {
    tx.exec(
        "UPDATE trials SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1
         WHERE study_id = $3 AND number = $4",
        args![worker, until, id, number],
    )
}

pub use crate::record::trial_dir;

fn trial_of(
    dir: &Path,
    max_epochs: usize,
    number: u64,
    config: &Map<String, Value>,
    from: usize,
    to: usize,
    attempt: u32,
) -> Trial {
    let dir = trial_dir(dir, number);
    Trial {
        number,
        config: config.clone(),
        from_epoch: from,
        to_epoch: to,
        max_epochs,
        attempt,
        checkpoint_dir: dir.join("checkpoint"),
        dir,
    }
}

/// Replays the decisions of `rec` after the first `replayed` on `optimizer`: each must
/// come out as recorded.
fn replay(
    optimizer: &mut dyn Optimizer,
    replayed: &mut usize,
    study: &str,
    rec: &Record,
) -> Result<()> {
    for d in &rec.decisions[(*replayed).min(rec.decisions.len())..] {
        let h = rec.history(d.pool, d.seen, &d.held)?;
        let replay_err = |detail: String| StudyError::Replay {
            study: study.to_string(),
            detail,
        };
        let action = optimizer.next(&h, d.budget_left).map_err(|e| {
            replay_err(format!(
                "replaying decision {}: the optimiser failed: {e}",
                d.seq
            ))
        })?;
        if let Some(spawn) = optimizer.spawn() {
            let want = pbt_exploit::pbt_origin(spawn.parent as u64, spawn.epoch);
            let got = rec.trials.get(d.trial as usize).map(|t| t.origin.as_str());
            if got != Some(want.as_str()) {
                return Err(replay_err(format!(
                    "replaying decision {}: {} now creates a child of trial {} at epoch {}, the record's trial {} came from {}",
                    d.seq,
                    optimizer.name(),
                    spawn.parent,
                    spawn.epoch,
                    d.trial,
                    got.unwrap_or("nowhere")
                )));
            }
        }
        if action.config as u64 != d.trial || action.to_epoch != d.to_epoch {
            return Err(replay_err(format!(
                "replaying decision {}: {} now trains trial {} to epoch {}, the record says trial {} to epoch {} (another build, or a device that is not deterministic?)",
                d.seq,
                optimizer.name(),
                action.config,
                action.to_epoch,
                d.trial,
                d.to_epoch
            )));
        }
        *replayed += 1;
    }
    Ok(())
}

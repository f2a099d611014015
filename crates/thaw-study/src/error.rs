//! Errors of studies: the space file, the store, the trial protocol.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in `thaw-study`.
#[derive(Debug, Error)]
pub enum StudyError {
    /// The study file is malformed; `line` is 1-based where it is known.
    #[error("{}: {}{detail}", file.display(), line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    File {
        /// The file.
        file: PathBuf,
        /// The line of the offending item, if known.
        line: Option<usize>,
        /// What is wrong.
        detail: String,
    },
    /// A value or argument does not fit the study (wrong parameter, out-of-range value…).
    #[error("{0}")]
    Invalid(String),
    /// The study exists with other settings: it is refused, never mixed.
    #[error("study `{study}` exists in {storage} with other settings: {detail}")]
    SettingsMismatch {
        /// Study name.
        study: String,
        /// The storage.
        storage: String,
        /// Which setting differs, old and new.
        detail: String,
    },
    /// The study store failed (locked, corrupt, not a thaw database, unreachable…).
    #[error("study store {storage}: {source}")]
    Store {
        /// The storage.
        storage: String,
        /// The database error.
        #[source]
        source: crate::db::DbError,
    },
    /// The worker no longer holds the trial: its lease ended (it went quiet for longer
    /// than the lease) and the trial went back to the queue, or another worker has it.
    #[error(
        "trial {trial} is not held by worker {worker} (state {state}, worker {holder}): its lease ended and it went back to the queue"
    )]
    LeaseLost {
        /// The trial.
        trial: u64,
        /// The worker that asked.
        worker: String,
        /// The trial's state now.
        state: String,
        /// Who holds it now (`none`).
        holder: String,
    },
    /// The study's program cannot be started (no such command or folder, not
    /// executable): the study's problem, not a configuration's. No trial is charged.
    #[error(
        "cannot start the program {command:?} in {}: {detail}. Fix the study file's [objective] and run the same command again: the study continues",
        workdir.display()
    )]
    CannotStart {
        /// The command (its first word).
        command: String,
        /// The folder it runs in.
        workdir: PathBuf,
        /// Why.
        detail: String,
    },
    /// The store holds something this version cannot read.
    #[error("study store {storage}: {detail}")]
    Corrupt {
        /// The storage.
        storage: String,
        /// What is wrong.
        detail: String,
    },
    /// Replaying the recorded decisions did not give the recorded choice.
    #[error("study `{study}`: {detail}")]
    Replay {
        /// Study name.
        study: String,
        /// The first differing decision.
        detail: String,
    },
    /// A file or process operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The optimiser or its curve model failed.
    #[error(transparent)]
    Hpo(#[from] thaw_hpo::HpoError),
    /// Writing an export failed.
    #[error(transparent)]
    Data(#[from] thaw_data::DataError),
}

impl StudyError {
    /// Whether the store's server could not be reached: worth retrying on a new
    /// connection.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Self::Store { source, .. } if source.is_connection_lost())
    }

    /// An IO error with its context.
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

/// Result with [`StudyError`].
pub type Result<T> = std::result::Result<T, StudyError>;

//! How the program fails: a message for stderr and the exit code thaw sees.

use std::fmt;

/// A failure of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Bad environment, parameters or JSON, a missing or unreadable checkpoint, I/O (exit 2).
    Input(String),
    /// The checkpoint does not belong to this segment: another epoch or other parameters (exit 3).
    Mismatch(String),
    /// Training diverged: a loss became NaN or infinite (exit 4).
    Diverged(String),
}

impl Failure {
    /// The process exit code of this failure.
    pub fn code(&self) -> i32 {
        match self {
            Self::Input(_) => 2,
            Self::Mismatch(_) => 3,
            Self::Diverged(_) => 4,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(m) | Self::Mismatch(m) | Self::Diverged(m) => f.write_str(m),
        }
    }
}

/// Shorthand for an input failure.
pub fn input(message: impl Into<String>) -> Failure {
    Failure::Input(message.into())
}

/// Results of this program.
pub type Result<T> = std::result::Result<T, Failure>;

//! The one error type of the evaluator's public API.

/// What can go wrong while reading votes or computing a leaderboard.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The vote file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The vote file could not be read.
    #[error("cannot read votes: {0}")]
    Io(#[from] std::io::Error),
    /// A vote file line (or FastChat array element) is not a vote we understand.
    /// `line` is 1-based and counts physical lines of the file.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number in the input.
        line: u64,
        /// What is wrong with that line.
        message: String,
    },
    /// A winner label that is none of the accepted spellings.
    #[error(
        "unknown winner label {0:?} (expected model_a, model_b, tie, tie (bothbad), a, b, both_bad, left or right)"
    )]
    UnknownOutcome(String),
    /// A winner label that is not one of the four of a given spelling.
    #[error("unknown {spelling} winner label {label:?} (expected {expected})")]
    UnknownLabel {
        /// Whose spelling was expected: "the arena", "FastChat" or "GenAI-Bench".
        spelling: &'static str,
        /// The label found.
        label: String,
        /// The four labels of that spelling.
        expected: &'static str,
    },
    /// An option value that cannot be used (bad level, unknown anchor model, …).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// Online Elo depends on the order of votes, which aggregated counts no longer have.
    #[error("the elo method needs the votes in order; aggregated counts only support bt")]
    EloNeedsVoteOrder,
}

/// `Result` with the evaluator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

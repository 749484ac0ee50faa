//! The program's typed errors and the exit codes they map to, in one place.
//!
//! Verdicts of a run are not errors: a run that completes returns [`EXIT_OK`] or [`EXIT_FAILED`].
//! Everything in [`Error`] means nothing was (or should have been) judged, and maps to
//! [`EXIT_USAGE`].

use std::fmt;

/// Every case passed or was skipped.
pub const EXIT_OK: u8 = 0;
/// At least one case failed or could not be judged.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage, a bad case file or schema, bad configuration: nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// The run was interrupted (Ctrl-C): 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Writes `text` to standard output. A reader that went away (`authconform man | head -1`) is
/// a clean end, known by the error's kind: not a crash, and not worth a message.
pub fn print(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// What a panic said, from its payload (`panic!` gives a `String` or a `&str`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic".into())
}

/// One problem in an input file, located by a JSON pointer (and a line and column where known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user knows it, e.g. `cases/token/get-method.json`.
    pub file: String,
    /// Line and column (1-based), where the parser knows them.
    pub position: Option<(usize, usize)>,
    /// A JSON pointer into the file; empty for the whole file.
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn new(file: &str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_owned(),
            position: None,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// One line each: a problem quotes case-file text (a key, a value), and a line break in it
/// must not forge a line of its own (say, one that reads as a passing lint).
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |text: &str| crate::base::redact::neutralise(text, false);
        write!(f, "{}", line(&self.file))?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, ": {}", line(&self.pointer))?;
        }
        write!(f, ": {}", line(&self.message))
    }
}

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag, environment variable or configuration file is wrong.
    #[error("{0}")]
    Usage(String),
    /// Case files or schemas are broken; every problem is listed.
    #[error("{}", ProblemList(.0))]
    Load(Vec<Problem>),
    /// An output file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The reference server or the async runtime could not start.
    #[error("could not start {what}: {source}")]
    Start {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            writeln!(f, "{problem}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} found; nothing was sent",
            if n == 1 { "" } else { "s" }
        )
    }
}

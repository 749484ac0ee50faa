//! What a run tells as it goes: typed events, sent into one [`Sink`] that the command passes to
//! [`Executor::run`](super::execute::Executor::run). Execution never writes to the terminal;
//! the reporters (`report/`: the libtest printer, the progress line, the wait notices) render
//! these events, and the command fans them out.

use crate::records::record::{Record, Wait};

/// One thing that happened in a run.
#[derive(Debug)]
pub enum Event<'a> {
    /// A case took its place and starts (its first request may still wait for the rate).
    Started { id: &'a str },
    /// A case pauses before sending again, as `wait` says: told as the wait starts, so that a
    /// run that pauses says why.
    Waiting {
        id: &'a str,
        wait: &'a Wait,
        detail: WaitDetail,
    },
    /// A case is done: its record, fit for output.
    Finished(&'a Record),
    /// A signal cut the run short: the cases not finished are not run.
    Interrupted { signal: &'static str },
    /// Every case is done (or not run).
    RunFinished,
}

/// What a wait is about, beyond its reason and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitDetail {
    /// A refused connection: this is retry `retry` of the `retries` allowed.
    Retry { retry: u32, retries: u32 },
    /// An unexpected 429: `asked` when the server said how long (Retry-After or
    /// X-RateLimit-Reset), else the wait is a default second.
    RateLimited { asked: bool },
}

/// Where a run's events go. Called from the run's tasks as well as the thread that awaits the
/// run, so it is shared; each call should be quick (a wait or a case's line).
pub trait Sink: Send + Sync {
    fn event(&self, event: Event<'_>);
}

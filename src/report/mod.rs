//! Reports: renderings of the run's [`Record`](crate::record::Record)s. Each format takes the
//! same records and the same [`RunInfo`].

pub mod github;
pub mod json;
pub mod junit;
pub mod terminal;

use std::time::Duration;

use crate::{deviations::Finding, report::terminal::Tally};

/// Facts about the run that every report states.
pub struct RunInfo<'a> {
    /// The target as shown to users (with "(built-in reference server)" or "(TLS not
    /// verified)" where that applies).
    pub target: &'a str,
    pub cases: &'a str,
    pub schemas: &'a str,
    pub elapsed: Duration,
    /// The deviations file, if one was given.
    pub deviations: Option<&'a str>,
    /// Its entries that fail the run.
    pub findings: &'a [Finding],
    /// The counts, computed once from the records and the findings.
    pub tally: Tally,
}

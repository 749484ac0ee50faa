//! Results as data: one record per case, fit for output; and the known deviations a team
//! accepts, judged on each record.

pub mod deviations;
pub mod record;

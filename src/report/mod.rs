//! Reports: renderings of the run's [`Record`](crate::record::Record)s.

pub mod junit;
pub mod terminal;

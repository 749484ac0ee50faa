//! Execution: the cases run politely (concurrency, one rate limit, retries, waits), signals end
//! a run cleanly, and what happens is told as typed events (`event`) to the reporters in
//! `report/`; nothing here writes to the terminal but the signal watch's own notices.

pub mod event;
pub mod execute;

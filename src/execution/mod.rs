//! Execution: the cases run politely (concurrency, one rate limit, retries, waits said aloud),
//! signals end a run cleanly, and libtest-mimic prints the records as they arrive.

pub mod execute;
pub mod printer;
pub mod progress;

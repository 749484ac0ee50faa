//! Execution: the cases run politely (concurrency, one rate limit, retries, waits said aloud),
//! signals end a run cleanly, and each record is printed in libtest's format as it arrives.

pub mod execute;
pub mod printer;
pub mod progress;

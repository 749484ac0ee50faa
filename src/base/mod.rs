//! The foundations every stage stands on: typed errors and exit codes, where files come from
//! (the built-in copies or a folder), JSON Schema compiling and its messages, locating a JSON
//! pointer in a file, `{{variable}}` templates, the response as data, work shared among
//! threads, and the output guard (secrets masked, outside text neutralised). Nothing here
//! knows about cases or runs.

pub mod error;
pub mod locate;
pub mod parallel;
pub mod redact;
pub mod response;
pub mod schema;
pub mod source;
pub mod template;

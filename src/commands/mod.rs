//! The commands: the command line mapped to options (`cli`) and resolved once into the session
//! `run`, `lint` and `explain` share (`session`), and what each command does:
//! `run`, `lint` (everything checked before sending), `explain`, `export`, `init`, `man`, `serve`,
//! and `diff` (two JSON reports compared).

pub mod cli;
pub mod colour;
pub mod diff;
pub mod explain;
pub mod export;
pub mod init;
pub mod lint;
pub mod man;
pub mod run;
pub mod serve;
pub mod session;

//! authconform: a conformance suite for servers that implement the Auth0 Authentication API's
//! documented error responses.
//!
//! The folders are the pipeline's stages, each importing only those listed before it (a test
//! holds that): [`base`] (errors, files, JSON Schema, templates, the response, the output
//! guard); [`checks`]; the [`catalogue`] (cases, variables, the seed table); [`http`] (request
//! and sender); [`records`] (results as data, known deviations); [`report`] (terminal, JUnit,
//! JSON, GitHub); [`execution`] (schedule, limits, signals, the printer); [`reference`] (the
//! built-in server); and the [`commands`]. Nothing is re-exported: a module is named by its
//! own path (`crate::catalogue::case`), so the stage it comes from shows at every import.
#![forbid(unsafe_code)]

pub mod base;
pub mod catalogue;
pub mod checks;
pub mod commands;
pub mod execution;
pub mod http;
pub mod records;
pub mod reference;
pub mod report;

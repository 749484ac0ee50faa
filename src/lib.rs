//! authconform: a conformance suite for servers that implement the Auth0 Authentication API's
//! documented error responses.
//!
//! The pipeline, one module per stage: [`source`] and [`case`] load case files and
//! [`schema`]s; [`plan`] fills in [`vars`] and [`template`]s; [`send`] sends; [`check`] judges;
//! [`run`] drives libtest-mimic and collects [`record`]s; [`report`] renders them, with
//! [`redact`] as the one place secrets are masked. [`reference`] is the built-in server.
#![forbid(unsafe_code)]

pub mod case;
pub mod check;
pub mod cli;
pub mod deviations;
pub mod error;
pub mod execute;
pub mod explain;
pub mod lint;
pub mod locate;
pub mod plan;
pub mod printer;
pub mod record;
pub mod redact;
pub mod reference;
pub mod report;
pub mod response;
pub mod run;
pub mod schema;
pub mod seed;
pub mod send;
pub mod source;
pub mod template;
pub mod vars;

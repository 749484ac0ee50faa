//! HTTP: a case and the run's variables become a request (and the request as reports show
//! it); one shared client sends it, never following a redirect, with a bounded read; and
//! `--discover` reads the target's discovery document for the endpoints; a case may ask for a
//! DPoP proof, made as the request goes.

pub mod discover;
pub mod dpop;
pub mod plan;
pub mod send;

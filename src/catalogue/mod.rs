//! The catalogue: case files loaded and checked into cases (with their compiled checks), the
//! variables they may use and where values come from, and the seed table they cover.

pub mod case;
pub mod coverage;
pub mod seed;
pub mod vars;

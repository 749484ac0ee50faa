//! Checks: what a response is judged by (status, media type, schema, body pointers, headers),
//! their typed identity, and their evaluation. They read only the response.

pub mod check;

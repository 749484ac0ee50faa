//! Checks: what a response is judged by (status, media type, schema, body pointers, headers,
//! Location parameters, WWW-Authenticate challenges), their typed identity, and their
//! evaluation. They read only the response.

pub mod challenge;
pub mod check;

//! What came back from the server, as data: the status, the headers and the (bounded) body.
//! Checks, records and the output guard read it; only the sender makes one.

/// The most of a response body that is read; past it the read stops and the body is marked
/// as cut.
pub const MAX_BODY: usize = 1024 * 1024;

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`]; `body` holds its start.
    pub truncated: bool,
}

impl Response {
    /// The header's value; several fields of one name are joined with `, ` (RFC 9110 §5.3).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

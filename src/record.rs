//! Results as data: one [`Record`] per case, built as the case finishes and redacted once, here.
//! Every report (terminal, JUnit) renders these records and nothing else.

use std::time::Duration;

use serde::Serialize;

use crate::{
    case::Documents,
    check::{CheckOutcome, Violation},
    redact::Redactor,
    send::Response,
};

/// How much of a response body a record keeps for reports.
pub const BODY_PREVIEW: usize = 2048;

/// Headers always shown in failure detail, besides those a check looked at.
const SHOWN_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "pragma",
    "www-authenticate",
    "allow",
    "location",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// At least one check was violated.
    Fail,
    /// Every violation is listed in the deviations file: accepted on purpose, not a failure.
    KnownDeviation {
        reasons: Vec<String>,
    },
    /// Not sent: a precondition is missing.
    Skip {
        reason: String,
    },
    /// Could not be judged: the request could not be sent or no response came.
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub method: String,
    pub url: String,
    /// A curl command line that sends the same request.
    pub curl: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseSummary {
    pub status: u16,
    /// The headers worth showing: the usual suspects and those the checks looked at.
    pub headers: Vec<(String, String)>,
    pub body_bytes: usize,
    /// The read stopped at the body cap.
    pub truncated: bool,
    /// The start of the body as text (invalid UTF-8 replaced).
    pub body_preview: String,
}

impl ResponseSummary {
    pub fn of(response: &Response, checked_headers: &[&str]) -> Self {
        let headers = response
            .headers
            .iter()
            .filter(|(n, _)| {
                SHOWN_HEADERS.contains(&n.as_str()) || checked_headers.contains(&n.as_str())
            })
            .cloned()
            .collect();
        let cut = response.body.len().min(BODY_PREVIEW);
        let mut body_preview = String::from_utf8_lossy(&response.body[..cut]).into_owned();
        if response.body.len() > cut {
            body_preview.push('…');
        }
        ResponseSummary {
            status: response.status,
            headers,
            body_bytes: response.body.len(),
            truncated: response.truncated,
            body_preview,
        }
    }
}

/// Everything known about one case once it has run.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub id: String,
    pub group: String,
    pub file: String,
    pub title: String,
    pub documents: Documents,
    pub verdict: Verdict,
    pub violations: Vec<Violation>,
    pub warnings: Vec<Violation>,
    /// Every check made, with its outcome (empty when nothing was judged).
    pub checks: Vec<CheckOutcome>,
    pub request: Option<RequestSummary>,
    pub response: Option<ResponseSummary>,
    /// Requests sent (more than one only for `repeat` cases).
    pub attempts: u32,
    /// What the rate-limit headers said when a 429 was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
}

/// Durations as milliseconds (a float): what people read in JSON.
pub fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

impl Record {
    /// A record for `case` before anything is known: a pass with no checks run yet.
    pub fn blank(case: &crate::case::Case) -> Record {
        Record {
            id: case.id.clone(),
            group: case.group.clone(),
            file: case.file.clone(),
            title: case.title.clone(),
            documents: case.documents.clone(),
            verdict: Verdict::Pass,
            violations: Vec::new(),
            warnings: Vec::new(),
            checks: Vec::new(),
            request: None,
            response: None,
            attempts: 0,
            rate_limit: None,
            elapsed: Duration::ZERO,
        }
    }

    /// The one place secrets leave a record: every string that a report may show is masked.
    pub fn redact(mut self, r: &Redactor) -> Self {
        let mask = |s: &mut String| *s = r.redact(s);
        match &mut self.verdict {
            Verdict::Skip { reason } => mask(reason),
            Verdict::Error { message } => mask(message),
            Verdict::KnownDeviation { reasons } => reasons.iter_mut().for_each(mask),
            Verdict::Pass | Verdict::Fail => {}
        }
        for v in self.violations.iter_mut().chain(self.warnings.iter_mut()) {
            mask(&mut v.message);
            if let Some(at) = &mut v.at {
                mask(at);
            }
        }
        if let Some(note) = &mut self.rate_limit {
            mask(note);
        }
        if let Some(req) = &mut self.request {
            mask(&mut req.url);
            mask(&mut req.curl);
        }
        if let Some(resp) = &mut self.response {
            for (_, value) in &mut resp.headers {
                mask(value);
            }
            mask(&mut resp.body_preview);
        }
        self
    }
}

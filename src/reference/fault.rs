//! Faults: ways the reference server can be told to break the documented behaviour. Each
//! names the seed-table rows it breaks and the check that must notice, so that the tests can
//! prove every case fails when the server breaks what that case checks.

use std::{fmt, str::FromStr};

use super::endpoints::Row;
use crate::check::CheckId;

/// One documented behaviour broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    InvalidRequestWrongCode,
    InvalidScopeWrongCode,
    ScopeTypeWrongDescription,
    InvalidClientAs400,
    UnauthorizedClientAs401,
    AccessDeniedNoDescription,
    RefreshTokenInvalidGrant,
    EndpointDisabledHtml,
    MethodNotAllowedHtml,
    NoRateLimit,
    RateLimitHeadersMissing,
    ServerErrorAs400,
    UnsupportedResponseTypeRedirect,
    UnavailableAsText,
    NoErrorDescription,
    ErrorsAsTextPlain,
}

/// A check that notices a fault, written so that the table of faults can be constant.
#[derive(Debug, Clone, Copy)]
enum Caught {
    Status,
    MediaType,
    Readable,
    Body(&'static str),
    Header(&'static str),
}

/// Which rows a fault breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// One row of the seed table.
    Row(Row),
    /// Every row that documents a JSON body.
    EveryBody,
}

/// Every fault: (the fault, its name, what it does, which rows, exactly the checks that must
/// notice), as data.
const FACTS: &[(Fault, &str, &str, Aim, &[Caught])] = &[
    (
        Fault::InvalidRequestWrongCode,
        "invalid-request-wrong-code",
        "400 invalid_request is sent with the code `bad_request`",
        Aim::Row(Row::InvalidRequest),
        &[Caught::Body("/error")],
    ),
    (
        Fault::InvalidScopeWrongCode,
        "invalid-scope-wrong-code",
        "400 invalid_scope is sent as invalid_request",
        Aim::Row(Row::InvalidScope),
        &[Caught::Body("/error")],
    ),
    (
        Fault::ScopeTypeWrongDescription,
        "scope-type-wrong-description",
        "the scope-type error says \"scope must be a string\" instead of the documented text",
        Aim::Row(Row::ScopeType),
        &[Caught::Body("/error_description")],
    ),
    (
        Fault::InvalidClientAs400,
        "invalid-client-as-400",
        "401 invalid_client is sent with status 400",
        Aim::Row(Row::InvalidClient),
        &[Caught::Status],
    ),
    (
        Fault::UnauthorizedClientAs401,
        "unauthorized-client-as-401",
        "403 unauthorized_client is sent with status 401",
        Aim::Row(Row::UnauthorizedClient),
        &[Caught::Status],
    ),
    (
        Fault::AccessDeniedNoDescription,
        "access-denied-no-description",
        "403 access_denied is sent without error_description",
        Aim::Row(Row::AccessDenied),
        &[Caught::Body("/error_description")],
    ),
    (
        Fault::RefreshTokenInvalidGrant,
        "refresh-token-invalid-grant",
        "an unknown refresh token gets invalid_grant (as real tenants send) instead of the documented access_denied",
        Aim::Row(Row::RefreshToken),
        &[Caught::Body("/error")],
    ),
    (
        Fault::EndpointDisabledHtml,
        "endpoint-disabled-html",
        "404 endpoint_disabled is sent as an HTML page",
        Aim::Row(Row::EndpointDisabled),
        &[Caught::MediaType, Caught::Readable],
    ),
    (
        Fault::MethodNotAllowedHtml,
        "method-not-allowed-html",
        "405 method_not_allowed is sent as an HTML page",
        Aim::Row(Row::MethodNotAllowed),
        &[Caught::MediaType, Caught::Readable],
    ),
    (
        Fault::NoRateLimit,
        "no-rate-limit",
        "the rate limit on /dbconnections/change_password never trips",
        Aim::Row(Row::TooManyRequests),
        &[Caught::Status, Caught::MediaType, Caught::Readable],
    ),
    (
        Fault::RateLimitHeadersMissing,
        "rate-limit-headers-missing",
        "rate-limited responses leave out the X-RateLimit-* headers",
        Aim::Row(Row::TooManyRequests),
        &[
            Caught::Header("x-ratelimit-limit"),
            Caught::Header("x-ratelimit-remaining"),
            Caught::Header("x-ratelimit-reset"),
        ],
    ),
    (
        Fault::ServerErrorAs400,
        "server-error-as-400",
        "the 500 row is sent with status 400",
        Aim::Row(Row::ServerError),
        &[Caught::Status],
    ),
    (
        Fault::UnsupportedResponseTypeRedirect,
        "unsupported-response-type-redirect",
        "501 unsupported_response_type is sent as a 302 redirect to the client",
        Aim::Row(Row::UnsupportedResponseType),
        &[
            Caught::Status,
            Caught::MediaType,
            Caught::Readable,
            Caught::Header("location"),
        ],
    ),
    (
        Fault::UnavailableAsText,
        "unavailable-as-text",
        "503 temporarily_unavailable is sent as the text \"Service Unavailable\"",
        Aim::Row(Row::TemporarilyUnavailable),
        &[Caught::MediaType, Caught::Readable],
    ),
    (
        Fault::NoErrorDescription,
        "no-error-description",
        "every error body leaves out error_description",
        Aim::EveryBody,
        &[Caught::Body("/error_description")],
    ),
    (
        Fault::ErrorsAsTextPlain,
        "errors-as-text-plain",
        "every JSON error body is labelled Content-Type: text/plain",
        Aim::EveryBody,
        &[Caught::MediaType],
    ),
];

impl Fault {
    pub const ALL: &'static [Fault] = &[
        Fault::InvalidRequestWrongCode,
        Fault::InvalidScopeWrongCode,
        Fault::ScopeTypeWrongDescription,
        Fault::InvalidClientAs400,
        Fault::UnauthorizedClientAs401,
        Fault::AccessDeniedNoDescription,
        Fault::RefreshTokenInvalidGrant,
        Fault::EndpointDisabledHtml,
        Fault::MethodNotAllowedHtml,
        Fault::NoRateLimit,
        Fault::RateLimitHeadersMissing,
        Fault::ServerErrorAs400,
        Fault::UnsupportedResponseTypeRedirect,
        Fault::UnavailableAsText,
        Fault::NoErrorDescription,
        Fault::ErrorsAsTextPlain,
    ];

    fn facts(self) -> &'static (Fault, &'static str, &'static str, Aim, &'static [Caught]) {
        FACTS
            .iter()
            .find(|f| f.0 == self)
            .expect("every fault has its facts")
    }

    pub fn name(self) -> &'static str {
        self.facts().1
    }

    pub fn description(self) -> &'static str {
        self.facts().2
    }

    /// The rows whose cases must fail under this fault.
    pub fn aim(self) -> Aim {
        self.facts().3
    }

    /// Exactly the checks that report the fault on each case aimed at it: no more, no
    /// other (an HTML page breaks the media type and the body alike).
    pub fn caught_by(self) -> Vec<CheckId> {
        self.facts()
            .4
            .iter()
            .map(|c| match c {
                Caught::Status => CheckId::Status,
                Caught::MediaType => CheckId::MediaType,
                Caught::Readable => CheckId::Readable,
                Caught::Body(pointer) => CheckId::Body((*pointer).to_owned()),
                Caught::Header(name) => CheckId::Header((*name).to_owned()),
            })
            .collect()
    }

    /// Whether the fault bends the reply the server is about to send for `row`.
    pub(super) fn hits(self, row: Row) -> bool {
        match self.aim() {
            Aim::Row(r) => r == row,
            Aim::EveryBody => row != Row::ServerError,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|d| d.name()).collect();
                format!("unknown fault {s:?}; the faults are: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for d in Fault::ALL {
            assert_eq!(d.name().parse::<Fault>().unwrap(), *d);
        }
        let mut names: Vec<&str> = Fault::ALL.iter().map(|d| d.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        assert!(
            "nope"
                .parse::<Fault>()
                .unwrap_err()
                .contains("invalid-client-as-400")
        );
    }

    #[test]
    fn every_fault_has_its_facts_once_in_order() {
        let listed: Vec<Fault> = FACTS.iter().map(|f| f.0).collect();
        assert_eq!(listed, Fault::ALL);
    }

    #[test]
    fn every_row_has_a_fault() {
        for row in Row::ALL {
            assert!(
                Fault::ALL.iter().any(|d| d.aim() == Aim::Row(*row)),
                "{row:?} has no fault of its own"
            );
        }
    }
}

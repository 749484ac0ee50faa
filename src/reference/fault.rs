//! Faults: ways the reference server can be told to break the documented behaviour. Each
//! names the seed-table rows it breaks and the check that must notice, so that the tests can
//! prove every case fails when the server breaks what that case checks.

use std::{fmt, str::FromStr};

use super::{endpoints::Row, rfc};
use crate::{
    base::source::Profile,
    catalogue::seed::{self, Documents, SeedRow, Shape},
    checks::challenge::UrlPart,
    checks::check::CheckId,
};

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
    RfcInvalidRequestWrongCode,
    RfcInvalidClientWithoutChallenge,
    RfcInvalidGrantAs401,
    RfcUnauthorizedClientWrongCode,
    RfcUnsupportedGrantTypeAsInvalidGrant,
    RfcInvalidScopeAs403,
    RfcInvalidScopeGrantedAsAsked,
    RfcAuthorizeDropsState,
    RfcAuthorizeErrorInFragment,
    RfcUnsupportedResponseTypeAsPage,
    RfcAuthorizeInvalidScopeWrongCode,
    RfcAuthorizeGrantsLessDropsState,
    RfcImplicitErrorInQuery,
    RfcRedirectsToUnregisteredUri,
    RfcUnsupportedTokenTypeAs200,
    RfcRevokeUnknownTokenAs400,
    RfcNoTokenWithoutChallenge,
    RfcTwoMethodsWithoutChallenge,
    RfcInvalidTokenWithoutChallenge,
    RfcInsufficientScopeServed,
    RfcAuthorizationPendingAs401,
    RfcNoSlowDown,
    RfcAccessDeniedWrongCode,
    RfcExpiredTokenAsInvalidGrant,
    RfcErrorsAsTextPlain,
    RfcDescriptionWithQuotes,
    /// Row `n` of the auth0 table of errors per endpoint answered with another code (another
    /// status, for a body that is not JSON): one fault for every row, made from the table.
    Entry(usize),
}

/// A check that notices a fault, written so that the table of faults can be constant.
#[derive(Debug, Clone, Copy)]
enum Caught {
    Status,
    MediaType,
    Readable,
    Body(&'static str),
    Header(&'static str),
    Schema(&'static str),
    Location(UrlPart, &'static str),
    Challenge(&'static str, Option<&'static str>),
}

/// Which rows a fault breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// One row of the auth0 seed table.
    Row(Row),
    /// Every row of the auth0 table that documents a JSON body.
    EveryBody,
    /// One row of the rfc seed table.
    Rfc(rfc::Row),
    /// Every row of the rfc table whose error travels in a JSON body.
    EveryRfcBody,
    /// One row of the auth0 table of errors per endpoint, by its index.
    Entry(usize),
}

impl Aim {
    /// The profile whose server and cases the fault is about.
    pub fn profile(self) -> Profile {
        match self {
            Aim::Row(_) | Aim::EveryBody | Aim::Entry(_) => Profile::Auth0,
            Aim::Rfc(_) | Aim::EveryRfcBody => Profile::Rfc,
        }
    }

    /// The aimed row; None for every body.
    pub fn row(self) -> Option<SeedRow> {
        match self {
            Aim::Row(row) => Some(seed::table(Profile::Auth0).rows[row.index()].clone()),
            Aim::Rfc(row) => Some(seed::table(Profile::Rfc).rows[row.index()].clone()),
            Aim::Entry(n) => Some(seed::endpoint_table().rows[n].clone()),
            Aim::EveryBody | Aim::EveryRfcBody => None,
        }
    }
}

/// How the fault of an endpoint-table row bends it: the code, where the body has one the case
/// checks; else the status.
fn entry_caught(row: &SeedRow) -> Caught {
    match (row.shape, &row.error) {
        (Shape::Boom, Some(_)) => Caught::Body("/code"),
        (Shape::Oauth, Some(_)) => Caught::Body("/error"),
        _ => Caught::Status,
    }
}

/// The name and words of each endpoint-table row's fault, made once: names are `&'static`.
fn entry_facts() -> &'static [(String, String)] {
    static FACTS: std::sync::LazyLock<Vec<(String, String)>> = std::sync::LazyLock::new(|| {
        seed::endpoint_table()
            .rows
            .iter()
            .map(|row| {
                let id = row
                    .id
                    .as_deref()
                    .expect("every endpoint-table row has an id");
                let endpoint = row.endpoint.as_deref().unwrap_or("any endpoint");
                match entry_caught(row) {
                    Caught::Status => (
                        format!("{id}-wrong-status"),
                        format!("{endpoint}: {} is sent with another status", row.label()),
                    ),
                    _ => (
                        format!("{id}-wrong-code"),
                        format!(
                            "{endpoint}: {} is sent with the code `wrong_code`",
                            row.label()
                        ),
                    ),
                }
            })
            .collect()
    });
    &FACTS
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
    (
        Fault::RfcInvalidRequestWrongCode,
        "rfc-invalid-request-wrong-code",
        "400 invalid_request at the token endpoint is sent with the code `bad_request`",
        Aim::Rfc(rfc::Row::InvalidRequest),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcInvalidClientWithoutChallenge,
        "rfc-invalid-client-without-challenge",
        "401 invalid_client is sent without the WWW-Authenticate challenge RFC 6749 §5.2 requires after HTTP Basic",
        Aim::Rfc(rfc::Row::InvalidClient),
        &[Caught::Header("www-authenticate")],
    ),
    (
        Fault::RfcInvalidGrantAs401,
        "rfc-invalid-grant-as-401",
        "invalid_grant is sent with status 401, not 400",
        Aim::Rfc(rfc::Row::InvalidGrant),
        &[Caught::Status],
    ),
    (
        Fault::RfcUnauthorizedClientWrongCode,
        "rfc-unauthorized-client-wrong-code",
        "unauthorized_client at the token endpoint is sent as `unauthorized_grant`",
        Aim::Rfc(rfc::Row::UnauthorizedClient),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcUnsupportedGrantTypeAsInvalidGrant,
        "rfc-unsupported-grant-type-as-invalid-grant",
        "an unknown grant_type is refused as invalid_grant, not unsupported_grant_type",
        Aim::Rfc(rfc::Row::UnsupportedGrantType),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcInvalidScopeAs403,
        "rfc-invalid-scope-as-403",
        "invalid_scope at the token endpoint is sent with status 403",
        Aim::Rfc(rfc::Row::InvalidScope),
        &[Caught::Status],
    ),
    (
        // The allowed branch (RFC 6749 §3.3: grant less), broken: the unknown scope is granted.
        Fault::RfcInvalidScopeGrantedAsAsked,
        "rfc-invalid-scope-granted-as-asked",
        "a token is issued for a scope the server does not know, and its `scope` says so",
        Aim::Rfc(rfc::Row::InvalidScope),
        &[Caught::Body("/scope")],
    ),
    (
        Fault::RfcAuthorizeDropsState,
        "rfc-authorize-drops-state",
        "the authorization endpoint's invalid_request redirect leaves out `state`",
        Aim::Rfc(rfc::Row::AuthorizeInvalidRequest),
        &[Caught::Location(UrlPart::Query, "state")],
    ),
    (
        Fault::RfcAuthorizeErrorInFragment,
        "rfc-authorize-error-in-fragment",
        "the code flow's unauthorized_client redirect carries `error` in the fragment, not the query",
        Aim::Rfc(rfc::Row::AuthorizeUnauthorizedClient),
        &[Caught::Location(UrlPart::Query, "error")],
    ),
    (
        Fault::RfcUnsupportedResponseTypeAsPage,
        "rfc-unsupported-response-type-as-page",
        "an unsupported response_type is shown as a 400 page instead of a redirect to the client",
        Aim::Rfc(rfc::Row::AuthorizeUnsupportedResponseType),
        &[
            Caught::Status,
            Caught::Location(UrlPart::Query, "error"),
            Caught::Location(UrlPart::Query, "state"),
        ],
    ),
    (
        Fault::RfcAuthorizeInvalidScopeWrongCode,
        "rfc-authorize-invalid-scope-wrong-code",
        "an unknown scope at the authorization endpoint is redirected as invalid_request",
        Aim::Rfc(rfc::Row::AuthorizeInvalidScope),
        &[Caught::Location(UrlPart::Query, "error")],
    ),
    (
        // The allowed branch (RFC 6749 §3.3: grant less), broken: the state is not sent back.
        // No branch passes it, and the documented answer's checks say what is missing.
        Fault::RfcAuthorizeGrantsLessDropsState,
        "rfc-authorize-grants-less-drops-state",
        "an unknown scope at the authorization endpoint is left out and a code sent back, without the state",
        Aim::Rfc(rfc::Row::AuthorizeInvalidScope),
        &[
            Caught::Location(UrlPart::Query, "error"),
            Caught::Location(UrlPart::Query, "state"),
        ],
    ),
    (
        Fault::RfcImplicitErrorInQuery,
        "rfc-implicit-error-in-query",
        "the implicit grant's error redirect carries its parameters in the query, not the fragment",
        Aim::Rfc(rfc::Row::ImplicitInvalidScope),
        &[
            Caught::Location(UrlPart::Fragment, "error"),
            Caught::Location(UrlPart::Fragment, "state"),
            Caught::Location(UrlPart::Query, "error"),
        ],
    ),
    (
        Fault::RfcRedirectsToUnregisteredUri,
        "rfc-redirects-to-unregistered-uri",
        "an unknown client or an unregistered redirect_uri is redirected to, instead of shown a page",
        Aim::Rfc(rfc::Row::NoRedirect),
        &[Caught::Header("location")],
    ),
    (
        Fault::RfcUnsupportedTokenTypeAs200,
        "rfc-unsupported-token-type-as-200",
        "revoking a token type the server cannot revoke answers 200 with no body",
        Aim::Rfc(rfc::Row::UnsupportedTokenType),
        &[Caught::Status, Caught::MediaType, Caught::Readable],
    ),
    (
        Fault::RfcRevokeUnknownTokenAs400,
        "rfc-revoke-unknown-token-as-400",
        "revoking an unknown token is refused with 400, which RFC 7009 §2.2 rules out",
        Aim::Rfc(rfc::Row::RevokeInvalidToken),
        &[Caught::Status],
    ),
    (
        Fault::RfcNoTokenWithoutChallenge,
        "rfc-no-token-without-challenge",
        "a request without a token gets 401 with no WWW-Authenticate challenge",
        Aim::Rfc(rfc::Row::NoToken),
        &[Caught::Challenge("bearer", None)],
    ),
    (
        Fault::RfcTwoMethodsWithoutChallenge,
        "rfc-two-methods-without-challenge",
        "a token sent two ways is refused with 400 but no WWW-Authenticate challenge",
        Aim::Rfc(rfc::Row::ResourceInvalidRequest),
        &[
            Caught::Challenge("bearer", None),
            Caught::Challenge("bearer", Some("error")),
        ],
    ),
    (
        Fault::RfcInvalidTokenWithoutChallenge,
        "rfc-invalid-token-without-challenge",
        "an invalid token gets 401 with no WWW-Authenticate challenge",
        Aim::Rfc(rfc::Row::InvalidToken),
        &[
            Caught::Challenge("bearer", None),
            Caught::Challenge("bearer", Some("error")),
        ],
    ),
    (
        Fault::RfcInsufficientScopeServed,
        "rfc-insufficient-scope-served",
        "a token without the scope the resource requires is served (200, no challenge)",
        Aim::Rfc(rfc::Row::InsufficientScope),
        &[
            Caught::Status,
            Caught::Challenge("bearer", None),
            Caught::Challenge("bearer", Some("error")),
        ],
    ),
    (
        Fault::RfcAuthorizationPendingAs401,
        "rfc-authorization-pending-as-401",
        "authorization_pending is sent with status 401",
        Aim::Rfc(rfc::Row::AuthorizationPending),
        &[Caught::Status],
    ),
    (
        Fault::RfcNoSlowDown,
        "rfc-no-slow-down",
        "polling faster than the interval keeps getting authorization_pending, never slow_down",
        Aim::Rfc(rfc::Row::SlowDown),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcAccessDeniedWrongCode,
        "rfc-access-denied-wrong-code",
        "a denied device authorization is sent as `authorization_declined`",
        Aim::Rfc(rfc::Row::AccessDenied),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcExpiredTokenAsInvalidGrant,
        "rfc-expired-token-as-invalid-grant",
        "an expired device code is refused as invalid_grant, not expired_token",
        Aim::Rfc(rfc::Row::ExpiredToken),
        &[Caught::Body("/error")],
    ),
    (
        Fault::RfcErrorsAsTextPlain,
        "rfc-errors-as-text-plain",
        "every JSON error body of the rfc profile is labelled Content-Type: text/plain",
        Aim::EveryRfcBody,
        &[Caught::MediaType],
    ),
    (
        Fault::RfcDescriptionWithQuotes,
        "rfc-description-with-quotes",
        "every error_description of the rfc profile is wrapped in double quotes, which RFC 6749 §5.2 does not allow",
        Aim::EveryRfcBody,
        &[Caught::Schema("rfc6749-error.schema.json")],
    ),
];

impl Fault {
    /// Every fault: those written here, then one for each row of the table of errors per
    /// endpoint.
    pub fn all() -> Vec<Fault> {
        FACTS
            .iter()
            .map(|f| f.0)
            .chain((0..seed::endpoint_table().rows.len()).map(Fault::Entry))
            .collect()
    }
    fn facts(self) -> &'static (Fault, &'static str, &'static str, Aim, &'static [Caught]) {
        FACTS
            .iter()
            .find(|f| f.0 == self)
            .expect("every fault has its facts")
    }

    pub fn name(self) -> &'static str {
        match self {
            Fault::Entry(n) => &entry_facts()[n].0,
            _ => self.facts().1,
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Fault::Entry(n) => &entry_facts()[n].1,
            _ => self.facts().2,
        }
    }

    /// The rows whose cases must fail under this fault.
    pub fn aim(self) -> Aim {
        match self {
            Fault::Entry(n) => Aim::Entry(n),
            _ => self.facts().3,
        }
    }

    /// Exactly the checks that report the fault on each case aimed at it: no more, no
    /// other (an HTML page breaks the media type and the body alike).
    pub fn caught_by(self) -> Vec<CheckId> {
        let entry;
        let caught = match self {
            Fault::Entry(n) => {
                entry = [entry_caught(&seed::endpoint_table().rows[n])];
                &entry[..]
            }
            _ => self.facts().4,
        };
        caught
            .iter()
            .map(|c| match c {
                Caught::Status => CheckId::Status,
                Caught::MediaType => CheckId::MediaType,
                Caught::Readable => CheckId::Readable,
                Caught::Body(pointer) => CheckId::Body((*pointer).to_owned()),
                Caught::Header(name) => CheckId::Header((*name).to_owned()),
                Caught::Schema(name) => CheckId::Schema((*name).to_owned()),
                Caught::Location(part, param) => CheckId::Location(*part, (*param).to_owned()),
                Caught::Challenge(scheme, param) => {
                    CheckId::Challenge((*scheme).to_owned(), param.map(str::to_owned))
                }
            })
            .collect()
    }

    /// Which cases the fault is aimed at, by what they document: those of its row, or every
    /// error in an OAuth JSON body.
    pub fn aims(self) -> impl Fn(&Documents) -> bool {
        let row = self.aim().row();
        move |d| match &row {
            Some(row) => row.matches(d),
            None => d.error.is_some() && d.carrier.is_body() && d.shape.is_oauth(),
        }
    }

    /// The profile the fault belongs to: `serve --profile` must match it.
    pub fn profile(self) -> Profile {
        self.aim().profile()
    }

    /// Whether the fault bends the reply the auth0 server is about to send for `row`.
    pub(super) fn hits(self, row: Row) -> bool {
        match self.aim() {
            Aim::Row(r) => r == row,
            Aim::EveryBody => row != Row::ServerError,
            Aim::Rfc(_) | Aim::EveryRfcBody | Aim::Entry(_) => false,
        }
    }

    /// Whether the fault bends the reply the rfc server is about to send for `row`.
    pub(super) fn hits_rfc(self, row: rfc::Row) -> bool {
        match self.aim() {
            Aim::Rfc(r) => r == row,
            Aim::EveryRfcBody => true,
            Aim::Row(_) | Aim::EveryBody | Aim::Entry(_) => false,
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
        let all = Fault::all();
        all.iter().copied().find(|d| d.name() == s).ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|d| d.name()).collect();
            format!("unknown fault {s:?}; the faults are: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let all = Fault::all();
        for d in &all {
            assert_eq!(d.name().parse::<Fault>().unwrap(), *d);
        }
        let mut names: Vec<&str> = all.iter().map(|d| d.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            "signup-user-exists-wrong-code"
                .parse::<Fault>()
                .unwrap()
                .aim()
                .row(),
            seed::endpoint_table()
                .rows
                .iter()
                .find(|r| r.id.as_deref() == Some("signup-user-exists"))
                .cloned()
        );
        assert!(
            "nope"
                .parse::<Fault>()
                .unwrap_err()
                .contains("invalid-client-as-400")
        );
    }

    #[test]
    fn every_row_has_a_fault() {
        for row in Row::ALL {
            assert!(
                Fault::all().iter().any(|d| d.aim() == Aim::Row(*row)),
                "{row:?} has no fault of its own"
            );
        }
        for row in rfc::Row::ALL {
            assert!(
                Fault::all().iter().any(|d| d.aim() == Aim::Rfc(*row)),
                "rfc {row:?} has no fault of its own"
            );
        }
    }
}

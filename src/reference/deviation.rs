//! Deviations: ways the reference server can be told to break the documented behaviour, each
//! aimed at what some case checks.

use std::{fmt, str::FromStr};

/// One documented behaviour broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deviation {
    /// 401 invalid_client is sent with status 400.
    InvalidClientAs400,
    /// 400 invalid_request is sent with the code `bad_request`.
    InvalidRequestWrongCode,
    /// 405 method_not_allowed is sent as an HTML page.
    MethodNotAllowedHtml,
    /// Error bodies leave out `error_description`.
    NoErrorDescription,
    /// JSON error bodies are labelled `text/plain`.
    ErrorsAsTextPlain,
}

impl Deviation {
    pub const ALL: &'static [Deviation] = &[
        Deviation::InvalidClientAs400,
        Deviation::InvalidRequestWrongCode,
        Deviation::MethodNotAllowedHtml,
        Deviation::NoErrorDescription,
        Deviation::ErrorsAsTextPlain,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Deviation::InvalidClientAs400 => "invalid-client-as-400",
            Deviation::InvalidRequestWrongCode => "invalid-request-wrong-code",
            Deviation::MethodNotAllowedHtml => "method-not-allowed-html",
            Deviation::NoErrorDescription => "no-error-description",
            Deviation::ErrorsAsTextPlain => "errors-as-text-plain",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Deviation::InvalidClientAs400 => "401 invalid_client is sent with status 400",
            Deviation::InvalidRequestWrongCode => {
                "400 invalid_request is sent with the error code `bad_request`"
            }
            Deviation::MethodNotAllowedHtml => {
                "405 method_not_allowed is sent as an HTML page (text/html)"
            }
            Deviation::NoErrorDescription => "error bodies leave out error_description",
            Deviation::ErrorsAsTextPlain => {
                "JSON error bodies are labelled Content-Type: text/plain"
            }
        }
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Deviation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Deviation::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Deviation::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown deviation {s:?}; the deviations are: {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for d in Deviation::ALL {
            assert_eq!(d.name().parse::<Deviation>().unwrap(), *d);
        }
        let mut names: Vec<&str> = Deviation::ALL.iter().map(|d| d.name()).collect();
        names.dedup();
        assert_eq!(names.len(), Deviation::ALL.len());
        assert!(
            "nope"
                .parse::<Deviation>()
                .unwrap_err()
                .contains("invalid-client-as-400")
        );
    }
}

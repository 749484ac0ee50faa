//! A profile's seed table as data (at the top of `cases/<name>/`): Auth0's Standard Error
//! Responses, or the OAuth 2.0 RFCs' error responses; the row a case documents ([`Documents`]),
//! and what the table says of every row (its [`Conventions`]).

use serde::{Deserialize, Serialize};

use crate::base::source::{BuiltIn, Profile, Source, SourceFile};

/// Where a documented error travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// The JSON body.
    #[default]
    Body,
    /// The query of the redirect's Location (RFC 6749 §4.1.2.1).
    Query,
    /// The fragment of the redirect's Location (RFC 6749 §4.2.2.1).
    Fragment,
    /// A page instead of a redirect: no Location (RFC 6749 §4.1.2.1, invalid redirect_uri or
    /// client_id).
    Page,
    /// The WWW-Authenticate challenge (RFC 6750 §3.1).
    Challenge,
}

impl Carrier {
    pub fn is_body(&self) -> bool {
        *self == Carrier::Body
    }

    /// How labels write it; nothing for the body.
    fn label(self) -> &'static str {
        match self {
            Carrier::Body => "",
            Carrier::Query => " in the Location query",
            Carrier::Fragment => " in the Location fragment",
            Carrier::Page => " as a page, not a redirect",
            Carrier::Challenge => " in WWW-Authenticate",
        }
    }
}

/// The form of a documented error's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// `{"error", "error_description"}` (RFC 6749 §5.2), as most endpoints answer.
    #[default]
    Oauth,
    /// `{"name", "code", "description", "statusCode"}`, as `/dbconnections/signup` answers;
    /// `description` may be an object (the password rules of `PasswordStrengthError`).
    Boom,
    /// Not JSON: the body is a text (`/userinfo`'s 401 `Unauthorized`).
    Text,
}

impl Shape {
    pub fn is_oauth(&self) -> bool {
        *self == Shape::Oauth
    }
}

/// The seed-table row a case provokes.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "in", default, skip_serializing_if = "Carrier::is_body")]
    pub carrier: Carrier,
    /// The body's form, where it is not OAuth's.
    #[serde(default, skip_serializing_if = "Shape::is_oauth")]
    pub shape: Shape,
    /// The endpoint, as a table that lists errors per endpoint names it (`POST
    /// /dbconnections/signup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl Documents {
    /// The row in one line, as reports show it: `401 invalid_client "text"`.
    pub fn summary(&self) -> String {
        let main = shaped_label(
            self.status,
            self.error.as_deref(),
            self.description.as_deref(),
            self.carrier,
            self.shape,
        );
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}: {main}"),
            None => main,
        }
    }
}

/// The table: `cases/<name>/<table>.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTable {
    pub title: String,
    pub source: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    every_error_has_description: bool,
    #[serde(default = "default_schema")]
    schema: String,
    pub rows: Vec<SeedRow>,
}

impl SeedTable {
    pub fn conventions(&self) -> Conventions {
        Conventions {
            every_error_has_description: self.every_error_has_description,
            schema: self.schema.clone(),
        }
    }
}

/// What the table says of all its rows, and so what a case's `documents` implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventions {
    /// Every documented error body carries an `error_description` (Auth0's table shows one on
    /// every row; RFC 6749 makes it optional).
    pub every_error_has_description: bool,
    /// The schema a documented JSON error body is checked against unless a case says otherwise.
    pub schema: String,
}

fn default_schema() -> String {
    "oauth-error.schema.json".into()
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            every_error_has_description: true,
            schema: default_schema(),
        }
    }
}

/// One row: a status, and the documented error where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRow {
    pub status: u16,
    /// The status's reason phrase, where the table gives one.
    #[serde(default)]
    pub reason: Option<String>,
    pub error: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "in", default)]
    pub carrier: Carrier,
    /// Which endpoint, or what situation, where the table says.
    #[serde(rename = "where", default)]
    pub place: Option<String>,
    /// The section that defines the row.
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    /// The row's name, for a table that lists errors per endpoint (faults aim at it).
    #[serde(default)]
    pub id: Option<String>,
    /// The endpoint the row belongs to (`POST /dbconnections/signup`), in a table of errors
    /// per endpoint; a row of the source document names none, and is provoked by the cases that
    /// name none.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub shape: Shape,
    /// A text only the documentation gives (grade D): the reference server sends it and the
    /// cases advise it, since a tenant may word it otherwise; `description` is a text the wire
    /// or an SDK's fixture shows, which cases require.
    #[serde(rename = "docs_description", default)]
    pub documented_text: Option<String>,
    /// How sure the row is: V captured from a tenant, S an SDK's fixture, D the docs only.
    #[serde(default)]
    pub grade: Option<Grade>,
    /// Where the evidence is.
    #[serde(default)]
    pub evidence: Option<String>,
    /// What the row needs of a tenant beyond the variables (a paid feature, an Action).
    #[serde(default)]
    pub needs: Option<String>,
}

/// How a row of an endpoint table is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Grade {
    /// Captured from a real tenant.
    V,
    /// An Auth0 SDK's fixture or test.
    S,
    /// Auth0's documentation only.
    D,
}

impl Shape {
    /// How labels write it; nothing for OAuth's.
    fn label(self) -> &'static str {
        match self {
            Shape::Oauth => "",
            Shape::Boom => " (Boom body)",
            Shape::Text => " (text body)",
        }
    }
}

impl SeedRow {
    /// Whether a case that documents `d` provokes this row.
    pub fn matches(&self, d: &Documents) -> bool {
        self.status == d.status
            && self.error == d.error
            && self.description == d.description
            && self.carrier == d.carrier
            && self.shape == d.shape
            && self.endpoint == d.endpoint
    }

    /// e.g. `403 access_denied "Unknown or invalid refresh token"`, `500 (no body documented)`,
    /// `302 invalid_scope in the Location query`.
    pub fn label(&self) -> String {
        shaped_label(
            self.status,
            self.error.as_deref(),
            self.description.as_deref(),
            self.carrier,
            self.shape,
        )
    }

    /// The label after where the row applies (its endpoint, or where the table says), as
    /// coverage and lint name it.
    pub fn placed_label(&self) -> String {
        match self.endpoint.as_ref().or(self.place.as_ref()) {
            Some(place) => format!("{place}: {}", self.label()),
            None => self.label(),
        }
    }

    /// What a case that provokes this row writes as its `documents`.
    pub fn documents(&self) -> Documents {
        Documents {
            status: self.status,
            error: self.error.clone(),
            description: self.description.clone(),
            carrier: self.carrier,
            shape: self.shape,
            endpoint: self.endpoint.clone(),
        }
    }
}

/// [`label`] with the body's shape: a text body is its text, not "no body".
fn shaped_label(
    status: u16,
    error: Option<&str>,
    description: Option<&str>,
    carrier: Carrier,
    shape: Shape,
) -> String {
    match (shape, error, description) {
        (Shape::Text, None, Some(text)) => format!("{status} {text:?}{}", shape.label()),
        (Shape::Text, None, None) => format!("{status}{}", shape.label()),
        _ => format!(
            "{}{}",
            label(status, error, description, carrier),
            shape.label()
        ),
    }
}

pub(crate) fn label(
    status: u16,
    error: Option<&str>,
    description: Option<&str>,
    carrier: Carrier,
) -> String {
    let main = match (error, description, carrier) {
        (None, _, Carrier::Body) => format!("{status} (no body documented)"),
        (None, _, Carrier::Challenge) => format!("{status} (no error code)"),
        (None, _, _) => format!("{status}"),
        (Some(e), None, _) => format!("{status} {e}"),
        (Some(e), Some(d), _) => format!("{status} {e} {d:?}"),
    };
    format!("{main}{}", carrier.label())
}

impl Profile {
    /// The seed tables' files in `cases/<name>/`: the first is the source document, whose
    /// conventions every case of the profile reads; an Auth0 tenant answers many more errors
    /// than its Standard Error Responses, listed per endpoint in the second.
    fn table_files(self) -> &'static [&'static str] {
        match self {
            Profile::Auth0 => &["standard-error-responses.json", "endpoint-errors.json"],
            Profile::Rfc => &["rfc-error-responses.json"],
        }
    }
}

/// The file of a profile's built-in seed data named `rel` (it is part of the program).
pub(crate) fn built_in(profile: Profile, rel: &str) -> SourceFile {
    let mut ignored = Vec::new();
    Source::BuiltIn(BuiltIn::Seed(profile))
        .files(&mut ignored)
        .into_iter()
        .find(|f| f.rel == rel)
        .unwrap_or_else(|| panic!("cases/{profile}/{rel} is built in"))
}

/// A profile's built-in seed table, the source document. It is part of the program: a unit
/// test proves it parses.
pub fn table(profile: Profile) -> SeedTable {
    parse(profile, profile.table_files()[0])
}

/// Every built-in table of a profile, the source document first.
pub fn tables(profile: Profile) -> Vec<SeedTable> {
    profile
        .table_files()
        .iter()
        .map(|file| parse(profile, file))
        .collect()
}

fn parse(profile: Profile, file: &str) -> SeedTable {
    serde_json::from_str(&built_in(profile, file).text)
        .unwrap_or_else(|e| panic!("the built-in table cases/{profile}/{file}: {e}"))
}

/// The built-in table of a profile that lists errors per endpoint, with its rows' ids: kept
/// for the life of the program, since faults are named by them.
pub fn endpoint_table() -> &'static SeedTable {
    static TABLE: std::sync::LazyLock<SeedTable> =
        std::sync::LazyLock::new(|| parse(Profile::Auth0, Profile::Auth0.table_files()[1]));
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth0_table_has_the_thirteen_documented_rows() {
        let t = table(Profile::Auth0);
        assert_eq!(t.rows.len(), 13);
        assert_eq!(t.rows[10].label(), "500 (no body documented)");
        assert_eq!(
            t.rows[6].label(),
            "403 access_denied \"Unknown or invalid refresh token\""
        );
        assert_eq!(t.conventions(), Conventions::default());
    }

    #[test]
    fn the_rfc_table_names_a_section_for_every_row_and_no_row_twice() {
        let t = table(Profile::Rfc);
        assert!(t.rows.len() >= 20);
        assert!(!t.conventions().every_error_has_description);
        assert_eq!(t.conventions().schema, "rfc6749-error.schema.json");
        for (i, row) in t.rows.iter().enumerate() {
            let reference = row.reference.as_deref().unwrap_or_default();
            assert!(
                reference.starts_with("https://www.rfc-editor.org/rfc/rfc")
                    && reference.contains("#section-"),
                "row {i} {} names no RFC section",
                row.label()
            );
            let doc = row.documents();
            assert_eq!(
                t.rows.iter().filter(|r| r.matches(&doc)).count(),
                1,
                "{}",
                row.label()
            );
        }
        assert_eq!(
            t.rows[6].label(),
            "302 invalid_request in the Location query"
        );
        assert_eq!(
            t.rows[14].label(),
            "401 (no error code) in WWW-Authenticate"
        );
    }

    #[test]
    fn rows_match_on_status_error_description_and_carrier() {
        let t = table(Profile::Auth0);
        let d = |status, error: Option<&str>, description: Option<&str>| Documents {
            status,
            error: error.map(str::to_owned),
            description: description.map(str::to_owned),
            carrier: Carrier::Body,
            shape: Shape::Oauth,
            endpoint: None,
        };
        let matching = |doc: &Documents| t.rows.iter().filter(|r| r.matches(doc)).count();
        assert_eq!(matching(&d(403, Some("access_denied"), None)), 1);
        assert_eq!(
            matching(&d(
                403,
                Some("access_denied"),
                Some("Unknown or invalid refresh token")
            )),
            1
        );
        assert_eq!(matching(&d(403, Some("invalid_grant"), None)), 0);
        assert_eq!(matching(&d(500, None, None)), 1);
        let mut redirect = d(403, Some("access_denied"), None);
        redirect.carrier = Carrier::Query;
        assert_eq!(matching(&redirect), 0);
    }
}

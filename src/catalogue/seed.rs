//! The seed table (Auth0's Standard Error Responses) and the catalogue's documented variables,
//! as data (`seed/`), and coverage: which cases provoke each row of the table, so that CI keeps
//! the catalogue whole.

use std::fmt::Write;

use serde::Deserialize;

use crate::{
    case::{Case, Documents},
    source::{BuiltIn, Source, SourceFile},
};

/// The table: `seed/standard-error-responses.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTable {
    pub title: String,
    pub source: String,
    #[serde(default)]
    pub note: String,
    pub rows: Vec<SeedRow>,
}

/// One row: a status, and the documented body where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRow {
    pub status: u16,
    pub reason: String,
    pub error: Option<String>,
    pub description: Option<String>,
}

impl SeedRow {
    /// Whether a case that documents `d` provokes this row.
    pub fn matches(&self, d: &Documents) -> bool {
        self.status == d.status && self.error == d.error && self.description == d.description
    }

    /// e.g. `403 access_denied "Unknown or invalid refresh token"`, `500 (no body documented)`.
    pub fn label(&self) -> String {
        label(
            self.status,
            self.error.as_deref(),
            self.description.as_deref(),
        )
    }
}

fn label(status: u16, error: Option<&str>, description: Option<&str>) -> String {
    match (error, description) {
        (None, _) => format!("{status} (no body documented)"),
        (Some(e), None) => format!("{status} {e}"),
        (Some(e), Some(d)) => format!("{status} {e} {d:?}"),
    }
}

/// The file of the built-in seed data named `rel` (it is part of the program).
pub(crate) fn built_in(rel: &str) -> SourceFile {
    let mut ignored = Vec::new();
    Source::BuiltIn(BuiltIn::Seed)
        .files(&mut ignored)
        .into_iter()
        .find(|f| f.rel == rel)
        .unwrap_or_else(|| panic!("seed/{rel} is built in"))
}

/// The built-in seed table. It is part of the program: a unit test proves it parses.
pub fn table() -> SeedTable {
    serde_json::from_str(&built_in("standard-error-responses.json").text)
        .expect("the built-in seed table is valid")
}

/// Which cases provoke each row, and which cases document something the table does not.
pub struct Coverage {
    pub rows: Vec<(SeedRow, Vec<String>)>,
    pub elsewhere: Vec<(String, String)>,
}

impl Coverage {
    pub fn of(table: &SeedTable, cases: &[Case]) -> Coverage {
        let rows = table
            .rows
            .iter()
            .map(|row| {
                (
                    row.clone(),
                    cases
                        .iter()
                        .filter(|c| row.matches(&c.documents))
                        .map(|c| c.id.clone())
                        .collect(),
                )
            })
            .collect();
        let elsewhere = cases
            .iter()
            .filter(|c| !table.rows.iter().any(|r| r.matches(&c.documents)))
            .map(|c| {
                let d = &c.documents;
                (
                    c.id.clone(),
                    label(d.status, d.error.as_deref(), d.description.as_deref()),
                )
            })
            .collect();
        Coverage { rows, elsewhere }
    }

    pub fn uncovered(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, cases)| cases.is_empty())
            .count()
    }

    pub fn render(&self, table: &SeedTable) -> String {
        let mut out = format!("{} ({})\n\n", table.title, table.source);
        let width = self
            .rows
            .iter()
            .map(|(r, _)| r.label().chars().count())
            .max()
            .unwrap_or(0);
        for (row, cases) in &self.rows {
            let list = if cases.is_empty() {
                "MISSING: no case provokes this row".to_owned()
            } else {
                cases.join(", ")
            };
            let _ = writeln!(out, "{:<width$}  {list}", row.label());
        }
        if !self.elsewhere.is_empty() {
            let _ = writeln!(
                out,
                "\ncases that document something the table does not list:"
            );
            for (id, documented) in &self.elsewhere {
                let _ = writeln!(out, "  {id}: {documented}");
            }
        }
        let total = self.rows.len();
        let covered = total - self.uncovered();
        let cases: usize = self.rows.iter().map(|(_, c)| c.len()).sum();
        let _ = writeln!(
            out,
            "\ncoverage: {covered} of {total} rows provoked by {cases} cases"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Catalogue;

    #[test]
    fn the_table_has_the_thirteen_documented_rows() {
        let t = table();
        assert_eq!(t.rows.len(), 13);
        assert_eq!(t.rows[10].label(), "500 (no body documented)");
        assert_eq!(
            t.rows[6].label(),
            "403 access_denied \"Unknown or invalid refresh token\""
        );
    }

    #[test]
    fn the_builtin_catalogue_covers_every_row() {
        let cat = Catalogue::load(
            &Source::BuiltIn(BuiltIn::Cases),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .unwrap();
        let t = table();
        let coverage = Coverage::of(&t, &cat.cases);
        assert_eq!(coverage.uncovered(), 0, "{}", coverage.render(&t));
        assert!(coverage.elsewhere.is_empty(), "{}", coverage.render(&t));
    }

    #[test]
    fn rows_match_on_status_error_and_description() {
        let t = table();
        let d = |status, error: Option<&str>, description: Option<&str>| Documents {
            status,
            error: error.map(str::to_owned),
            description: description.map(str::to_owned),
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
    }
}

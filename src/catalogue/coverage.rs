//! Coverage: which cases provoke each row of a profile's seed table, so that CI keeps the
//! catalogue whole.

use std::fmt::Write;

use crate::{
    catalogue::case::Case,
    catalogue::seed::{SeedRow, SeedTable},
};

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
                (c.id.clone(), d.summary())
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
            .map(|(r, _)| heading(r).chars().count())
            .max()
            .unwrap_or(0);
        for (row, cases) in &self.rows {
            let list = if cases.is_empty() {
                "MISSING: no case provokes this row".to_owned()
            } else {
                cases.join(", ")
            };
            let _ = writeln!(out, "{:<width$}  {list}", heading(row));
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

/// A row as coverage lists it: where it applies (when the table says), then its label.
fn heading(row: &SeedRow) -> String {
    match &row.place {
        Some(place) => format!("{place}: {}", row.label()),
        None => row.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        base::source::{BuiltIn, Profile, Source},
        catalogue::case::Catalogue,
        catalogue::seed,
    };

    #[test]
    fn each_builtin_profile_covers_every_row_of_its_table() {
        for profile in Profile::ALL {
            let cat = Catalogue::load(
                profile,
                &Source::BuiltIn(BuiltIn::Cases(profile)),
                &Source::BuiltIn(BuiltIn::Schemas),
            )
            .unwrap();
            let t = seed::table(profile);
            let coverage = Coverage::of(&t, &cat.cases);
            assert_eq!(
                coverage.uncovered(),
                0,
                "{profile}: {}",
                coverage.render(&t)
            );
            assert!(
                coverage.elsewhere.is_empty(),
                "{profile}: {}",
                coverage.render(&t)
            );
        }
    }
}

//! Coverage: which cases provoke each row of a profile's tables (the source document, and for
//! auth0 the errors per endpoint), so that CI keeps the catalogue whole.

use std::fmt::Write;

use crate::{
    catalogue::case::Case,
    catalogue::seed::{SeedRow, SeedTable},
};

/// Which cases provoke each row of every table, and which cases document something no table
/// lists.
pub struct Coverage {
    /// Every table's rows, in order, each with the ids of the cases that provoke it.
    pub rows: Vec<(SeedRow, Vec<String>)>,
    /// How many of `rows` each table holds, in order.
    sizes: Vec<usize>,
    pub elsewhere: Vec<(String, String)>,
}

impl Coverage {
    pub fn of(tables: &[SeedTable], cases: &[Case]) -> Coverage {
        let rows = tables
            .iter()
            .flat_map(|t| &t.rows)
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
            .filter(|c| {
                !tables
                    .iter()
                    .flat_map(|t| &t.rows)
                    .any(|r| r.matches(&c.documents))
            })
            .map(|c| (c.id.clone(), c.documents.summary()))
            .collect();
        Coverage {
            rows,
            sizes: tables.iter().map(|t| t.rows.len()).collect(),
            elsewhere,
        }
    }

    pub fn uncovered(&self) -> usize {
        self.rows
            .iter()
            .filter(|(_, cases)| cases.is_empty())
            .count()
    }

    /// Each table under its title, a row a line with the cases that provoke it.
    pub fn render(&self, tables: &[SeedTable]) -> String {
        let mut out = String::new();
        let mut rest = self.rows.as_slice();
        for (table, size) in tables.iter().zip(&self.sizes) {
            let (rows, after) = rest.split_at(*size);
            rest = after;
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{} ({})\n", table.title, table.source);
            let width = rows
                .iter()
                .map(|(r, _)| heading(r).chars().count())
                .max()
                .unwrap_or(0);
            for (row, cases) in rows {
                let list = if cases.is_empty() {
                    "MISSING: no case provokes this row".to_owned()
                } else {
                    cases.join(", ")
                };
                let _ = writeln!(out, "{:<width$}  {list}", heading(row));
            }
        }
        if !self.elsewhere.is_empty() {
            let _ = writeln!(out, "\ncases that document something no table lists:");
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

/// A row as coverage lists it: where it applies (when the table says), its label, and how it
/// is known.
fn heading(row: &SeedRow) -> String {
    let main = row.placed_label();
    match row.grade {
        Some(grade) => format!("{main} [{grade:?}]"),
        None => main,
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
            let t = seed::tables(profile);
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

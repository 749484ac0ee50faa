//! `authconform lint`: everything `run` checks before it sends anything, and nothing else, so
//! that a catalogue lint accepts is one run accepts: the case files and schemas, the variables
//! the cases use and the ones given (flags, environment, `--vars`), and a known-deviations file.
//! Where `coverage` would fail (a seed-table row no case provokes), lint warns.

use crate::{
    case::Catalogue,
    deviations::Deviations,
    error::Error,
    run,
    seed::{self, Coverage},
    source::Source,
    vars::{self, Sources, Vars},
};

/// What lint found acceptable, and its warnings.
pub struct Linted {
    pub summary: String,
    pub warnings: Vec<String>,
}

pub fn lint(
    cases: &Source,
    schemas: &Source,
    sources: &Sources<'_>,
    deviations: Option<&str>,
) -> Result<Linted, Error> {
    let catalogue = Catalogue::load(cases, schemas)?;
    let mut vars = Vars::default();
    vars.apply(sources, vars::run_id)?;
    run::check_inputs(&catalogue.cases, &vars)?;
    if let Some(path) = deviations {
        Deviations::load(path, &catalogue.cases)?;
    }
    let table = seed::table();
    let coverage = Coverage::of(&table, &catalogue.cases);
    let warnings = coverage
        .rows
        .iter()
        .filter(|(_, cases)| cases.is_empty())
        .map(|(row, _)| {
            format!(
                "no case provokes the seed-table row {} (`authconform coverage` fails on it)",
                row.label()
            )
        })
        .collect();
    Ok(Linted {
        summary: format!(
            "lint: {} cases in {} are valid against {}",
            catalogue.cases.len(),
            cases.describe(),
            schemas.describe()
        ),
        warnings,
    })
}

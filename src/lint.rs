//! `authconform lint`: everything `run` checks before it sends anything, and nothing else, so
//! that a catalogue lint accepts is one run accepts: the case files and schemas, the variables
//! the cases use and the ones given (flags, environment, `--vars`), and a known-deviations file.
//! Where `coverage` would fail (a seed-table row no case provokes), lint warns.

use crate::{
    case::{Case, Catalogue},
    deviations::Deviations,
    error::{Error, Problem},
    reference,
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
    check_inputs(&catalogue.cases, &vars)?;
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

/// What `run` and `lint` both refuse in a catalogue and the run's variables, so that they
/// refuse exactly the same: a variable a case uses that is neither documented nor set (a typo
/// would skip its case forever), and a variable set that no case uses and no documentation
/// names (a typo would set nothing).
pub fn check_inputs(cases: &[Case], vars: &Vars) -> Result<(), Error> {
    let documented = documented_variables();
    let mut problems = Vec::new();
    for case in cases {
        for (name, site) in case
            .variables
            .iter()
            .filter(|(n, _)| vars.get(n).is_none() && !documented.contains(&n.as_str()))
        {
            let hint = match crate::schema::closest(name, &documented) {
                Some(close) => format!(" (did you mean `{close}`?)"),
                None => String::new(),
            };
            problems.push(Problem {
                file: case.file.clone(),
                position: site.position,
                pointer: site.pointer.clone(),
                message: format!(
                    "undefined variable `{name}`{hint}: it is not one of the catalogue's variables and this run does not set it (--var {name}=VALUE)"
                ),
            });
        }
    }
    let known: Vec<&str> = documented
        .iter()
        .copied()
        .chain(
            cases
                .iter()
                .flat_map(|c| c.variables.keys().map(String::as_str)),
        )
        .collect();
    let unknown = vars.unknown(&known);
    if !problems.is_empty() {
        return Err(Error::Load(problems));
    }
    if !unknown.is_empty() {
        return Err(Error::Usage(unknown.join("\n")));
    }
    Ok(())
}

/// The variables the catalogue documents (the reference server provides each), and `run_id`.
pub fn documented_variables() -> Vec<&'static str> {
    reference::variables()
        .into_iter()
        .map(|(name, _, _)| name)
        .chain(["run_id"])
        .collect()
}

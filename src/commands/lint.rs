//! `authconform lint`: everything `run` checks before it sends anything, and nothing else, so
//! that a catalogue lint accepts is one run accepts: the case files and schemas, the variables
//! the cases use and the ones given (flags, environment, `--vars`), and a known-deviations file.
//! Where `coverage` would fail (a row of the profile's tables no case provokes), lint warns.

use crate::{
    base::error::{Error, Problem},
    base::source::Profile,
    catalogue::case::Catalogue,
    catalogue::coverage::Coverage,
    catalogue::seed,
    catalogue::vars::{self, Vars},
    commands::session::Session,
    records::deviations::Deviations,
};

/// What lint found acceptable, and its warnings.
pub struct Linted {
    pub summary: String,
    pub warnings: Vec<String>,
}

pub fn lint(session: &Session, deviations: Option<&str>) -> Result<Linted, Error> {
    let catalogue = session.catalogue()?;
    let mut vars = Vars::default();
    inputs(session, &catalogue, &mut vars, vars::run_id)?;
    vars.declare(&catalogue.variables);
    if let Some(path) = deviations {
        Deviations::load(path, &catalogue.cases)?;
    }
    let table = seed::tables(session.profile);
    let coverage = Coverage::of(&table, &catalogue.cases);
    let warnings = coverage
        .rows
        .iter()
        .filter(|(_, cases)| cases.is_empty())
        .map(|(row, _)| {
            format!(
                "no case provokes the table row {} (`authconform coverage` fails on it)",
                row.placed_label()
            )
        })
        .collect();
    let summary = format!(
        "lint: {} cases in {} are valid against {}",
        catalogue.cases.len(),
        session.cases.describe(),
        session.schemas.describe()
    );
    // The process ends right after: freeing ten thousand compiled cases one by one would take
    // longer than everything after loading them.
    std::mem::forget(catalogue);
    Ok(Linted { summary, warnings })
}

/// The step `run`, `lint` and `explain` share once the catalogue is loaded: the session's
/// variables applied over `vars` (what the target already set), then held to
/// [`check_inputs`], its notes said on standard error.
pub fn inputs(
    session: &Session,
    catalogue: &Catalogue,
    vars: &mut Vars,
    run_id: impl FnOnce() -> String,
) -> Result<(), Error> {
    vars.apply(&session.sources(), run_id)?;
    print_notes(&check_inputs(catalogue, vars)?);
    Ok(())
}

/// How many undefined variables get a "did you mean" (each costs a pass over the declared
/// ones).
const SUGGESTIONS: usize = 5;

/// What `run` and `lint` both refuse in a catalogue and the run's variables, so that they
/// refuse exactly the same: a variable a case uses that is neither declared nor set (a typo
/// would skip its case forever), and a variable set that no case uses and no declaration names
/// (a typo would set nothing). A variable that another built-in profile declares is no typo:
/// one vars file serves both profiles. Returns a note for each such variable, to print.
pub fn check_inputs(catalogue: &Catalogue, vars: &Vars) -> Result<Vec<String>, Error> {
    let declared: Vec<&str> = catalogue
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .chain(["run_id"])
        .collect();
    let is_declared: std::collections::HashSet<&str> = declared.iter().copied().collect();
    let mut problems = Vec::new();
    for case in &catalogue.cases {
        for (name, site) in case
            .variables
            .iter()
            .filter(|(n, _)| vars.get(n).is_none() && !is_declared.contains(n.as_str()))
        {
            // Each suggestion compares the name with every declared one: a hostile folder of
            // many undefined names and many declared ones would take minutes, so only the
            // first few get one.
            let hint = match (problems.len() < SUGGESTIONS)
                .then(|| crate::base::schema::closest(name, &declared))
                .flatten()
            {
                Some(close) => format!(" (did you mean `{close}`?)"),
                None => String::new(),
            };
            problems.push(Problem {
                file: case.file.clone(),
                position: site.position,
                pointer: site.pointer.clone(),
                message: format!(
                    "undefined variable `{name}`{hint}: no variables file declares it and this run does not set it (--var {name}=VALUE, or declare it in the cases folder's variables.json)"
                ),
            });
        }
    }
    let known: Vec<&str> = declared
        .iter()
        .copied()
        .chain(
            catalogue
                .cases
                .iter()
                .flat_map(|c| c.variables.keys().map(String::as_str)),
        )
        .collect();
    let (foreign, notes) = other_profiles(catalogue.profile, vars, &known);
    let known: Vec<&str> = known
        .into_iter()
        .chain(foreign.iter().map(String::as_str))
        .collect();
    let unknown = vars.unknown(&known);
    if !problems.is_empty() {
        return Err(Error::Load(problems));
    }
    if !unknown.is_empty() {
        return Err(Error::Usage(unknown.join("\n")));
    }
    Ok(notes)
}

/// The variables given that this run does not know but another built-in profile declares
/// (`audience` of auth0 in a run of rfc), and one note for each place they came from, naming
/// the profile: `--vars v.json: `audience` is a variable of the auth0 profile; this run (rfc)
/// does not use it`.
fn other_profiles(profile: Profile, vars: &Vars, known: &[&str]) -> (Vec<String>, Vec<String>) {
    let others: Vec<(Profile, Vec<String>)> = Profile::ALL
        .into_iter()
        .filter(|p| *p != profile)
        .map(|p| (p, vars::documented(p).into_iter().map(|v| v.name).collect()))
        .collect();
    // By where they came from and whose they are, in order: one note for a whole vars file.
    let mut grouped: Vec<(String, Profile, Vec<&str>)> = Vec::new();
    let mut foreign = Vec::new();
    for (name, origin) in vars.given().filter(|(n, _)| !known.contains(n)) {
        let Some((owner, _)) = others
            .iter()
            .find(|(_, names)| names.iter().any(|n| n == name))
        else {
            continue;
        };
        let from = match origin {
            vars::Origin::File(path) => format!("--vars {path}"),
            other => other.describe(name),
        };
        match grouped
            .iter_mut()
            .find(|(f, p, _)| *f == from && p == owner)
        {
            Some((_, _, names)) => names.push(name),
            None => grouped.push((from, *owner, vec![name])),
        }
        foreign.push(name.to_owned());
    }
    let notes = grouped
        .into_iter()
        .map(|(from, owner, names)| {
            let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let (is, it) = if names.len() == 1 {
                ("is a variable", "it")
            } else {
                ("are variables", "them")
            };
            crate::base::redact::neutralise(
                &format!(
                    "{from}: {} {is} of the {owner} profile; this run ({profile}) does not use {it}",
                    listed.join(", ")
                ),
                false,
            )
        })
        .collect();
    (foreign, notes)
}

/// Prints the notes [`check_inputs`] returns, on standard error.
pub fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("authconform: note: {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::{BuiltIn, Source};

    /// A variable of the other built-in profile is a note naming that profile (one per place
    /// it came from); a name no profile declares is still refused.
    #[test]
    fn a_variable_of_the_other_profile_is_a_note_and_a_typo_is_refused() {
        let catalogue = Catalogue::load(
            Profile::Rfc,
            &Source::BuiltIn(BuiltIn::Cases(Profile::Rfc)),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .unwrap();
        let mut vars = Vars::default();
        vars.set("ungranted_audience", "built in: not given", false);
        vars.read_flags(&["audience=a".into(), "client_id=c".into()], false)
            .unwrap();
        vars.read_not_applicable(&["db_connection=none".into()])
            .unwrap();
        assert_eq!(
            check_inputs(&catalogue, &vars).unwrap(),
            [
                "--var audience=…: `audience` is a variable of the auth0 profile; this run (rfc) does not use it",
                "--not-applicable db_connection=…: `db_connection` is a variable of the auth0 profile; this run (rfc) does not use it",
            ]
        );
        vars.read_flags(&["audiance=a".into()], false).unwrap();
        let e = check_inputs(&catalogue, &vars).unwrap_err().to_string();
        assert!(e.contains("no case uses a variable `audiance`"), "{e}");
        assert!(!e.contains("`audience`:"), "{e}");
    }
}

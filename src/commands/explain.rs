//! `authconform explain CASE`: what a case is for and exactly what it does: its seed row, the
//! request it would send (variables filled in, secrets masked) and every check it makes.

use std::fmt::Write;

use crate::{
    base::error::Error,
    base::redact::{Redactor, neutralise},
    catalogue::case::Case,
    catalogue::seed::SeedTable,
    catalogue::vars::Vars,
    commands::session::Session,
    http::plan::{self, NotSent, Target},
    reference,
};

/// The `explain` command: finds the case, assembles the variables as `run` would, and
/// explains.
pub fn command(
    id: &str,
    target: Option<&str>,
    session: &Session,
    allow_origins: &[String],
) -> Result<String, Error> {
    let profile = session.profile;
    let allowed = plan::Allowed::parse(allow_origins)?;
    let catalogue = session.catalogue()?;
    let Some(case) = catalogue.cases.iter().find(|c| c.id == id) else {
        let ids: Vec<&str> = catalogue.cases.iter().map(|c| c.id.as_str()).collect();
        let similar: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|known| known.contains(id))
            .collect();
        let hint = match crate::base::schema::closest(id, &ids) {
            Some(c) => format!("; did you mean `{c}`?"),
            None if !similar.is_empty() => {
                format!("; cases that contain it: {}", similar.join(", "))
            }
            None => String::new(),
        };
        return Err(Error::Usage(format!(
            "no case `{id}` in {}{hint} (`authconform run --list` lists them)",
            session.cases.describe()
        )));
    };
    let mut vars = Vars::default();
    let target = match target {
        Some(url) => Target::parse(url)?,
        None => {
            // As `run` would: the built-in server's variables (its address is only known once
            // it runs).
            for (name, value, secret) in reference::variables_of(profile) {
                vars.set(name, value, secret);
            }
            Target::parse(PLACEHOLDER)?
        }
    };
    crate::commands::lint::inputs(session, &catalogue, &mut vars, || "RUN_ID".to_owned())?;
    vars.declare(&catalogue.variables);
    // A curl line is a request too: one that would carry the run's credentials elsewhere is
    // refused as `run` refuses it.
    target.check_origins(std::slice::from_ref(case), &vars, &allowed)?;
    if let Ok(request) = plan::prepare(case, &vars, &target) {
        target.check_request(&case.id, &request, &allowed)?;
    }
    Ok(explain(
        case,
        &crate::catalogue::seed::tables(profile),
        &target,
        &vars,
    ))
}

/// The row of the profile's tables the case documents: its table, place, evidence and needs.
fn row_lines(out: &mut String, d: &crate::catalogue::seed::Documents, tables: &[SeedTable]) {
    let row = tables.iter().find_map(|table| {
        let i = table.rows.iter().position(|r| r.matches(d))?;
        Some((table, i))
    });
    match row {
        Some((table, i)) => {
            let row = &table.rows[i];
            let _ = writeln!(
                out,
                "seed row: {}{} (row {} of {})",
                row.endpoint
                    .as_ref()
                    .map(|e| format!("{e}: "))
                    .unwrap_or_default(),
                row.label(),
                i + 1,
                table.title
            );
            if let (Some(grade), Some(evidence)) = (row.grade, &row.evidence) {
                let _ = writeln!(out, "evidence: {grade:?}, {evidence}");
            }
            if let Some(needs) = &row.needs {
                let _ = writeln!(out, "needs: {needs}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "documents: {} (not a row of the profile's tables)",
                d.summary()
            );
        }
    }
}

/// Where the request would go when no --target is given: shown as `<target>`.
pub const PLACEHOLDER: &str = "http://target.invalid";

/// The explanation of `case` for `target` with `vars`, secrets masked.
pub fn explain(case: &Case, tables: &[SeedTable], target: &Target, vars: &Vars) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", case.id, case.title);
    let _ = writeln!(out, "file: {}", case.file);
    row_lines(&mut out, &case.documents, tables);
    for r in &case.refs {
        let _ = writeln!(out, "ref: {r}");
    }
    if !case.tags.is_empty() {
        let _ = writeln!(out, "tags: {}", case.tags.join(", "));
    }
    let names: Vec<&str> = case.variables.keys().map(String::as_str).collect();
    let _ = writeln!(
        out,
        "variables: {}",
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    );
    if let Some(max) = case.repeat {
        let _ = writeln!(
            out,
            "repeat: up to {max} requests, until the status is an expected one; runs after every other case"
        );
    }

    let _ = writeln!(out, "\nrequest:");
    let planned = plan::prepare(case, vars, target);
    match &planned {
        Ok(request) => {
            let _ = writeln!(out, "  {} {}", request.method, request.shown.url);
            let _ = writeln!(out, "  {}", request.shown.curl);
        }
        Err(NotSent::Skip(missing)) => {
            let names: Vec<String> = missing.iter().map(|n| format!("`{n}`")).collect();
            let _ = writeln!(out, "  not sendable: no value for {}", names.join(", "));
            let _ = writeln!(
                out,
                "  as written: {} {}",
                case.request.method, case.request.path
            );
        }
        Err(NotSent::NotApplicable { reason, .. }) => {
            let _ = writeln!(out, "  not applicable: {reason}");
            let _ = writeln!(
                out,
                "  as written: {} {}",
                case.request.method, case.request.path
            );
        }
        Err(NotSent::Invalid(message)) => {
            // The one line made from the variables' real values: masked, leaving any
            // non-secret value that holds a secret whole, as `run` shows it.
            let secrets: Vec<&str> = vars.secrets().collect();
            let public = vars
                .iter()
                .filter(|(_, v)| !v.secret)
                .map(|(_, v)| v.value.as_str());
            let redactor = Redactor::for_run(&secrets, public);
            let _ = writeln!(out, "  not sendable: {}", redactor.redact(message));
        }
    }

    let _ = writeln!(out, "\nchecks (a violation fails the case):");
    for c in &case.checks {
        let _ = writeln!(out, "  {} {}", c.id(), c.requirement());
    }
    if !case.advice.is_empty() {
        let _ = writeln!(out, "\nadvice (a violation is a warning):");
        for c in &case.advice {
            let _ = writeln!(out, "  {} {}", c.id(), c.requirement());
        }
    }
    // The request is built with its secrets filled in as *** (and the one line made from real
    // values is masked above); the rest is the case file's own text, which holds no secret of
    // the run and is shown whole, neutralised like everything else from outside.
    neutralise(&out, true).replace(PLACEHOLDER, "<target>")
}

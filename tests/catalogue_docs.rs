//! docs/cases.md shows the auth0 profile's two tables as the catalogue has them: for each row
//! of the Standard Error Responses and of the errors per endpoint, the cases that provoke it,
//! what each says it sends (its title) and the variables it needs; for an endpoint row also its
//! evidence grade and what a tenant needs. Rendered here from the built-in catalogue and
//! compared with the text between the doc's markers; `AUTHCONFORM_RECORD=1` rewrites it.

use std::path::Path;

use authconform::{base::source::Profile, catalogue::seed};

use crate::pytools::repo_dir;

const DOC: &str = "docs/cases.md";

/// A table cell: pipes escaped, one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown of each table of the auth0 profile, by marker name.
fn rendered() -> Vec<(&'static str, String)> {
    let catalogue = crate::util::builtin_catalogue(Profile::Auth0);
    let tables = seed::tables(Profile::Auth0);
    let mut out = Vec::new();
    for (n, table) in tables.iter().enumerate() {
        let per_endpoint = n > 0;
        let mut text = if per_endpoint {
            "| endpoint | row | evidence | case | what it sends | variables |\n|---|---|---|---|---|---|\n"
                .to_owned()
        } else {
            "| seed row | case | what it sends | variables |\n|---|---|---|---|\n".to_owned()
        };
        for row in &table.rows {
            let cases: Vec<_> = catalogue
                .cases
                .iter()
                .filter(|c| row.matches(&c.documents))
                .collect();
            assert!(!cases.is_empty(), "{}: no case", row.label());
            for case in cases {
                let mut variables: Vec<&String> =
                    case.variables.keys().filter(|v| *v != "run_id").collect();
                variables.sort();
                variables.dedup();
                let variables = variables
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let what = cell(&case.title);
                if per_endpoint {
                    let grade = match (row.grade, &row.needs) {
                        (Some(g), Some(needs)) => format!("{g:?}; needs {}", cell(needs)),
                        (Some(g), None) => format!("{g:?}"),
                        (None, _) => String::new(),
                    };
                    text.push_str(&format!(
                        "| {} | {} | {grade} | `{}` | {what} | {variables} |\n",
                        row.endpoint.as_deref().unwrap_or_default(),
                        cell(&row.label()),
                        case.id,
                    ));
                } else {
                    text.push_str(&format!(
                        "| {} | `{}` | {what} | {variables} |\n",
                        cell(&row.label()),
                        case.id
                    ));
                }
            }
        }
        out.push((
            if per_endpoint {
                "endpoint-errors"
            } else {
                "standard-error-responses"
            },
            text,
        ));
    }
    out
}

/// `doc` with the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced.
fn replaced(doc: &str, name: &str, text: &str) -> Option<String> {
    let start = format!("<!-- {name}:start -->\n");
    let from = doc.find(&start)? + start.len();
    let to = from + doc[from..].find(&format!("<!-- {name}:end -->"))?;
    Some(format!("{}{text}{}", &doc[..from], &doc[to..]))
}

#[test]
fn the_docs_show_every_row_of_both_auth0_tables_with_its_cases() {
    let path = repo_dir().join(DOC);
    let doc = std::fs::read_to_string(&path).unwrap();
    let mut want = doc.clone();
    for (name, text) in rendered() {
        want = replaced(&want, name, &text)
            .unwrap_or_else(|| panic!("{DOC} has <!-- {name}:start --> and <!-- {name}:end -->"));
    }
    if want == doc {
        return;
    }
    if std::env::var_os("AUTHCONFORM_RECORD").is_some_and(|v| v != "0") {
        std::fs::write(&path, want).unwrap();
        return;
    }
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cases.md");
    std::fs::write(&file, &want).unwrap();
    panic!(
        "{DOC}'s tables are not the catalogue's: {} has them as they should be \
         (or rewrite them: AUTHCONFORM_RECORD=1 cargo test --test integration catalogue_docs)",
        file.display()
    );
}

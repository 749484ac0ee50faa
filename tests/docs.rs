//! The man page is the whole command line: every subcommand and every option of each, the exit
//! status, the environment and examples, and it renders without warnings.

use clap::CommandFactory;

use crate::util::{authconform, output};

fn roff(text: &str) -> String {
    text.replace('-', "\\-")
}

#[test]
fn the_man_page_names_every_subcommand_option_exit_code_and_variable() {
    let out = output(authconform().arg("man"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    // `help` is clap's own; the page leaves it out as `man` itself does.
    let mut cli = authconform::cli::Cli::command().disable_help_subcommand(true);
    cli.build();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            page.contains(&format!(".SH \"AUTHCONFORM {}\"", name.to_uppercase())),
            "no section for `authconform {name}`"
        );
        assert!(
            page.contains(&format!("\\fBauthconform {name}\\fR")),
            "`authconform {name}` is not in COMMANDS"
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(
                    page.contains(&format!("\\fB{}\\fR", roff(&format!("--{long}")))),
                    "the man page does not list `authconform {name} --{long}`"
                );
            }
        }
    }
    for section in [
        "NAME",
        "SYNOPSIS",
        "COMMANDS",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
        "EXAMPLES",
    ] {
        assert!(
            page.contains(&format!(".SH {section}\n")),
            "no {section} section"
        );
    }
    let exit =
        &page[page.find(".SH \"EXIT STATUS\"").unwrap()..page.find(".SH ENVIRONMENT").unwrap()];
    for code in ["0", "1", "2", "130"] {
        assert!(
            exit.contains(&format!(".B {code}\n")),
            "exit status {code} is not described"
        );
    }
    for variable in [
        "AUTHCONFORM_TARGET",
        "AUTHCONFORM_VAR_<NAME>",
        "AUTHCONFORM_SECRET_<NAME>",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "NO_COLOR",
    ] {
        assert!(
            page.contains(&format!(".B {variable}\n")),
            "{variable} is not in ENVIRONMENT"
        );
    }
    // No pointers at pages that are not installed.
    assert!(
        !page.contains("authconform\\-run(1)"),
        "a SEE ALSO to a page that does not exist"
    );

    // man(1), where installed, renders it without a warning.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("authconform.1");
    std::fs::write(&file, &page).unwrap();
    match std::process::Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&file)
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
    {
        Ok(rendered) => {
            let warnings = String::from_utf8_lossy(&rendered.stderr);
            assert!(rendered.status.success(), "{warnings}");
            assert!(warnings.trim().is_empty(), "man warns: {warnings}");
            // Not a terminal: bold comes as overstrike (`X\bX`); read the letters only.
            let mut text = String::new();
            for c in String::from_utf8_lossy(&rendered.stdout).chars() {
                if c == '\u{8}' {
                    text.pop();
                } else {
                    text.push(c);
                }
            }
            assert!(text.contains("EXIT STATUS"), "{text}");
            assert!(
                text.contains("authconform run --profile rfc --discover"),
                "{text}"
            );
        }
        Err(e) => eprintln!("skipping the rendering check: man(1) cannot run: {e}"),
    }
}

//! The man page is the whole command line: every subcommand and every option of each with its
//! help, the exit status, every environment variable the program reads, and examples; and it
//! renders without warnings. The expectations come from the clap definition and from src/
//! itself, so that a new flag or a new variable without its place on the page fails here.

use std::io::Write;
use std::process::{Command, Stdio};

use clap::CommandFactory;

use crate::util::{authconform, output};

/// `text` as roff spells it in a text line (clap_mangen's escaping of dashes).
fn roff(text: &str) -> String {
    text.replace('-', "\\-")
}

/// Roff text read back as the words it prints: fonts dropped, escapes resolved, whitespace
/// collapsed (a help text may be split over lines anywhere).
fn words(roff_text: &str) -> String {
    let text = roff_text
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
        .replace("\\*(Aq", "'")
        .replace("\\-", "-")
        .replace("\\&", "")
        .replace("\\ ", " ")
        .replace("\\e", "\\")
        .replace("\\\\", "\\");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page from `.SH {heading}` to the next `.SH`.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(&format!(".SH {heading}\n"))
        .unwrap_or_else(|| panic!("no {heading} section"));
    let rest = &page[start + 1..];
    &page[start..start + 1 + rest.find("\n.SH ").unwrap_or(rest.len())]
}

/// The environment variables src/ reads by name: `env::var("X")`, `var_os("X")`, the
/// environment's `(k, v)` pairs compared with `k == "X"`, and clap's `env = "X"`.
fn variables_read_in_src() -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["var(\"", "var_os(\"", "k == \"", "key == \"", "env = \""] {
                    for (at, _) in text.match_indices(marker) {
                        let name: String = text[at + marker.len()..]
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'
                            })
                            .collect();
                        if name.len() > 1 && !found.contains(&name) {
                            found.push(name);
                        }
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut found,
    );
    // Test hooks, not for users: never on the page.
    found.retain(|name| !name.starts_with("AUTHCONFORM_FAILPOINT_"));
    found
}

#[test]
fn the_man_page_names_every_subcommand_option_exit_code_and_variable() {
    let out = output(authconform().arg("man"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    // `help` is clap's own; the page leaves it out as `man` itself does.
    let mut cli = authconform::commands::cli::Cli::command().disable_help_subcommand(true);
    cli.build();
    let commands = section(&page, "COMMANDS");
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            commands.contains(&format!("\\fBauthconform {name}\\fR")),
            "`authconform {name}` is not in COMMANDS"
        );
        assert_subcommand_section(&page, sub);
    }
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
        "EXAMPLES",
    ] {
        section(&page, heading);
    }
    assert_exit_status(&page);
    assert_environment(&page, &cli);
    assert_examples(&page);

    // No pointers at pages that are not installed.
    assert!(!page.contains("SEE ALSO"), "a SEE ALSO section");
    for sub in cli.get_subcommands() {
        let other = format!("authconform\\-{}(1)", sub.get_name());
        assert!(
            !page.contains(&other),
            "a pointer at {other}, never generated"
        );
    }

    match rendered(&page) {
        Some((renderer, text)) => {
            assert!(text.contains("EXIT STATUS"), "{renderer}: {text}");
            assert!(
                text.contains("authconform run --profile rfc --discover"),
                "{renderer}: {text}"
            );
        }
        None => crate::pytools::tell(
            "skipping the man page's rendering check: none of man(1), groff(1) or mandoc(1) can run here",
        ),
    }
}

/// The section of subcommand `sub`: every argument in its synopsis and options, with its help
/// and that of each of its values.
fn assert_subcommand_section(page: &str, sub: &clap::Command) {
    let name = sub.get_name();
    let own = section(page, &format!("\"AUTHCONFORM {}\"", name.to_uppercase()));
    let synopsis = &own[own.find(".SS Synopsis").expect("a synopsis")..];
    let synopsis = &synopsis[..synopsis.find(".SS Description").expect("a description")];
    let options = &own[own.find(".SS Options").expect("an options list")..];
    let options_words = words(options);
    for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
        let shown = match arg.get_long() {
            Some(long) => format!("\\fB{}\\fR", roff(&format!("--{long}"))),
            None => roff(&arg.get_value_names().unwrap()[0]),
        };
        // A positional with a few values shows them (`bash|zsh|...`) instead of its name.
        let in_synopsis: Vec<String> = match arg.get_possible_values() {
            values if arg.get_long().is_none() && !values.is_empty() => values
                .iter()
                .map(|v| format!("\\fB{}\\fR", roff(v.get_name())))
                .collect(),
            _ => vec![shown.clone()],
        };
        for part in in_synopsis {
            assert!(
                synopsis.contains(&part),
                "the synopsis of `authconform {name}` lacks {part}"
            );
        }
        assert!(
            options.contains(&shown),
            "the options of `authconform {name}` lack {shown}"
        );
        let help = arg.get_long_help().or(arg.get_help());
        let help = words(&help.map(|h| h.to_string()).unwrap_or_default());
        assert!(
            !help.is_empty(),
            "`authconform {name}` {shown} has no help text"
        );
        assert!(
            options_words.contains(&help),
            "the help of `authconform {name}` {shown} is not on the page: {help}"
        );
        // Shell names explain themselves, and clap_complete gives them no help to show.
        let values = match name {
            "completions" => Vec::new(),
            _ => arg.get_possible_values(),
        };
        for value in values.iter().filter(|v| !v.is_hide_set()) {
            let help = value.get_help().map(|h| h.to_string());
            assert!(
                help.is_some(),
                "`authconform {name}` {shown} {}: the value has no help text",
                value.get_name()
            );
            let line = format!("{}: {}", value.get_name(), words(&help.unwrap()));
            assert!(
                options_words.contains(&line),
                "`authconform {name}` {shown}: the value is not explained: {line}"
            );
        }
    }
}

/// Every exit code the program has, as an item of EXIT STATUS.
fn assert_exit_status(page: &str) {
    let exit = section(page, "\"EXIT STATUS\"");
    use authconform::base::error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
    for code in [EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED] {
        assert!(
            exit.contains(&format!(".TP\n.B {code}\n")),
            "exit status {code} is not described"
        );
    }
}

/// Every environment variable read (by src/, by clap, or by the libraries for the program) in
/// ENVIRONMENT.
fn assert_environment(page: &str, cli: &clap::Command) {
    let environment = section(page, "ENVIRONMENT");
    let mut variables: Vec<String> = [
        authconform::catalogue::vars::ENV_VAR_PREFIX,
        authconform::catalogue::vars::ENV_SECRET_PREFIX,
    ]
    .iter()
    .map(|prefix| format!("{prefix}<NAME>"))
    .collect();
    variables.extend(variables_read_in_src());
    // Read by the libraries on the program's behalf: reqwest's proxies, the system's roots.
    variables.extend(
        [
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "CLICOLOR",
        ]
        .map(String::from),
    );
    for arg in cli.get_subcommands().flat_map(|s| s.get_arguments()) {
        if let Some(env) = arg.get_env() {
            variables.push(env.to_string_lossy().into_owned());
        }
    }
    for must in [
        "AUTHCONFORM_TARGET",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "NO_COLOR",
    ] {
        assert!(
            variables.iter().any(|v| v == must),
            "src/ no longer reads {must}? the scan of src/ missed it"
        );
    }
    for variable in &variables {
        assert!(
            environment.contains(&format!(".B {variable}\n"))
                || environment.contains(&format!("\\fB{variable}\\fR")),
            "{variable} is not in ENVIRONMENT"
        );
    }
}

/// The examples a new user needs: a secret from the environment, a JUnit report, the
/// reference server and init.
fn assert_examples(page: &str) {
    let examples = words(section(page, "EXAMPLES"));
    for example in [
        "export AUTHCONFORM_SECRET_CLIENT_SECRET=",
        "--junit authconform.xml",
        "authconform serve ",
        "authconform init ",
    ] {
        assert!(
            examples.contains(example),
            "EXAMPLES lacks {example}: {examples}"
        );
    }
}

/// The page rendered by the first of man(1), groff(1) and mandoc(1) that runs here, asserted
/// free of warnings: the renderer's name and the text, or None when none runs.
fn rendered(page: &str) -> Option<(&'static str, String)> {
    let renderers: [(&str, &str, &[&str]); 3] = [
        ("man", "man", &["--warnings=all", "-l", "-"]),
        ("groff", "groff", &["-man", "-Tutf8", "-wall"]),
        // mandoc's warnings include a style it does not share with groff (a .TH without a
        // date); its errors are what would misrender.
        ("mandoc", "mandoc", &["-T", "utf8", "-W", "error"]),
    ];
    for (name, program, args) in renderers {
        let Ok(mut child) = Command::new(program)
            .args(args)
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        else {
            continue;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name} fails: {warnings}");
        assert!(warnings.trim().is_empty(), "{name} warns: {warnings}");
        // Not a terminal: bold may come as overstrike (`X\bX`); keep the letters only.
        let mut text = String::new();
        for c in String::from_utf8_lossy(&out.stdout).chars() {
            if c == '\u{8}' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        return Some((name, text));
    }
    None
}

//! Whether output is coloured: decided here, once per process, for every command, so that
//! `--color`, `CLICOLOR_FORCE`, `NO_COLOR` and `CLICOLOR` mean the same everywhere.

use std::{ffi::OsString, io::IsTerminal};

use clap::ValueEnum;

/// `--color`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    /// Colour when standard output is a terminal, unless NO_COLOR is set or CLICOLOR=0;
    /// always with CLICOLOR_FORCE (not 0).
    Auto,
    /// Colour, also into a file or a pipe.
    Always,
    /// No colour.
    Never,
}

/// The rule, first match wins: `--color always|never`; `CLICOLOR_FORCE` set and not `0`:
/// colour; `NO_COLOR` set and not empty: none; `CLICOLOR=0`: none; else colour only for a
/// terminal, and not under `TERM=dumb`. `var` reads the environment (a test passes its own).
pub fn decide(choice: Color, var: impl Fn(&str) -> Option<OsString>, terminal: bool) -> bool {
    // `var("…")` spelled out: tests/docs.rs finds the variables read this way for the man page.
    let set = |value: Option<OsString>| value.filter(|v| !v.is_empty());
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto if set(var("CLICOLOR_FORCE")).is_some_and(|v| v != "0") => true,
        Color::Auto if set(var("NO_COLOR")).is_some() => false,
        Color::Auto if var("CLICOLOR").is_some_and(|v| v == "0") => false,
        Color::Auto => terminal && var("TERM").is_none_or(|t| t != "dumb"),
    }
}

/// Decides for standard output (the only stream that carries colour) from the process's
/// environment, and tells `anstream` and `colored`, which would otherwise each decide again
/// by rules of their own (`anstream` puts `NO_COLOR` before `CLICOLOR_FORCE`).
pub fn for_stdout(choice: Color) -> bool {
    let colour = decide(
        choice,
        |name| std::env::var_os(name),
        std::io::stdout().is_terminal(),
    );
    let global = if colour {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    global.write_global();
    colored::control::set_override(colour);
    colour
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)], choice: Color, terminal: bool) -> bool {
        let var = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        };
        decide(choice, var, terminal)
    }

    #[test]
    fn the_flag_wins_over_every_variable() {
        let all = [
            ("CLICOLOR_FORCE", "1"),
            ("NO_COLOR", "1"),
            ("CLICOLOR", "0"),
        ];
        assert!(with(
            &[("NO_COLOR", "1"), ("CLICOLOR", "0")],
            Color::Always,
            false
        ));
        assert!(!with(&all, Color::Never, true));
    }

    #[test]
    fn clicolor_force_wins_over_no_color_and_clicolor_and_a_pipe() {
        let forced = [
            ("CLICOLOR_FORCE", "1"),
            ("NO_COLOR", "1"),
            ("CLICOLOR", "0"),
        ];
        assert!(with(&forced, Color::Auto, false));
        // `0` and empty are not forcing.
        assert!(!with(&[("CLICOLOR_FORCE", "0")], Color::Auto, false));
        assert!(!with(&[("CLICOLOR_FORCE", "")], Color::Auto, false));
        assert!(!with(
            &[("CLICOLOR_FORCE", "0"), ("NO_COLOR", "1")],
            Color::Auto,
            true
        ));
    }

    #[test]
    fn no_color_then_clicolor_zero_turn_a_terminal_plain() {
        assert!(!with(&[("NO_COLOR", "1")], Color::Auto, true));
        assert!(with(&[("NO_COLOR", "")], Color::Auto, true));
        assert!(!with(&[("CLICOLOR", "0")], Color::Auto, true));
        assert!(with(&[("CLICOLOR", "1")], Color::Auto, true));
    }

    #[test]
    fn otherwise_colour_only_for_a_terminal() {
        assert!(with(&[], Color::Auto, true));
        assert!(!with(&[], Color::Auto, false));
        assert!(!with(&[("CLICOLOR", "1")], Color::Auto, false));
        assert!(!with(&[("TERM", "dumb")], Color::Auto, true));
        assert!(with(
            &[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")],
            Color::Auto,
            false
        ));
    }
}

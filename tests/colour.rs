//! Colour on standard output follows one rule for every command (`src/commands/colour.rs`):
//! here the environment's part of it, seen through a pipe, as CI sees it.

use crate::util::*;

/// `run` against the built-in server, standard output a pipe, with `env` set.
fn run_with(env: &[(&str, &str)], color: &str) -> Output {
    let mut cmd = authconform();
    cmd.args(["run", "--rate", "0", "--color", color])
        .envs(env.iter().copied());
    let out = output(&mut cmd);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    out
}

/// The text without its SGR escapes (`ESC [ … m`), the only ones `Styles` writes.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find('m').expect("an SGR sequence ends with m");
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn clicolor_force_colours_a_pipe_and_clicolor_zero_does_not() {
    let forced = run_with(&[("CLICOLOR_FORCE", "1")], "auto");
    assert!(forced.stdout.contains('\u{1b}'), "{}", forced.stdout);
    // CLICOLOR_FORCE comes before NO_COLOR and CLICOLOR=0.
    let over = run_with(
        &[
            ("CLICOLOR_FORCE", "1"),
            ("NO_COLOR", "1"),
            ("CLICOLOR", "0"),
        ],
        "auto",
    );
    assert!(over.stdout.contains('\u{1b}'), "{}", over.stdout);

    let off = run_with(&[("CLICOLOR", "0")], "auto");
    assert!(!off.stdout.contains('\u{1b}'), "{}", off.stdout);
    // --color wins over every variable.
    let never = run_with(&[("CLICOLOR_FORCE", "1")], "never");
    assert!(!never.stdout.contains('\u{1b}'), "{}", never.stdout);
    let always = run_with(&[("CLICOLOR", "0"), ("NO_COLOR", "1")], "always");
    assert!(always.stdout.contains('\u{1b}'), "{}", always.stdout);

    // Colour changes how the verdicts look, not what they are.
    let expected = verdicts(&off.stdout);
    assert!(!expected.is_empty());
    for out in [&forced, &over, &always] {
        assert_eq!(verdicts(&plain(&out.stdout)), expected);
    }
}

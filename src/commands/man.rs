//! `authconform man`: one complete manual page, generated from the clap definition so that it
//! cannot fall behind the flags: every subcommand with its synopsis and every option, then what
//! clap does not know: the exit status, the environment variables the program reads, and
//! examples. (clap_mangen alone renders the top command only, and points to per-subcommand
//! pages that nobody installs.)

use clap::CommandFactory;
use clap_mangen::Man;

use crate::{
    cli::Cli,
    error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE},
};

/// The sections clap does not know about, in roff.
fn tail() -> String {
    format!(
        r#".SH "EXIT STATUS"
.TP
.B {EXIT_OK}
The gate passes: every case selected passed, was a known deviation or (with \fB\-\-no\-tests\fR) nothing needed testing.
.TP
.B {EXIT_FAILED}
The gate fails: a case failed or could not be judged, a known\-deviations entry no longer holds or has expired, nothing was tested, a case was skipped under \fB\-\-fail\-on\-skip\fR, or a report could not be written.
.TP
.B {EXIT_USAGE}
Bad usage: flags, case files, schemas, variable names, a vars or deviations file, a discovery document or an endpoint on another origin. Nothing was sent.
.TP
.B {EXIT_INTERRUPTED}
Interrupted by SIGINT, SIGTERM or SIGHUP. Every report is still written, complete, and says so.
.SH ENVIRONMENT
.TP
.B AUTHCONFORM_TARGET
The server under test, as \fB\-\-target\fR gives it.
.TP
.B AUTHCONFORM_VAR_<NAME>
Sets the variable \fIname\fR (the rest of the name in lower case). An empty value sets nothing.
.TP
.B AUTHCONFORM_SECRET_<NAME>
Sets the variable \fIname\fR as a secret, masked as *** in every output. The way to give secrets.
.TP
.B GITHUB_ACTIONS
When \fBtrue\fR, \fBrun\fR prints GitHub workflow commands for failures and warnings (see \fB\-\-annotations\fR).
.TP
.B GITHUB_STEP_SUMMARY
Where \fBrun\fR appends its Markdown summary on GitHub Actions.
.TP
.B NO_COLOR
When set and not empty, no colour (unless \fB\-\-color always\fR).
.TP
.B TERM
\fBdumb\fR: no live progress line on standard error.
.SH EXAMPLES
Run the whole suite against the built\-in reference server:
.PP
.RS
.nf
authconform run
.fi
.RE
.PP
Gate a staging tenant in CI, the secret from the environment, JUnit and JSON reports kept:
.PP
.RS
.nf
export AUTHCONFORM_SECRET_CLIENT_SECRET=...
authconform run \-\-target https://staging.example.com \e
  \-\-var client_id=abc123 \-\-var audience=https://api.example.com/ \e
  \-\-junit authconform.xml \-\-report\-json authconform.json
.fi
.RE
.PP
Hold any OAuth 2.0 server to the RFCs' error responses, its endpoints from its discovery document:
.PP
.RS
.nf
authconform run \-\-profile rfc \-\-discover \-\-target http://localhost:3000 \-\-vars vars.json
.fi
.RE
.PP
Start gating: write a vars file, an empty deviations file and a CI workflow:
.PP
.RS
.nf
authconform init conformance
.fi
.RE
"#
    )
}

/// Plain text as a roff line: backslashes and dashes escaped, and never a control line.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The page, in roff.
pub fn page() -> Result<String, std::io::Error> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    // The commands, each pointing at its section here (not at pages of their own).
    page.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands() {
        page.push_str(&format!(
            ".TP\n\\fBauthconform {}\\fR\n{}\n",
            sub.get_name(),
            roff_text(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
        ));
    }
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        page.push_str(&format!(".SH \"AUTHCONFORM {}\"\n", name.to_uppercase()));
        let part = Man::new(sub.clone());
        let mut text = Vec::new();
        part.render_synopsis_section(&mut text)?;
        part.render_description_section(&mut text)?;
        part.render_options_section(&mut text)?;
        // One page: each subcommand's sections become subsections of its own.
        let text = String::from_utf8_lossy(&text)
            .replace(".SH SYNOPSIS", ".SS Synopsis")
            .replace(".SH DESCRIPTION", ".SS Description")
            .replace(".SH OPTIONS", ".SS Options");
        page.push_str(&text);
    }
    page.push_str(&tail());
    let mut version = Vec::new();
    man.render_version_section(&mut version)?;
    page.push_str(&String::from_utf8_lossy(&version));
    Ok(page)
}

//! `authconform man`: one complete manual page, generated from the clap definition so that it
//! cannot fall behind the flags: every subcommand with its synopsis and every option, then what
//! clap does not know: the exit status, the environment variables the program reads, and
//! examples. (clap_mangen alone renders the top command only, and points to per-subcommand
//! pages that nobody installs.)

use clap::ArgAction;
use clap_mangen::Man;

use crate::{
    base::error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE},
    catalogue::vars::{ENV_SECRET_PREFIX, ENV_VAR_PREFIX},
};

/// clap_mangen opens every section it renders with this definition of the `Aq` string; once,
/// at the top, is enough.
const AQ: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// What the program is and does, in the words a reader at the terminal needs first.
fn description() -> String {
    format!(
        r#".SH DESCRIPTION
\fBauthconform\fR sends requests that provoke documented error responses (a wrong client secret, GET on the token endpoint, a token request without grant_type, ...) to a server, and checks each answer's status, headers and JSON body against what the documentation says, one case file per error.
It prints a pass/fail report in the style of \fBcargo test\fR and can write JUnit, JSON and HTML reports; its exit status is a CI gate.
With no \fB\-\-target\fR, \fBrun\fR tests the reference server built into the binary.
.PP
Two profiles: \fBauth0\fR (the default: the Standard Error Responses of the Auth0 Authentication API) and \fBrfc\fR (RFC 6749, 6750, 7009 and 8628, for any OAuth 2.0 server).
The case files, schemas and seed tables are compiled in; \fBexport\fR writes them out.
.PP
Case files say \fB{{{{name}}}}\fR where a value of the target goes.
Values come from, later ones winning: the built\-in server (when there is no \fB\-\-target\fR), \fB\-\-vars\fR \fIFILE\fR, the environment (\fB{ENV_VAR_PREFIX}\fR\fINAME\fR, \fB{ENV_SECRET_PREFIX}\fR\fINAME\fR), then \fB\-\-var\fR and \fB\-\-secret\fR.
A secret is masked as *** in every output.
A case whose variables are not set is skipped, with the reason.
.PP
Verdicts: \fBpass\fR; \fBfail\fR (a check was violated, or a known\-deviations entry for the case no longer holds); \fBknown deviation\fR (every violation is accepted by \fB\-\-deviations\fR); \fBskip\fR; \fBerror\fR (the case could not be judged: connection refused, timeout, TLS failure, reset); \fBnot run\fR (the run was interrupted first).
"#
    )
}

/// What each exit code means: the contract a CI job is written against.
fn exit_status() -> String {
    format!(
        r#".SH "EXIT STATUS"
.TP
.B {EXIT_OK}
Success.
For \fBrun\fR, the gate passes: no case failed or could not be judged, no known\-deviations entry is stale, and something was tested (unless \fB\-\-no\-tests\fR allows nothing); skipped cases pass unless \fB\-\-fail\-on\-skip\fR is given.
.TP
.B {EXIT_FAILED}
The gate fails: a case failed or could not be judged, a known\-deviations entry no longer holds or has expired, nothing was tested (every case skipped, or none selected), a case was skipped under \fB\-\-fail\-on\-skip\fR, or a report could not be written.
For \fBcoverage\fR: a row of the profile's tables has no case.
For \fBdiff\fR: a case changed, was added or was removed between the two reports.
.TP
.B {EXIT_USAGE}
Bad usage or configuration: flags, case files, schemas, variable names, a vars or deviations file, a discovery document, an endpoint on an origin not allowed, a file \fBdiff\fR is given that is not a JSON report; or the command could not do its work at all (\fBexport\fR or \fBinit\fR could not write a file, the reference server could not start).
No case was sent.
.TP
.B {EXIT_INTERRUPTED}
\fBrun\fR was interrupted by SIGINT (Ctrl\-C), SIGTERM (a CI cancel, \fBdocker stop\fR) or SIGHUP.
Every report is still written, complete, and says so; a second signal quits at once.
(\fBserve\fR, stopped by the same signals, exits 0.)
"#
    )
}

/// Every environment variable the program reads, in one place: `--help` names only a few, each
/// at its option.
fn environment() -> String {
    format!(
        r#".SH ENVIRONMENT
.TP
.B AUTHCONFORM_TARGET
The server under test, for \fBrun\fR and \fBexplain\fR; \fB\-\-target\fR wins.
.TP
.B {ENV_VAR_PREFIX}<NAME>
Sets the variable \fIname\fR (the rest of the name, in lower case), e.g. \fB{ENV_VAR_PREFIX}CLIENT_ID\fR sets \fBclient_id\fR.
An empty value sets nothing, so that a CI variable that was never defined skips cases instead of failing them.
.TP
.B {ENV_SECRET_PREFIX}<NAME>
Sets the variable \fIname\fR as a secret, masked as *** in every output: the way to give secrets, which other users of the machine cannot see as they can see a command's arguments.
An empty value sets nothing.
.TP
.B GITHUB_ACTIONS
When \fBtrue\fR, \fBrun\fR prints GitHub workflow commands for failures and warnings, and writes a step summary (see \fB\-\-annotations\fR).
.TP
.B GITHUB_STEP_SUMMARY
The file \fBrun\fR appends its Markdown summary to, on GitHub Actions.
.TP
.B CLICOLOR_FORCE
When set and not \fB0\fR, colour also into a file or a pipe (unless \fB\-\-color never\fR); it comes before \fBNO_COLOR\fR and \fBCLICOLOR\fR.
.TP
.B NO_COLOR
When set and not empty, no colour (unless \fB\-\-color always\fR).
.TP
.B CLICOLOR
\fB0\fR: no colour (unless \fB\-\-color always\fR).
.TP
.B TERM
\fBdumb\fR: no colour and no live progress line on standard error.
.TP
\fBHTTPS_PROXY\fR, \fBHTTP_PROXY\fR, \fBALL_PROXY\fR, \fBNO_PROXY\fR
The proxy for a target that is not on this machine, in upper or lower case, as curl reads them; a target on a loopback address is always reached directly.
.TP
\fBSSL_CERT_FILE\fR, \fBSSL_CERT_DIR\fR
On Linux and the other Unix systems but macOS: the PEM file, or the colon\-separated directories, whose root certificates are trusted for https:// targets instead of the system's; \fB\-\-cacert\fR adds to them.
"#
    )
}

/// Whole commands for the common tasks, from a first run to a CI gate.
fn examples() -> String {
    format!(
        r#".SH EXAMPLES
Run the whole suite against the built\-in reference server:
.PP
.RS
.nf
authconform run
.fi
.RE
.PP
Gate a staging tenant in CI, the secret from the environment, a JUnit report kept:
.PP
.RS
.nf
export {ENV_SECRET_PREFIX}CLIENT_SECRET=...
authconform run \-\-target https://staging.example.com \e
  \-\-var client_id=abc123 \-\-var audience=https://api.example.com/ \e
  \-\-junit authconform.xml
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
See a failure: serve the reference server with a fault injected, its variables in a file, and run against it from another terminal (use the address it prints):
.PP
.RS
.nf
authconform serve \-\-fault invalid\-client\-as\-400 \-\-write\-vars vars.json
authconform run \-\-target http://127.0.0.1:PORT \-\-vars vars.json
.fi
.RE
.PP
Start gating: write a vars file to fill in, an empty deviations file and a GitHub Actions workflow into \fIconformance\fR:
.PP
.RS
.nf
authconform init conformance
.fi
.RE
.PP
See what a server answers differently since the last run (exit 1 when anything changed):
.PP
.RS
.nf
authconform diff last\-night.json authconform.json
.fi
.RE
.PP
Install this page:
.PP
.RS
.nf
authconform man > /usr/local/share/man/man1/authconform.1
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

/// A subcommand's synopsis with the values each option takes (`--target URL`, `--format
/// pretty|terse|json`), which clap_mangen's leaves out, and `...` where an option repeats.
fn synopsis(cmd: &clap::Command) -> String {
    let mut items = vec![format!("\\fBauthconform {}\\fR", roff_text(cmd.get_name()))];
    let (positionals, options): (Vec<_>, Vec<_>) = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .partition(|a| a.is_positional());
    for arg in options.into_iter().chain(positionals) {
        let flag = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("\\fB\\-{s}\\fR|\\fB\\-\\-{}\\fR", roff_text(l)),
            (Some(s), None) => format!("\\fB\\-{s}\\fR"),
            (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", roff_text(l)),
            (None, None) => String::new(),
        };
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("\\fB{}\\fR", roff_text(v.get_name())))
            .collect();
        let value = if !arg.get_action().takes_values() {
            String::new()
        } else if !values.is_empty() {
            values.join("|")
        } else {
            let name = arg
                .get_value_names()
                .and_then(|n| n.first())
                .map_or_else(|| arg.get_id().as_str().to_uppercase(), |n| n.to_string());
            format!("\\fI{}\\fR", roff_text(&name))
        };
        // An unpaddable space: an option and its value never part at the end of a line.
        let mut item = [flag, value]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\\ ");
        if !arg.is_required_set() {
            item = format!("[{item}]");
        }
        if matches!(arg.get_action(), ArgAction::Append) {
            // `\&`: roff would read a line that ends in `.` as a sentence's end.
            item.push_str("...\\&");
        }
        items.push(item);
    }
    // Ragged right, since justifying would stretch a line of options into gaps; the lines
    // after the first are indented under the command, as synopses are.
    format!(
        ".SS Synopsis\n.na\n.in +4n\n.ti -4n\n{}\n.in -4n\n.ad\n",
        items.join("\n")
    )
}

/// What one of clap_mangen's render functions writes, without its repeated preamble.
fn rendered(
    render: impl FnOnce(&mut Vec<u8>) -> Result<(), std::io::Error>,
) -> Result<String, std::io::Error> {
    let mut out = Vec::new();
    render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).replace(AQ, ""))
}

/// The page of `cli` (the program's clap definition, given by the command line that owns it),
/// in roff.
pub fn page(cli: clap::Command) -> Result<String, std::io::Error> {
    // `help` is clap's own subcommand; `--help` on each command says the same.
    let mut cmd = cli.disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut page = rendered(|o| man.render_title(o))?;
    page.push_str(AQ);
    // No hyphenation: a reader who searches the pager for `--report-html` or a URL must find
    // it whole, not broken across two lines.
    page.push_str(".nh\n");
    page.push_str(&rendered(|o| man.render_name_section(o))?);
    page.push_str(&rendered(|o| man.render_synopsis_section(o))?);
    page.push_str(&description());
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
        page.push_str(&format!(
            ".SH \"AUTHCONFORM {}\"\n",
            sub.get_name().to_uppercase()
        ));
        page.push_str(&synopsis(sub));
        let part = Man::new(sub.clone());
        // One page: each subcommand's sections become subsections of its own.
        page.push_str(
            &rendered(|o| part.render_description_section(o))?
                .replace(".SH DESCRIPTION", ".SS Description"),
        );
        page.push_str(
            &rendered(|o| part.render_options_section(o))?.replace(".SH OPTIONS", ".SS Options"),
        );
    }
    // What clap does not know about. The version is in the title line's footer; no VERSION
    // section after the examples.
    page.push_str(&exit_status());
    page.push_str(&environment());
    page.push_str(&examples());
    Ok(page)
}

//! The command line (clap): the raw flags of each subcommand, and [`exec`], which turns them
//! into the options each command runs with.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};
use libtest_mimic::FormatSetting;

use crate::{
    base::error::{EXIT_FAILED, EXIT_OK, Error, print},
    base::source::{BuiltIn, Profile, Source},
    catalogue::case::Catalogue,
    catalogue::coverage::Coverage,
    catalogue::seed,
    commands::colour::{self, Color},
    commands::run::{self, RunOptions},
    commands::session::{Given, Session},
    execution::execute::Policy,
    http::send::Tls,
    reference::Fault,
    report::{GatePolicy, NoTests},
};

#[derive(Debug, Parser)]
#[command(
    name = "authconform",
    version,
    about = "Conformance suite for the documented error responses of the Auth0 Authentication API (profile auth0) and of the OAuth 2.0 RFCs (profile rfc)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send every case to a server and report pass/fail (the built-in reference server when no
    /// --target is given).
    Run(Box<RunArgs>),
    /// Check everything `run` checks before sending (case files, schemas, variables, a
    /// deviations file); send nothing. Warns where `coverage` would fail.
    Lint(LintArgs),
    /// Show a case: its seed row, the request it would send (secrets masked) and every check.
    Explain(ExplainArgs),
    /// Show which cases provoke each row of the profile's tables; exit 1 when a row has none.
    Coverage(Folders),
    /// Write the built-in cases, schemas, seed table and variables file into DIR, to start
    /// editing (`run --cases DIR/cases --schemas DIR/schemas` reproduces the built-in run).
    Export {
        /// A new or empty folder.
        dir: PathBuf,
        /// Which profile's cases, seed table and variables to write.
        #[arg(long, value_enum, default_value_t = Profile::Auth0)]
        profile: Profile,
    },
    /// Write what a team needs to start gating into DIR: a vars file listing every variable
    /// with its meaning (none set), an empty known-deviations file and a GitHub Actions
    /// workflow that uses both.
    Init(InitArgs),
    /// Run the reference server on 127.0.0.1 until interrupted: a target for `run`, and a test
    /// double for apps built on Auth0's SDKs (--tls, --answers observed).
    Serve(ServeArgs),
    /// Show what the server answered differently between two JSON reports (`run
    /// --report-json`), case by case; exit 0 when nothing changed, 1 when something did.
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `authconform man > authconform.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct Folders {
    /// Which specification to hold the server to: its seed table, cases and variables
    /// (auth0: Auth0's Standard Error Responses; rfc: the OAuth 2.0 RFCs).
    #[arg(long, value_enum, default_value_t = Profile::Auth0)]
    pub profile: Profile,
    /// Read case files from DIR instead of the built-in catalogue.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Add the case files of DIR to the catalogue (repeatable; ids must not collide).
    #[arg(long = "add-cases", value_name = "DIR")]
    pub add_cases: Vec<PathBuf>,
    /// Read schemas from DIR instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to write into (created if need be), e.g. `conformance`.
    pub dir: PathBuf,
    /// Replace files that `init` wrote before (they are meant to be edited, so by default a
    /// second `init` refuses to touch them).
    #[arg(long)]
    pub overwrite: bool,
    /// Also write DIR/gitlab-ci.yml: a GitLab CI job on the container image, to include from
    /// .gitlab-ci.yml.
    #[arg(long)]
    pub gitlab: bool,
    #[command(flatten)]
    pub folders: Folders,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub folders: Folders,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Also check the known-deviations FILE against the catalogue.
    #[arg(long, value_name = "FILE")]
    pub deviations: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub folders: Folders,
    /// Write a JUnit XML report to PATH (also when cases fail).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report to PATH: every case with its verdict, checks, warnings, timing, the
    /// redacted request and a summary of the response (schemas/report.schema.json).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Write an HTML report to PATH: one self-contained page, the run first, then every case
    /// with its checks, request and response (failures open).
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,
    /// Accept the known deviations listed in FILE (schemas/deviations.schema.json), or in the
    /// built-in set `auth0-observed` (what real tenants are seen to send, with evidence).
    #[arg(long, value_name = "FILE")]
    pub deviations: Option<String>,
    /// Print GitHub workflow commands for failures and warnings, and append a Markdown summary
    /// to $GITHUB_STEP_SUMMARY (auto: when GITHUB_ACTIONS=true).
    #[arg(long, value_enum, default_value_t = Annotations::Auto)]
    pub annotations: Annotations,
    /// What a run that sends no case (every case skipped, or none selected) is: fail (exit
    /// 1), warn, or pass.
    #[arg(long, value_enum, default_value_t = NoTests::Fail, value_name = "WHAT")]
    pub no_tests: NoTests,
    /// Fail the gate when any case is skipped: for a server prepared with every variable (a
    /// variable declared not applicable is prepared: its cases do not fail the gate).
    #[arg(long)]
    pub fail_on_skip: bool,
    /// How many cases run at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Send at most R requests a second, whole run (0: no limit). Against --target the
    /// default is 20, which suits a shared Auth0 tenant (well under the free plan's 30/s on
    /// /oauth/token); the built-in server, in this process, gets no limit.
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Retry a request whose connection was refused N times, with backoff (never a failed
    /// check).
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Wait at most SECS for an unexpected 429 (as Retry-After or X-RateLimit-Reset asks) before
    /// the one retry.
    #[arg(long, default_value = "30", value_name = "SECS", value_parser = parse_max_wait)]
    pub max_wait: Duration,
    /// Take the endpoint variables the user did not set from the target's discovery document
    /// (/.well-known/openid-configuration, else /.well-known/oauth-authorization-server).
    #[arg(long)]
    pub discover: bool,
    /// Let an endpoint variable point at ORIGIN (`https://host:port`) as well as at the
    /// target's own origin (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Also trust the CA certificates in FILE (PEM) for HTTPS targets.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not verify TLS certificates or host names (the report says so).
    #[arg(long)]
    pub insecure: bool,
    /// Give up on a request after SECS seconds (connecting, sending and reading the answer).
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Run only the cases whose id contains FILTER.
    pub filter: Option<String>,
    /// Match FILTER against whole case ids.
    #[arg(long)]
    pub exact: bool,
    /// Skip the cases whose id contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// List the cases that would run, in order, and send nothing.
    #[arg(long)]
    pub list: bool,
    /// How results are printed on standard output.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// Where to send the requests, and the variables that fill in the cases.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Base URL of the server under test, e.g. https://my-tenant.eu.auth0.com.
    #[arg(long, env = "AUTHCONFORM_TARGET", value_name = "URL")]
    pub target: Option<String>,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// The variables that fill in the cases.
#[derive(Debug, Args)]
pub struct VarArgs {
    /// Set a variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Set a secret: a variable masked as *** in every output (repeatable). Prefer the
    /// environment (AUTHCONFORM_SECRET_<NAME>), which other users of the machine cannot see.
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secrets: Vec<String>,
    /// Read variables from a JSON file (schemas/vars.schema.json): {"name": "value", "name2":
    /// {"secret": "value"}}; null lists a variable without setting it, as `init` writes.
    #[arg(long = "vars", value_name = "FILE")]
    pub vars_file: Option<String>,
    /// Declare a variable not applicable to this server, and why (one line; repeatable): the
    /// cases that need it are reported as not applicable, not skipped, and --fail-on-skip
    /// lets them be.
    #[arg(long = "not-applicable", value_name = "NAME=REASON")]
    pub not_applicable: Vec<String>,
}

impl VarArgs {
    fn given(self) -> Given {
        Given {
            vars: self.vars,
            secrets: self.secrets,
            not_applicable: self.not_applicable,
            vars_file: self.vars_file,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Annotations {
    /// GitHub's when GITHUB_ACTIONS=true, else none.
    Auto,
    /// Workflow commands, and the summary when GITHUB_STEP_SUMMARY names a file.
    Github,
    /// Neither.
    None,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report (`run --report-json`), e.g. last night's.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later JSON report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// How the differences are printed.
    #[arg(long, value_enum, default_value_t = crate::commands::diff::Format::Pretty)]
    pub format: crate::commands::diff::Format,
    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The case id, e.g. token/refresh-token-unknown.
    pub case: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Let the request go to ORIGIN (`https://host:port`) as well as to the target's own
    /// origin, as `run --allow-origin` does (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    #[command(flatten)]
    pub folders: Folders,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Answer as this profile's seed table documents: auth0 (Auth0's Standard Error
    /// Responses) or rfc (the OAuth 2.0 RFCs).
    #[arg(long, value_enum, default_value_t = Profile::Auth0)]
    pub profile: Profile,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Inject a fault: break one documented behaviour on purpose (see --list-faults).
    #[arg(long, value_name = "NAME", value_parser = |s: &str| s.parse::<Fault>())]
    pub fault: Option<Fault>,
    /// Wait MS milliseconds before answering each request, like a far-away server.
    #[arg(long, default_value_t = 0, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency: u64,
    /// List the faults it can inject and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Write the server's variables (secrets included) to FILE, for `run --vars FILE`;
    /// readable by its owner only.
    #[arg(long, value_name = "FILE")]
    pub write_vars: Option<PathBuf>,
    /// Serve the token, revocation and authorization endpoints at /o/token/, /o/revoke/ and
    /// /o/authorize/ instead of Auth0's paths, as its discovery document says (try `run
    /// --discover`).
    #[arg(long)]
    pub other_paths: bool,
    /// Serve https with a certificate for 127.0.0.1 and localhost, signed by a throwaway CA
    /// made at start (see --write-ca): for apps whose Auth0 SDK only speaks https.
    #[arg(long)]
    pub tls: bool,
    /// Write the CA certificate (PEM) of --tls to FILE, for the app to trust
    /// (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, `run --cacert`).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub write_ca: Option<PathBuf>,
    /// Where the documentation and real tenants differ, answer as documented (the seed
    /// table) or as tenants are seen to (the known-deviations set auth0-observed: an unknown
    /// refresh token gets 403 invalid_grant, a wrong secret 401 access_denied "Unauthorized").
    #[arg(long, value_enum, default_value_t = crate::reference::Answers::Documented)]
    pub answers: crate::reference::Answers,
    /// Let --write-vars and --write-ca replace files that are already there.
    #[arg(long)]
    pub overwrite: bool,
    /// Keep at most N connections open; a further client takes the place of the connection
    /// idle longest (a second at least), or waits until one closes (a line on standard error
    /// says when the limit is reached, at most once a minute).
    #[arg(long, value_name = "N", default_value_t = crate::reference::Bounds::default().max_connections as u64,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: u64,
    /// Close a connection that has not sent a whole request head within MS milliseconds of
    /// opening or of its last answer (silent, half-sent or idle keep-alive), a TLS handshake, or
    /// an answer it leaves unread that long; a request body must arrive within as long (else
    /// 408).
    #[arg(long, value_name = "MS", default_value_t = crate::reference::Bounds::default().read_timeout.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub read_timeout: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per case, failure details at the end.
    Pretty,
    /// One character per case.
    Terse,
    /// libtest-style JSON lines.
    Json,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("the timeout must be more than 0 and at most 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Requests a second against a `--target` when `--rate` is not given.
const DEFAULT_RATE: f64 = 20.0;

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of requests a second"))?;
    if !(rate == 0.0 || (0.01..=100_000.0).contains(&rate)) {
        return Err(
            "the rate must be 0 (no limit) or from 0.01 to 100000 requests a second".into(),
        );
    }
    Ok(rate)
}

fn parse_max_wait(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.0..=3600.0).contains(&secs) {
        return Err("--max-wait must be from 0 to 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The profile, and where its cases and schemas come from.
fn folders(f: &Folders) -> (Profile, Source, Source) {
    let base = f
        .cases
        .clone()
        .map_or(Source::BuiltIn(BuiltIn::Cases(f.profile)), Source::Dir);
    let cases = if f.add_cases.is_empty() {
        base
    } else {
        Source::Many(
            std::iter::once(base)
                .chain(f.add_cases.iter().cloned().map(Source::Dir))
                .collect(),
        )
    };
    (
        f.profile,
        cases,
        f.schemas
            .clone()
            .map_or(Source::BuiltIn(BuiltIn::Schemas), Source::Dir),
    )
}

/// Runs the command and returns its exit code.
pub fn exec(cli: Cli) -> Result<u8, Error> {
    // Colour is decided once, for every command: in the session for those that load the
    // catalogue, by `diff` for its own `--color`, here for the others (they colour nothing
    // of their own, but what they print through `anstream` follows the same rule).
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Lint(_) | Command::Explain(_) | Command::Diff(_)
    ) {
        colour::for_stdout(Color::Auto);
    }
    match cli.command {
        Command::Run(args) => run::run(run_options(*args)?),
        Command::Lint(args) => lint(args),
        Command::Coverage(f) => coverage(&f),
        Command::Serve(args) => serve(args),
        Command::Explain(args) => explain(args),
        Command::Diff(args) => diff(&args),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Export { dir, profile } => crate::commands::export::export(&dir, profile),
        Command::Init(args) => {
            let (profile, cases, schemas) = folders(&args.folders);
            crate::commands::init::init(
                &args.dir,
                profile,
                &cases,
                &schemas,
                args.overwrite,
                args.gitlab,
            )
        }
    }
}

/// The options `run` runs with, from its flags, the environment and the files they name.
fn run_options(args: RunArgs) -> Result<RunOptions, Error> {
    let session = Session::new(folders(&args.folders), args.target.vars.given(), args.color)?;
    let cacert = match &args.cacert {
        Some(path) => {
            let shown = path.display().to_string();
            // Read as every input file is: a FIFO would hang the run, /dev/zero fill memory.
            let (pem, _) = crate::base::source::read_input(path, "CA certificates file")
                .map_err(|e| Error::Usage(format!("--cacert {shown}: {e}")))?;
            Some((shown, pem.into_bytes()))
        }
        None => None,
    };
    let rate = match args.rate {
        Some(rate) => (rate > 0.0).then_some(rate),
        None => args.target.target.is_some().then_some(DEFAULT_RATE),
    };
    let env = &session.env;
    let github = match args.annotations {
        Annotations::Github => true,
        Annotations::None => false,
        Annotations::Auto => env
            .iter()
            .any(|(k, v)| k == "GITHUB_ACTIONS" && v == "true"),
    };
    let step_summary = env
        .iter()
        .find(|(k, v)| github && k == "GITHUB_STEP_SUMMARY" && !v.is_empty())
        .map(|(_, v)| PathBuf::from(v));
    Ok(RunOptions {
        target: args.target.target,
        junit: args.junit,
        report_json: args.report_json,
        report_html: args.report_html,
        step_summary,
        annotations: github,
        deviations: args.deviations,
        policy: Policy {
            jobs: usize::from(args.jobs),
            rate,
            retries: args.retries,
            max_wait: args.max_wait,
        },
        timeout: args.timeout,
        tls: Tls {
            cacert,
            insecure: args.insecure,
        },
        filter: args.filter,
        exact: args.exact,
        skip: args.skip,
        list: args.list,
        format: match args.format {
            Format::Pretty => FormatSetting::Pretty,
            Format::Terse => FormatSetting::Terse,
            Format::Json => FormatSetting::Json,
        },
        allow_origins: args.allow_origin,
        discover: args.discover,
        gate: GatePolicy {
            no_tests: args.no_tests,
            fail_on_skip: args.fail_on_skip,
        },
        session,
    })
}

fn lint(args: LintArgs) -> Result<u8, Error> {
    let session = Session::new(folders(&args.folders), args.vars.given(), Color::Auto)?;
    let linted = crate::commands::lint::lint(&session, args.deviations.as_deref())?;
    for warning in &linted.warnings {
        anstream::eprintln!("lint: warning: {warning}");
    }
    print(&format!("{}\n", linted.summary))?;
    Ok(EXIT_OK)
}

fn coverage(f: &Folders) -> Result<u8, Error> {
    let (profile, cases, schemas) = folders(f);
    let catalogue = Catalogue::load(profile, &cases, &schemas)?;
    let table = seed::tables(profile);
    let coverage = Coverage::of(&table, &catalogue.cases);
    // Case ids and documented descriptions are the case files' text.
    print(&crate::base::redact::neutralise(
        &coverage.render(&table),
        true,
    ))?;
    Ok(if coverage.uncovered() == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

fn diff(args: &DiffArgs) -> Result<u8, Error> {
    let colour = colour::for_stdout(args.color);
    crate::commands::diff::diff(&crate::commands::diff::Options {
        old: args.old.clone(),
        new: args.new.clone(),
        format: args.format,
        colour: colour && args.format == crate::commands::diff::Format::Pretty,
    })
}

fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "authconform",
        &mut out,
    );
    print(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

fn man() -> Result<u8, Error> {
    let page =
        crate::commands::man::page(<Cli as clap::CommandFactory>::command()).map_err(|source| {
            Error::Write {
                path: "standard output".into(),
                source,
            }
        })?;
    print(&page)?;
    Ok(EXIT_OK)
}

fn explain(args: ExplainArgs) -> Result<u8, Error> {
    let session = Session::new(
        folders(&args.folders),
        args.target.vars.given(),
        Color::Auto,
    )?;
    let text = crate::commands::explain::command(
        &args.case,
        args.target.target.as_deref(),
        &session,
        &args.allow_origin,
    )?;
    print(&text)?;
    Ok(EXIT_OK)
}

fn serve(args: ServeArgs) -> Result<u8, Error> {
    crate::commands::serve::serve(&crate::commands::serve::Options {
        profile: args.profile,
        port: args.port,
        fault: args.fault,
        latency: Duration::from_millis(args.latency),
        list_faults: args.list_faults,
        write_vars: args.write_vars,
        overwrite: args.overwrite,
        other_paths: args.other_paths,
        tls: args.tls,
        write_ca: args.write_ca,
        answers: args.answers,
        bounds: crate::reference::Bounds {
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            read_timeout: Duration::from_millis(args.read_timeout),
        },
    })
}

//! `authconform serve`: the reference server on 127.0.0.1 until a signal, saying where it
//! listens and the variables it provides (`--write-vars` writes them for `run --vars`).

use std::{path::PathBuf, time::Duration};

use crate::{
    base::error::{EXIT_OK, Error, print},
    base::source::Profile,
    catalogue::vars::VarsFile,
    reference::{self, Fault},
};

/// What `serve` was asked to do.
pub struct Options {
    pub profile: Profile,
    pub port: u16,
    pub fault: Option<Fault>,
    pub latency: Duration,
    pub list_faults: bool,
    pub write_vars: Option<PathBuf>,
    /// Replace an existing `write_vars` file.
    pub overwrite: bool,
    /// Serve the discoverable endpoints at other paths than Auth0's.
    pub other_paths: bool,
    /// Serve https, and write its CA certificate here.
    pub tls: bool,
    pub write_ca: Option<PathBuf>,
    /// Documented answers, or those real tenants give.
    pub answers: reference::Answers,
    /// The connections it keeps open, and how long a request may take to arrive.
    pub bounds: reference::Bounds,
}

/// Writes a file for another program: readable by its owner only (0600, as it may hold
/// secrets), never over a file that is already there unless `overwrite` says so, and never
/// through a symbolic link (which would put the secrets wherever the link points: a link is
/// refused, and one put there after the check is not followed).
fn write_private_file(
    flag: &str,
    path: &std::path::Path,
    text: &str,
    overwrite: bool,
) -> Result<(), Error> {
    use std::io::Write;
    let failed = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let existing = path.symlink_metadata().ok();
    if existing.as_ref().is_some_and(std::fs::Metadata::is_symlink) {
        return Err(Error::Usage(format!(
            "{flag} {}: a symbolic link; give the path of the file itself",
            path.display()
        )));
    }
    if existing.is_some() && !overwrite {
        return Err(Error::Usage(format!(
            "{flag} {}: the file exists; give --overwrite to replace it",
            path.display()
        )));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let mut file = options.open(path).map_err(failed)?;
    // An existing file keeps its mode when opened: made private before anything is written.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    file.set_len(0)
        .and_then(|()| file.write_all(text.as_bytes()))
        .map_err(failed)
}

/// Runs the reference server until a signal, or lists its faults.
pub fn serve(args: &Options) -> Result<u8, Error> {
    if args.list_faults {
        return list_faults(args.profile);
    }
    check(args)?;
    let runtime = crate::commands::run::runtime()?;
    // Stopped like a run: SIGINT, SIGTERM or SIGHUP; watched before the address is printed, so
    // that whoever reads it can stop the server at once.
    let mut stop =
        crate::execution::execute::watch_signals("stopping the server", std::sync::Arc::default())?;
    runtime.block_on(async {
        let server = reference::bind(
            reference::Config {
                profile: args.profile,
                fault: args.fault,
                latency: args.latency,
                other_paths: args.other_paths,
                tls: args.tls,
                answers: args.answers,
                bounds: args.bounds,
            },
            args.port,
        )
        .await
        .map_err(|source| Error::Start {
            what: "the reference server",
            source,
        })?;
        announce(args, &server)?;
        let _ = stop.wait_for(Option::is_some).await;
        drop(server);
        Ok(EXIT_OK)
    })
}

/// `--list-faults`: the profile's faults, each with the checks that must catch it.
fn list_faults(profile: Profile) -> Result<u8, Error> {
    let all = Fault::all();
    let faults = || all.iter().filter(|f| f.profile() == profile);
    let width = faults().map(|d| d.name().len()).max().unwrap_or(0);
    for d in faults() {
        print(&format!(
            "{:<width$}  {} (caught by: {})\n",
            d.name(),
            d.description(),
            d.caught_by()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    Ok(EXIT_OK)
}

/// Flags that contradict each other or the profile: usage errors, before anything starts.
fn check(args: &Options) -> Result<(), Error> {
    if let Some(fault) = args.fault
        && fault.profile() != args.profile
    {
        return Err(Error::Usage(format!(
            "--fault {fault}: a fault of the {} profile; give --profile {} (`serve --profile {} --list-faults` lists the {} ones)",
            fault.profile(),
            fault.profile(),
            args.profile,
            args.profile,
        )));
    }
    if args.overwrite && args.write_vars.is_none() && args.write_ca.is_none() {
        return Err(Error::Usage(
            "--overwrite replaces the files of --write-vars or --write-ca; give one of them".into(),
        ));
    }
    if args.answers == reference::Answers::Observed && args.profile != Profile::Auth0 {
        return Err(Error::Usage(
            "--answers observed follows what Auth0 tenants are seen to send; it needs --profile auth0".into(),
        ));
    }
    if args.other_paths && args.profile != Profile::Auth0 {
        return Err(Error::Usage(
            "--other-paths moves Auth0's endpoints; the rfc profile's server has no Auth0 paths to move".into(),
        ));
    }
    Ok(())
}

/// Prints where the server listens, what it does on purpose and its variables, and writes the
/// files asked for.
fn announce(args: &Options, server: &reference::Running) -> Result<(), Error> {
    print(&format!(
        "authconform reference server ({} profile) listening on {}\n",
        args.profile,
        server.url()
    ))?;
    if !args.latency.is_zero() {
        print(&format!(
            "answering every request after {} ms\n",
            args.latency.as_millis()
        ))?;
    }
    if args.answers == reference::Answers::Observed {
        print(
            "answering as Auth0 tenants are seen to, where they differ from the table (the known-deviations set auth0-observed)\n",
        )?;
    }
    if let Some(f) = args.fault {
        print(&format!(
            "fault injected on purpose: {} ({})\n",
            f.name(),
            f.description()
        ))?;
    }
    print("variables it provides:\n")?;
    let mut file = VarsFile::default();
    for (name, value, secret) in server.variables() {
        print(&format!(
            "  {name:<24} {}\n",
            if secret {
                "*** (secret; see --write-vars)"
            } else {
                value.as_str()
            }
        ))?;
        file.set(name, &value, secret);
    }
    if args.profile == Profile::Auth0 {
        print(&format!(
            "for apps: client {} is rate-limited on the token endpoint (its 4th request in 10 s gets 429; secret in --write-vars under $app)\n",
            reference::LIMITED_CLIENT_ID
        ))?;
        print(&format!(
            "for apps: client {} is a confidential regular web app with the user grants (code, refresh token, password, passwordless OTP, MFA; not client_credentials; secret under $app)\n",
            reference::WEB_CLIENT_ID
        ))?;
        // What an app needs and the catalogue does not; a run ignores `$` members.
        let mut app = serde_json::json!({
            "url": server.url(),
            "domain": server.url().split_once("://").map_or("", |(_, d)| d),
            "limited_client_id": reference::LIMITED_CLIENT_ID,
            "limited_client_secret": { "secret": reference::LIMITED_CLIENT_SECRET },
            "web_client_id": reference::WEB_CLIENT_ID,
            "web_client_secret": { "secret": reference::WEB_CLIENT_SECRET },
        });
        if let Some(ca) = &args.write_ca {
            app["ca"] = serde_json::Value::String(ca.display().to_string());
        }
        file.note("$app", app);
    }
    if let (Some(path), Some(pem)) = (&args.write_ca, server.ca_pem()) {
        write_private_file("--write-ca", path, pem, args.overwrite)?;
        print(&format!(
            "CA certificate written to {} (trust it: NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, run --cacert)\n",
            path.display()
        ))?;
    }
    if let Some(path) = &args.write_vars {
        write_private_file("--write-vars", path, &file.text(), args.overwrite)?;
        print(&format!("variables written to {}\n", path.display()))?;
    }
    print(&try_line(args, server))
}

/// The command that runs the catalogue against this server.
fn try_line(args: &Options, server: &reference::Running) -> String {
    format!(
        "try: authconform run {}--target {}{} --vars {}{}   (Ctrl-C or SIGTERM stops the server)\n",
        args.profile.flag(),
        server.url(),
        match (&args.write_ca, args.tls) {
            (Some(ca), _) => format!(" --cacert {}", ca.display()),
            (None, true) => " --cacert CA_FILE (see --write-ca)".to_owned(),
            (None, false) => String::new(),
        },
        args.write_vars
            .as_ref()
            .map_or("FILE".to_owned(), |p| p.display().to_string()),
        // The observed answers are the built-in set's departures from the table.
        if args.answers == reference::Answers::Observed {
            " --deviations auth0-observed"
        } else {
            ""
        }
    )
}

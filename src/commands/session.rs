//! One resolution of the command line (as ripgrep's `HiArgs`): the flags `run`, `lint` and
//! `explain` share, the environment and the colour, turned once, fallibly, into a [`Session`]
//! that each of them reads, so that the three load the same catalogue with the same variables
//! by the same steps: [`Session::catalogue`], then `lint::inputs` (the variables applied and
//! checked).

use crate::{
    base::error::Error,
    base::source::{Profile, Source},
    catalogue::case::Catalogue,
    catalogue::vars::{self, Sources},
    commands::colour::{self, Color},
};

/// The variables given on the command line (`--var`, `--secret`, `--not-applicable`,
/// `--vars`), before they are read or checked.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub vars: Vec<String>,
    pub secrets: Vec<String>,
    /// `--not-applicable NAME=REASON`.
    pub not_applicable: Vec<String>,
    pub vars_file: Option<String>,
}

/// What a command that loads the catalogue works with, resolved once.
pub struct Session {
    /// The seed table, documented variables and (without a target) reference server.
    pub profile: Profile,
    pub cases: Source,
    pub schemas: Source,
    pub given: Given,
    /// The environment, read once: `AUTHCONFORM_VAR_*`, `AUTHCONFORM_SECRET_*`, GitHub's.
    pub env: Vec<(String, String)>,
    /// Whether standard output is coloured (`--color`, `CLICOLOR_FORCE`, `NO_COLOR`,
    /// `CLICOLOR`, a terminal), as decided for the whole process.
    pub colour: bool,
}

impl Session {
    /// Decides the colour for the process (`commands::colour`), then reads the environment:
    /// one of ours that is not UTF-8 is a usage error.
    pub fn new(
        (profile, cases, schemas): (Profile, Source, Source),
        given: Given,
        color: Color,
    ) -> Result<Session, Error> {
        let colour = colour::for_stdout(color);
        Ok(Session {
            profile,
            cases,
            schemas,
            given,
            env: vars::environment()?,
            colour,
        })
    }

    /// Where the variables come from: the `--vars` file, the environment, the flags.
    pub fn sources(&self) -> Sources<'_> {
        Sources {
            file: self.given.vars_file.as_deref(),
            env: &self.env,
            vars: &self.given.vars,
            secrets: &self.given.secrets,
            not_applicable: &self.given.not_applicable,
        }
    }

    /// The catalogue: the profile's cases (or the folders given) against the schemas.
    pub fn catalogue(&self) -> Result<Catalogue, Error> {
        Catalogue::load(self.profile, &self.cases, &self.schemas)
    }

    /// The secrets known before the variables are even assembled (flags and environment),
    /// to mask in an error that quotes what it was given.
    pub fn early_secrets(&self) -> Vec<String> {
        let flags = self
            .given
            .secrets
            .iter()
            .filter_map(|s| s.split_once('=').map(|(_, v)| v.to_owned()));
        let env = self
            .env
            .iter()
            .filter(|(k, _)| k.starts_with(vars::ENV_SECRET_PREFIX))
            .map(|(_, v)| v.clone());
        flags.chain(env).collect()
    }
}

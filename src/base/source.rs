//! Where case files and schemas come from: the copies built into the binary, or a folder given
//! with `--cases` / `--schemas`.

use std::path::{Path, PathBuf};

use crate::error::Problem;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A folder of JSON files.
#[derive(Debug, Clone)]
pub enum Source {
    /// The files that were in the repository's `profiles/` or `schemas/` folders at build time.
    BuiltIn(BuiltIn),
    Dir(PathBuf),
    /// Several folders read as one (the built-in cases and those of `--add-cases`).
    Many(Vec<Source>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    /// A profile's cases (`profiles/<name>/cases`).
    Cases(Profile),
    /// The schemas every profile shares (`schemas/`).
    Schemas,
    /// A profile's seed table, variables and deviation sets as data (`profiles/<name>/seed`).
    Seed(Profile),
}

/// Which specification a catalogue holds servers to: each profile has its own seed table,
/// cases and variables (`profiles/<name>/`), and the reference server speaks each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// Auth0's Standard Error Responses table: the Auth0 Authentication API.
    #[default]
    Auth0,
    /// The error responses of the OAuth 2.0 RFCs (6749, 6750, 7009, 8628).
    Rfc,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Auth0, Profile::Rfc];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Auth0 => "auth0",
            Profile::Rfc => "rfc",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One JSON file of a [`Source`].
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path below the folder, with forward slashes, e.g. `token/get-method.json`.
    pub rel: String,
    /// The path shown to users, e.g. `cases/token/get-method.json`.
    pub display: String,
    pub text: String,
    /// Built into the binary: proven valid by the tests, so it need not be checked against its
    /// schema at run time.
    pub built_in: bool,
}

impl Source {
    /// How the folder is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Source::BuiltIn(BuiltIn::Cases(p)) => format!("the built-in {p} cases"),
            Source::BuiltIn(BuiltIn::Schemas) => "the built-in schemas".into(),
            Source::BuiltIn(BuiltIn::Seed(p)) => format!("the built-in {p} seed table"),
            Source::Dir(dir) => dir.display().to_string(),
            Source::Many(parts) => parts
                .iter()
                .map(Source::describe)
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }

    /// Every `.json` file below the folder, sorted by relative path. Files that cannot be read
    /// become problems; the rest are still returned so that all problems are reported at once.
    pub fn files(&self, problems: &mut Vec<Problem>) -> Vec<SourceFile> {
        match self {
            Source::BuiltIn(which) => {
                let (prefix, files) = match which {
                    BuiltIn::Cases(Profile::Auth0) => {
                        ("profiles/auth0/cases", embedded::AUTH0_CASES)
                    }
                    BuiltIn::Cases(Profile::Rfc) => ("profiles/rfc/cases", embedded::RFC_CASES),
                    BuiltIn::Schemas => ("schemas", embedded::SCHEMAS),
                    BuiltIn::Seed(Profile::Auth0) => ("profiles/auth0/seed", embedded::AUTH0_SEED),
                    BuiltIn::Seed(Profile::Rfc) => ("profiles/rfc/seed", embedded::RFC_SEED),
                };
                files
                    .iter()
                    .map(|(rel, text)| SourceFile {
                        rel: (*rel).to_owned(),
                        display: format!("{prefix}/{rel}"),
                        text: (*text).to_owned(),
                        built_in: true,
                    })
                    .collect()
            }
            Source::Dir(dir) => {
                let mut listed = Vec::new();
                if let Err(e) = walk(dir, dir, &mut listed, problems) {
                    problems.push(Problem::new(
                        &dir.display().to_string(),
                        "",
                        format!("cannot read the folder: {e}"),
                    ));
                }
                listed.sort_by(|a, b| a.0.cmp(&b.0));
                read_all(listed, problems)
            }
            Source::Many(parts) => parts.iter().flat_map(|p| p.files(problems)).collect(),
        }
    }
}

/// Reads the listed files (relative path, path), on every core for a large folder: ten
/// thousand small files are mostly system calls, which run side by side.
fn read_all(listed: Vec<(String, PathBuf)>, problems: &mut Vec<Problem>) -> Vec<SourceFile> {
    const MIN_SLICE: usize = 256;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(listed.len().div_ceil(MIN_SLICE))
        .max(1);
    let read: Vec<Result<SourceFile, Problem>> = std::thread::scope(|scope| {
        let workers: Vec<_> = listed
            .chunks(listed.len().div_ceil(threads).max(1))
            .map(|slice| {
                scope.spawn(move || {
                    slice
                        .iter()
                        .map(|(rel, path)| {
                            let display = path.display().to_string();
                            match read_text(path) {
                                Ok(text) => Ok(SourceFile {
                                    rel: rel.clone(),
                                    display,
                                    text,
                                    built_in: false,
                                }),
                                Err(message) => Err(Problem::new(&display, "", message)),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("reading a file does not panic"))
            .collect()
    });
    let mut files = Vec::with_capacity(read.len());
    for one in read {
        match one {
            Ok(file) => files.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    files
}

/// Lists the `.json` files below `dir` as (path relative to `base`, path); reading them is
/// [`read_all`]'s.
fn walk(
    base: &Path,
    dir: &Path,
    found: &mut Vec<(String, PathBuf)>,
    problems: &mut Vec<Problem>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let display = path.display().to_string();
        // Not followed: a link to a folder could lead back up and never end.
        if entry.file_type()?.is_dir() {
            if let Err(e) = walk(base, &path, found, problems) {
                problems.push(Problem::new(
                    &display,
                    "",
                    format!("cannot read the folder: {e}"),
                ));
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let rel = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        found.push((rel, path));
    }
    Ok(())
}

/// The most a case or schema file may hold; anything larger is not a hand-written file.
pub const MAX_FILE: u64 = 1024 * 1024;

/// Reads a regular file of at most [`MAX_FILE`] bytes of UTF-8. A FIFO or device is refused
/// before it is opened, since reading one could block forever.
fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{} bytes is too large for a case or schema file (at most {MAX_FILE})",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

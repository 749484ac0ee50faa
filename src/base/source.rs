//! Where case files and schemas come from: the copies built into the binary, or a folder given
//! with `--cases` / `--schemas`.

use std::path::{Path, PathBuf};

use crate::base::error::Problem;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A folder of JSON files.
#[derive(Debug, Clone)]
pub enum Source {
    /// The files that were in the repository's `cases/` or `schemas/` folders at build time.
    BuiltIn(BuiltIn),
    Dir(PathBuf),
    /// Several folders read as one (the built-in cases and those of `--add-cases`).
    Many(Vec<Source>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    /// A profile's cases (the group folders of `cases/<name>/`).
    Cases(Profile),
    /// The schemas every profile shares (`schemas/`).
    Schemas,
    /// A profile's seed table, variables and deviation sets as data (the files at the top of
    /// `cases/<name>/`).
    Seed(Profile),
}

/// Which specification a catalogue holds servers to: each profile has its own seed table,
/// cases and variables (`cases/<name>/`), and the reference server speaks each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// Auth0's Standard Error Responses table: the Auth0 Authentication API.
    #[default]
    Auth0,
    /// The error responses of the OAuth 2.0 RFCs (6749, 6750, 7009, 8628).
    Rfc,
}

impl Profile {
    /// Every profile, in the order of the variants (a test holds it to them, to clap's names
    /// and to the folders of `cases/`, which the build embeds one each).
    pub const ALL: [Profile; 2] = [Profile::Auth0, Profile::Rfc];

    /// The profile's name: its folder `cases/<name>/` and its `--profile` value.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Auth0 => "auth0",
            Profile::Rfc => "rfc",
        }
    }

    /// What a command line adds to choose this profile: nothing for the default, else
    /// `--profile NAME ` (with its space).
    pub fn flag(self) -> String {
        if self == Profile::default() {
            String::new()
        } else {
            format!("--profile {self} ")
        }
    }

    /// The profile's files built into the binary: its cases, and its data (seed table,
    /// variables, deviation sets).
    fn embedded(self) -> (embedded::Files, embedded::Files) {
        embedded::PROFILES
            .iter()
            .find(|(name, ..)| *name == self.name())
            .map(|(_, cases, data)| (*cases, *data))
            .unwrap_or_else(|| panic!("cases/{self}/ is built in"))
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `rel`, a file of a cases folder, is a built-in profile's data (its seed table or a
/// deviation set, which sit at the top of `cases/<name>/` beside the group folders) rather than
/// a case, so that `--cases cases/auth0` in the repository reads its cases alone. The folder's
/// `variables.json` is not: it declares the folder's variables, as in any cases folder.
pub fn is_profile_data(rel: &str) -> bool {
    rel != "variables.json"
        && embedded::PROFILES
            .iter()
            .any(|(_, _, data)| data.iter().any(|(file, _)| *file == rel))
}

/// How a built-in case file is named to users (in reports, annotations and messages): the
/// user's repository has no `cases/auth0/`, so not by that path but by the command that
/// writes the file out and where it lands. Its lines are the built-in file's.
pub fn built_in_case(profile: Profile, rel: &str) -> String {
    format!("{BUILT_IN_CASE}authconform export --profile {profile} DIR writes DIR/cases/{rel})")
}

/// How every [`built_in_case`] name starts.
const BUILT_IN_CASE: &str = "built in (";

/// Whether `file`, a case's file as shown to users, names a built-in case (made by
/// [`built_in_case`]) rather than a file on disk.
pub fn is_built_in_case(file: &str) -> bool {
    file.starts_with(BUILT_IN_CASE) && file.ends_with(".json)")
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
        let listed = self.list(problems);
        read_all(&listed, problems)
    }

    /// Every `.json` file below the folder, sorted by relative path, not yet read (see
    /// [`Listed::read`]): a large folder's files can then be read where they are parsed, each
    /// text dropped before the next is read. A folder that cannot be listed is a problem.
    pub fn list(&self, problems: &mut Vec<Problem>) -> Vec<Listed> {
        match self {
            Source::BuiltIn(which) => {
                let files = match which {
                    BuiltIn::Cases(profile) => profile.embedded().0,
                    BuiltIn::Schemas => embedded::SCHEMAS,
                    BuiltIn::Seed(profile) => profile.embedded().1,
                };
                files
                    .iter()
                    .map(|(rel, text)| Listed {
                        rel: (*rel).to_owned(),
                        at: At::BuiltIn {
                            which: *which,
                            text,
                        },
                    })
                    .collect()
            }
            Source::Dir(dir) => {
                let mut listed = Vec::new();
                let mut folders = Vec::new();
                if let Err(e) = walk_one("", dir, &mut listed, &mut folders) {
                    problems.push(Problem::new(
                        &dir.display().to_string(),
                        "",
                        format!("cannot read the folder: {e}"),
                    ));
                }
                // A large tree is many folders: they are listed on every core, one top-level
                // folder at a time.
                let threads = if folders.len() < 8 {
                    1
                } else {
                    crate::base::parallel::cores()
                };
                let shares = crate::base::parallel::map_chunks(&folders, 1, threads, |share| {
                    let mut found = Vec::new();
                    let mut trouble = Vec::new();
                    for (rel, path) in share {
                        walk_into(rel, path, &mut found, &mut trouble);
                    }
                    (found, trouble)
                });
                for (found, trouble) in shares {
                    listed.extend(found);
                    problems.extend(trouble);
                }
                listed.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
                listed
            }
            Source::Many(parts) => parts.iter().flat_map(|p| p.list(problems)).collect(),
        }
    }
}

/// One JSON file of a [`Source`], listed but not read yet.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The path below the folder, with forward slashes, e.g. `token/get-method.json`.
    pub rel: String,
    at: At,
}

#[derive(Debug, Clone)]
enum At {
    BuiltIn {
        which: BuiltIn,
        text: &'static str,
    },
    /// `regular`: the folder listing said it is a regular file (not a link, FIFO or device),
    /// so it can be opened without asking the file system first.
    Path {
        path: PathBuf,
        regular: bool,
    },
}

impl Listed {
    /// The file as shown to users: its path (e.g. `cases/token/get-method.json`), or for a
    /// built-in case where `authconform export` writes it (see [`built_in_case`]).
    pub fn display(&self) -> String {
        match &self.at {
            At::BuiltIn {
                which: BuiltIn::Cases(profile),
                ..
            } => built_in_case(*profile, &self.rel),
            At::BuiltIn {
                which: BuiltIn::Schemas,
                ..
            } => format!("schemas/{}", self.rel),
            At::BuiltIn {
                which: BuiltIn::Seed(profile),
                ..
            } => format!("cases/{profile}/{}", self.rel),
            At::Path { path, .. } => path.display().to_string(),
        }
    }

    /// The file on disk; none for a file built into the binary.
    pub fn path(&self) -> Option<&Path> {
        match &self.at {
            At::BuiltIn { .. } => None,
            At::Path { path, .. } => Some(path),
        }
    }

    /// Built into the binary: proven valid by the tests.
    pub fn built_in(&self) -> bool {
        matches!(self.at, At::BuiltIn { .. })
    }

    /// The file's text, read into `buf` (which keeps its capacity for the next file) unless it
    /// is built in; why it cannot be read otherwise.
    pub fn read<'a>(&'a self, buf: &'a mut Vec<u8>) -> Result<&'a str, String> {
        match &self.at {
            At::BuiltIn { text, .. } => Ok(text),
            At::Path { path, regular } => {
                read_text(path, *regular, buf, "case or schema file", MAX_FILE)?;
                std::str::from_utf8(buf).map_err(|e| {
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.valid_up_to()
                    )
                })
            }
        }
    }

    /// The file read whole, or the problem that says why it cannot be.
    pub fn read_file(&self) -> Result<SourceFile, Problem> {
        let display = self.display();
        let mut buf = Vec::new();
        match self.read(&mut buf) {
            Ok(text) => Ok(SourceFile {
                rel: self.rel.clone(),
                text: text.to_owned(),
                built_in: self.built_in(),
                display,
            }),
            Err(message) => Err(Problem::new(&display, "", message)),
        }
    }
}

/// Reads the listed files, on every core for a large folder: ten thousand small files are
/// mostly system calls, which run side by side.
fn read_all(listed: &[Listed], problems: &mut Vec<Problem>) -> Vec<SourceFile> {
    let threads = crate::base::parallel::threads_for(listed.len());
    let read = crate::base::parallel::map_chunks(
        listed,
        listed.len().div_ceil(threads),
        threads,
        |slice: &[Listed]| -> Vec<Result<SourceFile, Problem>> {
            slice.iter().map(Listed::read_file).collect()
        },
    );
    let mut files = Vec::with_capacity(listed.len());
    for one in read.into_iter().flatten() {
        match one {
            Ok(file) => files.push(file),
            Err(problem) => problems.push(problem),
        }
    }
    files
}

/// Lists the `.json` files below `dir`, named by their path relative to the folder listed
/// first (`rel`: that path of `dir`, ending in `/` unless empty); reading them is
/// [`Listed::read`]'s.
/// Lists the `.json` files of `dir` itself into `found` and its folders into `folders`, with
/// their paths relative to the folder listed first. Links are not followed: a link to a folder
/// could lead back up and never end.
fn walk_one(
    rel: &str,
    dir: &Path,
    found: &mut Vec<Listed>,
    folders: &mut Vec<(String, PathBuf)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            folders.push((format!("{rel}{name}/"), path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        found.push(Listed {
            rel: format!("{rel}{name}"),
            at: At::Path {
                path,
                regular: kind.is_file(),
            },
        });
    }
    Ok(())
}

/// Lists the folder `dir` (at `rel`) and every folder below it, depth first; a folder that
/// cannot be read is a problem, and the rest goes on.
fn walk_into(rel: &str, dir: &Path, found: &mut Vec<Listed>, problems: &mut Vec<Problem>) {
    let mut folders = Vec::new();
    if let Err(e) = walk_one(rel, dir, found, &mut folders) {
        problems.push(Problem::new(
            &dir.display().to_string(),
            "",
            format!("cannot read the folder: {e}"),
        ));
    }
    for (rel, path) in folders {
        walk_into(&rel, &path, found, problems);
    }
}

/// The most a case or schema file may hold (and a variables or deviations file); anything
/// larger is not a hand-written file.
pub const MAX_FILE: u64 = 1024 * 1024;

/// Reads a file named on the command line (`--vars`, `--deviations`) as case files are read: a
/// regular file of at most [`MAX_FILE`] bytes, UTF-8. `what` names it in messages ("variables
/// file"). Returns the text and what the file system says of the file that was read (its
/// permissions, for one that holds secrets).
pub fn read_input(path: &Path, what: &str) -> Result<(String, std::fs::Metadata), String> {
    read_input_up_to(path, what, MAX_FILE)
}

/// [`read_input`] for a file that a program wrote and that may be larger than a hand-written
/// one (a JSON report, for `diff`): at most `max` bytes.
pub fn read_input_up_to(
    path: &Path,
    what: &str,
    max: u64,
) -> Result<(String, std::fs::Metadata), String> {
    let mut buf = Vec::new();
    let meta = read_text(path, false, &mut buf, what, max)?
        .expect("a file not known to be regular is asked what it is");
    let text = String::from_utf8(buf).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((text, meta))
}

/// Reads a regular file of at most `max` bytes into `buf`. A FIFO or device is refused
/// before it is opened, since reading one could block forever (a FIFO) or never end
/// (`/dev/zero`): unless the folder listing said the file is regular (`regular`), the file
/// system is asked what it is first, and asked again of the file opened (so a file swapped
/// for a FIFO in between is still refused), which is returned. The file is opened without
/// waiting for a writer, so that even a FIFO swapped in after the listing cannot hold the read.
fn read_text(
    path: &Path,
    regular: bool,
    buf: &mut Vec<u8>,
    what: &str,
    max: u64,
) -> Result<Option<std::fs::Metadata>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read the file: {e}");
    let too_large = |len: u64| format!("{len} bytes is too large for a {what} (at most {max})");
    let judge = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(format!("not a regular file but {}", kind_of(meta)));
        }
        if meta.len() > max {
            return Err(too_large(meta.len()));
        }
        Ok(())
    };
    if !regular {
        judge(&std::fs::metadata(path).map_err(cannot)?)?;
    }
    let file = open_without_waiting(path).map_err(cannot)?;
    let meta = if regular {
        None
    } else {
        let meta = file.metadata().map_err(cannot)?;
        judge(&meta)?;
        Some(meta)
    };
    buf.clear();
    // Room for a hand-written file, so that it is read in one call (and one more that finds
    // its end) into a buffer that is reused for the next file.
    buf.reserve(16 * 1024);
    let read = (&file).take(max + 1).read_to_end(buf).map_err(cannot)?;
    if read as u64 > max {
        // The size the file system gives, where it knows it (a file in /proc says 0).
        let said = file.metadata().map_or(0, |m| m.len());
        return Err(if said > max {
            too_large(said)
        } else {
            format!("more than {max} bytes is too large for a {what}")
        });
    }
    Ok(meta)
}

/// Opens `path` for reading; on unix without blocking (`O_NONBLOCK`), which a FIFO with no
/// writer would, and which changes nothing for a regular file.
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// What a file that is not a regular one is, for messages: "a folder", "a FIFO", ...
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    if kind.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file named on the command line is read as a case file is: a regular file of at most
    /// [`MAX_FILE`] bytes. `/dev/zero` once grew memory until allocation failed and a FIFO
    /// hung the run: both are refused before they are read, without waiting for a writer.
    #[cfg(unix)]
    #[test]
    fn an_input_is_a_small_regular_file_or_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let huge = dir.path().join("huge.json");
        std::fs::write(&huge, vec![b' '; MAX_FILE as usize + 1]).unwrap();
        let latin1 = dir.path().join("latin1.json");
        std::fs::write(&latin1, b"{\"a\": \"\xe9\"}").unwrap();
        let good = dir.path().join("good.json");
        std::fs::write(&good, "{}").unwrap();
        let read = |path: &Path| read_input(path, "variables file").map(|(text, _)| text);
        assert_eq!(
            read(Path::new("/dev/zero")),
            Err("not a regular file but a device".into())
        );
        assert_eq!(
            read(&fifo),
            Err("not a regular file but a FIFO (named pipe)".into())
        );
        assert_eq!(
            read(dir.path()),
            Err("not a regular file but a folder".into())
        );
        assert_eq!(
            read(&huge),
            Err("1048577 bytes is too large for a variables file (at most 1048576)".into())
        );
        assert_eq!(
            read(&latin1),
            Err("not UTF-8 text (invalid byte at offset 7)".into())
        );
        assert_eq!(read(&good), Ok("{}".into()));
        // A FIFO swapped in after the listing said "regular" is opened without waiting, and
        // read as empty.
        let mut buf = Vec::new();
        assert!(matches!(
            read_text(&fifo, true, &mut buf, "case file", MAX_FILE),
            Ok(None)
        ));
        assert!(buf.is_empty());
    }

    /// The profiles are listed once, as `Profile`'s variants: `ALL` holds each, clap names
    /// each as `name` does, and the build embeds a folder of `cases/` for each and no other.
    #[test]
    fn every_profile_is_a_variant_a_value_and_a_folder() {
        use clap::ValueEnum;
        assert_eq!(Profile::ALL.as_slice(), Profile::value_variants());
        for p in Profile::ALL {
            assert_eq!(p.to_possible_value().unwrap().get_name(), p.name());
            assert!(
                !p.embedded().0.is_empty() && !p.embedded().1.is_empty(),
                "{p}"
            );
        }
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
        let mut folders: Vec<&str> = embedded::PROFILES.iter().map(|(n, ..)| *n).collect();
        folders.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(folders, sorted);
        assert_eq!(Profile::default().flag(), "");
        assert_eq!(Profile::Rfc.flag(), "--profile rfc ");
    }

    /// A tree of many folders (listed on several threads) lists exactly its `.json` files, at
    /// every depth, sorted, with forward-slash names; links to folders are not followed.
    #[test]
    fn a_large_tree_lists_every_json_file_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = vec!["top.json".to_owned()];
        std::fs::write(dir.path().join("top.json"), "{}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        for f in 0..12 {
            let folder = dir.path().join(format!("f{f:02}/inner"));
            std::fs::create_dir_all(&folder).unwrap();
            for c in 0..3 {
                std::fs::write(folder.join(format!("c{c}.json")), "{}").unwrap();
                expected.push(format!("f{f:02}/inner/c{c}.json"));
            }
            std::fs::write(dir.path().join(format!("f{f:02}/x.json")), "{}").unwrap();
            expected.push(format!("f{f:02}/x.json"));
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("f00"), dir.path().join("f99")).unwrap();
        expected.sort();
        let mut problems = Vec::new();
        let listed: Vec<String> = Source::Dir(dir.path().to_owned())
            .list(&mut problems)
            .into_iter()
            .map(|l| l.rel)
            .collect();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(listed, expected);
    }
}

//! Report files, written so that no moment of a run leaves one empty or cut: a report is written
//! whole to a temporary file beside it and renamed over it, so a run killed at any point (even by
//! SIGKILL) leaves the previous complete report or the new one. Where a path is no file to
//! replace (the step summary GitHub appends to, `/dev/stdout`, a pipe, the terminal's own log)
//! it is written in place instead.
//!
//! A report never harms an input: it is not written through a symbolic link (which could point
//! at any file the run's user may write), two reports may not share a file, and none may be a
//! file the run reads (the `--vars` file with its secrets, a case or schema file, the program).

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use crate::base::error::Error;

/// A report file, checked before anything is sent so that a bad path is a usage error.
pub struct ReportFile {
    path: PathBuf,
    how: How,
    /// What the path names, to tell it from the other reports and the inputs; none for a
    /// device, pipe or terminal, where nothing is replaced and nothing can be lost.
    claim: Option<Claim>,
}

enum How {
    /// Replaced: a temporary file beside it is renamed over `path` itself, which replaces
    /// whatever is there (a link put there since included), never the file a link points at;
    /// `mode` is the permissions of the report it replaces, kept.
    Replace { mode: Option<u32> },
    /// Written through a handle opened now, appending.
    InPlace(std::fs::File),
}

/// A file as the file system knows it (device and inode), whatever path names it: hard links
/// and links followed come to the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId(u64, u64);

/// What a report path names: the real path of its folder with its name, and the file there
/// (when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim {
    place: Option<PathBuf>,
    file: Option<FileId>,
}

impl Claim {
    fn same(&self, other: &Claim) -> bool {
        (self.place.is_some() && self.place == other.place)
            || (self.file.is_some() && self.file == other.file)
    }
}

/// A report's temporary file beside it, made before the gate is decided (so that a folder
/// no longer writable fails the gate of every report), written and put in place after.
pub struct Staged<'a> {
    file: &'a ReportFile,
    temp: tempfile::NamedTempFile,
}

impl ReportFile {
    /// Checks that the report can be written: an existing folder, writable, no folder and no
    /// symbolic link at the path. `append` is for a file that belongs to others as well (the
    /// step summary): it is added to, never replaced.
    pub fn create(path: &Path, append: bool) -> Result<ReportFile, Error> {
        let failed = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        // What the path names, links followed; and whether the path itself is a link.
        let named = std::fs::metadata(path).ok();
        let link = path.is_symlink();
        if named.as_ref().is_some_and(std::fs::Metadata::is_dir) {
            return Err(failed(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a folder",
            )));
        }
        let special = named.as_ref().is_some_and(|m| !m.is_file());
        let own = named.as_ref().is_some_and(is_own_output);
        // A link is followed only to a device, pipe or terminal (`/dev/stdout`) or to this
        // process's own log: nothing there that a report could harm.
        if link && !(special || own) {
            return Err(failed(through_link(path)));
        }
        let claim = (!special).then(|| Claim {
            place: place_of(path),
            file: named.as_ref().and_then(file_id_of),
        });
        if append || special || own {
            // Appended to even where nothing asks for it: opened anew, `/dev/stdout` that is a
            // redirected log would be written from its first byte, over the log.
            // Created only where no link stands: a link judged harmless leads to what exists.
            let file = open_in_place(path, link, append && !link).map_err(failed)?;
            return Ok(ReportFile {
                path: path.to_owned(),
                how: How::InPlace(file),
                claim,
            });
        }
        let file = ReportFile {
            path: path.to_owned(),
            how: How::Replace {
                mode: named.as_ref().and_then(mode_of),
            },
            claim,
        };
        // A temporary file made and dropped now proves the folder writable, and leaves
        // nothing behind if the run is then killed.
        drop(file.temp()?);
        Ok(file)
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the report is written in place (and so cannot be staged).
    pub fn in_place(&self) -> bool {
        matches!(self.how, How::InPlace(_))
    }

    fn failed(&self, e: std::io::Error) -> Error {
        // tempfile's errors end in ` at path "<its temporary file>"`; the user knows the report.
        let text = e.to_string();
        let source = match text.split_once(" at path \"") {
            Some((cause, _)) => std::io::Error::new(e.kind(), cause.to_owned()),
            None => e,
        };
        Error::Write {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn temp(&self) -> Result<tempfile::NamedTempFile, Error> {
        let How::Replace { mode } = &self.how else {
            unreachable!("only a replaced report has a temporary file");
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".authconform-").suffix(".tmp");
        // A report holds no secret: created as any new file would be (the umask applies), or
        // with the mode of the report it replaces; not a temporary file's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(mode.unwrap_or(0o666)));
        }
        #[cfg(not(unix))]
        let _ = mode;
        builder
            .tempfile_in(folder_of(&self.path))
            .map_err(|e| self.failed(e))
    }

    /// Makes the temporary file beside the report that [`Staged::commit`] writes.
    pub fn stage(&self) -> Result<Staged<'_>, Error> {
        let temp = self.temp()?;
        Ok(Staged { file: self, temp })
    }

    /// Writes `text` where the report is written in place.
    pub fn write_in_place(&self, text: &str) -> Result<(), Error> {
        let How::InPlace(file) = &self.how else {
            unreachable!("a replaced report is staged");
        };
        let mut file = file;
        file.write_all(text.as_bytes()).map_err(|e| self.failed(e))
    }
}

impl Staged<'_> {
    /// Writes `text` to the temporary file, whole and synced, and renames it over the old
    /// report: over the path itself, so that a link put there since the check is replaced, not
    /// written through (rename(2) never follows one).
    pub fn commit(mut self, text: &str) -> Result<(), Error> {
        self.temp
            .write_all(text.as_bytes())
            .and_then(|()| self.temp.as_file().sync_all())
            .map_err(|e| self.file.failed(e))?;
        self.temp
            .persist(&self.file.path)
            .map(drop)
            .map_err(|e| self.file.failed(e.error))
    }
}

/// Refuses reports that would harm each other or an input: two on one file (the later would
/// replace the earlier; hard links and links in the folder's path come to the same), or one on
/// a file the run reads. `reports` are named by their flag; `inputs` lists what the run reads,
/// each named as the user knows it ("the --vars file v.json"), and is asked for only when a
/// report's path names a file already there: a file not there yet is no input.
pub fn refuse_overlaps(
    reports: &[(&str, &ReportFile)],
    inputs: impl FnOnce() -> Vec<(String, PathBuf)>,
) -> Result<(), Error> {
    for (i, (flag, report)) in reports.iter().enumerate() {
        let Some(claim) = &report.claim else { continue };
        let earlier = reports[..i]
            .iter()
            .find(|(_, other)| other.claim.as_ref().is_some_and(|c| c.same(claim)));
        if let Some((other_flag, other)) = earlier {
            return Err(Error::Usage(format!(
                "{other_flag} {} and {flag} {} are one file: each report needs a path of its own, or one would replace the other",
                other.path.display(),
                report.path.display()
            )));
        }
    }
    let existing: Vec<(&str, &ReportFile, FileId)> = reports
        .iter()
        .filter_map(|(flag, r)| Some((*flag, *r, r.claim.as_ref()?.file?)))
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    for (what, path) in inputs() {
        let Some(id) = file_id(&path) else { continue };
        if let Some((flag, report, _)) = existing.iter().find(|(_, _, file)| *file == id) {
            return Err(Error::Usage(format!(
                "{flag} {} is {what}: the report would replace it; give the report a path of its own",
                report.path.display()
            )));
        }
    }
    Ok(())
}

/// The file at `path`, links followed; none where there is none (or no way to know it).
pub fn file_id(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().as_ref().and_then(file_id_of)
}

#[cfg(unix)]
fn file_id_of(meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId(meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id_of(_: &std::fs::Metadata) -> Option<FileId> {
    None
}

/// The folder a report is written in: its path's parent, or the working folder.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The real path of the report's folder with the report's name: two spellings of one place
/// (`./r.xml`, `out/../r.xml`, a link to the folder) come to the same.
fn place_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    Some(std::fs::canonicalize(folder_of(path)).ok()?.join(name))
}

/// Why a report is not written through the link at `path`.
fn through_link(path: &Path) -> std::io::Error {
    let to = std::fs::read_link(path)
        .map(|target| format!(" to {}", target.display()))
        .unwrap_or_default();
    std::io::Error::other(format!(
        "it is a symbolic link{to}, and a report is never written through one (it would replace or add to whatever file the link points at): give the report's own path, or remove the link"
    ))
}

/// Opens a report written in place, appending (and creating it when `create`), without
/// waiting for a reader of a FIFO. A link is followed only where `follow` says it was judged
/// harmless, and judged again once open: changed since to lead to a file, it is refused.
#[cfg(unix)]
fn open_in_place(path: &Path, follow: bool, create: bool) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let mut flags = OFlags::WRONLY | OFlags::APPEND | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if create {
        flags |= OFlags::CREATE;
    }
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd =
        rustix::fs::open(path, flags, Mode::from_bits_truncate(0o666)).map_err(|e| match e {
            rustix::io::Errno::NXIO => std::io::Error::other("it is a FIFO that nothing reads"),
            rustix::io::Errno::LOOP if !follow => through_link(path),
            other => other.into(),
        })?;
    let file = std::fs::File::from(fd);
    if follow {
        let now = file.metadata()?;
        if now.is_file() && !is_own_output(&now) {
            return Err(through_link(path));
        }
    }
    // Only the open must not wait: writes to a pipe wait for its reader, as they always did.
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    Ok(file)
}

#[cfg(not(unix))]
fn open_in_place(path: &Path, _follow: bool, create: bool) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(create)
        .append(true)
        .open(path)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Whether `report` is this process's own standard output or error (`--junit out.log` with
/// `> out.log`): renaming a new file over it would throw away the terminal's log.
#[cfg(unix)]
fn is_own_output(report: &std::fs::Metadata) -> bool {
    let report = file_id_of(report);
    ["/proc/self/fd/1", "/proc/self/fd/2"]
        .iter()
        .any(|fd| report.is_some() && file_id(Path::new(fd)) == report)
}

#[cfg(not(unix))]
fn is_own_output(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_replaces_the_old_one_whole_and_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let file = ReportFile::create(&path, false).unwrap();
        assert!(!file.in_place());
        let staged = file.stage().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        staged.commit("new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    /// Found in review: a root run with `--junit` on a link in a world-writable folder
    /// replaced the link's target. A link (dangling or not) is refused, its target untouched;
    /// a device is written in place, and so is a link to one (`/dev/stdout`).
    #[cfg(unix)]
    #[test]
    fn links_are_refused_and_devices_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.xml");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.xml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dangling = dir.path().join("dangling.xml");
        std::os::unix::fs::symlink(dir.path().join("nowhere.xml"), &dangling).unwrap();
        for (path, append) in [(&link, false), (&link, true), (&dangling, false)] {
            let err = ReportFile::create(path, append).err().unwrap().to_string();
            assert!(
                err.starts_with(&format!(
                    "could not write {}: it is a symbolic link to ",
                    path.display()
                )),
                "{err}"
            );
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert!(!dir.path().join("nowhere.xml").exists());
        let null_link = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &null_link).unwrap();
        for path in [Path::new("/dev/null"), &null_link] {
            let file = ReportFile::create(path, false).unwrap();
            assert!(file.in_place());
            file.write_in_place("x").unwrap();
        }
        let err = ReportFile::create(&dir.path().join("missing/r.json"), false)
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains(".authconform-"), "{err}");
        assert!(err.contains("missing/r.json"), "{err}");
    }

    /// A link put at the path after the check (a race in a shared folder) is replaced by the
    /// rename, not written through; an in-place report's open refuses one too.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_after_the_check_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret.json");
        std::fs::write(&target, "secret").unwrap();
        let path = dir.path().join("r.xml");
        let file = ReportFile::create(&path, false).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        file.stage().unwrap().commit("report").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "secret");
        assert!(!path.is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "report");

        let summary = dir.path().join("summary.md");
        std::os::unix::fs::symlink(&target, &summary).unwrap();
        let err = open_in_place(&summary, false, true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("it is a symbolic link to "), "{err}");
        let err = open_in_place(&summary, true, true).unwrap_err().to_string();
        assert!(err.starts_with("it is a symbolic link to "), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "secret");
    }

    /// A FIFO that nothing reads is refused at once: opening it to write would wait for a
    /// reader for ever.
    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_reader_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("r.xml");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let err = ReportFile::create(&fifo, false).err().unwrap().to_string();
        assert_eq!(
            err,
            format!(
                "could not write {}: it is a FIFO that nothing reads",
                fifo.display()
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn reports_on_one_file_or_on_an_input_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let a = dir.path().join("r.xml");
        let b = dir.path().join("sub/../r.xml");
        let refused = |reports: &[(&str, &Path)], inputs: Vec<(String, PathBuf)>| {
            let files: Vec<(&str, ReportFile)> = reports
                .iter()
                .map(|(flag, path)| (*flag, ReportFile::create(path, false).unwrap()))
                .collect();
            let named: Vec<(&str, &ReportFile)> = files.iter().map(|(f, r)| (*f, r)).collect();
            refuse_overlaps(&named, || inputs)
                .err()
                .map(|e| e.to_string())
        };
        // Not there yet: one place by name.
        assert_eq!(
            refused(&[("--junit", &a), ("--report-html", &b)], vec![]).unwrap(),
            format!(
                "--junit {} and --report-html {} are one file: each report needs a path of its own, or one would replace the other",
                a.display(),
                b.display()
            )
        );
        // A hard link: one file by device and inode.
        std::fs::write(&a, "old").unwrap();
        let hard = dir.path().join("sub/hard.xml");
        std::fs::hard_link(&a, &hard).unwrap();
        assert!(refused(&[("--junit", &a), ("--report-json", &hard)], vec![]).is_some());
        // An input, reached through a hard link.
        let vars = dir.path().join("v.json");
        std::fs::hard_link(&a, &vars).unwrap();
        let inputs = vec![(format!("the --vars file {}", vars.display()), vars.clone())];
        assert_eq!(
            refused(&[("--report-json", &hard)], inputs).unwrap(),
            format!(
                "--report-json {} is the --vars file {}: the report would replace it; give the report a path of its own",
                hard.display(),
                vars.display()
            )
        );
        let other = dir.path().join("other.xml");
        assert_eq!(
            refused(&[("--junit", &a), ("--report-json", &other)], vec![]),
            None
        );
        // Devices share nothing that could be lost.
        assert_eq!(
            refused(
                &[
                    ("--junit", Path::new("/dev/null")),
                    ("--report-json", Path::new("/dev/null"))
                ],
                vec![("the --vars file /dev/null".into(), "/dev/null".into())]
            ),
            None
        );
    }
}

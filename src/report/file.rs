//! Report files, written so that no moment of a run leaves one empty or cut: a report is written
//! whole to a temporary file beside it and renamed over it, so a run killed at any point (even by
//! SIGKILL) leaves the previous complete report or the new one. Where a path is no file to
//! replace (the step summary GitHub appends to, `/dev/stdout`, a pipe, the terminal's own log)
//! it is written in place instead.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use crate::error::Error;

/// A report file, checked before anything is sent so that a bad path is a usage error.
pub struct ReportFile {
    path: PathBuf,
    how: How,
}

enum How {
    /// Replaced: `real` is the report's path with links followed, so the rename replaces the
    /// file and not a link to it; `mode` its permissions, kept.
    Replace { real: PathBuf, mode: Option<u32> },
    /// Written through a handle opened now, appending.
    InPlace(std::fs::File),
}

/// A report written to its temporary file, not yet in place.
pub struct Staged<'a> {
    file: &'a ReportFile,
    temp: tempfile::NamedTempFile,
}

impl ReportFile {
    /// Checks that the report can be written: an existing folder, writable, and no folder at
    /// the path. `append` is for a file that belongs to others as well (the step summary): it
    /// is added to, never replaced.
    pub fn create(path: &Path, append: bool) -> Result<ReportFile, Error> {
        let failed = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        let existing = std::fs::metadata(path).ok();
        if existing.as_ref().is_some_and(std::fs::Metadata::is_dir) {
            return Err(failed(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a folder",
            )));
        }
        let dangling_link = existing.is_none() && path.is_symlink();
        let device = path.starts_with("/dev") || path.starts_with("/proc");
        let special = existing.as_ref().is_some_and(|m| !m.is_file());
        let how = if append || dangling_link || device || special || is_own_output(path) {
            // Appended to even where nothing asks for it: opened anew, `/dev/stdout` that is a
            // redirected log would be written from its first byte, over the log.
            How::InPlace(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(failed)?,
            )
        } else {
            let real = match existing {
                Some(_) => std::fs::canonicalize(path).map_err(failed)?,
                None => path.to_owned(),
            };
            let file = ReportFile {
                path: path.to_owned(),
                how: How::Replace {
                    mode: mode_of(&real),
                    real,
                },
            };
            // A temporary file made and dropped now proves the folder writable, and leaves
            // nothing behind if the run is then killed.
            drop(file.temp()?);
            return Ok(file);
        };
        Ok(ReportFile {
            path: path.to_owned(),
            how,
        })
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
        let How::Replace { real, mode } = &self.how else {
            unreachable!("only a replaced report has a temporary file");
        };
        let folder = match real.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
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
        builder.tempfile_in(folder).map_err(|e| self.failed(e))
    }

    /// Writes `text` to a temporary file beside the report: complete, and synced, but not yet
    /// in place.
    pub fn stage(&self, text: &str) -> Result<Staged<'_>, Error> {
        let mut temp = self.temp()?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.failed(e))?;
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
    /// Renames the staged report over the old one.
    pub fn commit(self) -> Result<(), Error> {
        let How::Replace { real, .. } = &self.file.how else {
            unreachable!("only a replaced report is staged");
        };
        self.temp
            .persist(real)
            .map(drop)
            .map_err(|e| self.file.failed(e.error))
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

/// Whether `path` is this process's own standard output or error (`--junit out.log` with
/// `> out.log`): renaming a new file over it would throw away the terminal's log.
#[cfg(unix)]
fn is_own_output(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(report) = std::fs::metadata(path) else {
        return false;
    };
    ["/proc/self/fd/1", "/proc/self/fd/2"].iter().any(|fd| {
        std::fs::metadata(fd).is_ok_and(|m| m.dev() == report.dev() && m.ino() == report.ino())
    })
}

#[cfg(not(unix))]
fn is_own_output(_: &Path) -> bool {
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
        let staged = file.stage("new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        staged.commit().unwrap();
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

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_devices_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.xml");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.xml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let file = ReportFile::create(&link, false).unwrap();
        file.stage("new").unwrap().commit().unwrap();
        assert!(link.is_symlink(), "the link stays a link");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert!(
            ReportFile::create(Path::new("/dev/null"), false)
                .unwrap()
                .in_place()
        );
        let err = ReportFile::create(&dir.path().join("missing/r.json"), false)
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains(".authconform-"), "{err}");
        assert!(err.contains("missing/r.json"), "{err}");
    }
}

//! `authconform export DIR [--profile NAME]`: a profile's built-in catalogue written out, as files a team can start
//! editing: `DIR/cases`, `DIR/schemas` and `DIR/seed` (the seed table and the variables file).
//! `run --cases DIR/cases --schemas DIR/schemas` then reproduces the built-in run.

use std::path::Path;

use crate::{
    base::error::{EXIT_OK, Error, print},
    base::source::{BuiltIn, Profile, Source},
};

/// Writes the built-in files below `dir`, into folders that do not exist yet or are empty.
pub fn export(dir: &Path, profile: Profile) -> Result<u8, Error> {
    let failed = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let parts = [
        (BuiltIn::Cases(profile), "cases"),
        (BuiltIn::Schemas, "schemas"),
        (BuiltIn::Seed(profile), "seed"),
    ];
    for (_, sub) in parts {
        let folder = dir.join(sub);
        if folder.read_dir().is_ok_and(|mut d| d.next().is_some()) {
            return Err(Error::Usage(format!(
                "export: {} is not empty; export writes into new or empty folders only",
                folder.display()
            )));
        }
    }
    let mut written = 0;
    for (which, sub) in parts {
        let mut ignored = Vec::new();
        for file in Source::BuiltIn(which).files(&mut ignored) {
            let path = dir.join(sub).join(&file.rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
            }
            // In the repository a case sits one folder deeper than in DIR/cases, and a profile's
            // data one folder shallower than in DIR/seed; their `$schema` paths (for editors)
            // are made to point at DIR/schemas again.
            let text = match which {
                BuiltIn::Cases(_) => {
                    file.text
                        .replacen("\"../../../schemas/", "\"../../schemas/", 1)
                }
                BuiltIn::Seed(_) => file.text.replacen("\"../../schemas/", "\"../schemas/", 1),
                BuiltIn::Schemas => file.text,
            };
            std::fs::write(&path, text).map_err(|e| failed(&path, e))?;
            written += 1;
        }
    }
    let d = dir.display();
    let chosen = profile.flag();
    print(&format!(
        "exported {written} files to {d}: `authconform run {chosen}--cases {d}/cases --schemas {d}/schemas` runs them\n"
    ))?;
    Ok(EXIT_OK)
}

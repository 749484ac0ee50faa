//! Embeds the built-in profiles (`cases/<name>/`) and the schemas (`schemas/`) into the binary,
//! so that an installed `authconform` works anywhere without the source tree.
//!
//! A profile's folder holds its cases in group folders (`cases/auth0/token/…`) and its data at
//! the top (the seed table, `variables.json`, deviation sets): the two are embedded as separate
//! lists, so that the data is never read as a case.
//!
//! `include_str!` makes rustc track each file's contents; the `rerun-if-changed` lines on the
//! folders make cargo regenerate the list when a file is added or removed.

use std::{env, fs, io, path::Path};

fn main() -> io::Result<()> {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::new();
    for (name, dir, keep) in [
        ("AUTH0_CASES", "cases/auth0", Keep::Nested),
        ("AUTH0_SEED", "cases/auth0", Keep::Top),
        ("RFC_CASES", "cases/rfc", Keep::Nested),
        ("RFC_SEED", "cases/rfc", Keep::Top),
        ("SCHEMAS", "schemas", Keep::All),
    ] {
        println!("cargo:rerun-if-changed={dir}");
        let base = Path::new(&root).join(dir);
        let mut files = Vec::new();
        collect(&base, &base, &mut files)?;
        files.retain(|rel| match keep {
            Keep::All => true,
            Keep::Top => !rel.contains('/'),
            Keep::Nested => rel.contains('/'),
        });
        files.sort();
        out.push_str(&format!("pub(crate) static {name}: &[(&str, &str)] = &[\n"));
        for rel in files {
            let abs = base.join(&rel);
            out.push_str(&format!(
                "    ({rel:?}, include_str!({:?})),\n",
                abs.display().to_string()
            ));
        }
        out.push_str("];\n");
    }
    fs::write(
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs"),
        out,
    )
}

/// Which of a folder's files a list embeds.
#[derive(Clone, Copy)]
enum Keep {
    All,
    /// The files at the folder's top: a profile's data.
    Top,
    /// The files in its subfolders: a profile's cases.
    Nested,
}

/// Every `.json` file below `dir`, as a path relative to `base` with forward slashes.
fn collect(base: &Path, dir: &Path, files: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(base, &path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let rel = path.strip_prefix(base).expect("below base");
            let parts: Vec<_> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
    Ok(())
}

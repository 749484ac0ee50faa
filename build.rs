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
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .to_owned();
    // Every folder of `cases/` is a profile (`Profile` in src/base/source.rs names each, and a
    // test holds the two together); cargo scans the folders below for changes.
    println!("cargo:rerun-if-changed=cases");
    println!("cargo:rerun-if-changed=schemas");
    let mut profiles: Vec<String> = fs::read_dir(root.join("cases"))?
        .map(|e| {
            e.map(|e| {
                (
                    e.path().is_dir(),
                    e.file_name().to_string_lossy().into_owned(),
                )
            })
        })
        .filter_map(|e| match e {
            Ok((true, name)) => Some(Ok(name)),
            Ok((false, _)) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<io::Result<_>>()?;
    profiles.sort();
    let mut out = String::from(
        "/// Files as (path below the folder, text).\n\
         pub(crate) type Files = &'static [(&'static str, &'static str)];\n\
         /// Each profile's name, cases and data.\n\
         pub(crate) static PROFILES: &[(&str, Files, Files)] = &[\n",
    );
    for name in &profiles {
        let dir = root.join("cases").join(name);
        out.push_str(&format!(
            "    ({name:?}, {}, {}),\n",
            list(&dir, Keep::Nested)?,
            list(&dir, Keep::Top)?
        ));
    }
    out.push_str("];\n");
    out.push_str(&format!(
        "pub(crate) static SCHEMAS: Files = {};\n",
        list(&root.join("schemas"), Keep::All)?
    ));
    fs::write(
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs"),
        out,
    )
}

/// The files of `base` that `keep` keeps, as a Rust slice of (relative path, text).
fn list(base: &Path, keep: Keep) -> io::Result<String> {
    let mut files = Vec::new();
    collect(base, base, &mut files)?;
    files.retain(|rel| match keep {
        Keep::All => true,
        Keep::Top => !rel.contains('/'),
        Keep::Nested => rel.contains('/'),
    });
    files.sort();
    let mut out = String::from("&[\n");
    for rel in files {
        let abs = base.join(&rel);
        out.push_str(&format!(
            "        ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("    ]");
    Ok(out)
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

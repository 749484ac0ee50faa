//! The layout stays a pipeline. The folders of `src/` are its stages, in this order, and each
//! imports only the stages before it (a module of a folder may import its own folder's
//! modules); and no two modules import each other, directly or round a loop. So each stage
//! can be read, and changed, knowing only the ones below it.

use std::collections::{BTreeMap, BTreeSet};

/// The stages, from the bottom up.
const STAGES: &[&str] = &[
    "base",
    "checks",
    "catalogue",
    "http",
    "records",
    "execution",
    "report",
    "reference",
    "commands",
];

/// A module of `src/`: its folder (a stage) and the names its code (tests aside) imports as
/// `crate::name` or inside `use crate::{…}`.
struct Module {
    stage: String,
    imports: BTreeSet<String>,
}

fn modules() -> BTreeMap<String, Module> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    for path in crate::util::files_below(&src) {
        let rel: Vec<String> = path
            .strip_prefix(&src)
            .unwrap()
            .components()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .collect();
        if rel.len() < 2 || rel[1] == "mod" && rel.len() == 2 {
            continue; // main.rs, lib.rs and the folders' own mod.rs
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let name = if rel[0] == "report" || rel[0] == "reference" {
            rel[0].clone()
        } else {
            rel[1].clone()
        };
        let module = found.entry(name).or_insert_with(|| Module {
            stage: rel[0].clone(),
            imports: BTreeSet::new(),
        });
        module.imports.extend(imports(code));
    }
    found
}

fn imports(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        heads(&code[i + "crate::".len()..], &mut names);
    }
    names
}

/// The leading name of a path (`a` of `a::…`), or of each item of a group (`{a, b::c}`); where
/// that name is a stage's folder, also the module named after it (`case` of
/// `catalogue::case::Case`, each of `catalogue::{case, vars}`), since modules import each other
/// by their own paths.
fn heads(path: &str, names: &mut BTreeSet<String>) {
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut items = Vec::new();
    if let Some(rest) = path.strip_prefix('{') {
        let mut depth = 0;
        let mut start = Some(0);
        for (j, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = Some(j + 1),
                c if c.is_whitespace() => {
                    if start == Some(j) {
                        start = Some(j + c.len_utf8());
                    }
                }
                _ => {
                    if let Some(at) = start.take() {
                        items.push(&rest[at..]);
                    }
                }
            }
        }
    } else {
        items.push(path);
    }
    for item in items {
        let first = word(item);
        if first.is_empty() || first == "self" {
            continue;
        }
        let after = &item[first.len()..];
        if STAGES.contains(&first.as_str())
            && let Some(inner) = after.strip_prefix("::")
        {
            if inner.starts_with('{') {
                heads(inner, names);
            } else {
                let second = word(inner);
                if !second.is_empty() {
                    names.insert(second);
                }
            }
        }
        names.insert(first);
    }
}

#[test]
fn each_stage_imports_only_the_stages_before_it() {
    let modules = modules();
    assert!(modules.len() > 15, "the modules were not read");
    let stage_of = |name: &str| -> Option<&str> {
        if STAGES.contains(&name) {
            return STAGES.iter().copied().find(|s| *s == name);
        }
        modules.get(name).map(|m| m.stage.as_str())
    };
    let rank = |stage: &str| STAGES.iter().position(|s| *s == stage);
    let mut upward = Vec::new();
    for (name, module) in &modules {
        let mine = rank(&module.stage)
            .unwrap_or_else(|| panic!("{name}: stage {} is not listed", module.stage));
        for import in &module.imports {
            let Some(theirs) = stage_of(import).and_then(rank) else {
                continue;
            };
            if theirs > mine {
                upward.push(format!(
                    "{name} ({}) imports {import} ({})",
                    module.stage, STAGES[theirs]
                ));
            }
        }
    }
    assert!(upward.is_empty(), "imports from a later stage: {upward:#?}");
}

/// The crate root declares the stages and re-exports nothing: a module names another by its
/// own path (`crate::catalogue::case`), so the stage it comes from shows at the import.
#[test]
fn modules_import_each_other_by_their_own_paths() {
    // The root and each stage folder whose files are its modules (report and reference are
    // modules of their own, free to arrange their insides).
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("lib.rs")];
    files.extend(
        STAGES
            .iter()
            .filter(|s| !matches!(**s, "report" | "reference"))
            .map(|s| src.join(s).join("mod.rs")),
    );
    let mut reexports = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().map(str::trim_start) {
            if line.starts_with("pub use") || line.starts_with("pub(crate) use") {
                reexports.push(format!("{}: {line}", file.display()));
            }
        }
    }
    assert!(reexports.is_empty(), "re-exports: {reexports:#?}");
    let mut found = BTreeSet::new();
    heads(
        "{base::{error, schema}, report::{self, json}, checks::check::Check}",
        &mut found,
    );
    let expected = [
        "base", "check", "checks", "error", "json", "report", "schema",
    ];
    assert_eq!(found.into_iter().collect::<Vec<_>>(), expected);
}

/// Every folder of `src/` is a stage (or a stage's own folder of assets or snapshots): a new
/// one is placed in the order here first.
#[test]
fn every_folder_of_src_is_a_known_stage() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !STAGES.contains(&name.as_str()) {
            unknown.push(name.clone());
        }
        for inner in std::fs::read_dir(&path).unwrap() {
            let inner = inner.unwrap().path();
            let leaf = inner.file_name().unwrap().to_string_lossy().into_owned();
            if inner.is_dir() && !matches!(leaf.as_str(), "assets" | "snapshots") {
                unknown.push(format!("{name}/{leaf}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "folders no stage accounts for: {unknown:?}"
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let modules = modules();
    let edges: BTreeMap<&str, Vec<&str>> = modules
        .iter()
        .map(|(name, m)| {
            let deps = m
                .imports
                .iter()
                .map(String::as_str)
                .filter(|d| modules.contains_key(*d) && d != name)
                .collect();
            (name.as_str(), deps)
        })
        .collect();
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(m) = stack.pop() {
            for d in &edges[m] {
                if *d == to {
                    return true;
                }
                if seen.insert(*d) {
                    stack.push(d);
                }
            }
        }
        false
    };
    let loops: Vec<(&str, &str)> = edges
        .iter()
        .flat_map(|(m, deps)| deps.iter().map(move |d| (*m, *d)))
        .filter(|(m, d)| reaches(d, m))
        .collect();
    assert!(loops.is_empty(), "imports that close a loop: {loops:?}");
}

/// Every `$schema` path of the JSON files below `dir` (for editors) names a file that exists,
/// and how many there were.
fn schema_paths_resolve(dir: &std::path::Path) -> usize {
    let mut found = 0;
    for path in crate::util::files_below(dir) {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if let Some(schema) = doc["$schema"].as_str() {
            let target = path.parent().unwrap().join(schema);
            assert!(target.is_file(), "{}: `$schema` {schema}", path.display());
            found += 1;
        }
    }
    found
}

/// The top level is the design card's: each profile's catalogue is `cases/<name>/` (its cases
/// in group folders, its table and variables at the top), there is no `profiles/`, and every
/// `$schema` path resolves, in the repository and in what `export` writes.
#[test]
fn each_profile_is_a_folder_of_cases_with_its_schema_paths_resolving() {
    use authconform::base::source::Profile;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(!root.join("profiles").exists());
    for profile in Profile::ALL {
        let dir = root.join("cases").join(profile.name());
        assert!(dir.join("variables.json").is_file(), "{}", dir.display());
        // Each case and the two data files with a `$schema` (variables, and auth0's deviations).
        assert!(schema_paths_resolve(&dir) > 20, "{}", dir.display());
        let out = tempfile::tempdir().unwrap();
        let exported = crate::util::output(
            crate::util::authconform()
                .arg("export")
                .arg(out.path())
                .arg("--profile")
                .arg(profile.name()),
        );
        assert_eq!(exported.code, 0, "{}", exported.stderr);
        assert!(schema_paths_resolve(&out.path().join("cases")) > 20);
        assert!(schema_paths_resolve(&out.path().join("seed")) >= 1);
    }
}

/// `--cases cases/<name>` in the repository is the built-in catalogue: the table and deviation
/// sets beside the group folders are not read as cases, and every case is named by the same
/// file with the same verdict.
#[test]
fn the_repository_folder_of_a_profile_runs_as_the_built_in_catalogue() {
    use authconform::base::source::Profile;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let seen = |report: &serde_json::Value| -> Vec<(String, String, String)> {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
                (
                    text(&c["id"]),
                    text(&c["file"]),
                    text(&c["verdict"]["kind"]),
                )
            })
            .collect()
    };
    for profile in Profile::ALL {
        let mut reports = Vec::new();
        for cases in [None, Some(format!("cases/{}", profile.name()))] {
            let json = dir.path().join(format!("{profile}-{}.json", reports.len()));
            let mut cmd = crate::util::authconform();
            cmd.current_dir(root)
                .arg("run")
                .arg("--profile")
                .arg(profile.name())
                .arg("--report-json")
                .arg(&json);
            if let Some(cases) = &cases {
                cmd.arg("--cases").arg(cases);
            }
            let out = crate::util::output(&mut cmd);
            assert_eq!(out.code, 0, "{cases:?}: {}{}", out.stdout, out.stderr);
            reports.push(seen(&crate::util::read_report(&json)));
        }
        assert!(reports[0].len() > 20, "{:?}", reports[0]);
        // The same cases and verdicts; a built-in case is named by where `export` writes it,
        // the folder's by its path.
        let as_built_in: Vec<(String, String, String)> = reports[1]
            .iter()
            .map(|(id, file, verdict)| {
                assert_eq!(file, &format!("cases/{profile}/{id}.json"));
                let named =
                    authconform::base::source::built_in_case(profile, &format!("{id}.json"));
                (id.clone(), named, verdict.clone())
            })
            .collect();
        assert_eq!(reports[0], as_built_in, "{profile}");
    }
}

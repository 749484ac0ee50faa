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
    "report",
    "execution",
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
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
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
    }
    found
}

fn imports(code: &str) -> BTreeSet<String> {
    let word = |s: &str| {
        let w: String = s
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        (!w.is_empty()).then_some(w)
    };
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(rest) = rest.strip_prefix('{') {
            let group = &rest[..rest.find("};").unwrap_or(rest.len())];
            // The first name of each item at the group's own level: `a::{…}` or `b`.
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && c.is_ascii_lowercase() && depth == 0 => {
                        names.extend(word(&group[j..]));
                        start = false;
                    }
                    c if !c.is_whitespace() => start = false,
                    _ => {}
                }
            }
        } else {
            names.extend(word(rest));
        }
    }
    names
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
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            if let Some(schema) = doc["$schema"].as_str() {
                let target = path.parent().unwrap().join(schema);
                assert!(target.is_file(), "{}: `$schema` {schema}", path.display());
                found += 1;
            }
        }
    }
    found
}

/// The top level is the design card's: each profile's catalogue is `cases/<name>/` (its cases
/// in group folders, its table and variables at the top), there is no `profiles/`, and every
/// `$schema` path resolves, in the repository and in what `export` writes.
#[test]
fn each_profile_is_a_folder_of_cases_with_its_schema_paths_resolving() {
    use authconform::source::Profile;
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
    use authconform::source::Profile;
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
        let prefix = format!("cases/{profile}/");
        assert!(
            reports[0]
                .iter()
                .all(|(_, file, _)| file.starts_with(&prefix))
        );
        assert_eq!(reports[0], reports[1], "{profile}");
    }
}

//! The layout stays a pipeline: no two top-level modules of `src/` import each other, directly
//! or round a loop, so that each stage can be read (and changed) knowing only the ones below it.

use std::collections::{BTreeMap, BTreeSet};

/// Every top-level module and the top-level modules its code (tests aside) names as `crate::…`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "main" || top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let deps = graph.entry(top.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                if let Some(name) = rest
                    .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .next()
                {
                    if !name.is_empty() && name != top {
                        deps.insert(name.to_owned());
                    }
                }
                // `use crate::{a::…, b, …}` names several.
                if rest.starts_with('{') {
                    let group = &rest[1..rest.find("};").unwrap_or(rest.len())];
                    for item in group.split(|c: char| c == ',' || c.is_whitespace()) {
                        let name = item
                            .split("::")
                            .next()
                            .unwrap_or_default()
                            .trim_start_matches('{');
                        if !name.is_empty()
                            && name != top
                            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        {
                            deps.insert(name.to_owned());
                        }
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = imports();
    assert!(graph.len() > 10, "the graph was not read: {graph:?}");
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(m) = stack.pop() {
            for d in &graph[&m] {
                if d == to {
                    return true;
                }
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        false
    };
    let loops: Vec<(&String, &String)> = graph
        .iter()
        .flat_map(|(m, deps)| deps.iter().map(move |d| (m, d)))
        .filter(|(m, d)| reaches(d, m))
        .collect();
    assert!(loops.is_empty(), "imports that close a loop: {loops:?}");
}

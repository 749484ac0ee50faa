//! The README, CONTRIBUTING.md, CHANGELOG.md and docs/*.md link to each other: every relative
//! link names a file that exists and every `#anchor` a heading of its file, by GitHub's slug
//! rules, so that moving a section cannot leave a link behind.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The Markdown files whose links are checked, relative to the repository.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"]
        .iter()
        .map(PathBuf::from)
        .collect();
    for entry in std::fs::read_dir(root.join("docs")).expect("a docs/ folder") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    files.sort();
    files
}

/// The lines of `text` outside fenced code blocks, with inline code spans removed (a link
/// shown as code is no link).
fn prose_lines(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut out = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        lines.push(out);
    }
    lines
}

/// GitHub's anchor for a heading: lower-case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown text has: its headings' slugs, a repeated one numbered as GitHub
/// does (`-1`, `-2`), with the code spans' text kept (GitHub keeps it).
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..].replace('`', ""));
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The targets of the inline links (`[text](target)`, images too) and reference definitions
/// (`[name]: target`) of a line.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
        rest = &after[end..];
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(close) = trimmed.find("]: ")
    {
        let target = trimmed[close + 3..].split_whitespace().next().unwrap_or("");
        targets.push(target.to_string());
    }
    targets
}

/// What is wrong with the links of `files` (relative to `root`): one line per broken link,
/// naming the file, the link and why.
fn broken_links(root: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let dir = file.parent().unwrap_or(Path::new(""));
        for line in prose_lines(&text) {
            for target in link_targets(&line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let linked = if path.is_empty() {
                    file.clone()
                } else {
                    dir.join(path)
                };
                let Ok(linked_text) = std::fs::read_to_string(root.join(&linked)) else {
                    if !root.join(&linked).is_dir() || anchor.is_some() {
                        problems.push(format!(
                            "{}: ({target}): no file {}",
                            file.display(),
                            linked.display()
                        ));
                    }
                    continue;
                };
                if let Some(anchor) = anchor
                    && !anchors(&linked_text).contains(anchor)
                {
                    problems.push(format!(
                        "{}: ({target}): {} has no heading #{anchor}",
                        file.display(),
                        linked.display()
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_and_anchor_of_the_docs_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = markdown_files(root);
    assert!(files.len() > 5, "{files:?}");
    let problems = broken_links(root, &files);
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_readme_links_every_docs_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let linked: HashSet<String> = prose_lines(&readme)
        .iter()
        .flat_map(|l| link_targets(l))
        .map(|t| t.split('#').next().unwrap().to_string())
        .collect();
    for file in markdown_files(root) {
        let name = file.to_string_lossy().replace('\\', "/");
        if name != "README.md" {
            assert!(linked.contains(&name), "README.md does not link {name}");
        }
    }
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Profiles: Auth0 or the RFCs"),
        "profiles-auth0-or-the-rfcs"
    );
    assert_eq!(
        slug("Test your app's error handling"),
        "test-your-apps-error-handling"
    );
    assert_eq!(
        slug("Security: untrusted input"),
        "security-untrusted-input"
    );
    let found = anchors("# A\n```\n# not a heading\n```\n## A\n### `diff` B.C\n");
    let expected: HashSet<String> = ["a", "a-1", "diff-bc"].map(String::from).into();
    assert_eq!(found, expected);
}

#[test]
fn a_broken_link_or_anchor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("README.md"),
        "# Top\n[ok](docs/a.md#part) [ok](#top) [gone](docs/b.md) `[code](nowhere.md)`\n\
         [bad](docs/a.md#no-such) [web](https://example.com/x#y)\n```\n[fenced](nowhere.md)\n```\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/a.md"),
        "## Part\n[back](../README.md#gone)\n[ref]: ../missing.md\n",
    )
    .unwrap();
    let files = [PathBuf::from("README.md"), PathBuf::from("docs/a.md")];
    assert_eq!(
        broken_links(dir.path(), &files),
        [
            "README.md: (docs/b.md): no file docs/b.md",
            "README.md: (docs/a.md#no-such): docs/a.md has no heading #no-such",
            "docs/a.md: (../README.md#gone): docs/../README.md has no heading #gone",
            "docs/a.md: (../missing.md): no file docs/../missing.md",
        ]
    );
}

//! The house rules that code review would otherwise have to remember: no module of a
//! crate reaches, through `crate::` / `super::` paths, a module that reaches it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// A file's module name: its file stem, or its folder's name for `mod.rs`.
fn module_name(file: &Path) -> String {
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    if stem == "mod" {
        file.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    } else {
        stem
    }
}

/// The modules `text` names through `crate::NAME` or `super::NAME`, comments left out.
fn references(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["crate::", "super::"] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                rest = &rest[i + prefix.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// A cycle of `graph` reachable from `start`, if any.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(start).into_iter().flatten() {
        if let Some(i) = path.iter().position(|m| m == next) {
            let mut cycle = path[i..].to_vec();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if graph.contains_key(next) && path.len() < 12 {
            path.push(next.clone());
            if let Some(c) = cycle_from(graph, next, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut found = Vec::new();
    for krate in std::fs::read_dir(&root).unwrap().flatten() {
        let src = krate.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let name = module_name(f);
            let text = std::fs::read_to_string(f).unwrap();
            // Unit tests may reach anything.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let mut refs = references(text);
            refs.remove(&name);
            graph.entry(name).or_default().extend(refs);
        }
        for m in graph.keys() {
            if let Some(c) = cycle_from(&graph, m, &mut vec![m.clone()]) {
                found.push(format!(
                    "{}: {}",
                    krate.file_name().to_string_lossy(),
                    c.join(" → ")
                ));
                break;
            }
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_circle_check_finds_a_circle() {
    let mut graph = BTreeMap::new();
    graph.insert(
        "a".to_string(),
        references("use crate::b::X;\n// crate::c is a comment"),
    );
    graph.insert("b".to_string(), references("fn f() { super::a::g() }"));
    graph.insert("c".to_string(), BTreeSet::new());
    let cycle = cycle_from(&graph, "a", &mut vec!["a".into()]).unwrap();
    assert_eq!(cycle, ["a", "b", "a"]);
    graph.insert("b".to_string(), BTreeSet::new());
    assert!(cycle_from(&graph, "a", &mut vec!["a".into()]).is_none());
}

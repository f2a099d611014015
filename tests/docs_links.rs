//! The documentation holds together: every relative link in README.md and docs/*.md
//! points at a file or folder that exists, every `#anchor` at a heading of its target
//! (GitHub's slug rule), and README.md stays a ten-minute read.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The most lines README.md may have.
const README_MAX_LINES: usize = 250;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md under `root`, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let docs = root.join("docs");
    if let Ok(entries) = fs::read_dir(&docs) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// The lines outside fenced code blocks, numbered from 1, as they are.
fn unfenced_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let backticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        let marker = if backticks.is_empty() {
            trimmed.chars().take_while(|&c| c == '~').collect()
        } else {
            backticks
        };
        let is_fence = marker.len() >= 3;
        match &fence {
            Some(open) => {
                if is_fence
                    && marker.starts_with(open.as_str())
                    && trimmed[marker.len()..].trim().is_empty()
                {
                    fence = None;
                }
            }
            None if is_fence => fence = Some(marker),
            None => out.push((i + 1, line)),
        }
    }
    out
}

/// The lines outside fenced code blocks, numbered from 1, with inline code spans
/// replaced by `code` (so that brackets inside backticks are not taken for links). Code
/// spans may run over line breaks, so they are found per paragraph.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut paragraph: Vec<(usize, &str)> = Vec::new();
    let lines = unfenced_lines(text);
    for (k, &(number, line)) in lines.iter().enumerate() {
        let ends = line.trim().is_empty() || lines.get(k + 1).is_none_or(|&(n, _)| n != number + 1);
        if !line.trim().is_empty() {
            paragraph.push((number, line));
        }
        if ends && let Some(&(first, _)) = paragraph.first() {
            let joined: Vec<&str> = paragraph.iter().map(|&(_, l)| l).collect();
            let blanked = blank_code_spans(&joined.join("\n"));
            out.extend(
                blanked
                    .split('\n')
                    .enumerate()
                    .map(|(j, l)| (first + j, l.to_string())),
            );
            paragraph.clear();
        }
    }
    out
}

/// `text` with each inline code span (a run of n backticks up to the next run of
/// exactly n) replaced by the word `code`, keeping the line breaks inside it.
fn blank_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => {
                out.push_str("code");
                out.extend(chars[i..j].iter().filter(|&&c| c == '\n'));
                i = j + n;
            }
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// The targets of the links of one prose line: inline links and images
/// `[text](target "title")`, and reference definitions `[label]: target`.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(end) = trimmed.find("]:")
    {
        if let Some(target) = trimmed[end + 2..].split_whitespace().next() {
            targets.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
        }
        return targets;
    }
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(pos) = line[from..].find("](") {
        let open = from + pos + 2;
        from = open;
        if !line[..open].contains('[') {
            continue;
        }
        // The target ends at the `)` that balances the `(`.
        let mut depth = 1;
        let mut end = None;
        for (k, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let inner = line[open..end].trim();
        let target = if let Some(rest) = inner.strip_prefix('<') {
            rest.split('>').next().unwrap_or("")
        } else {
            inner.split_whitespace().next().unwrap_or("")
        };
        targets.push(target.to_string());
        from = end + 1;
    }
    targets
}

/// GitHub's anchor of a heading: lowercase; characters other than alphanumerics,
/// spaces, hyphens and underscores dropped; spaces turned into hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's ATX headings, with GitHub's `-1`, `-2`, … for repeats.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (_, line) in unfenced_lines(text) {
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !t[hashes..].starts_with([' ', '\t']) {
            continue;
        }
        let title = t[hashes..].trim().trim_end_matches('#').trim();
        // Link syntax renders as its text: `[text](target)` → `text`.
        let title = strip_links(title);
        let base = slug(&title);
        let n = seen.entry(base.clone()).or_insert(0);
        out.push(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// `text` with each `[label](target)` replaced by `label`.
fn strip_links(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(mid) = out.find("](") {
        let Some(open) = out[..mid].rfind('[') else {
            break;
        };
        let Some(close) = out[mid..].find(')') else {
            break;
        };
        let label = out[open + 1..mid].to_string();
        out.replace_range(open..mid + close + 1, &label);
    }
    out
}

/// `path` with `.` and `..` resolved lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Every broken link of `files` (relative to `root`), one message each, naming the file,
/// the line and the link.
fn broken_links(root: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut anchor_cache: HashMap<PathBuf, Option<Vec<String>>> = HashMap::new();
    let mut anchors_of = |path: &Path| -> Option<Vec<String>> {
        anchor_cache
            .entry(path.to_path_buf())
            .or_insert_with(|| fs::read_to_string(path).ok().map(|t| anchors(&t)))
            .clone()
    };
    for file in files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        let text = match fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        let folder = file.parent().unwrap_or(root);
        for (number, line) in prose_lines(&text) {
            for target in link_targets(&line) {
                let scheme = target.split('/').next().unwrap_or("").contains(':');
                if target.is_empty() || scheme {
                    if target.is_empty() {
                        errors.push(format!("{shown}:{number}: empty link target"));
                    }
                    continue;
                }
                let (path_part, anchor) = match target.split_once('#') {
                    Some((p, a)) => (p, Some(a)),
                    None => (target.as_str(), None),
                };
                let resolved = if path_part.is_empty() {
                    file.clone()
                } else if let Some(from_root) = path_part.strip_prefix('/') {
                    normalise(&root.join(from_root))
                } else {
                    normalise(&folder.join(path_part))
                };
                if !resolved.exists() {
                    errors.push(format!(
                        "{shown}:{number}: broken link `{target}`: {} does not exist",
                        resolved.strip_prefix(root).unwrap_or(&resolved).display()
                    ));
                    continue;
                }
                let Some(anchor) = anchor else { continue };
                if resolved.extension().is_none_or(|x| x != "md") {
                    continue;
                }
                match anchors_of(&resolved) {
                    Some(list) if list.iter().any(|a| a == anchor) => {}
                    Some(_) => errors.push(format!(
                        "{shown}:{number}: broken link `{target}`: no heading with anchor `#{anchor}` in {}",
                        resolved.strip_prefix(root).unwrap_or(&resolved).display()
                    )),
                    None => errors.push(format!(
                        "{shown}:{number}: broken link `{target}`: {} is not readable",
                        resolved.strip_prefix(root).unwrap_or(&resolved).display()
                    )),
                }
            }
        }
    }
    errors
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let root = root();
    let files = markdown_files(&root);
    assert!(
        files.iter().any(|f| f.starts_with(root.join("docs"))),
        "no docs/*.md found under {}",
        root.display()
    );
    let errors = broken_links(&root, &files);
    assert!(
        errors.is_empty(),
        "{} broken link(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn readme_is_at_most_250_lines() {
    let path = root().join("README.md");
    let text = fs::read_to_string(&path).expect("README.md is readable");
    let lines = text.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, at most {README_MAX_LINES} allowed: move detail into docs/"
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("Training (`train-pfn`)"), "training-train-pfn");
    assert_eq!(
        slug("Where thaw looks, and what it will not overwrite"),
        "where-thaw-looks-and-what-it-will-not-overwrite"
    );
    assert_eq!(
        slug("Do the shipped PFNs follow a curve's own points?"),
        "do-the-shipped-pfns-follow-a-curves-own-points"
    );
    assert_eq!(
        slug("The TaskSet prior (`train-pfn --prior taskset`)"),
        "the-taskset-prior-train-pfn---prior-taskset"
    );
    assert_eq!(slug("Data (issue #2)"), "data-issue-2");
    assert_eq!(
        anchors("# A\n## A\n```\n# not a heading\n```\n### A b_c\n"),
        vec!["a", "a-1", "a-b_c"]
    );
}

#[test]
fn links_are_found_outside_code_only() {
    assert_eq!(
        link_targets("see [`x`](a/b.md#c) and ![img](p.svg \"title\") or [y](https://e.org)"),
        vec!["a/b.md#c", "p.svg", "https://e.org"]
    );
    assert_eq!(
        link_targets(&blank_code_spans("`[x](no)` and `v[i](j)`")),
        Vec::<String>::new()
    );
    assert_eq!(link_targets("[label]: ../x.md"), vec!["../x.md"]);
    let lines = prose_lines("a [x](one)\n```sh\n[y](two)\n```\nb [z](three)\n");
    let found: Vec<(usize, Vec<String>)> = lines
        .iter()
        .map(|(n, l)| (*n, link_targets(l)))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    assert_eq!(
        found,
        vec![(1, vec!["one".to_string()]), (5, vec!["three".to_string()])]
    );
}

/// The checker catches what it should: a missing file, a missing anchor in another
/// file and in the same file, each named with its file and line.
#[test]
fn broken_links_are_reported_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("thaw-docs-links-{}", std::process::id()));
    let docs = dir.join("docs");
    fs::create_dir_all(&docs).unwrap();
    fs::write(
        dir.join("README.md"),
        "# Top\n\n[ok](docs/a.md#part-one) [ok](docs/) [web](https://x.invalid/y)\n[gone](docs/missing.md)\n",
    )
    .unwrap();
    fs::write(
        docs.join("a.md"),
        "# A\n\n## Part one\n\n[back](../README.md#top) [here](#part-one)\n[bad](../README.md#nowhere)\n\n```\n[in code](not/checked.md)\n```\n[self](#no-such)\n",
    )
    .unwrap();
    let errors = broken_links(&dir, &markdown_files(&dir));
    fs::remove_dir_all(&dir).ok();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].starts_with("README.md:4: broken link `docs/missing.md`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("docs/a.md:6: broken link `../README.md#nowhere`: no heading"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].starts_with("docs/a.md:11: broken link `#no-such`"),
        "{}",
        errors[2]
    );
}

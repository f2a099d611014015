//! The checkpoints shipped in `checkpoints/`, by the names users type.
//!
//! This is the one place that maps `adam-pfn` and `ft-pfn` to directories: `ifbo
//! --surrogate`, `bench-hpo --methods`, `eval-lc --checkpoint` and `thaw predict` all
//! resolve through it.

use std::path::{Path, PathBuf};

/// A shipped checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipped {
    /// The name on the command line.
    pub name: &'static str,
    /// Its label in tables and method names.
    pub label: &'static str,
    /// Its directory under the checkpoints folder.
    pub dir: &'static str,
}

/// Adam-PFN: trained on the real curves of all 8 shared TaskSet tasks (for tuning new
/// tasks; its honest estimate on TaskSet comes from [`ADAM_PFN_CV`]).
pub const ADAM_PFN: Shipped = Shipped {
    name: "adam-pfn",
    label: "Adam-PFN",
    dir: "adam-pfn",
};

/// The earlier Adam-PFN (6 tasks, 2500 steps, no history): the README's first tables.
pub const ADAM_PFN_SMALL: Shipped = Shipped {
    name: "adam-pfn-small",
    label: "Adam-PFN (small)",
    dir: "adam-pfn-small",
};

/// FT-PFN: trained on the synthetic ifBO prior.
pub const FT_PFN: Shipped = Shipped {
    name: "ft-pfn",
    label: "FT-PFN",
    dir: "ft-pfn-small",
};

/// Every shipped checkpoint.
pub const ALL: [Shipped; 3] = [ADAM_PFN, ADAM_PFN_SMALL, FT_PFN];

impl Shipped {
    /// Its directory under `checkpoints`.
    pub fn path(&self, checkpoints: &Path) -> PathBuf {
        checkpoints.join(self.dir)
    }
}

/// A shipped set of cross-validation fold models: `<checkpoints>/<prefix>-fold<i>`, each
/// trained on every shared task but those of its fold (what `eval-lc --cross-validate`
/// trains). A benchmark runs each task with the fold that held it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippedFolds {
    /// The name on the command line.
    pub name: &'static str,
    /// Its label in tables and method names.
    pub label: &'static str,
    /// The fold directories' common prefix under the checkpoints folder.
    pub prefix: &'static str,
}

/// Adam-PFN's fold models (the recipe of the shipped Adam-PFN, 4 folds).
pub const ADAM_PFN_CV: ShippedFolds = ShippedFolds {
    name: "adam-pfn-cv",
    label: "Adam-PFN CV",
    prefix: "adam-pfn-cv/cdf",
};

/// `(label, prefix)` of a set of fold models: the shipped `adam-pfn-cv`, or `cv:PREFIX`
/// for the folds `PREFIX-fold<i>` (e.g. `cv:runs/eval-lc/cv/cdf`, as `eval-lc
/// --cross-validate` writes them); `None` for anything else.
pub fn resolve_folds(name: &str, checkpoints: &Path) -> Option<(String, PathBuf)> {
    if name == ADAM_PFN_CV.name {
        return Some((
            ADAM_PFN_CV.label.to_string(),
            checkpoints.join(ADAM_PFN_CV.prefix),
        ));
    }
    let prefix = Path::new(name.strip_prefix("cv:")?);
    let stem = prefix.file_name()?.to_string_lossy();
    let label = match prefix.parent().and_then(Path::file_name) {
        Some(parent) => format!("{}/{stem}", parent.to_string_lossy()),
        None => stem.into_owned(),
    };
    Some((label, prefix.to_path_buf()))
}

/// `(label, fold directories)` of a set of fold models ([`resolve_folds`], then
/// [`fold_dirs`]); `None` if `name` names no fold set, `Some(Err(why))` if it does but
/// the folder cannot be listed or holds no fold checkpoint.
pub fn fold_set(name: &str, checkpoints: &Path) -> Option<Result<(String, Vec<PathBuf>), String>> {
    let (label, prefix) = resolve_folds(name, checkpoints)?;
    Some(match fold_dirs(&prefix) {
        Err(e) => Err(format!("listing {}: {e}", prefix.display())),
        Ok(folds) if folds.is_empty() => Err(format!(
            "{name}: no fold checkpoints {}-fold<i> (`eval-lc --cross-validate` writes them)",
            prefix.display()
        )),
        Ok(folds) => Ok((label, folds)),
    })
}

/// The fold directories `PREFIX-fold<i>` that hold a checkpoint, in fold order (empty if
/// there are none).
pub fn fold_dirs(prefix: &Path) -> std::io::Result<Vec<PathBuf>> {
    let Some(stem) = prefix.file_name().map(|s| s.to_string_lossy().into_owned()) else {
        return Ok(Vec::new());
    };
    let parent = match prefix.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Ok(Vec::new());
    }
    let mut folds = Vec::new();
    for entry in std::fs::read_dir(&parent)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(index) = name
            .strip_prefix(stem.as_str())
            .and_then(|rest| rest.strip_prefix("-fold"))
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        let dir = parent.join(&name);
        if dir.join(super::CONFIG_FILE).is_file() {
            folds.push((index, dir));
        }
    }
    folds.sort();
    Ok(folds.into_iter().map(|(_, d)| d).collect())
}

/// `(label, directory)` of a shipped checkpoint's name, or of an existing checkpoint
/// directory (labelled by its last path component); `None` for anything else.
pub fn resolve(name: &str, checkpoints: &Path) -> Option<(String, PathBuf)> {
    if let Some(s) = ALL.iter().find(|s| s.name == name) {
        return Some((s.label.to_string(), s.path(checkpoints)));
    }
    let dir = Path::new(name);
    dir.is_dir().then(|| {
        let label = dir
            .file_name()
            .map_or(name.to_string(), |n| n.to_string_lossy().into_owned());
        (label, dir.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_directories_resolve() {
        let ck = Path::new("checkpoints");
        assert_eq!(
            resolve("adam-pfn", ck),
            Some(("Adam-PFN".into(), ck.join("adam-pfn")))
        );
        assert_eq!(
            resolve("adam-pfn-small", ck).unwrap().1,
            ck.join("adam-pfn-small")
        );
        assert_eq!(resolve("ft-pfn", ck).unwrap().1, ck.join("ft-pfn-small"));
        let tmp = std::env::temp_dir();
        let (label, dir) = resolve(tmp.to_str().unwrap(), ck).unwrap();
        assert_eq!(dir, tmp);
        assert!(!label.is_empty());
        assert_eq!(resolve("no-such-method", ck), None);
    }

    #[test]
    fn fold_sets_resolve_and_list_in_fold_order() {
        let ck = Path::new("checkpoints");
        assert_eq!(
            resolve_folds("adam-pfn-cv", ck),
            Some(("Adam-PFN CV".into(), ck.join("adam-pfn-cv/cdf")))
        );
        assert_eq!(resolve_folds("adam-pfn", ck), None);
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "cdf-fold10",
            "cdf-fold2",
            "cdf-fold0",
            "mixup-fold1",
            "cdf-foldx",
        ] {
            let d = tmp.path().join("cv").join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(super::super::CONFIG_FILE), "{}").unwrap();
        }
        // A fold folder without a checkpoint is not a fold.
        std::fs::create_dir_all(tmp.path().join("cv/cdf-fold3")).unwrap();
        let spec = format!("cv:{}", tmp.path().join("cv/cdf").display());
        let (label, prefix) = resolve_folds(&spec, ck).unwrap();
        assert_eq!(label, "cv/cdf");
        let names: Vec<String> = fold_dirs(&prefix)
            .unwrap()
            .iter()
            .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["cdf-fold0", "cdf-fold2", "cdf-fold10"]);
        assert!(
            fold_dirs(&tmp.path().join("nothing/cdf"))
                .unwrap()
                .is_empty()
        );
    }
}

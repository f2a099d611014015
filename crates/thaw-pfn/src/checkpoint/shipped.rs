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

/// Adam-PFN: trained on real TaskSet curves.
pub const ADAM_PFN: Shipped = Shipped {
    name: "adam-pfn",
    label: "Adam-PFN",
    dir: "adam-pfn-small",
};

/// FT-PFN: trained on the synthetic ifBO prior.
pub const FT_PFN: Shipped = Shipped {
    name: "ft-pfn",
    label: "FT-PFN",
    dir: "ft-pfn-small",
};

/// Every shipped checkpoint.
pub const ALL: [Shipped; 2] = [ADAM_PFN, FT_PFN];

impl Shipped {
    /// Its directory under `checkpoints`.
    pub fn path(&self, checkpoints: &Path) -> PathBuf {
        checkpoints.join(self.dir)
    }
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
            Some(("Adam-PFN".into(), ck.join("adam-pfn-small")))
        );
        assert_eq!(resolve("ft-pfn", ck).unwrap().1, ck.join("ft-pfn-small"));
        let tmp = std::env::temp_dir();
        let (label, dir) = resolve(tmp.to_str().unwrap(), ck).unwrap();
        assert_eq!(dir, tmp);
        assert!(!label.is_empty());
        assert_eq!(resolve("no-such-method", ck), None);
    }
}

//! Choosing tasks by name on the command line.

/// Resolves a task list against the available `names`.
///
/// `spec` is `all`, `all-but:a,b`, or a comma-separated list; each name is an exact
/// task name, or a prefix, or else a part of the name, that matches exactly one task
/// (`patch32_GRU` for `FixedTextRNNClassification_imdb_patch32_GRU128_bs128`).
pub fn select(spec: &str, names: &[String]) -> anyhow::Result<Vec<String>> {
    let spec = spec.trim();
    if spec == "all" {
        return Ok(names.to_vec());
    }
    if let Some(rest) = spec.strip_prefix("all-but:") {
        let excluded = resolve_list(rest, names)?;
        return Ok(names
            .iter()
            .filter(|n| !excluded.contains(n))
            .cloned()
            .collect());
    }
    resolve_list(spec, names)
}

fn resolve_list(list: &str, names: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for want in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = resolve(want, names)?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

/// One task: the exact name, else the only task starting with `want`, else the only one
/// containing it.
pub fn resolve(want: &str, names: &[String]) -> anyhow::Result<String> {
    if let Some(n) = names.iter().find(|n| *n == want) {
        return Ok(n.clone());
    }
    let mut hits: Vec<&String> = names.iter().filter(|n| n.starts_with(want)).collect();
    if hits.is_empty() {
        hits = names.iter().filter(|n| n.contains(want)).collect();
    }
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => crate::usage!("no task named {want:?}; available: {}", names.join(", ")),
        many => crate::usage!(
            "{want:?} matches {} tasks ({}); give more of the name",
            many.len(),
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Why a method that changes hyperparameters during training (PBT) cannot run on a
/// table of fixed learning curves.
pub(crate) fn tabular_refusal(m: &thaw_hpo::MethodSpec) -> String {
    format!(
        "{} changes a configuration's hyperparameters in the middle of its training; a \
         tabular benchmark holds one finished curve per fixed configuration and none for \
         \"these weights, trained on with other hyperparameters\", so it runs only under \
         `thaw tune` on a real program (README, \"Population-based training\")",
        m.name()
    )
}

/// The budget must be spendable: at least one epoch, at most every epoch of the table
/// (checked before anything is allocated in proportion to it).
pub(super) fn check_budget(budget: usize, task: &thaw_data::Task) -> anyhow::Result<()> {
    let c = &task.curves;
    let capacity = c.configs * c.epochs;
    if budget == 0 || budget > capacity {
        crate::usage!(
            "--budget {budget} must lie in 1..={capacity}: task {} has {} configurations × {} epochs",
            task.name,
            c.configs,
            c.epochs
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["alpha_1", "alpha_2", "beta"].map(String::from).to_vec()
    }

    #[test]
    fn lists_prefixes_and_exclusions() {
        assert_eq!(select("all", &names()).unwrap().len(), 3);
        assert_eq!(
            select("all-but:beta", &names()).unwrap(),
            ["alpha_1", "alpha_2"]
        );
        assert_eq!(select("b, alpha_2", &names()).unwrap(), ["beta", "alpha_2"]);
        // A part of the name when no prefix matches: `_2` is alpha_2 alone, `a` is a prefix.
        assert_eq!(select("_2", &names()).unwrap(), ["alpha_2"]);
        assert!(select("ph", &names()).is_err());
        assert!(
            select("alpha", &names())
                .unwrap_err()
                .to_string()
                .contains("matches 2")
        );
        assert!(
            select("gamma", &names())
                .unwrap_err()
                .to_string()
                .contains("no task")
        );
    }
}

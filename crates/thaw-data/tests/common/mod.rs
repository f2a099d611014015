//! Helpers shared by the integration tests: tiny, hand-made source files.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

pub const HPS: [&str; 8] = [
    "learning_rate",
    "beta1",
    "beta2",
    "epsilon",
    "l1",
    "l2",
    "linear_decay",
    "exponential_decay",
];

/// One TaskSet-style JSON row; `hp_override` replaces hyperparameter entries
/// (a `None` value removes it), `valid` is written verbatim as JSON tokens.
pub fn taskset_row(hp_override: &[(&str, Option<&str>)], valid: &[&str]) -> String {
    let mut hp: Vec<String> = Vec::new();
    for (i, name) in HPS.iter().enumerate() {
        let default = match *name {
            "beta1" | "beta2" => "0.9".to_string(),
            "linear_decay" => "1e-6".to_string(),
            "exponential_decay" => "1e-4".to_string(),
            _ => format!("{}e-3", i + 1),
        };
        match hp_override.iter().find(|(n, _)| n == name) {
            Some((_, None)) => {}
            Some((_, Some(v))) => hp.push(format!("\"{name}\": {v}")),
            None => hp.push(format!("\"{name}\": {default}")),
        }
    }
    let curve = format!("[{}]", valid.join(", "));
    format!(
        "{{\"hp\": {{{}}}, \"train\": {{\"loss\": {curve}}}, \"valid\": {{\"loss\": {curve}}}, \"test\": {{\"loss\": {curve}}}}}",
        hp.join(", ")
    )
}

/// A directory holding one TaskSet file `name.json` with the given rows.
pub fn taskset_dir(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, format!("[{}]", rows.join(", "))).unwrap();
    path
}

/// A plausible 4-point loss curve row set: `n` rows, row i with a falling loss.
pub fn good_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let l0 = 0.7 + 0.01 * i as f64;
            let pts: Vec<String> = (0..4)
                .map(|t| format!("{}", l0 * (1.0 - 0.1 * t as f64 * (i % 3) as f64)))
                .collect();
            let refs: Vec<&str> = pts.iter().map(String::as_str).collect();
            taskset_row(&[], &refs)
        })
        .collect()
}

/// An `.npy` byte string of a C-order f8 array.
pub fn npy(shape: (usize, usize), values: &[f64]) -> Vec<u8> {
    let header = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}\n",
        shape.0, shape.1
    );
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes an `.npz` with arrays X and Y.
pub fn npz(path: &Path, x: (usize, usize, &[f64]), y: (usize, usize, &[f64])) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("X.npy", opts).unwrap();
    zip.write_all(&npy((x.0, x.1), x.2)).unwrap();
    zip.start_file("Y.npy", opts).unwrap();
    zip.write_all(&npy((y.0, y.1), y.2)).unwrap();
    zip.finish().unwrap();
}

/// A valid LCBench-style X matrix of `n` rows.
pub fn lcbench_x(n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|i| [32.0 + i as f64, 1e-3, 0.5, 1e-3, 2.0, 128.0, 0.1])
        .collect()
}

//! Reading 2-D float arrays from NumPy `.npz` archives (a zip of `.npy` files).

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// A dense row-major 2-D array of f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Array2 {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row-major values.
    pub data: Vec<f64>,
}

/// Reads the 2-D array `name` (`X` reads entry `X.npy`) from the archive at `path`.
pub fn read_npz_array(path: &Path, name: &str) -> Result<Array2> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| {
        DataError::malformed(path, format!("not a readable .npz (zip) archive: {e}"))
    })?;
    let entry_name = format!("{name}.npy");
    let mut entry = archive
        .by_name(&entry_name)
        .map_err(|_| DataError::malformed(path, format!("no array `{name}` in the archive")))?;
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut bytes).map_err(|e| {
        DataError::malformed(path, format!("array `{name}`: truncated or corrupt: {e}"))
    })?;
    parse_npy(&bytes)
        .map_err(|detail| DataError::malformed(path, format!("array `{name}`: {detail}")))
}

/// Parses a `.npy` file holding a 2-D little-endian f8 or f4 array.
pub fn parse_npy(bytes: &[u8]) -> Result<Array2, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr").ok_or("header has no `descr`")?;
    let item = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<f8" => 8,
        "<f4" => 4,
        other => {
            return Err(format!(
                "dtype {other} is not supported (expected <f8 or <f4)"
            ));
        }
    };
    let fortran = dict_value(header, "fortran_order")
        .ok_or("header has no `fortran_order`")?
        .starts_with("True");
    let shape = dict_value(header, "shape").ok_or("header has no `shape`")?;
    let dims: Vec<usize> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {shape}")))
        .collect::<Result<_, _>>()?;
    let [rows, cols] = dims[..] else {
        return Err(format!("expected a 2-D array, shape is {shape}"));
    };
    let body = &bytes[start + header_len..];
    let want = rows * cols * item;
    if body.len() < want {
        return Err(format!(
            "truncated: {} data bytes, shape {shape} needs {want}",
            body.len()
        ));
    }
    let values: Vec<f64> = if item == 8 {
        body[..want]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    } else {
        body[..want]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect()
    };
    let data = if fortran {
        (0..rows * cols)
            .map(|k| values[(k % cols) * rows + k / cols])
            .collect()
    } else {
        values
    };
    Ok(Array2 { rows, cols, data })
}

/// The text of `key`'s value in a Python dict literal such as a .npy header.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, body: &[u8]) -> Vec<u8> {
        let header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}\n",
            if fortran { "True" } else { "False" }
        );
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    fn f8(xs: &[f64]) -> Vec<u8> {
        xs.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn reads_c_and_fortran_order() {
        let c = parse_npy(&npy("<f8", false, "(2, 3)", &f8(&[1., 2., 3., 4., 5., 6.]))).unwrap();
        assert_eq!(
            (c.rows, c.cols, c.data.clone()),
            (2, 3, vec![1., 2., 3., 4., 5., 6.])
        );
        let f = parse_npy(&npy("<f8", true, "(2, 3)", &f8(&[1., 4., 2., 5., 3., 6.]))).unwrap();
        assert_eq!(f, c);
    }

    #[test]
    fn rejects_truncated_bodies_wrong_dtypes_and_shapes() {
        let e = parse_npy(&npy("<f8", false, "(2, 3)", &f8(&[1., 2.]))).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = parse_npy(&npy("<i8", false, "(1, 1)", &f8(&[1.]))).unwrap_err();
        assert!(e.contains("<i8"), "{e}");
        let e = parse_npy(&npy("<f8", false, "(3,)", &f8(&[1., 2., 3.]))).unwrap_err();
        assert!(e.contains("2-D"), "{e}");
        assert!(parse_npy(b"garbage").is_err());
    }
}

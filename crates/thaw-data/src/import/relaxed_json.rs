//! JSON with the bare `NaN`, `Infinity` and `-Infinity` tokens that Python's `json`
//! module writes: rewritten, length-preserving, into standard JSON strings so that
//! `serde_json` can parse the file and its error positions still point into the
//! original file.

/// The string a bare `NaN` becomes (3 bytes, like `NaN`).
pub const NAN_TOKEN: &str = "N";
/// The string a bare `Infinity` becomes (8 bytes, like `Infinity`).
pub const INF_TOKEN: &str = "Infini";
/// The string a bare `-Infinity` becomes (9 bytes, like `-Infinity`).
pub const NEG_INF_TOKEN: &str = "-Infini";

/// Rewrites the non-standard tokens outside strings; every other byte is kept, so
/// line and column numbers are unchanged.
pub fn rewrite_non_finite_tokens(bytes: &mut [u8]) {
    const REWRITES: [(&[u8], &[u8]); 3] = [
        (b"-Infinity", b"\"-Infini\""),
        (b"Infinity", b"\"Infini\""),
        (b"NaN", b"\"N\""),
    ];
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let rewrite = REWRITES
            .iter()
            .find(|(from, _)| bytes[i..].starts_with(from));
        match rewrite {
            Some((from, to)) => {
                bytes[i..i + from.len()].copy_from_slice(to);
                i += from.len();
            }
            None => i += 1,
        }
    }
}

/// Reads one curve value: a number, `null` or one of the rewritten tokens.
pub fn value_as_f64(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::Null => Some(f64::NAN),
        serde_json::Value::String(s) => match s.as_str() {
            NAN_TOKEN => Some(f64::NAN),
            INF_TOKEN => Some(f64::INFINITY),
            NEG_INF_TOKEN => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_tokens_outside_strings_only_and_keeps_length() {
        let src = r#"{"NaN": [NaN, 1.5, -Infinity, Infinity], "s": "a \" NaN"}"#;
        let mut bytes = src.as_bytes().to_vec();
        rewrite_non_finite_tokens(&mut bytes);
        assert_eq!(bytes.len(), src.len());
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let xs: Vec<f64> = v["NaN"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| value_as_f64(x).unwrap())
            .collect();
        assert!(xs[0].is_nan());
        assert_eq!(&xs[1..], &[1.5, f64::NEG_INFINITY, f64::INFINITY]);
        assert_eq!(v["s"], "a \" NaN");
    }
}

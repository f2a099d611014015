//! Bad input is normal input: every case gives an error naming the file (and row
//! and field where there is one); nothing panics. Non-finite curve values are not
//! errors: they are cleaned and counted.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use thaw_data::{Benchmark, DataError, import_dir, load_tasks, read_benchmark, write_benchmark};

fn import_err(b: Benchmark, dir: &Path) -> String {
    let e = import_dir(b, dir).expect_err("import should fail");
    e.to_string()
}

#[test]
fn truncated_json_names_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    let full = format!("[{}]", good_rows(3).join(", "));
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(
        msg.contains("t.json") && msg.contains("not valid JSON") && msg.contains("column"),
        "{msg}"
    );
}

#[test]
fn empty_json_file_and_empty_array_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e.json"), "").unwrap();
    assert!(import_err(Benchmark::TaskSet, dir.path()).contains("e.json"));
    std::fs::write(dir.path().join("e.json"), "[]").unwrap();
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(
        msg.contains("e.json") && msg.contains("no configurations"),
        "{msg}"
    );
}

#[test]
fn curve_of_wrong_length_names_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows(3);
    rows[2] = taskset_row(&[], &["0.7", "0.6", "0.5"]);
    taskset_dir(dir.path(), "t", &rows);
    let e = import_dir(Benchmark::TaskSet, dir.path()).unwrap_err();
    match &e {
        DataError::Field { row, field, .. } => {
            assert_eq!((*row, field.as_str()), (2, "valid.loss"))
        }
        other => panic!("expected a field error, got {other}"),
    }
    assert!(
        e.to_string().contains("t.json") && e.to_string().contains("has 3 points, expected 4"),
        "{e}"
    );
}

#[test]
fn missing_hyperparameter_names_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows(2);
    rows[1] = taskset_row(&[("beta2", None)], &["0.7", "0.6", "0.5", "0.4"]);
    taskset_dir(dir.path(), "t", &rows);
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(
        msg.contains("row 1") && msg.contains("`beta2`") && msg.contains("missing"),
        "{msg}"
    );
}

#[test]
fn non_finite_hyperparameters_are_errors_in_json_npz_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows(2);
    rows[0] = taskset_row(&[("epsilon", Some("NaN"))], &["0.7", "0.6", "0.5", "0.4"]);
    taskset_dir(dir.path(), "t", &rows);
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(
        msg.contains("row 0") && msg.contains("`epsilon`") && msg.contains("non-finite"),
        "{msg}"
    );

    let mut x = lcbench_x(3);
    x[7 + 1] = f64::INFINITY; // row 1, learning_rate
    npz(&dir.path().join("d.npz"), (3, 7, &x), (3, 2, &[1.0; 6]));
    let msg = import_err(Benchmark::LcBench, dir.path());
    assert!(
        msg.contains("d.npz") && msg.contains("row 1") && msg.contains("`learning_rate`"),
        "{msg}"
    );

    let parquet = dir.path().join("bad.parquet");
    let mut raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir.path())).unwrap();
    raw.tasks[0].hps[8 + 3] = f64::NAN; // row 1, epsilon
    write_benchmark(&raw, &parquet).unwrap();
    let msg = load_tasks(&parquet, None).unwrap_err().to_string();
    assert!(
        msg.contains("bad.parquet") && msg.contains("row 1") && msg.contains("`epsilon`"),
        "{msg}"
    );
}

/// A valid thaw Parquet file `name` in `dir`, imported from a small TaskSet task.
fn good_parquet(dir: &Path, name: &str) -> std::path::PathBuf {
    let raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir)).unwrap();
    let path = dir.join(name);
    write_benchmark(&raw, &path).unwrap();
    path
}

fn write_good_taskset(dir: &Path) -> std::path::PathBuf {
    let sub = dir.join("good");
    std::fs::create_dir_all(&sub).unwrap();
    taskset_dir(&sub, "good", &good_rows(3));
    sub
}

#[test]
fn non_finite_curve_values_are_cleaned_and_counted_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows(3);
    rows[1] = taskset_row(&[], &["0.7", "NaN", "Infinity", "1e18"]);
    taskset_dir(dir.path(), "t", &rows);
    let raw = import_dir(Benchmark::TaskSet, dir.path()).unwrap();
    let v = raw.tasks[0].curve("valid", 1).unwrap();
    assert!(v[1].is_nan() && v[2] == f32::INFINITY && v[3] == 1e18);
    let path = dir.path().join("t.parquet");
    write_benchmark(&raw, &path).unwrap();
    let task = &load_tasks(&path, None).unwrap()[0];
    assert_eq!(task.report.nonfinite_curves, 1);
    assert_eq!(task.report.nonfinite_values, 2);
    assert_eq!(
        task.report.diverged_curves, 0,
        "a curve with NaN counts as NaN, not diverged"
    );
    assert_eq!(task.curves.curve(1), &[0.0, 0.0, 0.0]);
}

#[test]
fn truncated_and_empty_npz_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.npz");
    npz(&path, (2, 7, &lcbench_x(2)), (2, 3, &[1.0; 6]));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
    let msg = import_err(Benchmark::LcBench, dir.path());
    assert!(msg.contains("d.npz"), "{msg}");
    std::fs::write(&path, b"").unwrap();
    let msg = import_err(Benchmark::LcBench, dir.path());
    assert!(msg.contains("d.npz") && msg.contains("npz"), "{msg}");
}

#[test]
fn npz_with_wrong_columns_or_rows_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    npz(
        &dir.path().join("d.npz"),
        (2, 3, &[0.0; 6]),
        (2, 3, &[1.0; 6]),
    );
    assert!(import_err(Benchmark::LcBench, dir.path()).contains("3 columns, expected 7"));
    npz(
        &dir.path().join("d.npz"),
        (2, 7, &lcbench_x(2)),
        (3, 2, &[1.0; 6]),
    );
    assert!(import_err(Benchmark::LcBench, dir.path()).contains("rows"));
}

#[test]
fn unknown_benchmark_and_empty_directory_are_errors() {
    let e = "imagenet".parse::<Benchmark>().unwrap_err().to_string();
    assert!(e.contains("imagenet") && e.contains("taskset"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(msg.contains("no *.json files"), "{msg}");
    let msg = import_err(Benchmark::LcBench, &dir.path().join("missing"));
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn truncated_and_foreign_parquet_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = good_parquet(dir.path(), "t.parquet");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let msg = read_benchmark(&path, None).unwrap_err().to_string();
    assert!(
        msg.contains("t.parquet") && msg.contains("Parquet"),
        "{msg}"
    );
    std::fs::write(&path, b"").unwrap();
    assert!(
        read_benchmark(&path, None)
            .unwrap_err()
            .to_string()
            .contains("t.parquet")
    );

    // A valid Parquet file that thaw did not write: no metadata.
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Float64, false)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Float64Array::from(vec![1.0])) as ArrayRef],
    )
    .unwrap();
    write_plain_parquet(&path, schema, batch, None);
    let msg = read_benchmark(&path, None).unwrap_err().to_string();
    assert!(msg.contains("not a thaw curve file"), "{msg}");
}

fn write_plain_parquet(
    path: &Path,
    schema: Arc<Schema>,
    batch: RecordBatch,
    meta_from: Option<&Path>,
) {
    let kv = meta_from.map(|p| {
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(p).unwrap())
                .unwrap();
        use parquet::file::reader::FileReader;
        reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap()
    });
    let props = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(kv)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A one-row file with only `task` and `config_id` (of the given array's type),
/// carrying the metadata of the thaw file `meta_from`.
fn write_task_and_config_id(path: &Path, config_id: ArrayRef, meta_from: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("task", DataType::Utf8, false),
        Field::new("config_id", config_id.data_type().clone(), false),
    ]));
    let columns = vec![
        Arc::new(StringArray::from(vec!["t"])) as ArrayRef,
        config_id,
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    write_plain_parquet(path, schema, batch, Some(meta_from));
}

#[test]
fn wrong_column_type_and_missing_column_name_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_parquet(dir.path(), "good.parquet");
    // Same metadata, but config_id stored as Float64 and no hyperparameter columns.
    let bad = dir.path().join("bad.parquet");
    write_task_and_config_id(&bad, Arc::new(Float64Array::from(vec![0.0])), &good);
    let msg = read_benchmark(&bad, None).unwrap_err().to_string();
    assert!(
        msg.contains("bad.parquet")
            && msg.contains("`config_id`")
            && msg.contains("expected UInt32"),
        "{msg}"
    );
    // Right types, but the hyperparameter columns are missing.
    write_task_and_config_id(&bad, Arc::new(UInt32Array::from(vec![0])), &good);
    let msg = read_benchmark(&bad, None).unwrap_err().to_string();
    assert!(
        msg.contains("`learning_rate`") && msg.contains("missing"),
        "{msg}"
    );
}

#[test]
fn parquet_curve_of_wrong_length_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir.path())).unwrap();
    // Two tasks of 3 rows each.
    let mut second = raw.tasks[0].clone();
    second.name = "other".into();
    raw.tasks.push(second);
    let path = dir.path().join("t.parquet");
    write_benchmark(&raw, &path).unwrap();
    assert_eq!(read_benchmark(&path, None).unwrap().tasks.len(), 2);
    // Row 4 (the second task's row 1) loses its last point.
    let ragged = ragged_copy(&path, dir.path());
    let msg = read_benchmark(&ragged, None).unwrap_err().to_string();
    assert!(
        msg.contains("row 4") && msg.contains("`valid`") && msg.contains("3 points"),
        "{msg}"
    );
}

/// Copies a thaw Parquet file, dropping the last point of row 4's curves.
fn ragged_copy(path: &Path, dir: &Path) -> std::path::PathBuf {
    use arrow_array::builder::{Float32Builder, ListBuilder};
    use arrow_array::{Array, Float32Array, ListArray};
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let batch = arrow_select_concat(&batches);
    let schema = batch.schema();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for col in batch.columns() {
        if let Some(list) = col.as_any().downcast_ref::<ListArray>() {
            let mut b = ListBuilder::new(Float32Builder::new()).with_field(Arc::new(Field::new(
                "item",
                DataType::Float32,
                false,
            )));
            for i in 0..list.len() {
                let v = list.value(i);
                let v = v.as_any().downcast_ref::<Float32Array>().unwrap();
                let n = if i == 4 { v.len() - 1 } else { v.len() };
                b.values().append_slice(&v.values()[..n]);
                b.append(true);
            }
            cols.push(Arc::new(b.finish()));
        } else {
            cols.push(col.clone());
        }
    }
    let out = dir.join("ragged.parquet");
    write_plain_parquet(
        &out,
        schema.clone(),
        RecordBatch::try_new(schema, cols).unwrap(),
        Some(path),
    );
    out
}

fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    arrow_select::concat::concat_batches(&batches[0].schema(), batches).unwrap()
}

#[test]
fn tasks_with_different_splits_are_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Same number of splits, different names: {valid, train} vs {valid, test}.
    let without = |from: &str| {
        good_rows(2)
            .iter()
            .map(|r| r.replace(from, "\"unused\": {"))
            .collect::<Vec<_>>()
    };
    taskset_dir(dir.path(), "a", &without("\"test\": {"));
    taskset_dir(dir.path(), "b", &without("\"train\": {"));
    let msg = import_err(Benchmark::TaskSet, dir.path());
    assert!(msg.contains("b.json") && msg.contains("splits"), "{msg}");
}

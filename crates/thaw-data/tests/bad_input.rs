//! Bad input is normal input: every case gives an error naming the file (and row
//! and field where there is one); nothing panics. Non-finite curve values are not
//! errors: they are cleaned and counted.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{ArrayRef, Float64Array, ListArray, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use thaw_data::{
    Benchmark, DataError, RawBenchmark, RawTask, import_dir, load_tasks, read_benchmark,
    write_benchmark,
};

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
    write_plain_parquet(&path, schema, batch, None, 1024);
    let msg = read_benchmark(&path, None).unwrap_err().to_string();
    assert!(msg.contains("not a thaw curve file"), "{msg}");
}

/// Writes `batch` in row groups of at most `group` rows, with the thaw metadata of
/// `meta_from` (without its Arrow schema, so that the new schema is the one read).
fn write_plain_parquet(
    path: &Path,
    schema: Arc<Schema>,
    batch: RecordBatch,
    meta_from: Option<&Path>,
    group: usize,
) {
    let kv = meta_from.map(|p| {
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(p).unwrap())
                .unwrap();
        use parquet::file::reader::FileReader;
        let kv = reader.metadata().file_metadata().key_value_metadata();
        kv.unwrap()
            .iter()
            .filter(|e| e.key != "ARROW:schema")
            .cloned()
            .collect()
    });
    let props = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(kv)
        .set_max_row_group_row_count(Some(group))
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
    write_plain_parquet(path, schema, batch, Some(meta_from), 1024);
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

/// The good TaskSet task twice (the second called `other`), 3 rows each, written to
/// `dir/t.parquet`.
fn two_tasks(dir: &Path) -> (thaw_data::RawBenchmark, std::path::PathBuf) {
    let mut raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir)).unwrap();
    let mut second = raw.tasks[0].clone();
    second.name = "other".into();
    raw.tasks.push(second);
    let path = dir.join("t.parquet");
    write_benchmark(&raw, &path).unwrap();
    (raw, path)
}

#[test]
fn parquet_curve_of_wrong_length_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = two_tasks(dir.path());
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
    let out = dir.join("ragged.parquet");
    rewrite(path, &out, 1024, |_, col| {
        lists(col, |i, v| {
            Some(if i == 4 { v[..v.len() - 1].to_vec() } else { v })
        })
    });
    out
}

/// Copies the thaw file `src` to `dst` (same metadata, row groups of `group` rows),
/// letting `edit` replace any column of the whole table by name. Every field of the
/// copy is nullable, so that `edit` can put nulls in.
fn rewrite(
    src: &Path,
    dst: &Path,
    group: usize,
    edit: impl Fn(&str, &ArrayRef) -> Option<ArrayRef>,
) {
    let file = std::fs::File::open(src).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let batch = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
    let (mut fields, mut columns) = (Vec::new(), Vec::new());
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        let col = edit(field.name(), col).unwrap_or_else(|| col.clone());
        fields.push(Field::new(field.name(), col.data_type().clone(), true));
        columns.push(col);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    write_plain_parquet(dst, schema, batch, Some(src), group);
}

/// A list<float32> column with row i replaced by `f(i, items)` (`None`: a null list);
/// `None` if `col` is not a list column.
fn lists(
    col: &ArrayRef,
    f: impl Fn(usize, Vec<Option<f32>>) -> Option<Vec<Option<f32>>>,
) -> Option<ArrayRef> {
    let list = col.as_any().downcast_ref::<ListArray>()?;
    let rows = list.iter().enumerate().map(|(i, v)| {
        let items = v.unwrap().as_primitive::<Float32Type>().iter().collect();
        f(i, items)
    });
    Some(Arc::new(
        ListArray::from_iter_primitive::<Float32Type, _, _>(rows),
    ))
}

/// A float64 column with a null in row `row`.
fn null_at(col: &ArrayRef, row: usize) -> ArrayRef {
    let values = col.as_primitive::<Float64Type>().iter().enumerate();
    Arc::new(Float64Array::from_iter(
        values.map(|(i, v)| if i == row { None } else { v }),
    ))
}

/// Asserts that `result` is a [`DataError::Field`] at `row` of `field`, and that
/// its message names the file, the row, the field and each of `words`.
fn assert_field_error<T: std::fmt::Debug>(
    result: thaw_data::Result<T>,
    file: &str,
    row: usize,
    field: &str,
    words: &[&str],
) {
    let e = result.expect_err("reading should fail");
    let msg = e.to_string();
    assert!(
        matches!(&e, DataError::Field { row: r, field: f, .. } if *r == row && f == field),
        "expected row {row}, field `{field}`: {msg}"
    );
    assert!(
        msg.contains(file)
            && msg.contains(&format!("row {row},"))
            && msg.contains(&format!("`{field}`")),
        "{msg}"
    );
    for w in words {
        assert!(msg.contains(w), "expected `{w}`: {msg}");
    }
}

#[test]
fn nulls_in_a_parquet_list_name_file_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_parquet(dir.path(), "good.parquet");
    let bad = dir.path().join("nulls.parquet");
    // A null point inside row 1's validation curve.
    rewrite(&good, &bad, 1024, |name, col| {
        let null_point = |i, mut v: Vec<Option<f32>>| {
            if i == 1 {
                v[2] = None;
            }
            Some(v)
        };
        if name == "valid" {
            lists(col, null_point)
        } else {
            None
        }
    });
    assert_field_error(
        read_benchmark(&bad, None),
        "nulls.parquet",
        1,
        "valid",
        &["null", "point 2"],
    );
    // Row 2 has no training curve at all (a null list).
    rewrite(&good, &bad, 1024, |name, col| {
        if name == "train" {
            lists(col, |i, v| (i != 2).then_some(v))
        } else {
            None
        }
    });
    assert_field_error(
        read_benchmark(&bad, None),
        "nulls.parquet",
        2,
        "train",
        &["null"],
    );
}

#[test]
fn duplicate_config_id_in_a_task_names_both_rows_and_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut raw, path) = two_tasks(dir.path());
    assert!(
        read_benchmark(&path, None).is_ok(),
        "the same ids in two tasks are fine"
    );
    // Rows 3..6 are task `other`; its third row repeats the id of its first.
    raw.tasks[1].config_ids = vec![0, 1, 0];
    write_benchmark(&raw, &path).unwrap();
    assert_field_error(
        read_benchmark(&path, None),
        "t.parquet",
        5,
        "config_id",
        &["id 0", "row 3", "`other`"],
    );
}

#[test]
fn log_scale_hyperparameter_out_of_its_domain_is_an_error_in_json_npz_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = good_rows(2);
    rows[1] = taskset_row(
        &[("learning_rate", Some("-0.001"))],
        &["0.7", "0.6", "0.5", "0.4"],
    );
    taskset_dir(dir.path(), "t", &rows);
    assert_field_error(
        import_dir(Benchmark::TaskSet, dir.path()),
        "t.json",
        1,
        "learning_rate",
        &["-0.001", "log"],
    );

    let mut x = lcbench_x(3);
    x[2 * 7] = 0.0; // row 2, batch_size
    npz(&dir.path().join("d.npz"), (3, 7, &x), (3, 2, &[1.0; 6]));
    assert_field_error(
        import_dir(Benchmark::LcBench, dir.path()),
        "d.npz",
        2,
        "batch_size",
        &["log"],
    );

    let parquet = dir.path().join("bad.parquet");
    let mut raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir.path())).unwrap();
    raw.tasks[0].hps[8 + 3] = 0.0; // row 1, epsilon (log)
    write_benchmark(&raw, &parquet).unwrap();
    assert_field_error(
        read_benchmark(&parquet, None),
        "bad.parquet",
        1,
        "epsilon",
        &["log"],
    );
    raw.tasks[0].hps[8 + 3] = 1e-3;
    raw.tasks[0].hps[2 * 8 + 1] = 1.0; // row 2, beta1 (log1m)
    write_benchmark(&raw, &parquet).unwrap();
    assert_field_error(
        read_benchmark(&parquet, None),
        "bad.parquet",
        2,
        "beta1",
        &["log"],
    );
}

#[test]
fn short_curve_in_row_0_names_the_short_field_and_the_expected_length() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_parquet(dir.path(), "good.parquet");
    let bad = dir.path().join("short.parquet");
    let shorten_row_0 = |v: Vec<Option<f32>>| v[..3].to_vec();
    // Only row 0's validation curve is short: 3 points where the other 8 curves have 4.
    rewrite(&good, &bad, 1024, |name, col| {
        if name == "valid" {
            lists(col, |i, v| Some(if i == 0 { shorten_row_0(v) } else { v }))
        } else {
            None
        }
    });
    assert_field_error(
        read_benchmark(&bad, None),
        "short.parquet",
        0,
        "valid",
        &["has 3 points", "expected 4", "8 of the 9"],
    );
    // Every curve of row 0 is short: row 0 is blamed, not row 1.
    rewrite(&good, &bad, 1024, |_, col| {
        lists(col, |i, v| Some(if i == 0 { shorten_row_0(v) } else { v }))
    });
    assert_field_error(
        read_benchmark(&bad, None),
        "short.parquet",
        0,
        "valid",
        &["has 3 points", "expected 4", "6 of the 9"],
    );
}

/// `tasks` tasks of `rows` configurations each (cycling through a small imported task).
fn many_rows(dir: &Path, tasks: usize, rows: usize) -> RawBenchmark {
    let mut raw = import_dir(Benchmark::TaskSet, &write_good_taskset(dir)).unwrap();
    let t = &raw.tasks[0];
    let n_hps = raw.meta.hyperparameters.len();
    let task = |k: usize| RawTask {
        name: format!("task{k}"),
        config_ids: (0..rows as u32).collect(),
        hps: (0..rows)
            .flat_map(|i| t.hp_row(i % t.configs(), n_hps).to_vec())
            .collect(),
        points: t.points,
        curves: t
            .curves
            .keys()
            .map(|s| {
                let c = (0..rows).flat_map(|i| t.curve(s, i % t.configs()).unwrap().to_vec());
                (s.clone(), c.collect())
            })
            .collect(),
    };
    raw.tasks = (0..tasks).map(task).collect();
    raw
}

#[test]
fn errors_past_the_first_record_batch_name_the_file_row() {
    let dir = tempfile::tempdir().unwrap();
    // TaskSet's shape: 10 tasks of 1000 configurations in row groups of 1000, so file
    // row 8200 is row 8 of the reader's second record batch (8192 rows) and row 200
    // of its row group.
    let good = dir.path().join("good.parquet");
    write_benchmark(&many_rows(dir.path(), 10, 1000), &good).unwrap();
    assert_eq!(read_benchmark(&good, None).unwrap().tasks.len(), 10);
    let bad = dir.path().join("big.parquet");
    rewrite(&good, &bad, 1000, |name, col| {
        (name == "epsilon").then(|| null_at(col, 8200))
    });
    {
        use parquet::file::reader::FileReader;
        let reader =
            parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&bad).unwrap())
                .unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 10);
    }
    assert_field_error(
        read_benchmark(&bad, None),
        "big.parquet",
        8200,
        "epsilon",
        &["null"],
    );
    rewrite(&good, &bad, 1000, |name, col| {
        if name == "valid" {
            lists(col, |i, mut v| {
                if i == 9500 {
                    v[0] = None;
                }
                Some(v)
            })
        } else {
            None
        }
    });
    assert_field_error(
        read_benchmark(&bad, None),
        "big.parquet",
        9500,
        "valid",
        &["null"],
    );
    // Task 8 (rows 8000..9000) repeats its first id in its last row, in the next batch.
    let mut raw = many_rows(dir.path(), 10, 1000);
    raw.tasks[8].config_ids[999] = 0;
    write_benchmark(&raw, &bad).unwrap();
    assert_field_error(
        read_benchmark(&bad, None),
        "big.parquet",
        8999,
        "config_id",
        &["row 8000", "id 0"],
    );
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

//! Reading thaw's Parquet files back into [`RawBenchmark`]s, checking every column.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use arrow_array::{
    Array, Float32Array, Float64Array, ListArray, RecordBatch, StringArray, UInt32Array,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;

use super::{CONFIG_COLUMN, TASK_COLUMN};
use crate::error::{DataError, Result};
use crate::raw::{RawBenchmark, RawTask};
use crate::schema::{BenchmarkMeta, FORMAT_VERSION, META_KEY, VERSION_KEY};

/// Reads only the benchmark description of a thaw Parquet file.
pub fn read_meta(path: &Path) -> Result<BenchmarkMeta> {
    let builder = open(path)?;
    meta_of(path, builder.metadata())
}

/// Reads the tasks of a thaw Parquet file; with `only`, just the tasks named there
/// (an unknown name is an error that lists the tasks the file has).
pub fn read_benchmark(path: &Path, only: Option<&[String]>) -> Result<RawBenchmark> {
    let builder = open(path)?;
    let meta = meta_of(path, builder.metadata())?;
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| DataError::malformed(path, format!("not a readable Parquet file: {e}")))?;
    let mut parts: Vec<Partial> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut first_row = 0;
    for batch in reader {
        let batch = batch
            .map_err(|e| DataError::malformed(path, format!("truncated or corrupt data: {e}")))?;
        read_batch(path, &meta, &batch, first_row, only, &mut parts, &mut index)?;
        first_row += batch.num_rows();
    }
    let mut tasks = parts
        .into_iter()
        .map(|p| p.finish(path, &meta.splits))
        .collect::<Result<Vec<_>>>()?;
    if let Some(names) = only {
        if let Some(missing) = names.iter().find(|n| !index.contains_key(*n)) {
            let all = task_names(path)?;
            return Err(DataError::NoData {
                path: path.into(),
                what: format!("no task `{missing}`; the file has: {}", all.join(", ")),
            });
        }
        tasks.sort_by_key(|t| names.iter().position(|n| *n == t.name));
    }
    if tasks.is_empty() {
        return Err(DataError::NoData {
            path: path.into(),
            what: "the file holds no tasks".into(),
        });
    }
    Ok(RawBenchmark { meta, tasks })
}

/// The task names of a file, in file order (reads only the `task` column).
fn task_names(path: &Path) -> Result<Vec<String>> {
    let builder = open(path)?;
    let mask = parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), [TASK_COLUMN]);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| DataError::malformed(path, e.to_string()))?;
    let mut names: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| DataError::malformed(path, e.to_string()))?;
        let col = column::<StringArray>(path, &batch, TASK_COLUMN, "Utf8")?;
        for name in col.iter().flatten() {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| DataError::malformed(path, format!("not a readable Parquet file: {e}")))
}

fn meta_of(path: &Path, metadata: &ParquetMetaData) -> Result<BenchmarkMeta> {
    let kv = metadata.file_metadata().key_value_metadata();
    let get = |key: &str| {
        kv.and_then(|kv| kv.iter().find(|e| e.key == key))
            .and_then(|e| e.value.clone())
    };
    let json = get(META_KEY).ok_or_else(|| {
        DataError::malformed(
            path,
            format!("not a thaw curve file: no `{META_KEY}` key-value metadata"),
        )
    })?;
    if let Some(v) = get(VERSION_KEY).filter(|v| v != FORMAT_VERSION) {
        return Err(DataError::malformed(
            path,
            format!("format version {v}; this thaw reads {FORMAT_VERSION}"),
        ));
    }
    let meta: BenchmarkMeta = serde_json::from_str(&json).map_err(|e| {
        DataError::malformed(path, format!("metadata `{META_KEY}` is not valid: {e}"))
    })?;
    for h in &meta.hyperparameters {
        h.validate().map_err(|e| DataError::malformed(path, e))?;
    }
    if meta.splits.first().map(String::as_str) != Some("valid") {
        return Err(DataError::malformed(
            path,
            "metadata: splits must start with `valid`",
        ));
    }
    Ok(meta)
}

/// Column `name` of `batch` as an array of type `T` (nulls are checked row by row).
fn column<'a, T: 'static>(
    path: &Path,
    batch: &'a RecordBatch,
    name: &str,
    expected: &str,
) -> Result<&'a T> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| DataError::column(path, name, "missing"))?;
    col.as_any().downcast_ref::<T>().ok_or_else(|| {
        DataError::column(
            path,
            name,
            format!("expected {expected}, found {}", col.data_type()),
        )
    })
}

/// A task being read: its rows so far, with what is checked across rows.
struct Partial {
    /// The rows read so far (`points` is set by [`finish`](Self::finish)).
    task: RawTask,
    /// File row of each configuration.
    rows: Vec<usize>,
    /// Curve lengths, row-major [configs × splits].
    lens: Vec<usize>,
    /// File row of each configuration id.
    ids: HashMap<u32, usize>,
}

impl Partial {
    /// The task, once every curve is known to have the length most of the task's
    /// curves have (on a tie, the longer), and at least 2 points. The reference is
    /// not the first row's, so that a short curve in row 0 is the one blamed.
    fn finish(mut self, path: &Path, splits: &[String]) -> Result<RawTask> {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for &n in &self.lens {
            *counts.entry(n).or_default() += 1;
        }
        let (points, count) = counts
            .into_iter()
            .max_by_key(|&(n, c)| (c, n))
            .unwrap_or_default();
        let bad = |n: usize| if points < 2 { n < 2 } else { n != points };
        if let Some(k) = self.lens.iter().position(|&n| bad(n)) {
            let n = self.lens[k];
            let problem = if points < 2 {
                format!("a curve needs at least 2 points, has {n}")
            } else {
                format!(
                    "curve has {n} points, expected {points} (the length of {count} of the {} \
                     curves of task `{}`)",
                    self.lens.len(),
                    self.task.name
                )
            };
            let (row, split) = (self.rows[k / splits.len()], &splits[k % splits.len()]);
            return Err(DataError::field(path, row, split, problem));
        }
        self.task.points = points;
        Ok(self.task)
    }
}

/// Appends the rows of `batch` (file rows `first_row..`) to their tasks.
fn read_batch(
    path: &Path,
    meta: &BenchmarkMeta,
    batch: &RecordBatch,
    first_row: usize,
    only: Option<&[String]>,
    tasks: &mut Vec<Partial>,
    index: &mut HashMap<String, usize>,
) -> Result<()> {
    let names = column::<StringArray>(path, batch, TASK_COLUMN, "Utf8 (string)")?;
    let ids = column::<UInt32Array>(path, batch, CONFIG_COLUMN, "UInt32")?;
    let hps = meta
        .hyperparameters
        .iter()
        .map(|h| column::<Float64Array>(path, batch, &h.name, "Float64"))
        .collect::<Result<Vec<_>>>()?;
    let splits = meta
        .splits
        .iter()
        .map(|s| {
            let list = column::<ListArray>(path, batch, s, "List<Float32>")?;
            let values = list
                .values()
                .as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(|| {
                    DataError::column(
                        path,
                        s,
                        format!("expected List<Float32>, found {}", list.data_type()),
                    )
                })?;
            Ok((s.as_str(), list, values))
        })
        .collect::<Result<Vec<(&str, &ListArray, &Float32Array)>>>()?;
    for i in 0..batch.num_rows() {
        let row = first_row + i;
        let not_null = |field: &str, col: &dyn Array| {
            if col.is_null(i) {
                Err(DataError::field(path, row, field, "null value"))
            } else {
                Ok(())
            }
        };
        not_null(TASK_COLUMN, names)?;
        let name = names.value(i);
        if only.is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        let k = *index.entry(name.to_string()).or_insert_with(|| {
            tasks.push(Partial {
                task: RawTask {
                    name: name.to_string(),
                    config_ids: Vec::new(),
                    hps: Vec::new(),
                    points: 0,
                    curves: meta
                        .splits
                        .iter()
                        .map(|s| (s.clone(), Vec::new()))
                        .collect::<BTreeMap<_, _>>(),
                },
                rows: Vec::new(),
                lens: Vec::new(),
                ids: HashMap::new(),
            });
            tasks.len() - 1
        });
        let p = &mut tasks[k];
        not_null(CONFIG_COLUMN, ids)?;
        let id = ids.value(i);
        if let Some(first) = p.ids.insert(id, row) {
            return Err(DataError::field(
                path,
                row,
                CONFIG_COLUMN,
                format!("duplicate id {id} in task `{name}` (first at row {first})"),
            ));
        }
        p.task.config_ids.push(id);
        p.rows.push(row);
        for (h, col) in meta.hyperparameters.iter().zip(&hps) {
            not_null(&h.name, *col)?;
            let x = col.value(i);
            h.check_value(x)
                .map_err(|e| DataError::field(path, row, &h.name, e))?;
            p.task.hps.push(x);
        }
        for (split, list, values) in &splits {
            not_null(split, *list)?;
            let offsets = list.value_offsets();
            let points = offsets[i] as usize..offsets[i + 1] as usize;
            if let Some(j) = points.clone().find(|&j| values.is_null(j)) {
                return Err(DataError::field(
                    path,
                    row,
                    *split,
                    format!("null value at point {}", j - points.start),
                ));
            }
            p.lens.push(points.len());
            p.task
                .curves
                .get_mut(*split)
                .expect("split registered")
                .extend_from_slice(&values.values()[points]);
        }
    }
    Ok(())
}

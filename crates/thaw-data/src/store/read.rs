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
    let mut tasks: Vec<RawTask> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut first_row = 0;
    for batch in reader {
        let batch = batch
            .map_err(|e| DataError::malformed(path, format!("truncated or corrupt data: {e}")))?;
        read_batch(path, &meta, &batch, first_row, only, &mut tasks, &mut index)?;
        first_row += batch.num_rows();
    }
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

fn column<'a, T: 'static>(
    path: &Path,
    batch: &'a RecordBatch,
    name: &str,
    expected: &str,
) -> Result<&'a T> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| DataError::column(path, name, "missing"))?;
    let typed = col.as_any().downcast_ref::<T>().ok_or_else(|| {
        DataError::column(
            path,
            name,
            format!("expected {expected}, found {}", col.data_type()),
        )
    })?;
    if col.null_count() > 0 {
        let row = (0..col.len()).find(|&i| col.is_null(i)).unwrap_or(0);
        return Err(DataError::column(
            path,
            name,
            format!("null value (batch row {row})"),
        ));
    }
    Ok(typed)
}

fn read_batch(
    path: &Path,
    meta: &BenchmarkMeta,
    batch: &RecordBatch,
    first_row: usize,
    only: Option<&[String]>,
    tasks: &mut Vec<RawTask>,
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
            Ok((s.as_str(), list.value_offsets(), values.values().as_ref()))
        })
        .collect::<Result<Vec<(&str, &[i32], &[f32])>>>()?;
    for i in 0..batch.num_rows() {
        let row = first_row + i;
        let name = names.value(i);
        if only.is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        let k = *index.entry(name.to_string()).or_insert_with(|| {
            tasks.push(RawTask {
                name: name.to_string(),
                config_ids: Vec::new(),
                hps: Vec::new(),
                points: 0,
                curves: meta
                    .splits
                    .iter()
                    .map(|s| (s.clone(), Vec::new()))
                    .collect::<BTreeMap<_, _>>(),
            });
            tasks.len() - 1
        });
        let task = &mut tasks[k];
        task.config_ids.push(ids.value(i));
        for (h, col) in meta.hyperparameters.iter().zip(&hps) {
            let x = col.value(i);
            if !x.is_finite() {
                return Err(DataError::field(
                    path,
                    row,
                    &h.name,
                    format!("non-finite hyperparameter ({x})"),
                ));
            }
            task.hps.push(x);
        }
        for (split, offsets, values) in &splits {
            let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
            let len = b - a;
            if task.points == 0 {
                if len < 2 {
                    return Err(DataError::field(
                        path,
                        row,
                        *split,
                        format!("a curve needs at least 2 points, has {len}"),
                    ));
                }
                task.points = len;
            } else if len != task.points {
                return Err(DataError::field(
                    path,
                    row,
                    *split,
                    format!("curve has {len} points, task `{name}` has {}", task.points),
                ));
            }
            task.curves
                .get_mut(*split)
                .expect("split registered")
                .extend_from_slice(&values[a..b]);
        }
    }
    Ok(())
}

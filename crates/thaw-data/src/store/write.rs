//! Writing a [`RawBenchmark`] to Parquet, atomically.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, ListBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Encoding, Type as PhysicalType, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{WriterProperties, WriterPropertiesBuilder};

use super::{CONFIG_COLUMN, TASK_COLUMN};
use crate::atomic::write_atomically;
use crate::error::{DataError, Result};
use crate::raw::{RawBenchmark, RawTask};
use crate::schema::{FORMAT_VERSION, META_KEY, VERSION_KEY};

/// The Arrow schema of a benchmark's Parquet file.
pub fn arrow_schema(bench: &RawBenchmark) -> Schema {
    let mut fields = vec![
        Field::new(TASK_COLUMN, DataType::Utf8, false),
        Field::new(CONFIG_COLUMN, DataType::UInt32, false),
    ];
    fields.extend(
        bench
            .meta
            .hyperparameters
            .iter()
            .map(|h| Field::new(&h.name, DataType::Float64, false)),
    );
    fields.extend(
        bench
            .meta
            .splits
            .iter()
            .map(|s| Field::new(s, list_type(), false)),
    );
    Schema::new(fields)
}

/// `list<float32>` with non-null items (missing values are NaN, not null).
pub fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float32, false)))
}

/// The zstd level of written files: slow levels buy little on noisy floats.
const ZSTD_LEVEL: i32 = 9;

/// Writes `bench` to `path` (temp file + rename), one row group per task.
///
/// Columns are zstd-compressed; float columns (hyperparameters, curves) use the
/// BYTE_STREAM_SPLIT encoding, which groups the floats' exponent bytes so that they
/// compress: a generated 1000-configuration task takes well under half the space it
/// took with Snappy and plain encoding. Readers need nothing new (both are standard
/// Parquet; older files stay readable).
pub fn write_benchmark(bench: &RawBenchmark, path: &Path) -> Result<()> {
    let schema = Arc::new(arrow_schema(bench));
    let meta_json = serde_json::to_string(&bench.meta).expect("metadata serialises");
    let parquet_err = |e: parquet::errors::ParquetError| {
        DataError::malformed(path, format!("writing Parquet: {e}"))
    };
    let level = ZstdLevel::try_new(ZSTD_LEVEL).map_err(parquet_err)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_key_value_metadata(Some(vec![
            KeyValue::new(VERSION_KEY.to_string(), FORMAT_VERSION.to_string()),
            KeyValue::new(META_KEY.to_string(), meta_json),
        ]));
    let props = split_float_columns(props, &schema)
        .map_err(parquet_err)?
        .build();
    write_atomically(path, |file| {
        let mut writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(parquet_err)?;
        for task in &bench.tasks {
            let batch = task_batch(bench, task, schema.clone())
                .map_err(|e| DataError::malformed(path, format!("task {}: {e}", task.name)))?;
            writer.write(&batch).map_err(parquet_err)?;
            writer.flush().map_err(parquet_err)?;
        }
        writer.close().map_err(parquet_err)?;
        Ok(())
    })
}

/// Sets BYTE_STREAM_SPLIT (and no dictionary, which would take precedence) on every
/// float leaf column of `schema`.
fn split_float_columns(
    mut props: WriterPropertiesBuilder,
    schema: &Schema,
) -> parquet::errors::Result<WriterPropertiesBuilder> {
    let descriptor = ArrowSchemaConverter::new().convert(schema)?;
    for column in descriptor.columns() {
        if matches!(
            column.physical_type(),
            PhysicalType::FLOAT | PhysicalType::DOUBLE
        ) {
            props = props
                .set_column_dictionary_enabled(column.path().clone(), false)
                .set_column_encoding(column.path().clone(), Encoding::BYTE_STREAM_SPLIT);
        }
    }
    Ok(props)
}

fn task_batch(
    bench: &RawBenchmark,
    task: &RawTask,
    schema: Arc<Schema>,
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let n = task.configs();
    let n_hps = bench.meta.hyperparameters.len();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![task.name.as_str(); n])),
        Arc::new(UInt32Array::from(task.config_ids.clone())),
    ];
    for j in 0..n_hps {
        columns.push(Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| task.hps[i * n_hps + j]),
        )));
    }
    for split in &bench.meta.splits {
        let values = task
            .curves
            .get(split)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut builder =
            ListBuilder::with_capacity(Float32Builder::with_capacity(values.len()), n)
                .with_field(Arc::new(Field::new("item", DataType::Float32, false)));
        for row in values.chunks_exact(task.points.max(1)) {
            builder.values().append_slice(row);
            builder.append(true);
        }
        columns.push(Arc::new(builder.finish()));
    }
    RecordBatch::try_new(schema, columns)
}

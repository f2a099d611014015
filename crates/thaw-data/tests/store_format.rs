//! The written Parquet layout: zstd everywhere, BYTE_STREAM_SPLIT on float columns,
//! and a file that reads back to exactly what was written.

mod common;

use std::fs::File;

use common::*;
use parquet::basic::{Compression, Encoding, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use thaw_data::{Benchmark, import_dir, read_benchmark, write_benchmark};

#[test]
fn float_columns_are_split_and_everything_is_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    taskset_dir(&src, "t", &good_rows(4));
    let raw = import_dir(Benchmark::TaskSet, &src).unwrap();
    let path = dir.path().join("t.parquet");
    write_benchmark(&raw, &path).unwrap();
    assert_eq!(read_benchmark(&path, None).unwrap(), raw);

    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 1, "one row group per task");
    let mut floats = 0;
    for column in meta.row_group(0).columns() {
        assert!(
            matches!(column.compression(), Compression::ZSTD(_)),
            "{}: {:?}",
            column.column_path(),
            column.compression()
        );
        let is_float = matches!(
            column.column_type(),
            PhysicalType::FLOAT | PhysicalType::DOUBLE
        );
        let encodings: Vec<Encoding> = column.encodings().collect();
        assert_eq!(
            encodings.contains(&Encoding::BYTE_STREAM_SPLIT),
            is_float,
            "{}: {encodings:?}",
            column.column_path()
        );
        floats += usize::from(is_float);
    }
    // 8 hyperparameters and at least one curve split.
    assert!(floats > 8, "{floats} float columns");
}

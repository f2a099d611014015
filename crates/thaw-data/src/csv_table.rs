//! CSV output, the one way every report writes a table: the `csv` crate quotes any
//! field that needs it (a task or method name with a comma, a quote or a newline).

use std::path::Path;

use crate::error::Result;

/// A CSV table being built row by row in memory.
pub struct CsvTable {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvTable {
    /// A table with the column names `header`.
    pub fn new<I, T>(header: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let mut table = Self {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        table.row(header);
        table
    }

    /// Appends one row (fields already formatted).
    pub fn row<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        // Writing into memory cannot fail; the csv crate only reports I/O errors here.
        self.writer
            .write_record(fields)
            .expect("writing CSV into memory");
    }

    /// The table as text.
    pub fn into_string(self) -> String {
        let bytes = self.writer.into_inner().expect("flushing CSV into memory");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }

    /// Writes the table to `path` atomically.
    pub fn write(self, path: &Path) -> Result<()> {
        crate::atomic::write_bytes(path, self.into_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_fields_that_need_it() {
        let mut t = CsvTable::new(["method", "y"]);
        t.row(["DPL", "0.5"]);
        t.row(["mine, \"v2\"", "1"]);
        assert_eq!(
            t.into_string(),
            "method,y\nDPL,0.5\n\"mine, \"\"v2\"\"\",1\n"
        );
    }
}

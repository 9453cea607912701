//! Streaming CSV/TSV rows from any `Read`: encoding and delimiter detected from the first 64 KiB,
//! then one record at a time through the `csv` crate (memory stays at one record plus buffers).

use std::io::{Cursor, Read};

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::{Deserialize, Serialize};

use crate::cell::{Cell, Row, RowSource};
use crate::error::ImportError;
use crate::sniff::Format;

const SAMPLE_BYTES: u64 = 64 * 1024;
const SAMPLE_LINES: usize = 20;
/// In order of preference when counts tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// Fallback when the start of the file is not valid UTF-8 (a superset of Latin-1's printable range).
    Windows1252,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// Forces the delimiter instead of detecting it.
    pub delimiter: Option<u8>,
}

pub struct CsvSource<'r> {
    reader: csv::Reader<Box<dyn Read + 'r>>,
    record: csv::ByteRecord,
    encoding: TextEncoding,
    delimiter: u8,
}

impl<'r> CsvSource<'r> {
    pub fn new<R: Read + 'r>(mut input: R, options: &CsvOptions) -> Result<Self, ImportError> {
        let mut sample = Vec::new();
        input.by_ref().take(SAMPLE_BYTES).read_to_end(&mut sample)?;
        if sample.is_empty() {
            return Err(ImportError::EmptyFile);
        }
        let truncated = sample.len() as u64 == SAMPLE_BYTES;
        let encoding = detect_encoding(&sample);
        if encoding == TextEncoding::Utf8Bom {
            sample.drain(..3); // so the BOM does not stick to the first header
        }
        let (text, body): (String, Box<dyn Read + 'r>) = match encoding {
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let enc = if encoding == TextEncoding::Utf16Le { UTF_16LE } else { UTF_16BE };
                let text = enc.decode_with_bom_removal(&sample).0.into_owned();
                // Transcode the whole stream to UTF-8 so the csv crate sees ASCII delimiters.
                let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(enc)).build(Cursor::new(sample).chain(input));
                (text, Box::new(decoded))
            }
            TextEncoding::Utf8 | TextEncoding::Utf8Bom | TextEncoding::Windows1252 => {
                (decode_field(&sample, encoding), Box::new(Cursor::new(sample).chain(input)))
            }
        };
        let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(&text, truncated));
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(body);
        Ok(CsvSource { reader, record: csv::ByteRecord::new(), encoding, delimiter })
    }

    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }
}

impl RowSource for CsvSource<'_> {
    fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let number = self.record.position().map_or(0, |p| p.line());
                let cells = self
                    .record
                    .iter()
                    .map(|f| if f.is_empty() { Cell::Empty } else { Cell::Text(decode_field(f, self.encoding)) })
                    .collect();
                Ok(Some(Row { number, cells }))
            }
            Err(e) => Err(match e.into_kind() {
                csv::ErrorKind::Io(io) => ImportError::Io(io),
                other => ImportError::corrupt(Format::Csv, format!("{other:?}")),
            }),
        }
    }
}

pub fn detect_encoding(sample: &[u8]) -> TextEncoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        TextEncoding::Utf8Bom
    } else if sample.starts_with(&[0xFF, 0xFE]) {
        TextEncoding::Utf16Le
    } else if sample.starts_with(&[0xFE, 0xFF]) {
        TextEncoding::Utf16Be
    } else {
        // Any valid multi-byte UTF-8 character means UTF-8, even next to invalid bytes: a mixed
        // file then decodes its stray Latin-1 fields one by one (see `decode_field`).
        let mut chunks = sample.utf8_chunks().peekable();
        let mut invalid = false;
        while let Some(chunk) = chunks.next() {
            if !chunk.valid().is_ascii() {
                return TextEncoding::Utf8;
            }
            // A multi-byte character cut by the sample's end is not evidence against UTF-8.
            invalid |= !chunk.invalid().is_empty() && chunks.peek().is_some();
        }
        if invalid {
            TextEncoding::Windows1252
        } else {
            TextEncoding::Utf8
        }
    }
}

/// Decodes one field. UTF-8 files that contain a stray Latin-1 field (mixed encodings, common
/// after copy-paste between exports) fall back to Windows-1252 for that field instead of failing.
fn decode_field(bytes: &[u8], encoding: TextEncoding) -> String {
    let fallback = |b: &[u8]| WINDOWS_1252.decode_without_bom_handling(b).0.into_owned();
    match encoding {
        TextEncoding::Windows1252 => fallback(bytes),
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => fallback(bytes),
        },
    }
}

/// Picks the candidate that splits the most sample lines into the same number (>= 1) of fields.
pub fn detect_delimiter(text: &str, truncated: bool) -> u8 {
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(SAMPLE_LINES + 1).collect();
    if truncated && lines.len() > 1 {
        lines.pop(); // the last line may be cut off by the sample's end
    }
    lines.truncate(SAMPLE_LINES);
    let mut best = (b',', 0usize, 0usize); // (delimiter, lines agreeing, fields - 1)
    for &d in &DELIMITERS {
        let counts: Vec<usize> = lines.iter().map(|l| count_unquoted(l, d)).collect();
        let Some(mode) = mode(&counts).filter(|&m| m > 0) else { continue };
        let agreeing = counts.iter().filter(|&&c| c == mode).count();
        if (agreeing, mode) > (best.1, best.2) {
            best = (d, agreeing, mode);
        }
    }
    best.0
}

fn count_unquoted(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
}

fn mode(values: &[usize]) -> Option<usize> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.chunk_by(|a, b| a == b).max_by_key(|run| (run.len(), run[0])).map(|run| run[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_delimiters() {
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n", false), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n", false), b'\t');
        assert_eq!(detect_delimiter("a|b|c\n\"x|y\"|2|3\n", false), b'|');
        assert_eq!(detect_delimiter("a,b\n1,2\n", false), b',');
        assert_eq!(detect_delimiter("single\n1\n", false), b',');
    }

    #[test]
    fn detects_encodings() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFa"), TextEncoding::Utf8Bom);
        assert_eq!(detect_encoding(b"P\xC3\xA9riode"), TextEncoding::Utf8);
        assert_eq!(detect_encoding(b"P\xC3"), TextEncoding::Utf8);
        assert_eq!(detect_encoding(b"P\xE9riode"), TextEncoding::Windows1252);
        assert_eq!(decode_field(b"P\xE9riode", TextEncoding::Utf8), "Période");
    }
}

//! Picks the reader from the file's first bytes, not its name: uploads are often renamed, and
//! trusting the extension would hand a CSV to the zip reader (or worse, a zip to the CSV reader).

use std::fmt;
use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use crate::error::ImportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Csv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Xlsx => "an Excel workbook (.xlsx)",
            Format::Xls => "a legacy Excel workbook (.xls)",
            Format::Ods => "an OpenDocument spreadsheet (.ods)",
            Format::Csv => "a CSV/TSV text file",
        })
    }
}

/// What sniffing found, and whether the name disagreed (for a note to the user, not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    pub format: Format,
    /// Set when the extension names another format than the content: e.g. "extension .xls but content is .xlsx".
    pub extension_mismatch: Option<String>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// An ODS zip starts with an uncompressed `mimetype` entry (ODF spec), so its type is in the first bytes.
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

pub fn format_from_extension(file_name: &str) -> Option<Format> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "xlsx" | "xlsm" => Format::Xlsx,
        "xls" => Format::Xls,
        "ods" => Format::Ods,
        "csv" | "tsv" | "txt" => Format::Csv,
        _ => return None,
    })
}

/// Sniffs `head` (the first few hundred bytes of the file).
pub fn sniff_bytes(head: &[u8], file_name: &str) -> Result<Sniffed, ImportError> {
    if head.is_empty() {
        return Err(ImportError::EmptyFile);
    }
    let format = if head.starts_with(ZIP_MAGIC) {
        if head.windows(ODS_MIME.len()).any(|w| w == ODS_MIME) {
            Format::Ods
        } else {
            Format::Xlsx
        }
    } else if head.starts_with(OLE_MAGIC) {
        Format::Xls
    } else if looks_like_text(head) {
        Format::Csv
    } else {
        let ext = file_name.rsplit_once('.').map(|(_, e)| e).unwrap_or("none");
        return Err(ImportError::UnrecognisedFormat { detail: format!("binary content of an unknown kind, extension '{ext}'") });
    };
    let extension_mismatch = match format_from_extension(file_name) {
        Some(named) if named != format => {
            Some(format!("the name '{file_name}' suggests {named}, but the content is {format}; read as {format}"))
        }
        _ => None,
    };
    Ok(Sniffed { format, extension_mismatch })
}

/// Reads the head of a seekable input, sniffs it and rewinds.
pub fn sniff<R: Read + Seek>(input: &mut R, file_name: &str) -> Result<Sniffed, ImportError> {
    let mut head = Vec::with_capacity(512);
    input.by_ref().take(512).read_to_end(&mut head)?;
    input.seek(SeekFrom::Start(0))?;
    sniff_bytes(&head, file_name)
}

/// Text: a UTF-16 BOM, or no NUL and few control bytes (any 8-bit encoding passes).
fn looks_like_text(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    !head.contains(&0) && controls * 20 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_and_notes_wrong_extension() {
        let s = sniff_bytes(b"a,b\n1,2\n", "ledger.xlsx").unwrap();
        assert_eq!(s.format, Format::Csv);
        assert!(s.extension_mismatch.unwrap().contains("ledger.xlsx"));
        assert_eq!(sniff_bytes(OLE_MAGIC, "x.xls").unwrap(), Sniffed { format: Format::Xls, extension_mismatch: None });
        assert!(matches!(sniff_bytes(&[0, 1, 2, 3, 0, 0], "x.csv"), Err(ImportError::UnrecognisedFormat { .. })));
        assert!(matches!(sniff_bytes(b"", "x.csv"), Err(ImportError::EmptyFile)));
    }
}

//! Zip-bomb guard run before calamine opens an xlsx/ods.
//!
//! What calamine does on its own: it reads the central directory, loads `sharedStrings.xml` (and
//! styles) fully into memory, and for .ods (and `worksheet_range`) the whole sheet too. The zip
//! crate caps each inflated entry at its *declared* uncompressed size (a lying header fails with an
//! error rather than inflating on), so checking the declared sizes and ratios here, from the central
//! directory alone and without inflating anything, is enough to stop a bomb before calamine starts.

use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use crate::error::ImportError;
use crate::sniff::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipLimits {
    /// Sum of all declared uncompressed sizes.
    pub max_total_uncompressed: u64,
    /// Uncompressed / compressed for any entry larger than `ratio_floor`. Real sheet XML stays well under 100.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (tiny files compress arbitrarily well).
    pub ratio_floor: u64,
    pub max_entries: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits { max_total_uncompressed: 4 << 30, max_ratio: 250, ratio_floor: 1 << 20, max_entries: 10_000 }
    }
}

pub fn check_zip<R: Read + Seek>(input: &mut R, format: Format, limits: &ZipLimits) -> Result<(), ImportError> {
    let result = inspect(&mut *input, format, limits);
    input.seek(SeekFrom::Start(0))?;
    result
}

fn inspect<R: Read + Seek>(input: &mut R, format: Format, limits: &ZipLimits) -> Result<(), ImportError> {
    let mut archive = zip::ZipArchive::new(input).map_err(|e| ImportError::corrupt(format, e))?;
    if archive.len() > limits.max_entries {
        return Err(ImportError::corrupt(format, format!("{} zip entries (at most {})", archive.len(), limits.max_entries)));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| ImportError::corrupt(format, e))?;
        let (compressed, uncompressed) = (entry.compressed_size(), entry.size());
        let bomb = |reason: String| ImportError::ZipBomb {
            entry: entry.name().map(|n| n.into_owned()).unwrap_or_default(),
            compressed,
            uncompressed,
            reason,
        };
        if uncompressed > limits.ratio_floor && uncompressed / compressed.max(1) > limits.max_ratio {
            return Err(bomb(format!("compression ratio over {}:1", limits.max_ratio)));
        }
        total = total.saturating_add(uncompressed);
        if total > limits.max_total_uncompressed {
            return Err(bomb(format!("the archive inflates to more than {} bytes in total", limits.max_total_uncompressed)));
        }
    }
    Ok(())
}

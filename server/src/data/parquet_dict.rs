//! A string column read as its dictionary indices.
//!
//! Writers (pyarrow, the arena's own export, Spark) store a column of few distinct
//! strings — model names, outcome labels, categories — as a dictionary page and, per
//! row, an index into it. The `parquet` crate's column reader turns every index back
//! into its own reference-counted copy of the string; with a handful of names and
//! millions of rows that copying is most of the work. Here the dictionary is read
//! once (each entry checked as UTF-8 once) and each row is an index: a row's name is
//! a slice of the dictionary's text.
//!
//! Only column chunks whose every data page is dictionary-encoded take this way:
//! [`DictStrings::read`] answers `None` for any other (a writer that fell back to
//! plain pages, an unusual level encoding, anything it cannot decode), and the caller
//! reads that chunk with the crate's reader instead, which words any refusal.

use std::ops::Range;

use parquet::basic::Encoding;
use parquet::column::page::Page;
use parquet::file::reader::RowGroupReader;

/// A string column chunk, decoded to one dictionary index per row.
pub(super) struct DictStrings {
    /// The dictionary's entries that are valid UTF-8, one after another.
    text: String,
    /// Per entry: where it lies in `text`, or `None` when it is not UTF-8.
    entries: Vec<Option<Range<u32>>>,
    /// Per row of the chunk: its entry, or [`NULL`].
    rows: Vec<u32>,
}

/// A row without a value.
const NULL: u32 = u32::MAX;

/// The largest row group read this way: its indices (4 bytes a row) are held for the
/// whole group, 16 MiB per column at most; a larger group is read the general way, a
/// batch at a time.
const MAX_ROWS: usize = 1 << 22;

/// What a row holds: its text, a null, or bytes that are not UTF-8.
pub(super) enum Cell<'a> {
    Text(&'a str),
    Null,
    NotUtf8,
}

impl DictStrings {
    /// Decodes column `i` of `group`, or `None` when a page is not dictionary-encoded
    /// or cannot be decoded here (the caller then reads it the general way).
    ///
    /// `rows` is a buffer to decode into, which [`Self::into_rows`] gives back for the
    /// next chunk: a fresh quarter-megabyte per column and row group costs more in
    /// page faults than decoding it.
    pub(super) fn read(
        group: &dyn RowGroupReader,
        i: usize,
        mut rows: Vec<u32>,
    ) -> Option<DictStrings> {
        let descr = group.metadata().column(i).column_descr_ptr();
        if descr.max_rep_level() > 0 || descr.max_def_level() > 1 {
            return None;
        }
        let optional = descr.max_def_level() == 1;
        let n_rows = usize::try_from(group.metadata().num_rows()).ok()?;
        if n_rows > MAX_ROWS {
            return None;
        }
        let mut pages = group.get_column_page_reader(i).ok()?;
        rows.clear();
        rows.reserve(n_rows);
        let mut column = DictStrings {
            text: String::new(),
            entries: Vec::new(),
            rows,
        };
        let mut have_dictionary = false;
        let (mut levels, mut indices) = (Vec::new(), Vec::new());
        while let Some(page) = pages.get_next_page().ok()? {
            match page {
                Page::DictionaryPage {
                    buf,
                    num_values,
                    encoding: Encoding::PLAIN | Encoding::PLAIN_DICTIONARY,
                    ..
                } if !have_dictionary => {
                    column.read_dictionary(&buf, num_values as usize)?;
                    have_dictionary = true;
                }
                Page::DataPage {
                    buf,
                    num_values,
                    encoding: Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY,
                    def_level_encoding,
                    ..
                } if have_dictionary => {
                    let n = num_values as usize;
                    let values = if optional {
                        if def_level_encoding != Encoding::RLE {
                            return None;
                        }
                        let len = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?) as usize;
                        let data = buf.get(4..4 + len)?;
                        levels.clear();
                        decode_hybrid(data, 1, n, &mut levels)?;
                        &buf[4 + len..]
                    } else {
                        &buf[..]
                    };
                    column.read_indices(
                        values,
                        optional.then_some(&levels[..]),
                        n,
                        &mut indices,
                    )?;
                }
                Page::DataPageV2 {
                    buf,
                    num_values,
                    encoding: Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY,
                    def_levels_byte_len,
                    rep_levels_byte_len: 0,
                    ..
                } if have_dictionary => {
                    let n = num_values as usize;
                    let def_len = def_levels_byte_len as usize;
                    if optional {
                        levels.clear();
                        decode_hybrid(buf.get(..def_len)?, 1, n, &mut levels)?;
                    } else if def_len != 0 {
                        return None;
                    }
                    let values = buf.get(def_len..)?;
                    column.read_indices(
                        values,
                        optional.then_some(&levels[..]),
                        n,
                        &mut indices,
                    )?;
                }
                _ => return None,
            }
        }
        (column.rows.len() == n_rows).then_some(column)
    }

    /// The buffer of the rows' indices, for the next [`Self::read`].
    pub(super) fn into_rows(self) -> Vec<u32> {
        self.rows
    }

    /// A PLAIN dictionary page: `count` strings, each a little-endian u32 length and
    /// its bytes.
    fn read_dictionary(&mut self, mut buf: &[u8], count: usize) -> Option<()> {
        self.entries.reserve(count);
        for _ in 0..count {
            let len = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?) as usize;
            let bytes = buf.get(4..4 + len)?;
            buf = &buf[4 + len..];
            self.entries.push(match std::str::from_utf8(bytes) {
                Ok(s) => {
                    let start = u32::try_from(self.text.len()).ok()?;
                    self.text.push_str(s);
                    Some(start..u32::try_from(self.text.len()).ok()?)
                }
                Err(_) => None,
            });
        }
        Some(())
    }

    /// The indices of a data page's `n` rows: `values` is the bit width and the
    /// RLE/bit-packed indices of the rows with a value; `levels` (optional columns)
    /// says which rows those are.
    fn read_indices(
        &mut self,
        values: &[u8],
        levels: Option<&[u32]>,
        n: usize,
        indices: &mut Vec<u32>,
    ) -> Option<()> {
        let present = levels.map_or(n, |l| l.iter().filter(|&&d| d == 1).count());
        let entries = self.entries.len() as u32;
        if present == n {
            // No nulls (the common page): straight into the rows.
            let start = self.rows.len();
            if n > 0 {
                let (&width, data) = values.split_first()?;
                decode_hybrid(data, width, n, &mut self.rows)?;
            }
            return (!self.rows[start..].iter().any(|&k| k >= entries)).then_some(());
        }
        indices.clear();
        if present > 0 {
            let (&width, data) = values.split_first()?;
            decode_hybrid(data, width, present, indices)?;
        }
        if indices.iter().any(|&k| k >= entries) {
            return None;
        }
        match levels {
            None => self.rows.extend_from_slice(indices),
            Some(levels) => {
                let mut next = indices.iter();
                for &d in levels {
                    self.rows.push(if d == 1 { *next.next()? } else { NULL });
                }
            }
        }
        Some(())
    }

    /// How many rows the chunk has.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Row `row` of the chunk.
    #[inline]
    pub(super) fn get(&self, row: usize) -> Cell<'_> {
        match self.rows[row] {
            NULL => Cell::Null,
            k => self.entry(k as usize),
        }
    }

    /// How many entries the dictionary has.
    pub(super) fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Entry `k` of the dictionary.
    #[inline]
    pub(super) fn entry(&self, k: usize) -> Cell<'_> {
        match &self.entries[k] {
            Some(r) => Cell::Text(&self.text[r.start as usize..r.end as usize]),
            None => Cell::NotUtf8,
        }
    }

    /// The dictionary entry of row `row`, `None` for a null.
    #[inline]
    pub(super) fn code(&self, row: usize) -> Option<usize> {
        match self.rows[row] {
            NULL => None,
            k => Some(k as usize),
        }
    }
}

/// Appends `n` values of the RLE / bit-packed hybrid encoding (`width` bits each) in
/// `data` to `out`; `None` if `data` ends first or is malformed.
fn decode_hybrid(mut data: &[u8], width: u8, n: usize, out: &mut Vec<u32>) -> Option<()> {
    if width > 32 {
        return None;
    }
    let width = u32::from(width);
    let target = out.len() + n;
    while out.len() < target {
        let header = uleb128(&mut data)?;
        let left = target - out.len();
        if header & 1 == 0 {
            // A run: one value, repeated.
            let run = usize::try_from(header >> 1).ok()?;
            let bytes = width.div_ceil(8) as usize;
            let raw = data.get(..bytes)?;
            data = &data[bytes..];
            let value = raw
                .iter()
                .rev()
                .fold(0u32, |v, &b| v.checked_shl(8).unwrap_or(0) | u32::from(b));
            if run == 0 {
                return None;
            }
            out.extend(std::iter::repeat_n(value, run.min(left)));
        } else {
            // Groups of eight values, bit-packed from the lowest bit up.
            let groups = usize::try_from(header >> 1).ok()?;
            let bytes = groups.checked_mul(width as usize)?;
            let packed = data.get(..bytes)?;
            data = &data[bytes..];
            let count = (groups * 8).min(left);
            if width == 0 {
                out.extend(std::iter::repeat_n(0, count));
                continue;
            }
            let mask = if width == 32 {
                u64::from(u32::MAX)
            } else {
                (1u64 << width) - 1
            };
            if width <= 8 {
                // A group's eight values fit one word: no loop per value.
                let width = width as usize;
                out.reserve(count);
                for (g, group) in packed.chunks_exact(width).enumerate() {
                    let at = g * width;
                    let word = match packed.get(at..at + 8) {
                        Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
                        None => {
                            let mut w = [0u8; 8];
                            w[..width].copy_from_slice(group);
                            u64::from_le_bytes(w)
                        }
                    };
                    let values: [u32; 8] =
                        std::array::from_fn(|j| ((word >> (j * width)) & mask) as u32);
                    let take = (count - g * 8).min(8);
                    out.extend_from_slice(&values[..take]);
                    if take < 8 {
                        break;
                    }
                }
                continue;
            }
            let (mut acc, mut bits, mut at) = (0u64, 0u32, 0usize);
            for _ in 0..count {
                while bits < width {
                    acc |= u64::from(packed[at]) << bits;
                    at += 1;
                    bits += 8;
                }
                out.push((acc & mask) as u32);
                acc >>= width;
                bits -= width;
            }
        }
    }
    Some(())
}

/// An unsigned LEB128 number (a run header), advancing `data` past it.
fn uleb128(data: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = data.split_first()?;
        *data = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hybrid encoding of `values` as bit-packed groups (padded to eight).
    fn bit_packed(values: &[u32], width: u8) -> Vec<u8> {
        let groups = values.len().div_ceil(8);
        let mut out = vec![((groups as u8) << 1) | 1];
        let (mut acc, mut bits) = (0u64, 0u32);
        for k in 0..groups * 8 {
            acc |= u64::from(values.get(k).copied().unwrap_or(0)) << bits;
            bits += u32::from(width);
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        out
    }

    #[test]
    fn runs_and_bit_packed_groups_decode() {
        for width in [1u8, 2, 3, 5, 8, 11, 17] {
            let max = (1u32 << width) - 1;
            let values: Vec<u32> = (0..181u32)
                .map(|k| k.wrapping_mul(2_654_435_761) & max)
                .collect();
            let mut out = Vec::new();
            decode_hybrid(&bit_packed(&values, width), width, values.len(), &mut out).unwrap();
            assert_eq!(out, values, "width {width}");
        }
        // A run of 300 (a two-byte header) of 7, then bit-packed 1, 0, 1.
        let mut data = vec![0b1101_1000, 0b0000_0100, 7];
        data.extend(bit_packed(&[1, 0, 1], 3));
        let mut out = Vec::new();
        decode_hybrid(&data, 3, 303, &mut out).unwrap();
        assert_eq!(out.len(), 303);
        assert!(out[..300].iter().all(|&v| v == 7));
        assert_eq!(out[300..], [1, 0, 1]);
        // Data that ends early is refused, not read past.
        assert!(decode_hybrid(&data[..4], 3, 303, &mut Vec::new()).is_none());
    }
}

//! The little binary format the index is stored in: little-endian fixed-width numbers, LEB128
//! varints, length-prefixed byte strings and raw arrays. No schema evolution beyond the version
//! number in the header: an index is rebuilt from its release's entries, never migrated.

use crate::Error;

#[derive(Default)]
pub(crate) struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn varint(&mut self, v: u64) {
        put_varint(&mut self.buf, v);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn u32s(&mut self, v: &[u32]) {
        self.varint(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn u16s(&mut self, v: &[u16]) {
        self.varint(v.len() as u64);
        self.buf.reserve(v.len() * 2);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn f32s(&mut self, v: &[f32]) {
        self.varint(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }
}

pub(crate) fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads a varint at `*pos` of a buffer the index itself wrote (bounds already validated by
/// the caller's offsets); a truncated varint reads as what it has.
#[inline]
pub(crate) fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = buf.get(*pos) {
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 || shift >= 63 {
            break;
        }
        shift += 7;
    }
    v
}

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn corrupt(what: &'static str) -> Error {
    Error::Corrupt(what)
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupt(what))?;
        let s = self.buf.get(self.pos..end).ok_or_else(|| corrupt(what))?;
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }

    pub fn f32(&mut self, what: &'static str) -> Result<f32, Error> {
        Ok(f32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }

    pub fn varint(&mut self, what: &'static str) -> Result<u64, Error> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            if shift > 63 {
                return Err(corrupt(what));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A length read from the input, checked against what is left so a corrupt length cannot
    /// make the loader allocate gigabytes.
    pub fn len(&mut self, elem_size: usize, what: &'static str) -> Result<usize, Error> {
        let n = usize::try_from(self.varint(what)?).map_err(|_| corrupt(what))?;
        if n.saturating_mul(elem_size.max(1)) > self.buf.len() - self.pos {
            return Err(corrupt(what));
        }
        Ok(n)
    }

    pub fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let n = self.len(1, what)?;
        self.take(n, what)
    }

    pub fn string(&mut self, what: &'static str) -> Result<String, Error> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| corrupt(what))
    }

    pub fn u32s(&mut self, what: &'static str) -> Result<Vec<u32>, Error> {
        let n = self.len(4, what)?;
        let raw = self.take(n * 4, what)?;
        Ok(raw.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    pub fn u16s(&mut self, what: &'static str) -> Result<Vec<u16>, Error> {
        let n = self.len(2, what)?;
        let raw = self.take(n * 2, what)?;
        Ok(raw.chunks_exact(2).map(|c| u16::from_le_bytes(c.try_into().expect("2 bytes"))).collect())
    }

    pub fn f32s(&mut self, what: &'static str) -> Result<Vec<f32>, Error> {
        let n = self.len(4, what)?;
        let raw = self.take(n * 4, what)?;
        Ok(raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
}

/// Checks that `offsets` (n + 1 of them) are non-decreasing, start at 0 and end at `len`.
pub(crate) fn check_offsets(offsets: &[u32], len: usize, what: &'static str) -> Result<(), Error> {
    if offsets.first() != Some(&0) || offsets.last().map(|&l| l as usize) != Some(len) || offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(corrupt(what));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let mut w = Writer::default();
        w.u8(7);
        w.u32(0xdead_beef);
        w.varint(0);
        w.varint(300);
        w.varint(u64::MAX);
        w.str("héllo");
        w.u32s(&[1, 2, 3]);
        w.u16s(&[9]);
        w.f32s(&[1.5, -2.0]);
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.u8("a").unwrap(), 7);
        assert_eq!(r.u32("a").unwrap(), 0xdead_beef);
        assert_eq!(r.varint("a").unwrap(), 0);
        assert_eq!(r.varint("a").unwrap(), 300);
        assert_eq!(r.varint("a").unwrap(), u64::MAX);
        assert_eq!(r.string("a").unwrap(), "héllo");
        assert_eq!(r.u32s("a").unwrap(), vec![1, 2, 3]);
        assert_eq!(r.u16s("a").unwrap(), vec![9]);
        assert_eq!(r.f32s("a").unwrap(), vec![1.5, -2.0]);
        assert!(r.at_end());
        let mut pos = 0;
        let mut buf = Vec::new();
        put_varint(&mut buf, 123_456);
        assert_eq!(get_varint(&buf, &mut pos), 123_456);
    }

    #[test]
    fn corrupt_lengths_are_refused_without_allocating() {
        let mut w = Writer::default();
        w.varint(u64::MAX / 2);
        assert!(Reader::new(&w.buf).u32s("x").is_err());
        assert!(Reader::new(&[0xff, 0xff]).varint("x").is_err());
        assert!(Reader::new(&[]).u8("x").is_err());
    }
}

//! Versioned binary artifact of a sparse item-item model (pruned EASE or item-kNN), keyed by
//! catalogue ids so a worker can map it onto whatever catalogue it serves.
//!
//! Layout, little-endian: header of 36 bytes = magic `FWLM`, format version u16, model kind
//! u8, reserved u8, item count u32, non-zero count u64, body length u64, FNV-1a 64 checksum
//! of the body; body = item ids (u16 length + UTF-8 each), then per item a u32 count followed
//! by (u32 item index, f32 weight) pairs.

use super::LearnError;

/// File magic.
pub const MAGIC: [u8; 4] = *b"FWLM";
/// Bumped whenever the layout changes; readers reject other versions.
pub const FORMAT_VERSION: u16 = 1;
/// Kind byte of a sparse item-item model.
pub const KIND_SPARSE_ITEM_ITEM: u8 = 1;
const HEADER_LEN: usize = 36;

/// A sparse item-item model: `rows[i]` lists `(j, weight)` (strongest first) for item
/// `item_ids[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseItemModel {
    pub item_ids: Vec<String>,
    pub rows: Vec<Vec<(u32, f32)>>,
}

/// FNV-1a 64-bit hash, the body checksum.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn bad(msg: impl Into<String>) -> LearnError {
    LearnError::Artifact(msg.into())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LearnError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| bad("truncated body"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], LearnError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u16(&mut self) -> Result<u16, LearnError> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32, LearnError> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, LearnError> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn f32(&mut self) -> Result<f32, LearnError> {
        Ok(f32::from_le_bytes(self.arr()?))
    }
}

impl SparseItemModel {
    /// Number of stored weights.
    pub fn nnz(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// Serialises with header and checksum.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LearnError> {
        if self.item_ids.len() != self.rows.len() {
            return Err(bad("one row per item id expected"));
        }
        let mut body = Vec::with_capacity(self.nnz() * 8 + self.item_ids.len() * 12);
        for id in &self.item_ids {
            let len = u16::try_from(id.len()).map_err(|_| bad("item id longer than 65535"))?;
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(id.as_bytes());
        }
        for row in &self.rows {
            let len = u32::try_from(row.len()).map_err(|_| bad("row too long"))?;
            body.extend_from_slice(&len.to_le_bytes());
            for &(j, w) in row {
                body.extend_from_slice(&j.to_le_bytes());
                body.extend_from_slice(&w.to_le_bytes());
            }
        }
        let n = u32::try_from(self.item_ids.len()).map_err(|_| bad("too many items"))?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(KIND_SPARSE_ITEM_ITEM);
        out.push(0);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(self.nnz() as u64).to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&fnv1a64(&body).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Parses and validates magic, version, kind, dimensions, checksum and indices.
    pub fn from_bytes(bytes: &[u8]) -> Result<SparseItemModel, LearnError> {
        let mut r = Reader { bytes, at: 0 };
        if r.arr::<4>().map_err(|_| bad("shorter than the header"))? != MAGIC {
            return Err(bad("wrong magic"));
        }
        let version = r.u16()?;
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version}, expected {FORMAT_VERSION}"
            )));
        }
        let kind = r.arr::<2>()?[0];
        if kind != KIND_SPARSE_ITEM_ITEM {
            return Err(bad(format!("unknown model kind {kind}")));
        }
        let n = r.u32()? as usize;
        let nnz = r.u64()?;
        let body_len = r.u64()?;
        let checksum = r.u64()?;
        let body = &bytes[HEADER_LEN..];
        if body.len() as u64 != body_len {
            return Err(bad("body length does not match the header"));
        }
        if fnv1a64(body) != checksum {
            return Err(bad("checksum mismatch"));
        }
        let mut item_ids = Vec::with_capacity(n.min(body.len()));
        for _ in 0..n {
            let len = r.u16()? as usize;
            let id = std::str::from_utf8(r.take(len)?).map_err(|_| bad("item id not UTF-8"))?;
            item_ids.push(id.to_string());
        }
        let mut rows = Vec::with_capacity(n.min(body.len()));
        for _ in 0..n {
            let len = r.u32()? as usize;
            let mut row = Vec::with_capacity(len.min(body.len() / 8));
            for _ in 0..len {
                let j = r.u32()?;
                if j as usize >= n {
                    return Err(bad(format!("item index {j} out of range")));
                }
                row.push((j, r.f32()?));
            }
            rows.push(row);
        }
        let model = SparseItemModel { item_ids, rows };
        if model.nnz() as u64 != nnz || r.at != bytes.len() {
            return Err(bad("dimensions do not match the header"));
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> SparseItemModel {
        SparseItemModel {
            item_ids: vec!["FR-1".into(), "FR-2".into(), "FR-3".into()],
            rows: vec![vec![(1, 0.5), (2, 0.25)], vec![(0, 0.5)], vec![]],
        }
    }

    #[test]
    fn when_round_trip_should_restore_model() {
        let bytes = model().to_bytes().unwrap();
        assert_eq!(&bytes[..4], b"FWLM");
        assert_eq!(SparseItemModel::from_bytes(&bytes).unwrap(), model());
    }

    #[test]
    fn when_magic_version_or_body_corrupt_should_reject() {
        let bytes = model().to_bytes().unwrap();
        let mut wrong_magic = bytes.clone();
        wrong_magic[0] = b'X';
        assert!(SparseItemModel::from_bytes(&wrong_magic).is_err());
        let mut wrong_version = bytes.clone();
        wrong_version[4] = 9;
        let err = SparseItemModel::from_bytes(&wrong_version).unwrap_err();
        assert!(err.to_string().contains("version"), "{err}");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        let err = SparseItemModel::from_bytes(&flipped).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        assert!(SparseItemModel::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        assert!(SparseItemModel::from_bytes(&bytes[..10]).is_err());
    }

    #[test]
    fn when_fnv_of_known_input_should_match_reference() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

//! Git's delta format (pack `OFS_DELTA`/`REF_DELTA` entries): a base size, a result size, then
//! instructions that either copy a range of the base or insert literal bytes. gix keeps its
//! delta decoder private, so this is a small parser of the documented format, tested against
//! what git reconstructs.

/// What is wrong with a delta.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    /// The delta ends in the middle of its header or an instruction.
    #[error("delta is truncated")]
    Truncated,
    /// The base the delta was made against has another size.
    #[error("delta expects a base of {expected} bytes, the base has {actual}")]
    BaseSize {
        /// What the delta says.
        expected: u64,
        /// What the base is.
        actual: usize,
    },
    /// A copy reaches past the end of the base.
    #[error("delta copies past the end of its base")]
    CopyOutOfBounds,
    /// Instruction 0 is reserved.
    #[error("delta uses the reserved instruction 0")]
    Reserved,
    /// The instructions produce another size than the header says.
    #[error("delta produces {actual} bytes, its header says {expected}")]
    ResultSize {
        /// What the header says.
        expected: u64,
        /// What the instructions produce.
        actual: usize,
    },
}

/// One instruction of a delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Copy `len` bytes of the base starting at `offset`.
    Copy {
        /// Offset in the base.
        offset: usize,
        /// Number of bytes.
        len: usize,
    },
    /// Insert the delta's bytes `start..start + len` (offsets into the delta data).
    Insert {
        /// Offset in the delta data.
        start: usize,
        /// Number of bytes.
        len: usize,
    },
}

/// A parsed delta: its sizes and where its instructions start.
#[derive(Clone, Copy, Debug)]
pub struct Delta<'a> {
    /// The whole delta data.
    pub data: &'a [u8],
    /// Size of the base it applies to.
    pub base_size: u64,
    /// Size of the object it produces.
    pub result_size: u64,
    instructions: usize,
}

fn varint(data: &[u8], pos: &mut usize) -> Result<u64, DeltaError> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = *data.get(*pos).ok_or(DeltaError::Truncated)?;
        *pos += 1;
        if shift < 64 {
            value |= u64::from(b & 0x7f) << shift;
        }
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
}

impl<'a> Delta<'a> {
    /// Parses the header of delta `data`.
    pub fn parse(data: &'a [u8]) -> Result<Delta<'a>, DeltaError> {
        let mut pos = 0;
        let base_size = varint(data, &mut pos)?;
        let result_size = varint(data, &mut pos)?;
        Ok(Delta {
            data,
            base_size,
            result_size,
            instructions: pos,
        })
    }

    /// The instructions, in order.
    pub fn ops(&self) -> Ops<'a> {
        Ops {
            data: self.data,
            pos: self.instructions,
        }
    }

    /// Applies the delta to `base`, writing the result into `out` (cleared first).
    pub fn apply(&self, base: &[u8], out: &mut Vec<u8>) -> Result<(), DeltaError> {
        if self.base_size != base.len() as u64 {
            return Err(DeltaError::BaseSize {
                expected: self.base_size,
                actual: base.len(),
            });
        }
        out.clear();
        out.reserve(self.result_size.min(1 << 32) as usize);
        for op in self.ops() {
            match op? {
                Op::Copy { offset, len } => {
                    let src = base
                        .get(offset..offset.checked_add(len).ok_or(DeltaError::CopyOutOfBounds)?)
                        .ok_or(DeltaError::CopyOutOfBounds)?;
                    out.extend_from_slice(src);
                }
                Op::Insert { start, len } => out.extend_from_slice(&self.data[start..start + len]),
            }
        }
        if out.len() as u64 != self.result_size {
            return Err(DeltaError::ResultSize {
                expected: self.result_size,
                actual: out.len(),
            });
        }
        Ok(())
    }
}

/// Iterator over a delta's instructions.
pub struct Ops<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Iterator for Ops<'_> {
    type Item = Result<Op, DeltaError>;

    fn next(&mut self) -> Option<Self::Item> {
        let cmd = *self.data.get(self.pos)?;
        self.pos += 1;
        if cmd & 0x80 != 0 {
            let mut field = |bits: u8, count: usize| -> Result<usize, DeltaError> {
                let mut v = 0usize;
                for i in 0..count {
                    if bits & (1 << i) != 0 {
                        let b = *self.data.get(self.pos).ok_or(DeltaError::Truncated)?;
                        self.pos += 1;
                        v |= usize::from(b) << (8 * i);
                    }
                }
                Ok(v)
            };
            let offset = match field(cmd & 0x0f, 4) {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            let len = match field((cmd >> 4) & 0x07, 3) {
                Ok(0) => 0x10000,
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            Some(Ok(Op::Copy { offset, len }))
        } else if cmd != 0 {
            let len = usize::from(cmd);
            let start = self.pos;
            if start + len > self.data.len() {
                self.pos = self.data.len();
                return Some(Err(DeltaError::Truncated));
            }
            self.pos += len;
            Some(Ok(Op::Insert { start, len }))
        } else {
            self.pos = self.data.len();
            Some(Err(DeltaError::Reserved))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::encode_varint;

    #[test]
    fn applies_copies_and_inserts() {
        let base = b"hello, world of deltas";
        let mut d = Vec::new();
        encode_varint(base.len() as u64, &mut d);
        encode_varint(16, &mut d);
        // copy 7 bytes at offset 0: cmd 0x80 | offset byte 0 absent | size byte 0 present
        d.extend_from_slice(&[0x80 | 0x10, 7]);
        d.extend_from_slice(&[4, b'n', b'e', b'w', b' ']);
        // copy 5 bytes at offset 7
        d.extend_from_slice(&[0x80 | 0x01 | 0x10, 7, 5]);
        let delta = Delta::parse(&d).unwrap();
        let mut out = Vec::new();
        delta.apply(base, &mut out).unwrap();
        assert_eq!(out, b"hello, new world");
        let ops: Vec<Op> = delta.ops().map(Result::unwrap).collect();
        assert_eq!(ops.len(), 3);
    }

    #[test]
    fn rejects_bad_deltas() {
        let mut d = Vec::new();
        encode_varint(3, &mut d);
        encode_varint(10, &mut d);
        d.extend_from_slice(&[0x80 | 0x10, 10]);
        let delta = Delta::parse(&d).unwrap();
        assert_eq!(
            delta.apply(b"abc", &mut Vec::new()),
            Err(DeltaError::CopyOutOfBounds)
        );
        assert!(matches!(
            delta.apply(b"ab", &mut Vec::new()),
            Err(DeltaError::BaseSize { .. })
        ));
        assert_eq!(Delta::parse(&[0x80]).unwrap_err(), DeltaError::Truncated);
        let mut d = Vec::new();
        encode_varint(1, &mut d);
        encode_varint(1, &mut d);
        d.push(0);
        assert_eq!(
            Delta::parse(&d).unwrap().apply(b"a", &mut Vec::new()),
            Err(DeltaError::Reserved)
        );
    }

    #[test]
    fn zero_size_means_64k() {
        let base = vec![7u8; 0x10000];
        let mut d = Vec::new();
        encode_varint(base.len() as u64, &mut d);
        encode_varint(0x10000, &mut d);
        d.push(0x80);
        let mut out = Vec::new();
        Delta::parse(&d).unwrap().apply(&base, &mut out).unwrap();
        assert_eq!(out.len(), 0x10000);
    }
}

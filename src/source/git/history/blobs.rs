//! The blob pass: every blob scanned once, delta-aware.

use super::super::delta::{Delta, Op};
use super::super::is_lfs_pointer;
use super::super::odb::{Kind, Object, Visitor};
use crate::classify::Analysis;
use crate::matcher::Matcher;
use crate::scan;
use gix::ObjectId;

/// Blob pass: scans every blob, keeps those with hits, notes LFS pointers and skipped blobs.
///
/// Delta-aware: a blob stored as a delta is not scanned in full. Whether a literal position is
/// a candidate depends only on the bytes around it ([`Matcher::neighbourhood`]), so candidates
/// of the base that the delta copies with their neighbourhood intact are candidates here too,
/// and only inserted bytes and the edges of every copy are scanned. A blob with no candidate
/// has no hit; a blob with any is scanned in full, exactly as without deltas.
pub(super) struct BlobScan<'m> {
    pub matcher: &'m Matcher,
    pub delta_aware: bool,
    pub found: Vec<(ObjectId, Analysis)>,
    pub lfs: Vec<ObjectId>,
    pub skipped: Vec<(ObjectId, u64)>,
    /// Blobs whose candidates came from their delta base.
    pub delta_scans: u64,
    /// Bytes the prefilter read; bytes it did not need to read again.
    pub read: u64,
    pub not_reread: u64,
    /// Blobs with candidates, scanned in full, and their bytes.
    pub full_scans: u64,
    pub full_bytes: u64,
}

impl<'m> BlobScan<'m> {
    /// A blob pass for `matcher`.
    pub fn new(matcher: &'m Matcher, delta_aware: bool) -> Self {
        BlobScan {
            matcher,
            delta_aware,
            found: Vec::new(),
            lfs: Vec::new(),
            skipped: Vec::new(),
            delta_scans: 0,
            read: 0,
            not_reread: 0,
            full_scans: 0,
            full_bytes: 0,
        }
    }
}

impl BlobScan<'_> {
    /// The candidates of a deltified blob, from its base's and the delta's new bytes.
    fn delta_candidates(
        &mut self,
        data: &[u8],
        base: &[u32],
        delta: &Delta<'_>,
    ) -> Option<Vec<u32>> {
        let (out, read) = delta_candidates(self.matcher, data, base, delta)?;
        self.read += read as u64;
        self.not_reread += data.len().saturating_sub(read) as u64;
        Some(out)
    }
}

/// The candidates of `data`, the result of applying `delta` to a base whose candidates are
/// `base`: the base's candidates that a copy carries over with their neighbourhood intact, and
/// those found by scanning inserted bytes and the edges of every copy. Also returns how many
/// bytes it scanned. `None` when the delta's instructions do not parse.
pub(crate) fn delta_candidates(
    matcher: &Matcher,
    data: &[u8],
    base: &[u32],
    delta: &Delta<'_>,
) -> Option<(Vec<u32>, usize)> {
    let (before, after) = matcher.neighbourhood();
    let mut out: Vec<u32> = Vec::new();
    let mut regions: Vec<(usize, usize)> = Vec::new();
    let mut t = 0usize;
    for op in delta.ops() {
        match op.ok()? {
            Op::Copy { offset, len } => {
                if len > before + after {
                    let (lo, hi) = (offset + before, offset + len - after);
                    let first = base.partition_point(|&c| (c as usize) < lo);
                    for &c in base[first..].iter().take_while(|&&c| (c as usize) < hi) {
                        out.push((t + (c as usize - offset)) as u32);
                    }
                    regions.push((t, t + before));
                    regions.push((t + len - after, t + len));
                } else {
                    regions.push((t, t + len));
                }
                t += len;
            }
            Op::Insert { len, .. } => {
                regions.push((t, t + len));
                t += len;
            }
        }
    }
    regions.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(regions.len());
    for (a, b) in regions {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let read: usize = merged.iter().map(|(a, b)| b - a).sum();
    matcher.candidates(data, &merged, &mut out);
    Some((out, read))
}

impl Visitor for BlobScan<'_> {
    /// Candidate positions, or `None` where they do not carry over (UTF-16 text, blobs of
    /// 4 GiB or more).
    type Memo = Option<Vec<u32>>;

    fn visit(&mut self, obj: Object<'_, Self::Memo>) -> Self::Memo {
        if is_lfs_pointer(obj.data) {
            self.lfs.push(obj.id.to_owned());
            return None;
        }
        // UTF-16 text is scanned decoded, and candidate offsets are 32-bit: neither carries
        // over to deltas; both are scanned in full.
        let whole = crate::matcher::decode::detect_utf16(obj.data).is_some()
            || obj.data.len() > u32::MAX as usize;
        let candidates = match obj.base {
            Some((_, Some(base), delta)) if self.delta_aware && !whole => {
                let c = self.delta_candidates(obj.data, base, delta);
                if c.is_some() {
                    self.delta_scans += 1;
                }
                c
            }
            _ => None,
        };
        let candidates = match candidates {
            Some(c) => c,
            None if whole => Vec::new(),
            None => {
                let mut c = Vec::new();
                self.matcher
                    .candidates(obj.data, &[(0, obj.data.len())], &mut c);
                self.read += obj.data.len() as u64;
                c
            }
        };
        if whole || !candidates.is_empty() {
            self.full_scans += 1;
            self.full_bytes += obj.data.len() as u64;
            if let Some(analysis) = scan::analyze(self.matcher, obj.data) {
                self.found.push((obj.id.to_owned(), analysis));
            }
        }
        (!whole).then_some(candidates)
    }

    fn skipped(&mut self, id: &gix::oid, _kind: Kind, size: u64) {
        self.skipped.push((id.to_owned(), size));
    }
}

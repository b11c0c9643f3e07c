//! One traversal worker: inflates pack entries and reconstructs deltas depth first through
//! each delta forest, handing every object to its visitor with the base it was made from.

use super::pack::Pack;
use super::{Kind, Object, TraverseStats, Visitor};
use crate::outcome::{Code, Notification};
use crate::source::git::delta::{Delta, DeltaError};
use gix::ObjectId;

/// The largest object reconstructed only to apply the deltas made from it (over
/// `--max-filesize`, it is itself not scanned).
const RECONSTRUCT: u64 = 1 << 30;

/// One unit of parallel work's state: the visitor, buffers and an inflater.
pub(super) struct Worker<V: Visitor> {
    pub visitor: V,
    repo: gix::Repository,
    inflate: libdeflater::Decompressor,
    pool: Vec<Vec<u8>>,
    delta_buf: Vec<u8>,
    pub problems: Vec<Notification>,
    pub stats: TraverseStats,
}

struct Frame<M> {
    entry: u32,
    data: Vec<u8>,
    memo: M,
    next: u32,
}

impl<V: Visitor> Worker<V> {
    pub fn new(visitor: V, repo: gix::Repository) -> Self {
        Worker {
            visitor,
            repo,
            inflate: libdeflater::Decompressor::new(),
            pool: Vec::new(),
            delta_buf: Vec::new(),
            problems: Vec::new(),
            stats: TraverseStats::default(),
        }
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut b: Vec<u8>) {
        if self.pool.len() < 8 && b.capacity() <= 64 << 20 {
            b.clear();
            self.pool.push(b);
        }
    }

    fn corrupt(&mut self, p: &Pack, i: u32, what: String) {
        let id = p.ids[i as usize];
        self.problems.push(Notification::new(
            Code::CorruptObject,
            Some(id.to_string()),
            format!("object {id} in {}: {what}", p.path.display()),
        ));
    }

    /// Inflates pack entry `i` into `out`. An entry's zlib stream ends where the next entry (or
    /// the pack's trailing checksum) begins, so the whole stream is inflated in one call, by
    /// libdeflate (on git/git, inflating took 13% of the CPU time instead of zlib-rs's 21%).
    fn inflate(&mut self, p: &Pack, i: u32, out: &mut Vec<u8>) -> Result<(), String> {
        let entry = p
            .data
            .entry(p.offsets[i as usize])
            .map_err(|e| e.to_string())?;
        let size = usize::try_from(entry.decompressed_size).map_err(|_| "too large".to_string())?;
        let end = p
            .offsets
            .get(i as usize + 1)
            .copied()
            .unwrap_or(p.data.pack_end() as u64);
        let stream = usize::try_from(entry.data_offset)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(from, to)| p.map.get(from..to))
            .ok_or_else(|| "its data lies outside the pack".to_string())?;
        out.clear();
        out.resize(size, 0);
        match self.inflate.zlib_decompress(stream, out) {
            Ok(n) if n == size => {}
            Ok(n) => {
                return Err(format!(
                    "it inflates to {n} bytes, not the {size} its header gives"
                ));
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) => {
                return Err(format!(
                    "it inflates to more than the {size} bytes its header gives"
                ));
            }
            Err(libdeflater::DecompressionError::BadData) => {
                return Err("its compressed data is damaged".to_string());
            }
        }
        // Each entry read touches at least one page of the mapping.
        self.stats.packed += stream.len() as u64 + 4096;
        Ok(())
    }

    /// The size an entry's content will have (for a delta: the size of its delta data).
    fn entry_size(p: &Pack, i: u32) -> u64 {
        p.data
            .entry(p.offsets[i as usize])
            .map_or(0, |e| e.decompressed_size)
    }

    /// Visits pack entry `root` and every delta made from it, depth first. A node's content is
    /// dropped as soon as its last child is reconstructed, so a linear chain holds two objects.
    pub fn chain(&mut self, p: &Pack, root: u32, max_size: u64) {
        let Some(kind) = p.kind[root as usize] else {
            return;
        };
        let mut data = self.buffer();
        match p.external.get(&root) {
            Some(b) => {
                let mut base = self.buffer();
                let fetched = {
                    use gix::objs::Find;
                    self.repo
                        .objects
                        .try_find(b, &mut base)
                        .map(|o| o.map(|d| d.data.len()))
                };
                match fetched {
                    Ok(Some(n)) => base.truncate(n),
                    _ => {
                        self.corrupt(p, root, format!("its base {b} cannot be read"));
                        return;
                    }
                }
                let mut dbuf = std::mem::take(&mut self.delta_buf);
                let res = self.inflate(p, root, &mut dbuf).and_then(|_| {
                    let d = Delta::parse(&dbuf).map_err(|e| e.to_string())?;
                    d.apply(&base, &mut data)
                        .map_err(|e: DeltaError| e.to_string())
                });
                self.delta_buf = dbuf;
                self.recycle(base);
                if let Err(e) = res {
                    self.corrupt(p, root, e);
                    return;
                }
            }
            None => {
                let size = Self::entry_size(p, root);
                if size > max_size && (size > RECONSTRUCT || p.children_of(root).is_empty()) {
                    self.skip_subtree(p, root, kind, size);
                    return;
                }
                if let Err(e) = self.inflate(p, root, &mut data) {
                    self.corrupt(p, root, e);
                    self.fail_subtree(p, root);
                    return;
                }
            }
        }
        let id = p.ids[root as usize];
        // Over --max-filesize, an object is not scanned; but the deltas made from it are
        // reconstructed from it and scanned.
        let memo = if data.len() as u64 > max_size {
            self.visitor.skipped(&id, kind, data.len() as u64);
            V::Memo::default()
        } else {
            self.stats.objects += 1;
            self.stats.bytes += data.len() as u64;
            self.visitor.visit(Object {
                kind,
                id: &id,
                data: &data,
                base: None,
            })
        };
        let mut stack: Vec<Frame<V::Memo>> = vec![Frame {
            entry: root,
            data,
            memo,
            next: 0,
        }];
        while let Some(top) = stack.last_mut() {
            let kids = p.children_of(top.entry);
            if top.next as usize >= kids.len() {
                let f = stack.pop().expect("non-empty");
                self.recycle(f.data);
                continue;
            }
            let c = kids[top.next as usize];
            top.next += 1;
            let last = top.next as usize == kids.len();
            let mut dbuf = std::mem::take(&mut self.delta_buf);
            if let Err(e) = self.inflate(p, c, &mut dbuf) {
                self.delta_buf = dbuf;
                self.corrupt(p, c, e);
                self.fail_subtree(p, c);
                continue;
            }
            let delta = match Delta::parse(&dbuf) {
                Ok(d) => d,
                Err(e) => {
                    self.delta_buf = dbuf;
                    self.corrupt(p, c, e.to_string());
                    self.fail_subtree(p, c);
                    continue;
                }
            };
            if delta.result_size > max_size
                && (delta.result_size > RECONSTRUCT || p.children_of(c).is_empty())
            {
                let size = delta.result_size;
                self.delta_buf = dbuf;
                self.skip_subtree(p, c, kind, size);
                continue;
            }
            let top = stack.last().expect("parent frame");
            let mut out = self.pool.pop().unwrap_or_default();
            if let Err(e) = delta.apply(&top.data, &mut out) {
                self.delta_buf = dbuf;
                self.recycle(out);
                self.corrupt(p, c, e.to_string());
                self.fail_subtree(p, c);
                continue;
            }
            let id = p.ids[c as usize];
            let memo = if out.len() as u64 > max_size {
                self.visitor.skipped(&id, kind, out.len() as u64);
                V::Memo::default()
            } else {
                self.stats.objects += 1;
                self.stats.deltas += 1;
                self.stats.bytes += out.len() as u64;
                self.visitor.visit(Object {
                    kind,
                    id: &id,
                    data: &out,
                    base: Some((&top.data, &top.memo, &delta)),
                })
            };
            self.delta_buf = dbuf;
            if last {
                let f = stack.pop().expect("parent frame");
                self.recycle(f.data);
            }
            stack.push(Frame {
                entry: c,
                data: out,
                memo,
                next: 0,
            });
        }
    }

    /// An object too large to scan or even to reconstruct from: the deltas made from it
    /// cannot be scanned, and are named as such.
    fn skip_subtree(&mut self, p: &Pack, i: u32, kind: Kind, size: u64) {
        let base = p.ids[i as usize];
        self.visitor.skipped(&base, kind, size);
        let mut stack: Vec<u32> = p.children_of(i).to_vec();
        while let Some(n) = stack.pop() {
            let id = p.ids[n as usize];
            self.problems.push(Notification::new(
                Code::BaseTooLarge,
                Some(id.to_string()),
                format!(
                    "object {id} is not scanned: it is deltified from {base}, which is {} (leakscope reconstructs at most {})",
                    crate::units::human_bytes(size),
                    crate::units::human_bytes(RECONSTRUCT)
                ),
            ));
            stack.extend_from_slice(p.children_of(n));
        }
    }

    /// Deltas that cannot be reconstructed because their base could not.
    fn fail_subtree(&mut self, p: &Pack, i: u32) {
        let mut stack: Vec<u32> = p.children_of(i).to_vec();
        while let Some(n) = stack.pop() {
            self.corrupt(p, n, "its delta base is corrupt".into());
            stack.extend_from_slice(p.children_of(n));
        }
    }

    pub fn loose(&mut self, obj: &(ObjectId, Kind, u64), max_size: u64) {
        let (id, kind, size) = *obj;
        if size > max_size {
            self.visitor.skipped(&id, kind, size);
            return;
        }
        let mut data = self.buffer();
        let res = {
            use gix::objs::Find;
            self.repo
                .objects
                .try_find(&id, &mut data)
                .map(|o| o.map(|d| d.data.len()))
        };
        match res {
            Ok(Some(n)) => {
                data.truncate(n);
                self.visitor.visit(Object {
                    kind,
                    id: &id,
                    data: &data,
                    base: None,
                });
                self.stats.objects += 1;
                self.stats.bytes += n as u64;
            }
            Ok(None) => self.problems.push(Notification::new(
                Code::MissingObject,
                Some(id.to_string()),
                format!("object {id} disappeared while scanning"),
            )),
            Err(e) => self.problems.push(Notification::new(
                Code::CorruptObject,
                Some(id.to_string()),
                format!("object {id} is corrupt: {e}"),
            )),
        }
        self.recycle(data);
    }
}

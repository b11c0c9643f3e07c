//! The one reader of git tree objects: `<octal mode> SP <name> NUL <hash>` entries, parsed in
//! place from the object's bytes. History's tree pass, `--range` and `staged` all read trees
//! through it.

use super::GitError;
use gix::ObjectId;

/// What a tree entry points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A subtree.
    Tree,
    /// A regular or executable file.
    Blob,
    /// A symbolic link (its blob holds the target).
    Link,
    /// A submodule commit.
    Gitlink,
}

impl EntryKind {
    /// The kind of an entry with `mode`.
    pub fn of(mode: u32) -> EntryKind {
        match mode & 0o170000 {
            0o040000 => EntryKind::Tree,
            0o160000 => EntryKind::Gitlink,
            0o120000 => EntryKind::Link,
            _ => EntryKind::Blob,
        }
    }
}

/// One entry of a tree, borrowed from the tree's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The mode, as octal digits read.
    pub mode: u32,
    /// The name (no `/`).
    pub name: &'a [u8],
    /// The object id.
    pub id: &'a gix::oid,
    /// Offset just past the entry.
    pub end: usize,
}

impl Entry<'_> {
    /// What the entry points at.
    pub fn kind(&self) -> EntryKind {
        EntryKind::of(self.mode)
    }
}

/// Parses the entry at `pos` of a tree object's bytes; `None` when the bytes there are not an
/// entry (a corrupt tree).
pub fn parse_entry(data: &[u8], pos: usize, hash_len: usize) -> Option<Entry<'_>> {
    let rest = data.get(pos..)?;
    let sp = memchr::memchr(b' ', rest)?;
    if sp == 0 {
        return None;
    }
    let mut mode = 0u32;
    for &c in &rest[..sp] {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        mode = mode.checked_mul(8)?.checked_add(u32::from(c - b'0'))?;
    }
    let nul = sp + 1 + memchr::memchr(0, &rest[sp + 1..])?;
    let name = &rest[sp + 1..nul];
    let id = rest.get(nul + 1..nul + 1 + hash_len)?;
    let id = gix::oid::try_from_bytes(id).ok()?;
    Some(Entry {
        mode,
        name,
        id,
        end: pos + nul + 1 + hash_len,
    })
}

/// The entries of a tree object's bytes, in order; an `Err` (and the end) at the first
/// corrupt one.
pub fn entries(data: &[u8], hash_len: usize) -> impl Iterator<Item = Result<Entry<'_>, ()>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        match parse_entry(data, pos, hash_len) {
            Some(e) => {
                pos = e.end;
                Some(Ok(e))
            }
            None => {
                pos = data.len();
                Some(Err(()))
            }
        }
    })
}

/// An owned listing of one tree: name → (kind, id), sorted by name.
pub type Listing = std::collections::BTreeMap<Vec<u8>, (EntryKind, ObjectId)>;

/// Reads tree `id` from `repo` and lists its entries.
pub fn read(repo: &gix::Repository, id: &ObjectId) -> Result<Listing, GitError> {
    let object = repo.find_object(*id).map_err(|e| GitError::Object {
        id: id.to_string(),
        message: e.to_string(),
    })?;
    if object.kind != gix::object::Kind::Tree {
        return Err(GitError::WrongType {
            id: id.to_string(),
            expected: "tree",
            found: object.kind.to_string(),
        });
    }
    let hash_len = id.as_bytes().len();
    let mut out = Listing::new();
    for e in entries(&object.data, hash_len) {
        let e = e.map_err(|()| GitError::CorruptTree(id.to_string()))?;
        out.insert(e.name.to_vec(), (e.kind(), e.id.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_rejects_garbage() {
        let mut data = b"100644 a.txt\0".to_vec();
        data.extend([7u8; 20]);
        data.extend_from_slice(b"40000 dir\0");
        data.extend([9u8; 20]);
        let all: Vec<_> = entries(&data, 20).collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].kind(), all[0].name),
            (EntryKind::Blob, &b"a.txt"[..])
        );
        assert_eq!((all[1].kind(), all[1].name), (EntryKind::Tree, &b"dir"[..]));
        assert!(entries(b"100644 x", 20).next().unwrap().is_err());
        assert!(parse_entry(b"10a644 x\0", 0, 0).is_none());
    }
}

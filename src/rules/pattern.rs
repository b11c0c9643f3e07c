//! The compiled pieces of a rule: patterns compiled on first use, and byte sets.

use regex::bytes::Regex;
use std::fmt;

/// A regular expression compiled on first use: loading hundreds of rules must not compile
/// hundreds of automata when a pre-commit hook scans one small file. The syntax is checked
/// when the rule loads; [`LazyRegex::compile`] forces compilation (custom rules, tests).
#[derive(Debug)]
pub struct LazyRegex {
    source: String,
    cell: std::sync::OnceLock<Regex>,
}

impl Clone for LazyRegex {
    fn clone(&self) -> Self {
        let cell = std::sync::OnceLock::new();
        if let Some(r) = self.cell.get() {
            let _ = cell.set(r.clone());
        }
        LazyRegex {
            source: self.source.clone(),
            cell,
        }
    }
}

impl LazyRegex {
    /// A regex of `source`, not compiled yet.
    pub fn new(source: String) -> LazyRegex {
        LazyRegex {
            source,
            cell: std::sync::OnceLock::new(),
        }
    }

    /// Compiles now, reporting why it cannot be.
    pub fn compile(&self) -> Result<&Regex, String> {
        if let Some(r) = self.cell.get() {
            return Ok(r);
        }
        let r = Regex::new(&self.source).map_err(|e| e.to_string())?;
        Ok(self.cell.get_or_init(|| r))
    }

    /// The compiled regex. One that cannot compile (which loading and the tests rule out)
    /// matches nothing.
    pub fn get(&self) -> &Regex {
        match self.compile() {
            Ok(r) => r,
            Err(_) => self
                .cell
                .get_or_init(|| Regex::new(r"[^\s\S]").expect("a regex that matches nothing")),
        }
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// A set of bytes, for charset and boundary checks.
#[derive(Clone, Copy)]
pub struct ByteSet(pub(crate) [bool; 256]);

impl ByteSet {
    /// Parses a character-class body such as `A-Za-z0-9_-` (ranges and single characters;
    /// a `-` first or last is literal).
    pub fn parse(spec: &str) -> Result<ByteSet, String> {
        if !spec.is_ascii() {
            return Err("charset must be ASCII".into());
        }
        let mut set = [false; 256];
        let b = spec.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if i + 2 < b.len() && b[i + 1] == b'-' {
                let (lo, hi) = (b[i], b[i + 2]);
                if lo > hi {
                    return Err(format!("bad range `{}-{}`", lo as char, hi as char));
                }
                for c in lo..=hi {
                    set[c as usize] = true;
                }
                i += 3;
            } else {
                set[b[i] as usize] = true;
                i += 1;
            }
        }
        Ok(ByteSet(set))
    }

    /// Whether `byte` is in the set.
    #[inline]
    pub fn contains(&self, byte: u8) -> bool {
        self.0[byte as usize]
    }
}

impl fmt::Debug for ByteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = (0u8..=255)
            .filter(|&c| self.0[c as usize])
            .map(|c| c as char)
            .collect();
        write!(f, "ByteSet({s:?})")
    }
}

//! Where content comes from: files on disk and stdin ([`fs`]), and the git work tree that
//! tells their exposure ([`worktree`]).

pub mod fs;
pub mod worktree;

//! Where content comes from: files on disk and stdin ([`fs`]) with the git work tree that
//! tells their exposure ([`worktree`]), and git history ([`git`]).

pub mod fs;
pub mod git;
pub mod ignore;
pub mod worktree;

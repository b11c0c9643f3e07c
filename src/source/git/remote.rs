//! `leakscope history URL`: a temporary bare mirror of a remote repository (branches, tags
//! and notes, and with `--pull-refs` the host's pull- and merge-request refs), removed when the
//! scan ends. `git` does the fetching: it knows every transport, credential helper and proxy
//! setting the user already has.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether `arg` names a remote repository rather than a path.
pub fn is_url(arg: &str) -> bool {
    const SCHEMES: &[&str] = &["https://", "http://", "ssh://", "git://", "file://"];
    if SCHEMES.iter().any(|s| arg.starts_with(s)) {
        return true;
    }
    // scp-like `user@host:path`: an `@` and a `:` before any `/`.
    match (arg.find('@'), arg.find(':'), arg.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|s| colon < s),
        _ => false,
    }
}

/// A bare mirror in a temporary directory, deleted on drop.
pub struct Mirror {
    dir: tempfile::TempDir,
}

impl Mirror {
    /// The mirror's git directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("repo.git")
    }
}

/// Why a mirror could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// `git` is not installed or cannot run.
    #[error("cloning {url} needs git, which cannot run here: {message}")]
    NoGit {
        /// The URL, without credentials.
        url: String,
        /// Why.
        message: String,
    },
    /// The fetch failed.
    #[error("cannot fetch {url}: {message}")]
    Fetch {
        /// The URL, without credentials.
        url: String,
        /// git's message, without credentials.
        message: String,
    },
}

/// Fetches every branch and tag of `url` (and pull/merge-request refs with `pull_refs`) into
/// a new temporary bare repository whose `origin` is `url`.
pub fn mirror(url: &str, pull_refs: bool) -> Result<Mirror, MirrorError> {
    let shown = super::public_url(url).unwrap_or_else(|| "the repository".into());
    let clean = |text: &str| text.replace(url, &shown);
    let dir = tempfile::Builder::new()
        .prefix("leakscope-mirror-")
        .tempdir()
        .map_err(|e| MirrorError::Fetch {
            url: shown.clone(),
            message: format!("cannot create a temporary directory: {e}"),
        })?;
    let git_dir = dir.path().join("repo.git");
    let mut refspecs = vec![
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
        "+refs/notes/*:refs/notes/*",
    ];
    if pull_refs {
        refspecs.push("+refs/pull/*:refs/pull/*");
        refspecs.push("+refs/merge-requests/*:refs/merge-requests/*");
    }
    let steps: Vec<Vec<&str>> = vec![
        vec!["init", "--quiet", "--bare"],
        vec!["remote", "add", "origin", url],
        [vec!["fetch", "--quiet", "--no-tags", "origin"], refspecs].concat(),
    ];
    for args in steps {
        let out = git(&git_dir, &args).map_err(|e| MirrorError::NoGit {
            url: shown.clone(),
            message: e.to_string(),
        })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let message = clean(stderr.trim());
            return Err(MirrorError::Fetch {
                url: shown,
                message,
            });
        }
    }
    Ok(Mirror { dir })
}

fn git(git_dir: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new("git");
    if args[0] == "init" {
        cmd.arg("init").args(&args[1..]).arg(git_dir);
    } else {
        cmd.arg("--git-dir").arg(git_dir).args(args);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn urls_and_paths() {
        for u in [
            "https://github.com/acme/shop",
            "ssh://git@example.com/x.git",
            "git@github.com:acme/shop.git",
            "file:///srv/git/shop.git",
            "git://127.0.0.1:9418/shop.git",
        ] {
            assert!(is_url(u), "{u}");
        }
        for p in [".", "/srv/shop", "shop", "dir/with@sign:colon", "C:/x"] {
            assert!(!is_url(p), "{p}");
        }
    }
}

#!/usr/bin/env bash
# `leakscope staged` on a large index: a generated repository with ENTRIES index entries (default
# 200,000) spread over DIRS directories (default 400), one file changed and staged; timed beside
# `git diff --cached --name-only` (median of RUNS, default 11), in one run.
#
#   scripts/bench/staged.sh [DIR]      default target/bench/staged-200k
#
# The repository is built with git fast-import and read-tree (no work tree is written), so the
# index has a valid cache tree for every unchanged directory, as after a checkout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/target/bench/staged-200k}
entries=${ENTRIES:-200000}
dirs=${DIRS:-400}
runs=${RUNS:-11}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z

if [ ! -f "$dir/.git/leakscope-bench-staged" ]; then
  rm -rf "$dir" && mkdir -p "$dir" && git -C "$dir" init -q -b main
  python3 - "$entries" "$dirs" <<'PY' | git -C "$dir" fast-import --quiet
import sys
entries, dirs = int(sys.argv[1]), int(sys.argv[2])
per = entries // dirs
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
# One blob per distinct content; files share a few contents, like generated code.
for i in range(16):
    out.write(b"blob\nmark :%d\n" % (i + 1)); data(b"// generated file %d\nexport const x = %d;\n" % (i, i))
out.write(b"commit refs/heads/main\ncommitter bench <bench@example.com> 1735689600 +0000\n")
data(b"many files")
for d in range(dirs):
    for f in range(per):
        out.write(b"M 100644 :%d pkg%03d/sub%02d/file%05d.ts\n" % ((d * per + f) % 16 + 1, d, f % 10, f))
out.write(b"\n")
PY
  git -C "$dir" read-tree HEAD
  touch "$dir/.git/leakscope-bench-staged"
fi
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/leakscope
# Stage one changed file (a new blob at an existing path), as a commit in progress would.
blob=$(printf 'export const changed = 1;\n' | git -C "$dir" hash-object -w --stdin)
git -C "$dir" update-index --cacheinfo "100644,$blob,pkg007/sub03/file00003.ts"
count=$(git -C "$dir" ls-files | wc -l)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { # command... → wall milliseconds of one run
  local s e
  s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
}
ls_ms=$(for _ in $(seq "$runs"); do time_ms "$bin" staged "$dir"; done | median)
git_ms=$(for _ in $(seq "$runs"); do time_ms git -C "$dir" diff --cached --name-only; done | median)
echo "index entries: $count, directories: $dirs, one file staged"
printf '| command | median wall ms (%s runs) |\n|---|---:|\n' "$runs"
printf '| leakscope staged | %s |\n| git diff --cached --name-only | %s |\n' "$ls_ms" "$git_ms"
git -C "$dir" read-tree HEAD

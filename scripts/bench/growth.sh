#!/usr/bin/env bash
# Growth: how leakscope's time and peak memory grow with hostile inputs, in one run. Builds
# (deterministically, under target/bench/growth) repositories holding 1k, 10k and 100k fake
# keys in one blob, 100, 1,000 and 10,000 copies of one key file, and one 10 MB line with a
# key at its end; times `history` and `scan` (JSON to /dev/null) on each, with the work
# counters (LEAKSCOPE_WORK) beside.
#
#   scripts/bench/growth.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
base=$root/target/bench/growth
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/leakscope

make() { # make NAME KIND N
  local dir=$base/$1
  [ -f "$dir/.done" ] && return
  rm -rf "$dir" && mkdir -p "$dir" && git -C "$dir" init -q -b main
  python3 - "$dir" "$2" "$3" <<'PY'
import os, random, string, sys
dir, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(n)
alnum = string.ascii_letters + string.digits
def key():  # a Resend-shaped fake key, made up here
    return "re_" + "".join(rng.choice(alnum) for _ in range(8)) + "_" + "".join(rng.choice(alnum) for _ in range(24))
if kind == "keys":
    with open(os.path.join(dir, "keys.env"), "w") as f:
        for i in range(n):
            f.write(f"KEY_{i}={key()}\n")
elif kind == "copies":
    os.makedirs(os.path.join(dir, "copies"))
    text = f"RESEND_API_KEY={key()}\n"
    for i in range(n):
        with open(os.path.join(dir, "copies", f"c{i}.env"), "w") as f:
            f.write(text)
else:
    with open(os.path.join(dir, "line.txt"), "w") as f:
        f.write(("abcdefghij" * 10 + " ") * (n // 101) + "RESEND_API_KEY=" + key() + "\n")
PY
  git -C "$dir" add -A && git -C "$dir" commit -q -m input && touch "$dir/.done"
}

echo "### Growth ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date -u +%Y-%m-%d))"
echo
echo "| input | command | wall s | max RSS MiB | work |"
echo "|---|---|---:|---:|---|"
for spec in keys:1000 keys:10000 keys:100000 copies:100 copies:1000 copies:10000 line:10000000; do
  kind=${spec%%:*} n=${spec##*:}
  name=$kind-$n
  make "$name" "$kind" "$n"
  for cmd in history scan; do
    args=("$cmd")
    [ "$cmd" = scan ] && args+=(.)
    out=$(cd "$base/$name" && LEAKSCOPE_WORK=1 /usr/bin/time -f 'TIME %e %M' "$bin" "${args[@]}" -q -f json -o /dev/null 2>&1 || true)
    t=$(sed -n 's/^TIME //p' <<<"$out")
    w=$(sed -n 's/^leakscope: work: //p' <<<"$out")
    printf '| %s | %s | %s | %d | %s |\n' "$name" "$cmd" "${t%% *}" "$(( ${t##* } / 1024 ))" "$w"
  done
done

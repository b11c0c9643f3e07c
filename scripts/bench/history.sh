#!/usr/bin/env bash
# History benchmarks: leakscope beside gitleaks, betterleaks and kingfisher, in one run.
#
#   scripts/bench/history.sh [REPO...]
#
# For each REPO (default: a generated synthetic repository, target/bench/synth, built by
# gen-repo.py), runs ../shared/peers/bench-history.sh with leakscope added to the same table
# (wall s, user+sys s, CPU %, max RSS, findings), then times `leakscope staged` with one changed
# file staged (median of RUNS, default 10). git's own repository is the reference input: get it
# as described in BENCHMARKS.md and pass its path.
#
# Environment: PEERS_DIR (default ../shared/peers beside this repository), RUNS, and the
# knobs of bench-history.sh (PEERS_TOOLS, PEERS_RUNS, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
peers=${PEERS_DIR:-$root/../shared/peers}
runs=${RUNS:-10}
[ -x "$peers/bench-history.sh" ] || { echo "peer scripts not found in $peers (set PEERS_DIR)" >&2; exit 1; }

"$peers/install.sh" >&2
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/leakscope

repos=("$@")
if [ ${#repos[@]} -eq 0 ]; then
  synth=$root/target/bench/synth
  [ -f "$synth/.git/leakscope-bench-manifest" ] || python3 "$here/gen-repo.py" "$synth" >&2
  repos=("$synth")
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for repo in "${repos[@]}"; do
  repo=$(cd "$repo" && pwd)
  out=$root/target/bench/out-$(basename "$repo")
  LEAKSCOPE_CMD="$bin history {repo} --format json -o {out}" \
    LEAKSCOPE_VERSION="$("$bin" --version | cut -d' ' -f2)" \
    "$peers/bench-history.sh" "$repo" "$out"
  "$here/rule-counts.sh" "$bin"
  echo

  # Delta-aware scanning must report exactly what scanning every blob in full reports.
  "$bin" history "$repo" --full-scan --format json -o "$out/leakscope-full.json" >/dev/null 2>&1 || true
  python3 - "$out/leakscope.json" "$out/leakscope-full.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
fa, fb = a["findings"], b["findings"]
same = fa == fb
print("delta-aware vs full scan: %s (%d findings; delta path used for %d of %d blobs)" % (
    "identical findings" if same else "FINDINGS DIFFER", len(fa), a["stats"]["deltaScans"], a["stats"]["scanned"]))
sys.exit(0 if same else 1)
PY
  echo

  # staged: one changed file
  if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    file=$(git -C "$repo" ls-files | sed -n '200p')
    cp "$repo/$file" "$out/staged-backup"
    echo "// leakscope staged benchmark" >>"$repo/$file"
    git -C "$repo" add -- "$file"
    for ((i = 0; i < runs; i++)); do
      t0=$(date +%s%N)
      (cd "$repo" && "$bin" staged >/dev/null 2>&1) || true
      t1=$(date +%s%N)
      echo $(((t1 - t0) / 1000))
    done | median >"$out/staged-us"
    git -C "$repo" reset -q -- "$file"
    cp "$out/staged-backup" "$repo/$file"
    printf '`leakscope staged` with one changed file (%s): median %.1f ms over %d runs\n\n' "$file" "$(echo "$(cat "$out/staged-us") / 1000" | bc -l)" "$runs"
  fi
done

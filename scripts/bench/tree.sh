#!/usr/bin/env bash
# Working-tree throughput: leakscope beside the peer scanners and beside ripgrep searching the
# same literals, on a generated tree, in one run.
#
#   scripts/bench/tree.sh [DIR] [SIZE_MIB]     defaults: target/bench/tree-1g 1024
#
# Generates DIR with gen-tree.py when it is missing (deterministic), builds leakscope in release
# mode, runs ../shared/peers/bench-dir.sh with leakscope in the same table (PEERS=0 skips the
# peers; PEERS_TOOLS picks some), then times leakscope and ripgrep RUNS times each (default 5)
# and prints their median wall time and throughput. ripgrep comes from Debian's package
# (installed when missing and run as root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/target/bench/tree-1g}
size=${2:-1024}
runs=${RUNS:-5}

if ! command -v rg >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep >/dev/null
  else
    echo "ripgrep (rg) is required: apt-get install ripgrep" >&2
    exit 1
  fi
fi
[ -f "$dir/.leakscope-bench-manifest" ] || python3 "$here/gen-tree.py" "$dir" --size-mib "$size" >&2
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/leakscope
find "$dir" -type f -exec cat {} + >/dev/null

if [ "${PEERS:-1}" = 1 ]; then
  peers=${PEERS_DIR:-$root/../shared/peers}
  "$peers/install.sh" >&2
  LEAKSCOPE_CMD="$bin scan {repo} --format json -o {out}" \
    LEAKSCOPE_VERSION="$("$bin" --version | cut -d' ' -f2)" \
    "$peers/bench-dir.sh" "$dir" "$root/target/bench/out-tree"
  "$here/rule-counts.sh" "$bin"
  echo
fi

# Every literal of every built-in rule (prefixes and keywords, opt-in rules included), with
# leakscope's semantics: prefixes with their case, keywords without (`(?i:…)`). ripgrep reads
# one line at a time, so a literal that starts with a line break (`\napi_key:`) is searched
# from after it: left in, ripgrep would split it into an empty pattern matching everywhere.
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
"$bin" rules --format json | python3 -c 'import json,sys
meta = set("\\.+*?()|[]{}^$#&-~")
esc = lambda s: "".join("\\" + c if c in meta else c for c in s)
seen, out = set(), []
for r in json.load(sys.stdin):
    for kind, lits in (("p", r["prefixes"]), ("k", r["keywords"])):
        for lit in lits:
            lit = lit.split("\n")[-1]
            key = (kind, lit if kind == "p" else lit.lower())
            if lit and key not in seen:
                seen.add(key)
                out.append(esc(lit) if kind == "p" else "(?i:" + esc(lit) + ")")
print("\n".join(out))' >"$patterns"
literals=$(grep -c '' "$patterns")
# Two ways to search: every occurrence (--count-matches), which is the scanner's job, and
# matching lines (-c), which stops at a line's first occurrence: a lower bound.
rg_args=(--hidden -f "$patterns")

bytes=$(du -sb --exclude=.leakscope-bench-manifest "$dir" | cut -f1)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { # prints wall seconds of one run of "$@"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
declare -A wall
for tool in leakscope ripgrep ripgrep_lines; do
  for ((i = 0; i < runs; i++)); do
    case $tool in
      leakscope) time_it "$bin" scan "$dir" --format json -o /dev/null ;;
      ripgrep) time_it rg "${rg_args[@]}" --count-matches "$dir" ;;
      ripgrep_lines) time_it rg "${rg_args[@]}" -c "$dir" ;;
    esac
  done | median >"/tmp/leakscope-bench-$tool.$$"
  wall[$tool]=$(cat "/tmp/leakscope-bench-$tool.$$")
  rm -f "/tmp/leakscope-bench-$tool.$$"
done
findings=$({ "$bin" scan "$dir" --format json 2>/dev/null || true; } | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
echo "### Working tree: $(sed -n 's/^files=//p' "$dir/.leakscope-bench-manifest") files, $((bytes / 1048576)) MiB ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo
echo "| tool | median wall s ($runs runs) | MB/s | result |"
echo "|---|---:|---:|---|"
printf '| leakscope %s | %.3f | %.0f | %s findings |\n' "$("$bin" --version | cut -d' ' -f2)" "${wall[leakscope]}" "$(echo "$bytes / ${wall[leakscope]} / 1000000" | bc -l)" "$findings"
rgv=$(rg --version | head -1 | cut -d' ' -f2)
printf '| ripgrep %s --count-matches (same %d literals) | %.3f | %.0f | every occurrence |\n' "$rgv" "$literals" "${wall[ripgrep]}" "$(echo "$bytes / ${wall[ripgrep]} / 1000000" | bc -l)"
printf '| ripgrep %s -c (same %d literals) | %.3f | %.0f | first occurrence per line |\n' "$rgv" "$literals" "${wall[ripgrep_lines]}" "$(echo "$bytes / ${wall[ripgrep_lines]} / 1000000" | bc -l)"
echo
printf 'leakscope / ripgrep wall time: %.2f (every occurrence), %.2f (matching lines)\n' "$(echo "${wall[leakscope]} / ${wall[ripgrep]}" | bc -l)" "$(echo "${wall[leakscope]} / ${wall[ripgrep_lines]}" | bc -l)"

#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 3600), JOBS at a time (default 2,
# one per CPU), then prints one line per target: executions, coverage, corpus, and any crash.
# Exits 1 when a target crashed, failed a property or timed out (its input is saved under
# fuzz/artifacts/TARGET/). See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: JOBS=N targets at a time; FUZZ_ARGS="..." more libFuzzer options (for example
# `-fork=1 -ignore_crashes=1` to go on past a known failure).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
secs=${1:-3600}
shift || true
jobs=${JOBS:-2}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo fuzz needs nightly flags: the nightly toolchain where there is one, else the stable
# one with its unstable flags unlocked (the machine's only toolchain can be stable).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${fuzz[@]}" list)
fi
# Release mode with debug assertions (overflow checks), AddressSanitizer (the default).
build=(-O -a)
"${fuzz[@]}" build "${build[@]}"

logs=fuzz/logs
mkdir -p "$logs"
run_one() {
    local t=$1 rc=0
    mkdir -p "fuzz/corpus/$t"
    # -timeout: an input taking 60 s is a finding; -rss_limit_mb: headroom over the default
    # 2 GiB for long runs (the built-in rules under AddressSanitizer take about 500 MB).
    # shellcheck disable=SC2086
    "${fuzz[@]}" run "${build[@]}" "$t" -- \
        -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
        ${FUZZ_ARGS:-} >"$logs/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$logs/$t.rc"
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
    rm -f "$logs/$t.rc"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
failed=0
printf '%-20s %8s %14s %8s %8s  %s\n' target seconds executions cov corpus result
for t in "${targets[@]}"; do
    log="$logs/$t.log"
    rc=$(cat "$logs/$t.rc" 2>/dev/null || echo '?')
    execs=$(final_stat number_of_executed_units "$log")
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(grep -Eo 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$rc" = 0 ]; then
        result=ok
    else
        failed=1
        artifact=$(grep -Eo 'fuzz/artifacts/[^ ]+' "$log" | head -1 || true)
        result="FAILED (exit $rc) ${artifact:-see $log}"
    fi
    printf '%-20s %8s %14s %8s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" "${corpus:-?}" "$result"
done
echo "fuzzing took $(( $(date +%s) - start )) s in all; logs in $logs/"
if [ "$failed" != 0 ]; then
    for t in "${targets[@]}"; do
        rc=$(cat "$logs/$t.rc" 2>/dev/null || echo '?')
        [ "$rc" = 0 ] || { echo "--- $t ($logs/$t.log)"; grep -E -m5 -A8 "panicked|ERROR: libFuzzer|SUMMARY" "$logs/$t.log" || tail -20 "$logs/$t.log"; }
    done
    exit 1
fi

#!/usr/bin/env bash
# Prints how many rules each tool runs with its default configuration, for the benchmark
# tables: leakscope (`rules --format json`; opt-in rules counted apart), betterleaks
# (`config show ids`), kingfisher (`rules list --format json`). gitleaks has no command that
# lists its rules: its default configuration's count is taken from the rule file of the
# version installed (config/gitleaks.toml of 8.30.1), written below.
#
#   scripts/bench/rule-counts.sh LEAKSCOPE_BINARY
set -euo pipefail
bin=$1
# The peers' install directory (../shared/peers/install.sh), in case it is not on PATH.
PATH=$PATH:${PEERS_BIN:-$HOME/.local/peers/bin}:/opt/peers/bin
GITLEAKS_RULES=222   # gitleaks 8.30.1: [[rules]] entries in config/gitleaks.toml
count_leakscope() {
  "$bin" rules --format json | python3 -c 'import json, sys
rules = json.load(sys.stdin)
opt = sum(1 for r in rules if r.get("optIn"))
print(f"{len(rules) - opt} (+{opt} opt-in)")'
}
# A count, or `?` when the tool is missing or fails.
count() {
  local n
  if n=$("$@" 2>/dev/null) && [ -n "$n" ]; then echo "$n"; else echo '?'; fi
}
ls_count=$(count_leakscope)
bl=$(count sh -c 'betterleaks config show ids | grep -c .')
kf=$(count sh -c 'kingfisher rules list --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"')
gl=$(command -v gitleaks >/dev/null && echo "$GITLEAKS_RULES" || echo '?')
echo "rules: gitleaks $gl, betterleaks $bl, kingfisher $kf, leakscope $ls_count"

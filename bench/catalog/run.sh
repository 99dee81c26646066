#!/usr/bin/env bash
# Catalog benchmark: builds `liora` in release and runs the hidden `liora catalog-bench`, which
# generates a deterministic catalog (seeded), encodes it to JSON and times validation, building
# the search index, and searches (p50/p99/max per query, by kind of query).
# Targets: validation < 2 s, index build < 1.5 s, search p99 < 2 ms, all at 50,000 products.
#
#   bench/catalog/run.sh [extra catalog-bench flags]
#
# Environment knobs:
#   BENCH_PRODUCTS=50000      products in the generated catalog
#   BENCH_QUERIES=20000       searches timed
#   BENCH_SEED=42             generator seed
#   BENCH_ROUNDS=3            validation and index build repeats (median reported)
#   BENCH_SCRATCH_PATH=.build swift build --scratch-path
#   BENCH_SKIP_BUILD=1        use the existing release binary
#   BENCH_LIORA_BIN=path      use this binary (implies no build)
#   BENCH_STRICT=1            exit 1 when a target is missed
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

scratch=${BENCH_SCRATCH_PATH:-.build}
if [[ -n "${BENCH_LIORA_BIN:-}" ]]; then
  bin=$BENCH_LIORA_BIN
else
  bin="$scratch/release/liora"
  if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
    echo "building liora (release)..." >&2
    swift build -c release --product liora --scratch-path "$scratch" >&2
  fi
fi
[[ -x "$bin" ]] || { echo "bench/catalog: no binary at $bin" >&2; exit 2; }

out=$("$bin" catalog-bench \
  --products "${BENCH_PRODUCTS:-50000}" \
  --queries "${BENCH_QUERIES:-20000}" \
  --seed "${BENCH_SEED:-42}" \
  --rounds "${BENCH_ROUNDS:-3}" "$@")
echo "$out"
if grep -q "MISSED" <<<"$out"; then
  echo "bench/catalog: a target was missed" >&2
  [[ -n "${BENCH_STRICT:-}" ]] && exit 1
fi
exit 0

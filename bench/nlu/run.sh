#!/usr/bin/env bash
# NLU router latency benchmark: builds `liora` in release and runs the hidden
# `liora nlu bench`, which trains the router on skills/ and routes every utterance of the
# labelled set many times (all skills enabled), timing each call; prints p50/p99 per message.
# Target: p99 < 1 ms per message.
#
#   bench/nlu/run.sh [LABELLED_TSV]            (default: Tests/nlu/labelled.tsv)
#
# Environment knobs:
#   BENCH_ROUNDS=200          times every utterance is routed
#   BENCH_SKILLS=skills       skills directory
#   BENCH_SCRATCH_PATH=.build swift build --scratch-path
#   BENCH_SKIP_BUILD=1        use the existing release binary
#   BENCH_LIORA_BIN=path      use this binary (implies no build)
#   BENCH_STRICT=1            exit 1 when p99 misses the target
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

labelled=${1:-Tests/nlu/labelled.tsv}
rounds=${BENCH_ROUNDS:-200}
skills=${BENCH_SKILLS:-skills}
scratch=${BENCH_SCRATCH_PATH:-.build}
target_us=1000

if [[ -n "${BENCH_LIORA_BIN:-}" ]]; then
  bin=$BENCH_LIORA_BIN
else
  bin="$scratch/release/liora"
  if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
    echo "building liora (release)..." >&2
    swift build -c release --product liora --scratch-path "$scratch" >&2
  fi
fi
[[ -x "$bin" ]] || { echo "bench/nlu: no binary at $bin" >&2; exit 2; }

out=$("$bin" nlu bench "$labelled" --skills "$skills" --rounds "$rounds")
echo "$out"
p99=$(sed -n 's/.*p99 \([0-9.]*\) µs.*/\1/p' <<<"$out")
if awk -v p="$p99" -v t="$target_us" 'BEGIN { exit !(p < t) }'; then
  echo "target p99 < ${target_us} µs: met"
else
  echo "target p99 < ${target_us} µs: MISSED (p99 ${p99} µs)"
  [[ -n "${BENCH_STRICT:-}" ]] && exit 1
fi
exit 0

#!/usr/bin/env bash
# Benchmark of the core against the file system's own limits, on a generated kano backlog:
#
#   tack index rebuild        vs  reading every item file  (find … -print0 | xargs -0 cat)
#   tack list --json (no-op)  vs  stat of every item file  (find … -printf '%s %T@\n')
#
# Each is the median of RUNS runs after the page cache is warm; both ratios come from one run
# of this script. Goal: each ratio ≤ 2.
#
# Usage: benches/core.sh                 (100,000 items, 5 runs each)
#        COUNT=20000 RUNS=7 benches/core.sh
#        BENCH_DIR=/tmp/tack-bench benches/core.sh   (keep and reuse the corpus there)
set -euo pipefail

COUNT=${COUNT:-100000}
RUNS=${RUNS:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${TACK_SHARED:-$repo/../shared}

if [[ -n ${BENCH_DIR:-} ]]; then
    work=$BENCH_DIR
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/tack-bench.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
corpus=$work/corpus-$COUNT
export TACK_CACHE_DIR=$work/cache
unset TACK_INDEX

if [[ ! -d $corpus/_kano ]]; then
    echo "generating $COUNT kano items in $corpus …" >&2
    python3 "$shared/corpus/gen_backlog.py" --format kabsd --count "$COUNT" --out "$corpus" >/dev/null
fi

echo "building tack (release) …" >&2
(cd "$repo" && cargo build --release --quiet --bin tack)
target=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
tack=$target/release/tack

items=("$corpus"/_kano/backlog/products/*/items)
files=$(find "${items[@]}" -name '*.md' | wc -l)

read_all() { find "${items[@]}" -name '*.md' -print0 | xargs -0 cat >/dev/null; }
stat_all() { find "${items[@]}" -name '*.md' -printf '%s %T@\n' >/dev/null; }
rebuild() { "$tack" -C "$corpus" index rebuild >/dev/null; }
list_json() { "$tack" -C "$corpus" list --json >/dev/null; }

# Median wall time of RUNS runs of a shell function, in milliseconds.
median_ms() {
    local times=() start end
    for ((i = 0; i < RUNS; i++)); do
        start=$(date +%s%N)
        "$1"
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END {
        m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "%.1f\n", m / 1000 }'
}

echo "warming the page cache …" >&2
read_all
read_all
stat_all
rebuild
list_json

echo "measuring ($RUNS runs each, $files item files) …" >&2
t_read=$(median_ms read_all)
t_rebuild=$(median_ms rebuild)
t_stat=$(median_ms stat_all)
list_json # the index is fresh after the rebuilds: every list below is a no-change one
t_list=$(median_ms list_json)

cards=$("$tack" -C "$corpus" index status --json |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["items"], "cards,", s["invalid"], "problems")')

awk -v files="$files" -v cards="$cards" -v runs="$RUNS" -v cpus="$(nproc)" \
    -v read="$t_read" -v rebuild="$t_rebuild" -v stat="$t_stat" -v list="$t_list" 'BEGIN {
    printf "tack core benchmark: %d item files (%s), %d CPUs, median of %d runs\n", files, cards, cpus, runs
    printf "  %-34s %9.1f ms\n", "tack index rebuild", rebuild
    printf "  %-34s %9.1f ms\n", "read limit (find | xargs cat)", read
    printf "  %-34s %9.2f x   (goal <= 2)\n", "rebuild / read", rebuild / read
    printf "  %-34s %9.1f ms\n", "tack list --json (no change)", list
    printf "  %-34s %9.1f ms\n", "stat limit (find -printf)", stat
    printf "  %-34s %9.2f x   (goal <= 2)\n", "list / stat", list / stat
}'

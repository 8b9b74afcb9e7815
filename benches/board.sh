#!/usr/bin/env bash
# Board speed and memory on a large generated backlog (default 100,000 cards):
#   - criterion: first frame, full load, search keystrokes, a move (benches/board.rs)
#   - the real binary in tmux: peak resident memory once every card is loaded
# Usage: benches/board.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
work=$(mktemp -d /tmp/tack-board-bench.XXXXXX)
trap 'tmux -L tackbench kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

echo "generating $count cards…"
python3 ../shared/corpus/gen_backlog.py --format backlogmd --count "$count" --out "$work/backlog" >/dev/null
cargo build --release --quiet
export TACK_CACHE_DIR="$work/cache"
./target/release/tack -C "$work/backlog" index rebuild

echo "criterion (board/*):"
TACK_BENCH_BACKLOG="$work/backlog" cargo bench --quiet --bench board -- --warm-up-time 1 --measurement-time 5 2>&1 |
    grep -E "^board/|time:" || true

echo "memory of the real binary:"
tmux -L tackbench -f /dev/null new-session -d -x 200 -y 50 \
    "TACK_CACHE_DIR=$TACK_CACHE_DIR ./target/release/tack -C $work/backlog"
pid=""
for _ in $(seq 100); do
    pid=$(pgrep -x tack | head -1 || true)
    screen=$(tmux -L tackbench capture-pane -p 2>/dev/null || true)
    if [ -n "$pid" ] && grep -q " $count cards" <<<"$screen" && ! grep -q "reading files\|loading" <<<"$screen"; then
        break
    fi
    sleep 0.2
done
sleep 1
grep -E "VmHWM|VmRSS" "/proc/$pid/status"
tmux -L tackbench send-keys q

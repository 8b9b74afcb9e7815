#!/usr/bin/env bash
# Benchmark of the PostgreSQL mirror (not a test):
#   1. initial `tack mirror URL` of N generated cards vs `tack index rebuild` of the same
#      backlog (goal: mirror ≤ 3× rebuild);
#   2. one file edit → row updated, p95 over EDITS edits with `tack mirror URL --watch`
#      (goal ≤ 1 s).
# Needs Debian's postgresql package (apt-get install -y postgresql) and python3.
# Usage: benches/mirror.sh [COUNT] [FORMAT]   (defaults: 100000 backlogmd)
set -euo pipefail

COUNT=${1:-100000}
FORMAT=${2:-backlogmd}
EDITS=${EDITS:-20}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${TACK_SHARED:-$HERE/../shared}

if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$HERE" && cargo build --release --quiet)
fi
TACK=$HERE/target/release/tack

PGBIN=${TACK_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL binaries not found (apt-get install -y postgresql)" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/tack-mirror-bench.XXXXXX)
chmod 755 "$WORK"   # the postgres user must reach its data dir inside
PGDIR=$WORK/pg
mkdir -p "$PGDIR"
AS=()
if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$PGDIR"
    AS=(runuser -u postgres --)
fi
# A private copy: other builds may replace target/release/tack while this runs.
cp "$TACK" "$WORK/tack"
TACK=$WORK/tack
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WATCH_PID=
cleanup() {
    [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null || true
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U tack --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Stock settings apart from the listen address: the numbers should mean something for a
# real server (fsync stays on).
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR" start >/dev/null
URL="postgres://tack@127.0.0.1:$PORT/postgres"
PSQL=("$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$PORT" -U tack postgres)

echo "generating $COUNT $FORMAT cards…"
python3 "$SHARED/corpus/gen_backlog.py" --format "$FORMAT" --count "$COUNT" --out "$WORK/backlog" >/dev/null
export TACK_CACHE_DIR=$WORK/cache

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Warm the page cache the same way for both contenders.
"$TACK" -C "$WORK/backlog" index rebuild >/dev/null
t0=$(ms); "$TACK" -C "$WORK/backlog" index rebuild >/dev/null; t1=$(ms)
REBUILD=$((t1 - t0))
t0=$(ms); "$TACK" -C "$WORK/backlog" mirror "$URL" >"$WORK/mirror.out"; t1=$(ms)
MIRROR=$((t1 - t0))
ROWS=$("${PSQL[@]}" -c "SELECT count(*) FROM tack.items")
t0=$(ms); "$TACK" -C "$WORK/backlog" mirror "$URL" >/dev/null; t1=$(ms)
RESYNC=$((t1 - t0))
echo "index rebuild:          ${REBUILD} ms"
echo "initial mirror:         ${MIRROR} ms  ($ROWS rows; $(cat "$WORK/mirror.out"))"
echo "mirror/rebuild ratio:   $(awk -v a="$MIRROR" -v b="$REBUILD" 'BEGIN{printf "%.2f", a/b}')  (goal ≤ 3)"
echo "no-change full re-sync: ${RESYNC} ms"

# Edit latency with --watch.
"$TACK" -C "$WORK/backlog" mirror "$URL" --watch >"$WORK/watch.out" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 600); do
    grep -q '^synced' "$WORK/watch.out" 2>/dev/null && break
    sleep 0.1
done
grep -q '^synced' "$WORK/watch.out" || { echo "watch never synced:"; cat "$WORK/watch.out"; exit 1; }
mapfile -t FILES < <(ls "$WORK/backlog/backlog/tasks" 2>/dev/null | head -n "$EDITS" || true)
if [ "${#FILES[@]}" -eq 0 ]; then
    mapfile -t FILES < <(find "$WORK/backlog/_kano" -path '*/items/*' -name '*.md' | head -n "$EDITS")
fi
LAT=()
i=0
for f in "${FILES[@]}"; do
    i=$((i + 1))
    case "$f" in /*) abs=$f ;; *) abs=$WORK/backlog/backlog/tasks/$f ;; esac
    rel=${abs#"$WORK/backlog/"}
    title="Bench edit $i $RANDOM"
    t0=$(ms)
    python3 - "$abs" "$title" <<'PY'
import os, sys
path, title = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
lines = [f"title: \"{title}\"" if l.startswith("title:") else l for l in lines]
tmp = os.path.join(os.path.dirname(os.path.dirname(path)), ".bench.tmp")
open(tmp, "w").write("\n".join(lines))
os.rename(tmp, path)
PY
    while :; do
        got=$("${PSQL[@]}" -c "SELECT title FROM tack.items WHERE path = '${rel//\'/\'\'}'" </dev/null || true)
        [ "$got" = "$title" ] && break
        [ $(( $(ms) - t0 )) -gt 10000 ] && { echo "edit $i never landed"; break; }
        sleep 0.01
    done
    LAT+=($(( $(ms) - t0 )))
    sleep 0.2
done
SORTED=$(printf '%s\n' "${LAT[@]}" | sort -n)
N=${#LAT[@]}
P95_IDX=$(( (N * 95 + 99) / 100 ))
P50_IDX=$(( (N + 1) / 2 ))
echo "edit → row latency over $N edits: p50 $(echo "$SORTED" | sed -n "${P50_IDX}p") ms, p95 $(echo "$SORTED" | sed -n "${P95_IDX}p") ms, max $(echo "$SORTED" | tail -1) ms  (goal p95 ≤ 1000; includes ~10–20 ms of psql polling)"

#!/usr/bin/env bash
# Screenshots of the board for the docs: screenshots/{board,detail,search,narrow}.png.
#
# Builds the release binary, runs it on a copy of the demo backlog (assets/demo) inside tmux at
# 120×36, captures four states with their colours (`tmux capture-pane -e`), turns each capture
# into HTML (a small converter below: dark background, DejaVu Sans Mono, one cell per
# character so box drawing lines up) and renders it with headless Chromium.
#
# Needs (Debian): tmux chromium fonts-dejavu-core fontconfig python3; installed when missing.
# TACK_SHOTS_KEEP=1 keeps the captures and HTML (their directory is printed).
# Usage: scripts/screenshots.sh [OUT_DIR]   (default: screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
command -v fc-list >/dev/null || need+=(fontconfig)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cargo build --release --locked --bin tack
tack=$root/target/release/tack

# The demo under a fixed path, so the title bar reads the same on every run.
demo=${TMPDIR:-/tmp}/tack-demo
if [ -e "$demo" ] && [ ! -e "$demo/.tack-screenshots" ]; then
    echo "screenshots: $demo exists and is not ours; move it away" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tack-shots.XXXXXX")
# One tmux server a run of the board, its socket in $work: a fresh socket each time, so a
# server still shutting down is never reused.
runs=0
sock="$work/tmux-$runs.sock"
cleanup() {
    tm kill-server 2>/dev/null || true
    rm -rf "$demo"
    if [ -n "${TACK_SHOTS_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

rm -rf "$demo"
mkdir -p "$demo"
: > "$demo/.tack-screenshots"
cp -r assets/demo/. "$demo/"

tm() { tmux -S "$sock" -f /dev/null "$@"; }

# Start the board on ARGS in a fresh session at 120×36. Its stderr goes to a log, so stray
# output cannot smudge a picture; the log is shown at the end.
start() {
    tm kill-server 2>/dev/null || true
    runs=$((runs + 1))
    sock="$work/tmux-$runs.sock"
    tm new-session -d -s shots -x 120 -y 36 -c "$demo" -- \
        env -u VISUAL -u EDITOR -u NO_COLOR -u TACK_INDEX -u TACK_MIRROR \
        TACK_CACHE_DIR="$work/cache" TACK_CONFIG="$work/no-config.toml" \
        sh -c 'exec "$@" 2>>"$0"' "$work/stderr.log" "$tack" "$@"
}

# Wait until the screen shows TEXT (10 s at most).
wait_for() {
    local i
    for i in $(seq 200); do
        if tm capture-pane -p -t shots | grep -qF -- "$1"; then return 0; fi
        sleep 0.05
    done
    echo "screenshots: timed out waiting for '$1'; screen:" >&2
    tm capture-pane -p -t shots >&2
    exit 1
}

key() { tm send-keys -t shots "$@"; }

# Capture the screen with its colours into $work/NAME.ans.
capture() {
    sleep 0.3 # let the last frame settle (only for the picture; nothing is asserted)
    tm capture-pane -e -N -p -t shots > "$work/$1.ans"
}

# 1. The board, first card focused.
start
wait_for '▌'
wait_for ' cards'
capture board

# 2. The detail pane of a card with a rich body.
start backlog/tasks/"task-5 - Search-is-slow-on-large-workspaces.md"
wait_for '▌'
key Enter
wait_for 'Implementation Notes'
capture detail

# 3. A live search, typed letter by letter.
key Escape
sleep 0.15 # Esc and the next key apart, or they read as Alt+key
wait_for '? help'
key /
key -l 'perf'
wait_for 'search: perf'
capture search

# 4. The narrow pane.
key Escape
sleep 0.15
tm resize-window -t shots -x 40 -y 12
sleep 0.5
key Escape
sleep 0.15
wait_for '▌'
capture narrow

cat > "$work/ansi2html.py" <<'PY'
"""ANSI (tmux capture-pane -e) to HTML: one span per styled run, one cell per character."""
import html, subprocess, sys, unicodedata

PALETTE = [  # the 16 base colours: a dark theme's (Tango-like)
    "#2e3436", "#ef5350", "#8ae234", "#fce94f", "#729fcf", "#d07ad0", "#34e2e2", "#d3d7cf",
    "#7f8582", "#ff6e6e", "#b5f27c", "#fff38a", "#9cc3f5", "#f09cf0", "#8ff0f0", "#eeeeec",
]
FG, BG = "#d8dee9", "#16181d"


def xterm(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    g = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (g, g, g)


def sgr(state, params):
    ps = [int(p) if p else 0 for p in params.replace(":", ";").split(";")] or [0]
    i = 0
    while i < len(ps):
        p = ps[i]
        if p == 0:
            state.clear()
        elif p in (1, 2, 3, 4, 7, 9):
            state[p] = True
        elif p == 22:
            state.pop(1, None); state.pop(2, None)
        elif p in (23, 24, 27, 29):
            state.pop(p - 20, None)
        elif 30 <= p <= 37 or 90 <= p <= 97:
            state["fg"] = PALETTE[p - 30 if p < 90 else p - 90 + 8]
        elif 40 <= p <= 47 or 100 <= p <= 107:
            state["bg"] = PALETTE[p - 40 if p < 100 else p - 100 + 8]
        elif p == 39:
            state.pop("fg", None)
        elif p == 49:
            state.pop("bg", None)
        elif p in (38, 48):
            key = "fg" if p == 38 else "bg"
            if ps[i + 1 : i + 2] == [5]:
                state[key] = xterm(ps[i + 2]); i += 2
            elif ps[i + 1 : i + 2] == [2]:
                state[key] = "#%02x%02x%02x" % tuple(ps[i + 2 : i + 5]); i += 4
        i += 1


def css(state):
    fg, bg = state.get("fg", FG), state.get("bg", None)
    if state.get(7):
        fg, bg = bg or BG, fg
    out = ["color:" + fg]
    if bg:
        out.append("background:" + bg)
    if state.get(1):
        out.append("font-weight:bold")
    if state.get(2):
        out.append("opacity:.6")
    if state.get(3):
        out.append("font-style:italic")
    deco = [d for k, d in ((4, "underline"), (9, "line-through")) if state.get(k)]
    if deco:
        out.append("text-decoration:" + " ".join(deco))
    return ";".join(out)


COVERED = {}


def in_font(ch):
    """Whether DejaVu Sans Mono has the glyph (else the browser falls back to another font)."""
    if ch not in COVERED:
        query = "DejaVu Sans Mono:charset=%x" % ord(ch)
        found = subprocess.run(["fc-list", query, "family"], capture_output=True, text=True)
        COVERED[ch] = bool(found.stdout.strip())
    return COVERED[ch]


def cell(ch):
    if ord(ch) < 128:
        return html.escape(ch)
    wide = unicodedata.east_asian_width(ch) in "WF"
    if not wide and in_font(ch):
        return html.escape(ch)
    # A fallback glyph or a wide one: pinned to its cells so the rest of the row stays aligned.
    return '<i class="%s">%s</i>' % ("w" if wide else "n", html.escape(ch))


def convert(text):
    state, rows = {}, []
    for line in text.rstrip("\n").split("\n"):
        spans, run, i = [], [], 0
        style = css(state)
        while i < len(line):
            if line.startswith("\x1b[", i):
                end = i + 2
                while end < len(line) and (line[end].isdigit() or line[end] in ";:"):
                    end += 1
                if end < len(line) and line[end] == "m":
                    if run:
                        spans.append('<span style="%s">%s</span>' % (style, "".join(run)))
                        run = []
                    sgr(state, line[i + 2 : end])
                    style = css(state)
                i = end + 1
                continue
            run.append(cell(line[i]))
            i += 1
        if run:
            spans.append('<span style="%s">%s</span>' % (style, "".join(run)))
        rows.append('<div class="row">%s</div>' % "".join(spans))
    return "".join(rows)


cols, rows = int(sys.argv[1]), int(sys.argv[2])
body = convert(sys.stdin.read())
print(f"""<!doctype html><meta charset="utf-8"><style>
html, body {{ margin: 0; background: {BG}; }}
.term {{ font: 14.604px/17px "DejaVu Sans Mono", monospace; color: {FG}; padding: 12px;
        width: {cols}ch; font-variant-ligatures: none; }}
.row {{ height: 17px; white-space: pre; }}
i {{ font-style: inherit; display: inline-block; text-align: center; vertical-align: top;
    height: 17px; }}
i.n {{ width: 1ch; }} i.w {{ width: 2ch; }}
</style><div class="term">{body}</div>""")
PY

# Render each capture. DejaVu Sans Mono at 14.604 px has a natural line height of exactly
# 17 px (1.164 em), so box-drawing glyphs meet from row to row; a cell is 8.793 px wide.
# The window adds 12 px of padding on each side.
render() {
    local name=$1 cols=$2 rows=$3
    local w=$(( (cols * 8793 + 999) / 1000 + 24 )) h=$(( rows * 17 + 24 ))
    python3 "$work/ansi2html.py" "$cols" "$rows" < "$work/$name.ans" > "$work/$name.html"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/chromium" --hide-scrollbars --force-device-scale-factor=1 \
        --window-size="$w,$h" --screenshot="$out/$name.png" "file://$work/$name.html" \
        >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
    echo "$out/$name.png"
}

render board 120 36
render detail 120 36
render search 120 36
render narrow 40 12

if [ -s "$work/stderr.log" ]; then
    echo "screenshots: tack wrote to stderr while the board was up:" >&2
    cat "$work/stderr.log" >&2
fi

#!/usr/bin/env bash
# Seed fuzz/corpus/{frontmatter,edit} with real card files: a generated Backlog.md and kano
# backlog and the kano fixture in ../shared. The corpora are not committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${TACK_SHARED:-$here/../../shared}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 "$shared/corpus/gen_backlog.py" --format backlogmd --count 60 --out "$tmp/bmd" >/dev/null
python3 "$shared/corpus/gen_backlog.py" --format kabsd --count 60 --out "$tmp/kano" >/dev/null
for target in frontmatter edit; do
    mkdir -p "$here/corpus/$target"
    n=0
    while IFS= read -r -d '' f; do
        n=$((n + 1))
        if [ "$target" = edit ]; then
            # The edit target's first byte picks the new status.
            { printf "\\x$(printf %02x $((n % 256)))"; cat "$f"; } >"$here/corpus/$target/seed-$n"
        else
            cp "$f" "$here/corpus/$target/seed-$n"
        fi
    done < <(find "$tmp" "$shared/fixtures" -name '*.md' -size -64k -print0)
    echo "$target: $n seeds"
done

#!/usr/bin/env bash
# Run every test of tack on a fresh Debian machine: installs what the tests drive for real
# (tmux for the end-to-end board tests, PostgreSQL's server binaries for the mirror tests,
# git and python3 for generated backlogs, openssl for the TLS test certificates, node and npm
# for Backlog.md's own CLI, which the compatibility tests run on the files tack writes), then
# runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v openssl >/dev/null || need+=(openssl)
command -v npm >/dev/null || need+=(nodejs npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    # A mirror that answers slowly or mid-sync fails an install now and then: try again.
    for attempt in 1 2 3; do
        if $SUDO apt-get update -qq &&
            $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; then
            break
        fi
        [ "$attempt" -lt 3 ] || exit 1
        echo "apt-get failed (attempt $attempt); retrying in 10 s" >&2
        sleep 10
    done
fi
# Backlog.md's CLI at the version the compatibility tests are written against: a real peer
# reading tack's files, not a stand-in. It goes under the target directory (never committed,
# shared with the build cache) and is installed once; tests/compat_backlogmd.rs installs it the
# same way when run without this script. --include=optional: the CLI is a node wrapper around
# a platform binary package (backlog.md-linux-x64...), which npm skips if optional packages
# are omitted by the user's npm config.
backlog_md_version=1.52.0
peer="${CARGO_TARGET_DIR:-target}/peers/backlog.md-$backlog_md_version"
mkdir -p "$peer"
peer="$(cd "$peer" && pwd)"
export TACK_BACKLOG_MD="$peer/node_modules/.bin/backlog"
if [ "$("$TACK_BACKLOG_MD" --version 2>/dev/null)" != "$backlog_md_version" ]; then
    # The registry answers slowly or drops a download now and then: try again.
    for attempt in 1 2 3; do
        if npm install --prefix "$peer" --include=optional --no-audit --no-fund --loglevel=error \
            "backlog.md@$backlog_md_version"; then
            break
        fi
        [ "$attempt" -lt 3 ] || exit 1
        echo "npm install failed (attempt $attempt); retrying in 10 s" >&2
        sleep 10
    done
    if [ "$("$TACK_BACKLOG_MD" --version)" != "$backlog_md_version" ]; then
        echo "$TACK_BACKLOG_MD does not run as Backlog.md $backlog_md_version after npm install" >&2
        exit 1
    fi
fi
# The no-panic rule (unwrap, expect, panic denied outside tests; see Cargo.toml's lints) is a
# clippy lint: check it where clippy is installed. Warnings are shown, denied lints fail.
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --locked --all-targets --quiet
else
    echo "cargo clippy is not installed: skipping the lint check (rustup component add clippy)" >&2
fi
# --no-fail-fast: a failing test binary must not hide the results of the ones after it.
cargo test --locked --no-fail-fast "$@"

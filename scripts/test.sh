#!/usr/bin/env bash
# Run every test of tack on a fresh Debian machine: installs what the tests drive for real
# (tmux for the end-to-end board tests, PostgreSQL's server binaries for the mirror tests,
# git and python3 for generated backlogs, openssl for the TLS test certificates), then runs
# the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v openssl >/dev/null || need+=(openssl)
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
# --no-fail-fast: a failing test binary must not hide the results of the ones after it.
cargo test --locked --no-fail-fast "$@"

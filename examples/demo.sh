#!/usr/bin/env bash
# The release line from build to production, on the embedded SQLite store: what `make demo` shows.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONVEYOR_HOME=.conveyor/demo
rm -rf "$CONVEYOR_HOME"
line=examples/release-line.yml

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step conveyor validate "$line"
step conveyor run "$line"                       # everything runs; production waits for a person
step conveyor run "$line"                       # nothing changed: up to date
step conveyor resource put app-source GIT_SHA=9b1e77d
step conveyor run "$line"                       # the new commit flows down the line
gate=$(conveyor runs --json | python3 -c 'import json,sys; print(next(r["id"] for r in json.load(sys.stdin) if r["status"] == "waiting_approval"))')
step conveyor approve "$gate" -m "ship it"
step conveyor run "$line"                       # production deploys
step conveyor runs
step conveyor resource versions app-image
step conveyor resource versions infra-state
step conveyor runs "$gate"
step conveyor logs "$gate"

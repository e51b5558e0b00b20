#!/usr/bin/env bash
# What `make demo` shows: a web app's assembly line from build to production, on the embedded SQLite
# store (under .conveyor/demo), then the same with a new source version and an approval.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONVEYOR_HOME=.conveyor/demo
rm -rf "$CONVEYOR_HOME"
line=examples/webapp-line.yml

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step conveyor validate "$line" examples/release-line.yml
step conveyor run "$line"                                # build .. smoke-test; production waits for a person
step conveyor run "$line"                                # nothing changed: up to date
step conveyor resource put app-source VERSION=1.1.0 GREETING=Bonjour
step conveyor run "$line"                                # the new version flows down the line
gate=$(conveyor runs --json | python3 -c 'import json,sys; print(next(r["id"] for r in json.load(sys.stdin) if r["status"] == "waiting_approval"))')
step conveyor approve "$gate" -m "ship 1.1.0"
step conveyor run "$line"                                # production deploys 1.1.0
step conveyor runs
step conveyor resource versions wheel
step conveyor resource versions environments
step conveyor runs "$gate"
step conveyor logs "$gate"

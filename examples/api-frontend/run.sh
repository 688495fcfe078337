#!/usr/bin/env bash
# The CI job of the motivating story, end to end.
set -euo pipefail
cd "$(dirname "$0")"
umlenv() { node ../../dist/cli.js "$@"; }
export UMLENV_ENV=example-api-frontend
trap 'umlenv down' EXIT
umlenv up -f umlenv.yml     # api-build's tests pass, api-run is healthy, frontend is up
umlenv ps
umlenv exec frontend -- /workspace/frontend/e2e.sh

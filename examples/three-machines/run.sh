#!/usr/bin/env bash
# The example end to end: three machines up, each pings the others by name, down.
set -euo pipefail
cd "$(dirname "$0")"
umlenv() { node ../../dist/cli.js "$@"; }
export UMLENV_ENV=example-three-machines
trap 'umlenv down' EXIT
umlenv up -f umlenv.yml
umlenv ps
for from in api-build api-run frontend; do
  for to in api-build api-run frontend; do
    [ "$from" = "$to" ] && continue
    umlenv exec "$from" -- ping -c1 -W2 "$to" | grep -q '1 received'
    echo "$from -> $to: ok"
  done
done

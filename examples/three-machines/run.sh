#!/usr/bin/env bash
# The example end to end: three machines up, each pings the others by name, down.
#
# The example asks for NAT and a published port, which create a tap device and
# firewall rules. So that trying it changes nothing on this host, the demo runs in a
# network namespace of its own; on a CI box you run `umlenv up` directly.
set -euo pipefail
cd "$(dirname "$0")"
ns="umlenv-example-$$"
ip netns add "$ns"
ip -n "$ns" link set lo up
export UMLENV_ENV=example-three-machines
umlenv() { ip netns exec "$ns" node ../../dist/cli.js "$@"; }
trap 'umlenv down; ip netns delete "$ns"' EXIT
umlenv up -f umlenv.yml
umlenv ps
for from in api-build api-run frontend; do
  for to in api-build api-run frontend; do
    [ "$from" = "$to" ] && continue
    umlenv exec "$from" -- ping -c1 -W2 "$to" | grep -q '1 received'
    echo "$from -> $to: ok"
  done
done
echo "api-run's port 8080 is published at $(umlenv port api-run 8080) (inside the demo's namespace)"

#!/bin/sh
# End to end, from the frontend machine: create an item through the API, then see
# it in the database (through the API) and as an event on the message queue.
set -eu
api=http://api-run:8080
name="e2e-$(date +%s%N)"

mosquitto_sub -h api-run -t items -C 1 -W 20 > /tmp/event &
sub=$!
sleep 0.3 # let the subscription reach the broker before the event is published

created=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"name\": \"$name\"}" "$api/items")
echo "created: $created"
curl -fsS "$api/items" | grep -q "\"$name\"" || { echo "the item is not in the list" >&2; exit 1; }
echo "listed: $name"
wait "$sub" || { echo "no event arrived on the queue" >&2; exit 1; }
grep -q "\"$name\"" /tmp/event || { echo "the event does not name the item: $(cat /tmp/event)" >&2; exit 1; }
echo "event: $(cat /tmp/event)"
if curl -fsS -X POST -d '{}' "$api/items" >/dev/null 2>&1; then
  echo "an invalid item was accepted" >&2
  exit 1
fi
echo "e2e passed"

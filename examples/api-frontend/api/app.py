"""A small API: items in PostgreSQL, an event on the message queue for each new one."""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.publish as publish
import psycopg2

from items import InvalidItem, item_event, parse_item

DATABASE_URL = os.environ["DATABASE_URL"]
BROKER = os.environ.get("BROKER_HOST", "127.0.0.1")


def connect():
    # The database starts beside us: wait for it rather than fail.
    for _ in range(100):
        try:
            db = psycopg2.connect(DATABASE_URL)
            db.autocommit = True
            return db
        except psycopg2.OperationalError:
            time.sleep(0.1)
    sys.exit("the database did not come up")


db = connect()
with db.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text NOT NULL)")


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            with db.cursor() as cur:
                cur.execute("SELECT 1")
            publish.single("health", "ok", hostname=BROKER)
            return self.reply(200, {"status": "ok"})
        if self.path == "/items":
            with db.cursor() as cur:
                cur.execute("SELECT id, name FROM items ORDER BY id")
                return self.reply(200, [{"id": i, "name": n} for i, n in cur.fetchall()])
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/items":
            return self.reply(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length", 0))
        try:
            name = parse_item(json.loads(self.rfile.read(length) or b"null"))
        except (InvalidItem, json.JSONDecodeError) as error:
            return self.reply(400, {"error": str(error)})
        with db.cursor() as cur:
            cur.execute("INSERT INTO items (name) VALUES (%s) RETURNING id", (name,))
            item_id = cur.fetchone()[0]
        publish.single("items", json.dumps(item_event(item_id, name)), qos=1, hostname=BROKER)
        self.reply(201, {"id": item_id, "name": name})

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


print("listening on", os.environ.get("PORT", "8080"), flush=True)
ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()

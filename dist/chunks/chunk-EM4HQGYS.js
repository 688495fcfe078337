import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  envsDir
} from "./chunk-G3XLIV3Y.js";

// src/environment/control.ts
import net from "node:net";
import path from "node:path";
import { EventEmitter } from "node:events";

// src/machine/frame.ts
var HEADER_BYTES = 9;
var MAX_PAYLOAD = 64 * 2 ** 20;
function encodeFrame(type, id, payload = "") {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(type, 0, 1, "latin1");
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}
var FrameDecoder = class {
  buffer = Buffer.alloc(0);
  push(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames = [];
    while (this.buffer.length >= HEADER_BYTES) {
      const length = this.buffer.readUInt32BE(5);
      if (length > MAX_PAYLOAD)
        throw new Error(`frame of ${length} bytes exceeds the ${MAX_PAYLOAD}-byte limit`);
      if (this.buffer.length < HEADER_BYTES + length) break;
      frames.push({
        type: this.buffer.toString("latin1", 0, 1),
        id: this.buffer.readUInt32BE(1),
        payload: this.buffer.subarray(HEADER_BYTES, HEADER_BYTES + length)
      });
      this.buffer = this.buffer.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
};
function encodeFields(fields) {
  for (const [tag, value] of fields) {
    if (value.includes("\0"))
      throw new Error(`field ${tag} contains a NUL byte: ${JSON.stringify(value)}`);
  }
  return Buffer.from(fields.map(([tag, value]) => tag + value).join("\0"));
}
function encodeExec(req) {
  return encodeFields([
    ...req.cwd ? [["d", req.cwd]] : [],
    ...req.user ? [["u", req.user]] : [],
    ...Object.entries(req.env ?? {}).map(([k, v]) => ["e", `${k}=${v}`]),
    ...req.argv.map((a) => ["a", a])
  ]);
}
function decodeExit(payload) {
  const [code, signal2] = payload.toString().split(" ").map(Number);
  return { code, signal: signal2 || 0 };
}

// src/environment/control.ts
function controlSocket(dir) {
  return path.join(dir, "control.sock");
}
var Connection = class extends EventEmitter {
  constructor(socket) {
    super();
    this.socket = socket;
    socket.on("data", (chunk) => {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type === "J") this.emit("json", JSON.parse(frame.payload.toString()));
        else this.emit("frame", frame);
      }
    });
    socket.on("close", () => this.emit("close"));
    socket.on("error", () => socket.destroy());
  }
  socket;
  decoder = new FrameDecoder();
  send(type, id, payload) {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(type, id, payload));
  }
  json(message) {
    this.send("J", 0, JSON.stringify(message));
  }
  end() {
    this.socket.end();
  }
};
function connect(dir) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(controlSocket(dir));
    socket.once("connect", () => resolve(new Connection(socket)));
    socket.once("error", reject);
  });
}
async function request(dir, req, onMessage) {
  const conn = await connect(dir);
  const replies = [];
  return new Promise((resolve) => {
    conn.on("json", (m) => {
      replies.push(m);
      onMessage?.(m);
    });
    conn.on("close", () => resolve(replies));
    conn.json(req);
  });
}

// src/environment/state.ts
import { readFile, rename, writeFile, readdir } from "node:fs/promises";
import path2 from "node:path";
function envDir(id) {
  return path2.join(envsDir(), id);
}
function stateFile(dir) {
  return path2.join(dir, "state.json");
}
async function readState(dir) {
  try {
    return JSON.parse(await readFile(stateFile(dir), "utf8"));
  } catch {
    return void 0;
  }
}
async function writeState(state) {
  const tmp = `${stateFile(state.dir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 384 });
  await rename(tmp, stateFile(state.dir));
}
var StateWriter = class {
  constructor(state) {
    this.state = state;
  }
  state;
  queue = Promise.resolve();
  update(change) {
    change(this.state);
    this.queue = this.queue.then(() => writeState(this.state));
    return this.queue;
  }
  record(undo) {
    return this.update((s) => void s.undo.push(undo));
  }
};
async function listEnvDirs() {
  const entries = await readdir(envsDir()).catch(() => []);
  return entries.filter((e) => !e.startsWith(".")).map((e) => path2.join(envsDir(), e));
}

// src/host/process.ts
import { readFile as readFile2, readdir as readdir2 } from "node:fs/promises";
async function processRef(pid) {
  const stat = await readStat(pid);
  return stat && { pid, startTime: stat.startTime };
}
function spawnedRef(child) {
  return new Promise((resolve) => {
    child.once(
      "spawn",
      () => resolve(processRef(child.pid).then((r) => r ?? { pid: child.pid, startTime: "exited" }))
    );
    child.once("error", () => resolve(void 0));
  });
}
async function isAlive(ref) {
  if (!ref) return false;
  const state = await readStat(ref.pid);
  return state !== void 0 && state.startTime === ref.startTime && state.state !== "Z";
}
async function readStat(pid) {
  try {
    const stat = await readFile2(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTime: fields[19] };
  } catch {
    return void 0;
  }
}
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
async function killRef(ref, sig = "SIGKILL") {
  if (!await isAlive(ref)) return;
  signal(-ref.pid, sig) || signal(ref.pid, sig);
}
async function waitGone(ref, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!await isAlive(ref)) return true;
    await sleep(10);
  }
  return !await isAlive(ref);
}
async function findByArguments(markers) {
  const found = new Map(markers.map((m) => [m, []]));
  const entries = (await readdir2("/proc")).filter((e) => /^\d+$/.test(e));
  await Promise.all(
    entries.map(async (entry) => {
      let args;
      try {
        args = (await readFile2(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      } catch {
        return;
      }
      for (const marker of new Set(args)) found.get(marker)?.push(Number(entry));
    })
  );
  return found;
}
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export {
  encodeFrame,
  FrameDecoder,
  encodeFields,
  encodeExec,
  decodeExit,
  controlSocket,
  Connection,
  connect,
  request,
  envDir,
  readState,
  writeState,
  StateWriter,
  listEnvDirs,
  processRef,
  spawnedRef,
  isAlive,
  killRef,
  waitGone,
  findByArguments,
  sleep
};

import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  runUndos
} from "./chunk-FIZU24XG.js";
import {
  envDir,
  isAlive,
  killRef,
  listEnvDirs,
  readState,
  request,
  waitGone
} from "./chunk-EM4HQGYS.js";
import {
  seconds
} from "./chunk-4POBWK4H.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";

// src/environment/down.ts
import { rm, stat } from "node:fs/promises";
import path from "node:path";
async function down(id, log) {
  const dir = envDir(id);
  const t0 = Date.now();
  const state = await readState(dir);
  if (!state) {
    const exists = await stat(dir).then(
      () => true,
      () => false
    );
    if (exists) await rm(dir, { recursive: true, force: true });
    return exists;
  }
  log.info(`Stopping environment ${id}\u2026`);
  const errors = [];
  if (await isAlive(state.owner)) {
    const replies = await withTimeout(
      request(dir, { op: "down" }),
      DOWN_TIMEOUT_MS
    ).catch(() => []);
    errors.push(...replies.flatMap((r) => r.errors ?? []));
    if (!await waitGone(state.owner, SUPERVISOR_EXIT_MS)) await killRef(state.owner);
  }
  errors.push(...await finish(dir, log));
  if (errors.length) {
    throw new UmlenvError(
      `teardown of environment ${id} left problems:
  ${errors.join("\n  ")}`,
      "run umlenv gc to retry; processes that survive SIGKILL point at a host problem"
    );
  }
  log.info(`Stopped environment ${id} in ${seconds(Date.now() - t0)}`);
  return true;
}
var DOWN_TIMEOUT_MS = 2e4;
var SUPERVISOR_EXIT_MS = 2e3;
function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1e3} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
async function finish(dir, log) {
  const state = await readState(dir);
  if (!state) return [];
  if (state.owner.pid !== process.pid) await killRef(state.owner);
  return runUndos(state, log);
}
async function gc(log, now = Date.now()) {
  const collected = [];
  for (const dir of await listEnvDirs()) {
    const id = path.basename(dir);
    const state = await readState(dir);
    if (!state) {
      const age = await stat(dir).then(
        (s) => now - s.mtimeMs,
        () => 0
      );
      if (age > 6e4) {
        await rm(dir, { recursive: true, force: true });
        collected.push({ id, reason: "it has no state file", errors: [] });
      }
      continue;
    }
    let reason;
    if (!await isAlive(state.owner)) reason = `its owner (pid ${state.owner.pid}) is gone`;
    else if (Date.parse(state.expiresAt) < now)
      reason = `its time to live ended at ${state.expiresAt}`;
    if (!reason) continue;
    log.info(`Collecting environment ${id}: ${reason}`);
    const errors = [];
    try {
      await down(id, log);
    } catch (error) {
      errors.push(String(error));
    }
    collected.push({ id, reason, errors });
  }
  return collected;
}

export {
  down,
  gc
};

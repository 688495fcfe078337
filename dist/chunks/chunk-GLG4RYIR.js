import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  findByArgument,
  killRef,
  processRef,
  waitGone
} from "./chunk-AVK6SH7S.js";
import {
  errorMessage
} from "./chunk-CRDCTHBJ.js";

// src/environment/teardown.ts
import { rm } from "node:fs/promises";
async function runUndos(state, log) {
  const errors = [];
  for (const undo of [...state.undo].reverse()) {
    try {
      await runUndo(undo);
      log.debug(`undone: ${undo.what}`);
    } catch (error) {
      errors.push(`${undo.what}: ${errorMessage(error)}`);
    }
  }
  return errors;
}
async function runUndo(undo) {
  switch (undo.kind) {
    case "path":
      return rm(undo.path, { recursive: true, force: true });
    // The host-link modules (and the process library they use) load only when needed.
    case "tap":
      return (await import("./hostlink-NC3LNW5U.js")).deleteTap(undo.name);
    case "firewall":
      return (await import("./firewall-AWHF2KVW.js")).removeRules(undo.tag);
    case "forwarding":
      return (await import("./hostlink-NC3LNW5U.js")).releaseForwarding(undo.env);
  }
  if (undo.ref) {
    await killRef(undo.ref);
    if (!await waitGone(undo.ref, 3e3))
      throw new Error(`process ${undo.ref.pid} did not exit after SIGKILL`);
  }
  if (undo.marker) {
    for (const pid of await findByArgument(undo.marker)) {
      const ref = await processRef(pid);
      if (!ref) continue;
      await killRef(ref);
      if (!await waitGone(ref, 3e3))
        throw new Error(`process ${pid} (${undo.marker}) did not exit after SIGKILL`);
    }
  }
}

export {
  runUndos
};

import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  findByArguments,
  killRef,
  processRef,
  waitGone
} from "./chunk-EM4HQGYS.js";
import {
  errorMessage
} from "./chunk-CRDCTHBJ.js";

// src/environment/teardown.ts
import { rm } from "node:fs/promises";
async function runUndos(state, log) {
  const errors = [];
  const undos = [...state.undo].reverse();
  for (let i = 0; i < undos.length; ) {
    const batch = [undos[i++]];
    if (batch[0].kind === "process") {
      while (undos[i]?.kind === "process") batch.push(undos[i++]);
    }
    const outcomes = batch[0].kind === "process" ? await endProcesses(batch) : [await runUndo(batch[0]).then(() => void 0, errorMessage)];
    batch.forEach((undo, j) => {
      if (outcomes[j] === void 0) log.debug(`undone: ${undo.what}`);
      else errors.push(`${undo.what}: ${outcomes[j]}`);
    });
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
      return (await import("./firewall-FQ6FSZKS.js")).removeRules(undo.tag);
    case "forwarding":
      return (await import("./hostlink-NC3LNW5U.js")).releaseForwarding(undo.env);
  }
}
async function endProcesses(undos) {
  const outcomes = await Promise.all(
    undos.map((u) => u.ref ? killAndWait(u.ref, `process ${u.ref.pid}`) : void 0)
  );
  const markers = undos.map((u) => u.marker).filter((m) => m !== void 0);
  if (!markers.length) return outcomes;
  const found = await findByArguments(markers);
  return Promise.all(
    undos.map(async (u, i) => {
      const pids = u.marker && found.get(u.marker) || [];
      const left = await Promise.all(
        pids.map(async (pid) => {
          const ref = await processRef(pid);
          return ref && killAndWait(ref, `process ${pid} (${u.marker})`);
        })
      );
      return outcomes[i] ?? left.find((l) => l !== void 0);
    })
  );
}
async function killAndWait(ref, what) {
  await killRef(ref);
  return await waitGone(ref, 3e3) ? void 0 : `${what} did not exit after SIGKILL`;
}

export {
  runUndos
};

import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  connect,
  envDir,
  isAlive,
  readState
} from "./chunk-EM4HQGYS.js";
import "./chunk-G3XLIV3Y.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";

// src/environment/exec.ts
import { constants } from "node:os";
async function liveEnvironment(envId) {
  const dir = envDir(envId);
  const state = await readState(dir);
  if (!state)
    throw new UmlenvError(
      `environment ${envId} is not up`,
      "start it with umlenv up, or name another with --env (umlenv ps --all lists them)"
    );
  if (!await isAlive(state.owner)) {
    throw new UmlenvError(
      `environment ${envId} is no longer running (its supervisor is gone)`,
      "run umlenv gc to clean it up, then umlenv up"
    );
  }
  return { dir, state };
}
async function execIn(options) {
  const { dir, state } = await liveEnvironment(options.envId);
  if (!state.machines.some((m) => m.name === options.machine)) {
    throw new UmlenvError(
      `no machine named ${options.machine} in environment ${options.envId}`,
      `use one of: ${state.machines.map((m) => m.name).join(", ")}`
    );
  }
  const conn = await connect(dir);
  for (const out of [options.stdout, options.stderr]) out.on("error", () => {
  });
  return new Promise((resolve, reject) => {
    let exit;
    let error;
    conn.on("frame", (f) => {
      if (f.type === "O") options.stdout.write(f.payload);
      else if (f.type === "E") options.stderr.write(f.payload);
    });
    conn.on("json", (m) => {
      const msg = m;
      if (msg.exit !== void 0) exit = msg.exit;
      if (msg.error) error = msg.error;
    });
    const forward = (sig) => conn.send("K", 0, String(constants.signals[sig]));
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of signals) process.on(s, forward);
    conn.on("close", () => {
      for (const s of signals) process.off(s, forward);
      options.stdin?.removeAllListeners("data");
      options.stdin?.destroy?.();
      if (error)
        reject(new UmlenvError(error, `list the machines with: umlenv ps --env ${options.envId}`));
      else if (exit === void 0)
        reject(
          new UmlenvError(
            `the connection to environment ${options.envId} closed before the command finished`,
            "check the environment with umlenv ps"
          )
        );
      else resolve(exit);
    });
    conn.json({
      op: "exec",
      machine: options.machine,
      argv: options.argv,
      env: options.env,
      cwd: options.cwd
    });
    if (options.stdin) {
      options.stdin.on("data", (d) => conn.send("I", 0, d));
      options.stdin.on("end", () => conn.send("I", 0));
    } else {
      conn.send("I", 0);
    }
  });
}
export {
  execIn,
  liveEnvironment
};

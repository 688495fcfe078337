import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  kernelArgs,
  loopsPerJiffy
} from "./chunk-WETKVUDH.js";
import {
  runUndos
} from "./chunk-FIZU24XG.js";
import {
  Connection,
  FrameDecoder,
  StateWriter,
  controlSocket,
  decodeExit,
  encodeExec,
  encodeFields,
  encodeFrame,
  killRef,
  processRef,
  readState,
  sleep,
  spawnedRef,
  waitGone
} from "./chunk-EM4HQGYS.js";
import {
  fixedLayoutAllowed,
  jailed,
  jailedGuest,
  programFiles
} from "./chunk-LOTG6VG2.js";
import {
  seconds,
  sinkLogger
} from "./chunk-4POBWK4H.js";
import {
  parseSubnet
} from "./chunk-VO2LAO67.js";
import "./chunk-G3XLIV3Y.js";
import {
  UmlenvError,
  describeError,
  errorMessage
} from "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";

// src/environment/supervisor.ts
import { appendFileSync } from "node:fs";
import net2 from "node:net";
import path3 from "node:path";

// src/environment/start.ts
import { readFile } from "node:fs/promises";
import path2 from "node:path";

// src/machine/machine.ts
import { spawn } from "node:child_process";
import { open as open2, rm } from "node:fs/promises";

// src/machine/agent.ts
var WINDOW = 2048;
var AgentChannel = class {
  constructor(socket) {
    this.socket = socket;
    this.hello = this.next("R");
    socket.on("data", (chunk) => {
      for (const frame of this.decoder.push(chunk)) this.dispatch(frame);
    });
    socket.on("close", () => this.close());
    socket.on("error", () => this.close());
  }
  socket;
  decoder = new FrameDecoder();
  nextId = 1;
  running = /* @__PURE__ */ new Map();
  waiters = /* @__PURE__ */ new Map();
  closed = false;
  queue = [];
  unacknowledged = 0;
  hello;
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const [id, h] of this.running) {
      h.stderr(Buffer.from("umlenv: the machine stopped while the command ran\n"));
      h.exit(255, 0);
      this.running.delete(id);
    }
  }
  next(type) {
    return new Promise((resolve) => this.waiters.set(type, resolve));
  }
  dispatch(frame) {
    if (frame.type === "A") {
      this.unacknowledged -= Number(frame.payload.toString());
      return this.pump();
    }
    const waiter = this.waiters.get(frame.type);
    if (waiter) {
      this.waiters.delete(frame.type);
      return waiter(frame);
    }
    const h = this.running.get(frame.id);
    if (!h) return;
    if (frame.type === "O") h.stdout(frame.payload);
    else if (frame.type === "E") h.stderr(frame.payload);
    else if (frame.type === "F") {
      this.running.delete(frame.id);
      h.stderr(Buffer.from(`umlenv: could not start the command: ${frame.payload}
`));
      h.exit(126, 0);
    } else if (frame.type === "Z") {
      this.running.delete(frame.id);
      const { code, signal } = decodeExit(frame.payload);
      h.exit(code, signal);
    }
  }
  send(type, id, payload) {
    if (this.closed) return;
    this.queue.push(encodeFrame(type, id, payload));
    this.pump();
  }
  // Writes no more than WINDOW bytes ahead of what the guest has read: UML throttles a
  // serial line whose tty buffer (4 KiB) fills, and the line then never resumes.
  pump() {
    while (this.queue.length && this.unacknowledged < WINDOW && !this.closed) {
      const head = this.queue[0];
      const room = WINDOW - this.unacknowledged;
      const chunk = head.subarray(0, room);
      if (chunk.length === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(room);
      this.unacknowledged += chunk.length;
      this.socket.write(chunk);
    }
  }
  get isOpen() {
    return !this.closed;
  }
  /** Sends the guest its identity; resolves when it is applied, rejects with the guest's error. */
  async configure(config) {
    const fields = [["h", config.hostname]];
    if (config.address) fields.push(["i", config.address]);
    if (config.gateway) fields.push(["g", config.gateway]);
    if (config.nameservers?.length) fields.push(["n", config.nameservers.join(" ")]);
    for (const [name, address] of config.hosts) fields.push(["H", `${address}	${name}`]);
    for (const s of config.shares ?? [])
      fields.push(["m", `${s.host}	${s.guest}	${s.readonly ? "ro" : "rw"}`]);
    const reply = this.next("Y");
    this.send("C", 0, encodeFields(fields));
    const error = (await reply).payload.toString();
    if (error) throw new Error(`the guest could not apply its network settings: ${error}`);
  }
  exec(request, handlers) {
    const id = this.nextId++;
    if (this.closed) {
      handlers.stderr(Buffer.from("umlenv: the machine is not running\n"));
      handlers.exit(255, 0);
    } else {
      this.running.set(id, handlers);
      this.send("X", id, encodeExec(request));
    }
    return {
      stdin: (data) => data.length && this.running.has(id) && this.send("I", id, data),
      endStdin: () => this.running.has(id) && this.send("I", id),
      signal: (signo) => this.running.has(id) && this.send("K", id, String(signo))
    };
  }
  /** Asks the guest to sync its disks and power off. */
  powerOff() {
    this.send("H", 0);
  }
};

// src/machine/console.ts
import { open, stat } from "node:fs/promises";
async function consoleTail(file, lines = 15) {
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, 8192);
      const buffer = Buffer.alloc(length);
      await fh.read(buffer, 0, length, size - length);
      return buffer.toString("utf8").split("\n").filter(Boolean).slice(-lines).join("\n");
    } finally {
      await fh.close();
    }
  } catch {
    return "(no console output)";
  }
}
async function consoleSize(file) {
  return stat(file).then(
    (s) => s.size,
    () => 0
  );
}

// src/machine/machine.ts
var Machine = class _Machine {
  constructor(plan, child, ref, agent, bootMs) {
    this.plan = plan;
    this.child = child;
    this.ref = ref;
    this.agent = agent;
    this.bootMs = bootMs;
  }
  plan;
  child;
  ref;
  agent;
  bootMs;
  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  static async boot(plan, options) {
    const { log } = options;
    const started = Date.now();
    const deadline = started + options.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const { child, ref, agent, outcome } = await _Machine.attempt(plan, options, deadline);
      if (outcome.kind === "ready") {
        const ms = Date.now() - started;
        log.info(`Started in ${seconds(ms)}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
        return new _Machine(plan, child, ref, agent, ms);
      }
      await killRef(ref);
      await waitGone(ref, 2e3);
      const tail = await consoleTail(plan.consoleLog);
      if (outcome.kind === "stalled" && attempt < options.attempts && Date.now() < deadline) {
        log.warn(
          `boot stalled: no console output for ${seconds(options.stallMs)}; killed it, retrying (attempt ${attempt + 1} of ${options.attempts})`
        );
        continue;
      }
      const what = outcome.kind === "misconfigured" ? outcome.message : outcome.kind === "exited" ? `its kernel exited (status ${outcome.code}) before the agent answered` : outcome.kind === "stalled" ? `its boot stalled ${attempt} times (no console output for ${seconds(options.stallMs)})` : `it was not ready after ${seconds(options.timeoutMs)}`;
      throw new UmlenvError(
        `machine ${plan.name} did not start: ${what}. Last console lines:
${tail}`,
        outcome.kind === "stalled" || outcome.kind === "timeout" ? "a slow or overloaded host needs a longer watchdog: raise UMLENV_BOOT_STALL_MS or UMLENV_BOOT_TIMEOUT_MS" : "the console lines above end the boot log; check the kernel (UMLENV_KERNEL) and the image"
      );
    }
  }
  static async attempt(plan, options, deadline) {
    await rm(plan.overlay, { force: true });
    const consoleFile = await open2(plan.consoleLog, "a");
    const [cmd, args] = options.command(kernelArgs(plan, options.host));
    const child = spawn(cmd, args, {
      stdio: ["ignore", consoleFile.fd, consoleFile.fd, "pipe"],
      detached: true,
      env: { PATH: process.env.PATH, HOME: "/nonexistent" }
    });
    const spawned = await spawnedRef(child);
    await consoleFile.close();
    if (!spawned)
      throw new UmlenvError(
        `cannot start ${cmd} for machine ${plan.name}`,
        `check that ${cmd} is installed`
      );
    await options.onProcess(spawned);
    const agent = new AgentChannel(child.stdio[3]);
    const outcome = await _Machine.watch(plan, options, child, agent, deadline);
    return { child, ref: spawned, agent, outcome };
  }
  // Waits for the agent's hello, watching the console so that a stalled boot is noticed.
  static async watch(plan, options, child, agent, deadline) {
    let settled;
    const exited = new Promise(
      (r) => child.once("exit", (code) => r({ kind: "exited", code }))
    );
    const ready = agent.hello.then(() => agent.configure(options.guest)).then(
      () => ({ kind: "ready" }),
      (error) => ({ kind: "misconfigured", message: error.message })
    );
    const watchdog = (async () => {
      let size = -1;
      let quietSince = Date.now();
      while (!settled) {
        await sleep(100);
        const now = Date.now();
        if (now > deadline) return { kind: "timeout" };
        const s = await consoleSize(plan.consoleLog);
        if (s !== size) [size, quietSince] = [s, now];
        else if (now - quietSince > options.stallMs) return { kind: "stalled" };
      }
      return settled;
    })();
    settled = await Promise.race([ready, exited, watchdog]);
    return settled;
  }
  /** Powers the guest off through its agent, then kills what is left after graceMs. */
  async stop(graceMs) {
    if (this.running && this.agent.isOpen) {
      this.agent.powerOff();
      if (await waitGone(this.ref, graceMs)) return;
    }
    await killRef(this.ref);
    await waitGone(this.ref, 2e3);
  }
};

// src/network/ports.ts
import net from "node:net";
function publishPort(spec, guestAddress, machine) {
  const sockets = /* @__PURE__ */ new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(spec.guestPort, guestAddress);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => {
      const where = `${spec.hostAddress}:${spec.hostPort}`;
      reject(
        error.code === "EADDRINUSE" ? new UmlenvError(
          `host port ${where} (published by machine ${machine}) is already in use`,
          `pick a free host port in ports: of ${machine}, or stop what listens on ${where}`
        ) : new UmlenvError(
          `cannot publish host port ${where} for machine ${machine}: ${error.message}`,
          "check the host address in ports:",
          { cause: error }
        )
      );
    });
    server.listen(
      spec.hostPort,
      spec.hostAddress,
      () => resolve({
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        })
      })
    );
  });
}

// src/network/switch.ts
import { spawn as spawn2 } from "node:child_process";
import { stat as stat2 } from "node:fs/promises";
async function startUmlSwitch(socket, tap, onProcess, timeoutMs = 5e3) {
  const [cmd, args] = jailed("uml_switch", ["-unix", socket, ...tap ? ["-tap", tap] : []], {
    privileged: tap !== void 0
  });
  const child = spawn2(cmd, args, { stdio: "ignore", detached: true });
  const ref = await spawnedRef(child);
  if (!ref)
    throw new UmlenvError(
      "cannot start uml_switch",
      "install it with: apt-get install uml-utilities bubblewrap"
    );
  await onProcess(ref);
  const stop = async () => {
    await killRef(ref);
    await waitGone(ref, 2e3);
  };
  const end = Date.now() + timeoutMs;
  while (!await stat2(socket).then(
    (s) => s.isSocket(),
    () => false
  )) {
    if (child.exitCode !== null || Date.now() > end) {
      await stop();
      throw new UmlenvError(
        `uml_switch did not open its socket ${socket} within ${timeoutMs / 1e3} s (exit status ${child.exitCode})`,
        "check that uml_switch runs on this host: uml_switch -unix /tmp/test.sock"
      );
    }
    await sleep(5);
  }
  return { socket, ref, stop };
}

// src/environment/provision.ts
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
function runInGuest(machine, request, options = {}) {
  return new Promise((resolve) => {
    let tail = "";
    const keep = (d) => {
      options.sink?.write(d);
      tail = (tail + d.toString()).slice(-4e3);
    };
    let timer;
    const control = machine.agent.exec(request, {
      stdout: keep,
      stderr: keep,
      exit: (code) => {
        clearTimeout(timer);
        resolve({ code, tail: tail.split("\n").filter(Boolean).slice(-15).join("\n") });
      }
    });
    control.endStdin();
    if (options.timeoutMs) timer = setTimeout(() => control.signal(9), options.timeoutMs);
  });
}
var SERVICE_SETTLE_MS = 300;
var Progress = class {
  waits = /* @__PURE__ */ new Map();
  constructor() {
    for (const c of ["started", "completed", "healthy"]) {
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => [resolve, reject] = [res, rej]);
      promise.catch(() => {
      });
      this.waits.set(c, { promise, resolve, reject });
    }
  }
  reached(c) {
    this.waits.get(c).resolve();
  }
  failed(error) {
    for (const w of this.waits.values()) w.reject(error);
  }
  when(c) {
    return this.waits.get(c).promise;
  }
};
async function provision(machines, plans, log) {
  const progress = new Map(plans.map((p) => [p.name, new Progress()]));
  let stopping = false;
  const one = async (plan) => {
    const machine = machines.get(plan.name);
    const mlog = log.child(plan.name);
    const mine = progress.get(plan.name);
    const since = Date.now();
    mine.reached("started");
    for (const d of plan.dependsOn) {
      mlog.debug(`waiting for ${d.machine} to be ${d.condition}`);
      await progress.get(d.machine).when(d.condition).catch(() => {
        throw new UmlenvError(
          `machine ${plan.name} cannot start: it depends on ${d.machine}, which failed`,
          "see the error of that machine"
        );
      });
    }
    if (plan.boot) {
      const t0 = Date.now();
      mlog.info("Running boot script\u2026");
      const sink = createWriteStream(plan.consoleLog, { flags: "a" });
      const run = await runInGuest(machine, { argv: ["sh", "-e", "-c", plan.boot] }, { sink });
      sink.end();
      if (run.code !== 0) {
        throw new UmlenvError(
          `machine ${plan.name}: its boot script failed with exit code ${run.code}. Last output:
${run.tail}`,
          `fix machines.${plan.name}.boot; its whole output is in: umlenv logs ${plan.name}`
        );
      }
      mlog.info(`Ran boot script in ${seconds(Date.now() - t0)}`);
    }
    mine.reached("completed");
    const services = await startServices(machine, plan, mlog, () => stopping);
    if (plan.healthcheck) await Promise.race([waitHealthy(machine, plan, mlog), services.crashed]);
    else if (plan.services.length) await Promise.race([sleep(SERVICE_SETTLE_MS), services.crashed]);
    services.ready();
    mine.reached("healthy");
    mlog.info(`Ready in ${seconds(Date.now() - since)} after boot`);
  };
  const results = await Promise.allSettled(
    plans.map(
      (p) => one(p).catch((error) => {
        progress.get(p.name).failed(error);
        throw error;
      })
    )
  );
  const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  const causes = failed.filter((e) => !/which failed$/.test(e.message));
  if (failed.length) {
    stopping = true;
    throw causes[0] ?? failed[0];
  }
  return { stopping: () => void (stopping = true) };
}
async function startServices(machine, plan, log, stopping) {
  let ready = false;
  let fail;
  const crashed = new Promise((_, reject) => fail = reject);
  crashed.catch(() => {
  });
  if (plan.services.length) await mkdir(plan.serviceLogDir, { recursive: true });
  for (const s of plan.services) {
    const sink = createWriteStream(path.join(plan.serviceLogDir, `${s.name}.log`), { flags: "a" });
    let tail = "";
    const keep = (d) => {
      sink.write(d);
      tail = (tail + d.toString()).slice(-2e3);
    };
    const control = machine.agent.exec(
      { argv: s.argv, env: s.env, cwd: s.workdir, user: s.user },
      {
        stdout: keep,
        stderr: keep,
        exit: (code) => {
          sink.end(`
[umlenv] service ${s.name} exited with code ${code}
`);
          if (stopping()) return;
          const how = `its output: umlenv logs ${plan.name} --service ${s.name}`;
          if (ready) return log.warn(`service ${s.name} exited with code ${code}; ${how}`);
          const last = tail.split("\n").filter(Boolean).slice(-10).join("\n") || "(no output)";
          fail(
            new UmlenvError(
              `machine ${plan.name}: service ${s.name} exited with code ${code} before the machine was ready. Last output:
${last}`,
              `see ${how}`
            )
          );
        }
      }
    );
    control.endStdin();
    log.info(`Started service ${s.name}`);
  }
  return { crashed, ready: () => void (ready = true) };
}
async function waitHealthy(machine, plan, log) {
  const check = plan.healthcheck;
  const t0 = Date.now();
  let last = { code: -1, tail: "" };
  for (let attempt = 1; attempt <= check.retries; attempt++) {
    last = await runInGuest(machine, { argv: check.argv }, { timeoutMs: check.timeoutMs });
    if (last.code === 0) {
      log.info(`Healthy in ${seconds(Date.now() - t0)} (${check.label})`);
      return;
    }
    log.debug(`health check ${attempt}/${check.retries} exited with ${last.code}`);
    await sleep(check.intervalMs);
  }
  throw new UmlenvError(
    `machine ${plan.name} did not become healthy: its health check "${check.label}" failed ${check.retries} times over ${seconds(Date.now() - t0)}; last exit code ${last.code}, last output:
${last.tail || "(none)"}`,
    `check its services (umlenv logs ${plan.name} --service NAME), or give it more time with healthcheck.retries and interval`
  );
}

// src/environment/start.ts
var TIMING = {
  stallMs: Number(process.env.UMLENV_BOOT_STALL_MS ?? 8e3),
  bootTimeoutMs: Number(process.env.UMLENV_BOOT_TIMEOUT_MS ?? 12e4),
  attempts: 3,
  /** How long a guest gets to power itself off before it is killed. */
  graceMs: 1500
};
async function startEnvironment(writer, log) {
  const state = writer.state;
  const net3 = state.network;
  const step = async (name, fn) => {
    const t0 = Date.now();
    log.debug(`Starting ${name}\u2026`);
    const result = await fn();
    log.info(`Started ${name} in ${seconds(Date.now() - t0)}`);
    return result;
  };
  if (net3.tap) {
    const { applyRules, firewallRules, ruleTag } = await import("./firewall-FQ6FSZKS.js");
    const { createTap, useForwarding } = await import("./hostlink-NC3LNW5U.js");
    const tap = net3.tap;
    const subnet = parseSubnet(net3.subnet);
    await writer.record({ kind: "tap", what: `tap device ${tap}`, name: tap });
    await step(
      `host link ${tap} (${net3.gateway}/${subnet.prefix})`,
      () => createTap(tap, `${net3.gateway}/${subnet.prefix}`)
    );
    await writer.record({ kind: "firewall", what: "firewall rules", tag: ruleTag(state.id) });
    await step(
      net3.nat ? "firewall rules and NAT" : "firewall rules",
      () => applyRules(ruleTag(state.id), firewallRules(tap, subnet, net3.nat))
    );
    if (net3.nat) {
      await writer.record({ kind: "forwarding", what: "IPv4 forwarding", env: state.id });
      await useForwarding(state.id);
    }
  }
  const socket = path2.join(state.dir, "switch.sock");
  const switchUndo = { kind: "process", what: "switch", marker: socket };
  await writer.record(switchUndo);
  const sw = await step(
    "switch",
    () => startUmlSwitch(
      socket,
      net3.tap,
      (ref) => writer.update(() => void Object.assign(switchUndo, { ref }))
    )
  );
  const hosts = state.machines.map((m) => [m.name, m.address.split("/")[0]]);
  const [kernelFiles, cpuinfo, fixedLayout] = await Promise.all([
    programFiles(state.kernel),
    readFile("/proc/cpuinfo", "utf8").catch(() => ""),
    fixedLayoutAllowed()
  ]);
  const lpj = loopsPerJiffy(cpuinfo);
  if (!fixedLayout)
    log.warn(
      "setarch -R is not permitted here (a seccomp policy?): guests run with a randomized layout and may use up to 16 MiB more host memory each"
    );
  const memoryDir = process.env.TMPDIR;
  const machines = /* @__PURE__ */ new Map();
  const ports = [];
  let services;
  const stop = async () => {
    services?.stopping();
    await Promise.all(ports.map((p) => p.close()));
    await Promise.all([...machines.values()].map((m) => m.stop(TIMING.graceMs)));
    await sw.stop();
  };
  const results = await Promise.allSettled(
    state.machines.map(async (plan) => {
      const mlog = log.child(plan.name);
      const undo = {
        kind: "process",
        what: `machine ${plan.name}`,
        marker: `uml_dir=${plan.umlDir}`
      };
      await writer.record(undo);
      mlog.info(`Starting machine at ${plan.address}\u2026`);
      const binds = [
        ...kernelFiles.map((f) => ({ path: f, readonly: true })),
        { path: plan.imageFile, readonly: true },
        { path: path2.dirname(plan.overlay), readonly: false },
        { path: plan.umlDir, readonly: false },
        { path: sw.socket, readonly: false },
        ...plan.shares.map((s) => ({ path: s.host, readonly: s.readonly }))
      ];
      const machine = await Machine.boot(plan, {
        host: { switchSocket: sw.socket, loopsPerJiffy: lpj },
        guest: {
          hostname: plan.name,
          address: plan.address,
          gateway: net3.nat ? net3.gateway : void 0,
          nameservers: net3.nat ? net3.nameservers : void 0,
          hosts,
          shares: plan.shares
        },
        log: mlog,
        stallMs: TIMING.stallMs,
        timeoutMs: TIMING.bootTimeoutMs,
        attempts: TIMING.attempts,
        command: (args) => jailedGuest(state.kernel, args, binds, { cpu: plan.cpu, memoryDir, fixedLayout }),
        onProcess: (ref) => writer.update(() => void Object.assign(undo, { ref }))
      });
      machines.set(plan.name, machine);
    })
  );
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length) {
    const first = failed[0].reason;
    if (failed.length === 1) throw first;
    throw new UmlenvError(
      `${failed.length} machines did not start:
${failed.map((f) => errorMessage(f.reason)).join("\n")}`,
      first instanceof UmlenvError ? first.hint : void 0
    );
  }
  if (state.machines.some((m) => m.boot || m.services.length || m.healthcheck || m.dependsOn.length)) {
    const t0 = Date.now();
    services = await provision(machines, state.machines, log);
    log.info(`Provisioned every machine in ${seconds(Date.now() - t0)}`);
  }
  for (const plan of state.machines) {
    for (const p of plan.ports) {
      const guest = plan.address.split("/")[0];
      ports.push(
        await step(
          `port ${p.hostAddress}:${p.hostPort} \u2192 ${plan.name}:${p.guestPort}`,
          () => publishPort(p, guest, plan.name)
        )
      );
    }
  }
  return { machines, stop };
}

// src/environment/supervisor.ts
async function supervise(dir) {
  const state = await readState(dir);
  if (!state) throw new Error(`no environment state in ${dir}`);
  const writer = new StateWriter(state);
  const events = [];
  const watchers = /* @__PURE__ */ new Set();
  const emit = (event) => {
    events.push(event);
    try {
      appendFileSync(
        path3.join(dir, "supervisor.log"),
        `${(/* @__PURE__ */ new Date()).toISOString()} ${JSON.stringify(event)}
`
      );
    } catch {
    }
    for (const w of watchers) {
      w.json(event);
      if (event.type !== "log") w.end();
    }
  };
  const flushed = () => Promise.race([
    Promise.all(
      [...watchers].map(
        (w) => new Promise((r) => w.socket.closed ? r(null) : w.socket.once("close", r))
      )
    ),
    new Promise((r) => setTimeout(r, 1e3))
  ]);
  const log = sinkLogger(
    (level, tags, message) => emit({ type: "log", level, tags, message })
  ).child(state.id);
  let started;
  let stopping;
  const stop = () => stopping ??= (async () => {
    const t02 = Date.now();
    await writer.update((s) => void (s.phase = "stopping"));
    server.close();
    await started?.stop();
    const errors = await runUndos(writer.state, log);
    log.info(`Stopped in ${seconds(Date.now() - t02)}`);
    return errors;
  })();
  const server = net2.createServer((socket) => {
    const conn = new Connection(socket);
    conn.once(
      "json",
      (req) => handle(conn, req).catch((e) => conn.json({ error: errorMessage(e) }))
    );
  });
  const handle = async (conn, req) => {
    if (req.op === "watch") {
      for (const e of events) conn.json(e);
      if (events.some((e) => e.type !== "log")) conn.end();
      else watchers.add(conn);
      conn.on("close", () => watchers.delete(conn));
    } else if (req.op === "status") {
      conn.json({
        phase: writer.state.phase,
        machines: status(started?.machines, writer.state.machines)
      });
      conn.end();
    } else if (req.op === "down") {
      const errors = await stop();
      conn.json({ errors });
      conn.end();
      setImmediate(() => process.exit(0));
    } else if (req.op === "exec") {
      exec(conn, req, started?.machines.get(req.machine));
    }
  };
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(controlSocket(dir), resolve);
  });
  const self = await processRef(process.pid);
  await writer.update((s) => void (s.owner = self));
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
    process.on(sig, () => void stop().then(() => process.exit(0)));
  }
  const ttl = Date.parse(state.expiresAt) - Date.now();
  setTimeout(
    () => {
      log.warn(`time to live ended (${state.expiresAt}); tearing the environment down`);
      void stop().then(() => process.exit(0));
    },
    Math.min(Math.max(ttl, 0), 2 ** 31 - 1)
  ).unref();
  const t0 = Date.now();
  try {
    started = await startEnvironment(writer, log);
    await writer.update((s) => void (s.phase = "ready"));
    emit({ type: "ready", seconds: (Date.now() - t0) / 1e3 });
  } catch (error) {
    log.debug(describeError(error));
    await writer.update((s) => {
      s.phase = "failed";
      s.error = errorMessage(error);
    });
    const errors = await stop();
    for (const e of errors) log.error(`teardown: ${e}`);
    emit({
      type: "failed",
      message: errorMessage(error) + (error instanceof UmlenvError && error.hint ? `
fix: ${error.hint}` : "")
    });
    await flushed();
    process.exit(1);
  }
}
function status(machines, plans) {
  return plans.map((p) => {
    const m = machines?.get(p.name);
    return {
      name: p.name,
      address: p.address.split("/")[0],
      state: !m ? "starting" : m.running ? "running" : "stopped",
      bootSeconds: m && m.bootMs / 1e3
    };
  });
}
function exec(conn, req, machine) {
  if (!machine || !machine.running) {
    conn.json({
      error: machine ? `machine ${req.machine} is not running` : `no machine named ${req.machine} in this environment`
    });
    return conn.end();
  }
  let done = false;
  const control = machine.agent.exec(req, {
    stdout: (d) => conn.send("O", 0, d),
    stderr: (d) => conn.send("E", 0, d),
    exit: (code, signal) => {
      done = true;
      conn.json({ exit: code, signal });
      conn.end();
    }
  });
  conn.on("frame", (f) => {
    if (f.type === "I") f.payload.length ? control.stdin(f.payload) : control.endStdin();
    else if (f.type === "K") control.signal(Number(f.payload.toString()));
  });
  conn.on("close", () => done || control.signal(9));
}
export {
  supervise
};

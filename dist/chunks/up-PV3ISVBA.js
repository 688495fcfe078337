import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  gc
} from "./chunk-GVKFPLGF.js";
import {
  macFor
} from "./chunk-WETKVUDH.js";
import {
  runUndos
} from "./chunk-FIZU24XG.js";
import {
  environmentId
} from "./chunk-MNWMIXAU.js";
import {
  connect,
  envDir,
  isAlive,
  processRef,
  readState,
  sleep,
  writeState
} from "./chunk-EM4HQGYS.js";
import {
  ConfigError,
  loadConfig
} from "./chunk-J223LL36.js";
import "./chunk-MOGVDQLA.js";
import "./chunk-67RI6UJH.js";
import {
  ensureImages,
  resolveImages
} from "./chunk-MTEVWNGF.js";
import {
  ImageStore
} from "./chunk-MEX66WDS.js";
import {
  SOURCE_PACKAGE,
  cachedKernel
} from "./chunk-DDSF2BEA.js";
import {
  requireTool
} from "./chunk-IF45U7AT.js";
import "./chunk-LOTG6VG2.js";
import {
  phaseTimer,
  seconds,
  silentLogger
} from "./chunk-4POBWK4H.js";
import {
  require_proper_lockfile
} from "./chunk-MPVBSXOT.js";
import {
  broadcast,
  formatAddress,
  formatSubnet,
  gateway,
  machineAddresses,
  parseSubnet
} from "./chunk-VO2LAO67.js";
import {
  hostNameservers,
  requireNetAdmin,
  tapName
} from "./chunk-7KNXEYZV.js";
import {
  execa
} from "./chunk-KKVC5PX3.js";
import {
  cliEntry,
  envsDir,
  stateDir
} from "./chunk-G3XLIV3Y.js";
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";
import {
  __toESM
} from "./chunk-GYJEAFSS.js";

// src/environment/up.ts
import { spawn } from "node:child_process";
import { mkdir as mkdir2, open, readFile as readFile2, rm as rm2, statfs } from "node:fs/promises";
import path3 from "node:path";

// src/config/select.ts
function selectMachines(config, names) {
  const byName = new Map(config.machines.map((m) => [m.name, m]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length) {
    const what = unknown.length === 1 ? "no machine named" : "no machines named";
    throw new ConfigError(
      `${what} ${unknown.join(", ")} in ${config.file}`,
      `name machines of the config: ${config.machines.map((m) => m.name).join(", ")}`
    );
  }
  const selected = /* @__PURE__ */ new Set();
  const visit = (name) => {
    if (selected.has(name)) return;
    selected.add(name);
    for (const d of byName.get(name).dependsOn) visit(d.machine);
  };
  names.forEach(visit);
  return selected;
}

// src/kernel/choose.ts
async function chooseKernel(configured, log) {
  const choice = process.env.UMLENV_KERNEL ?? configured;
  if (choice === "minimal") {
    const built2 = await cachedKernel();
    if (!built2) {
      throw new UmlenvError(
        "kernel: minimal is asked for, but no minimal kernel is built on this host",
        `build it once with: umlenv kernel build (needs apt-get install ${SOURCE_PACKAGE} flex bison bc)`
      );
    }
    log.info(`Kernel: umlenv's minimal kernel (${built2})`);
    return built2;
  }
  if (choice === "stock") return stock(log);
  if (choice !== void 0) {
    const path4 = await requireTool(
      choice,
      "as the guest kernel (UMLENV_KERNEL or kernel: in the config)"
    );
    log.info(`Kernel: ${path4}`);
    return path4;
  }
  const built = await cachedKernel();
  if (built) {
    log.info(`Kernel: umlenv's minimal kernel (${built})`);
    return built;
  }
  return stock(log);
}
async function stock(log) {
  const path4 = await requireTool("linux.uml", "to run machines");
  log.info(`Kernel: Debian's stock kernel (${path4}); umlenv kernel build makes a faster one`);
  return path4;
}

// src/network/lease.ts
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
var import_proper_lockfile = __toESM(require_proper_lockfile(), 1);
var DEFAULT_POOL = "10.224.0.0/12";
function leasesDir() {
  return path.join(stateDir(), "leases");
}
function overlaps(a, b) {
  return a.base <= broadcast(b) && b.base <= broadcast(a);
}
async function hostRoutes() {
  const { stdout } = await execa("ip", ["-j", "-4", "route", "show", "table", "all"]);
  const routes = JSON.parse(stdout || "[]");
  return routes.map(
    (r) => r.dst === "default" ? void 0 : parseSubnet(r.dst.includes("/") ? r.dst : `${r.dst}/32`)
  ).filter((s) => s !== void 0);
}
function poolSubnets(pool = process.env.UMLENV_SUBNET_POOL ?? DEFAULT_POOL) {
  const parsed = parseSubnet(pool);
  if (!parsed || parsed.prefix > 24) {
    throw new UmlenvError(
      `UMLENV_SUBNET_POOL=${pool} is not a subnet of /24 or larger`,
      "use CIDR form such as 10.224.0.0/12"
    );
  }
  const count = 2 ** (24 - parsed.prefix);
  return Array.from({ length: count }, (_, i) => ({ base: parsed.base + i * 256, prefix: 24 }));
}
async function leaseSubnet(env, owner, wanted) {
  await mkdir(leasesDir(), { recursive: true });
  const release = await import_proper_lockfile.default.lock(leasesDir(), {
    stale: 1e4,
    retries: { retries: 100, factor: 1, minTimeout: 50, maxTimeout: 200 }
  });
  try {
    const live = await liveLeases();
    const routes = await hostRoutes();
    const taken = (s) => live.find((l) => overlaps(l.subnet, s)) ?? routes.find((r) => overlaps(r, s));
    let subnet = wanted;
    if (wanted) {
      const clash = live.find((l) => overlaps(l.subnet, wanted));
      if (clash) {
        throw new UmlenvError(
          `network.subnet ${formatSubnet(wanted)} overlaps ${formatSubnet(clash.subnet)}, leased by environment ${clash.env}`,
          "use network.subnet: auto, or another subnet"
        );
      }
      const route = routes.find((r) => overlaps(r, wanted));
      if (route) {
        throw new UmlenvError(
          `network.subnet ${formatSubnet(wanted)} overlaps ${formatSubnet(route)}, which this host already routes`,
          "use network.subnet: auto, or a subnet the host does not use"
        );
      }
    } else {
      subnet = poolSubnets().find((s) => !taken(s));
      if (!subnet) {
        throw new UmlenvError(
          `no free /24 left in the subnet pool ${process.env.UMLENV_SUBNET_POOL ?? DEFAULT_POOL}`,
          "tear down unused environments (umlenv ps --all, umlenv gc), or set UMLENV_SUBNET_POOL to a larger pool"
        );
      }
    }
    const file = path.join(leasesDir(), `${formatSubnet(subnet).replace("/", "_")}.json`);
    const record = { env, subnet: formatSubnet(subnet), owner };
    await writeFile(file, JSON.stringify(record) + "\n", { flag: "wx" });
    return { subnet, file };
  } finally {
    await release();
  }
}
async function liveLeases() {
  const live = [];
  for (const entry of await readdir(leasesDir())) {
    if (!entry.endsWith(".json")) continue;
    const file = path.join(leasesDir(), entry);
    const record = await readFile(file, "utf8").then(
      JSON.parse,
      () => void 0
    );
    if (!record) continue;
    const envState = path.join(stateDir(), "envs", record.env, "state.json");
    const envLives = await readFile(envState, "utf8").then(
      () => true,
      () => false
    );
    if (!envLives && !await isAlive(record.owner)) {
      await rm(file, { force: true });
      continue;
    }
    live.push({ ...record, subnet: parseSubnet(record.subnet) });
  }
  return live;
}

// src/environment/plan.ts
import os from "node:os";
import path2 from "node:path";
var DEFAULT_SUBNET = parseSubnet("10.224.0.0/24");
function planMachines(config, dir, subnet, imageFiles, only, cpus = os.availableParallelism()) {
  const fixed = new Set(
    config.machines.flatMap((m) => m.address === void 0 ? [] : [m.address])
  );
  const free = [...machineAddresses(subnet)].filter((a) => !fixed.has(a));
  const addresses = config.machines.map((m) => m.address ?? free.shift());
  const machines = config.machines.filter((m) => !only || only.has(m.name));
  return machines.map((m, i) => {
    const address = addresses[config.machines.indexOf(m)];
    const machineDir = path2.join(dir, "machines", m.name);
    const umlDir = path2.join(dir, "u", String(i));
    return {
      name: m.name,
      address: `${formatAddress(address)}/${subnet.prefix}`,
      imageFile: imageFiles[m.image],
      overlay: path2.join(machineDir, "overlay.cow"),
      consoleLog: path2.join(machineDir, "console.log"),
      memoryBytes: m.memoryBytes,
      cpu: i % cpus,
      mac: macFor(address),
      umlDir,
      ports: m.ports,
      shares: m.shares,
      boot: m.boot,
      services: m.services,
      healthcheck: m.healthcheck,
      dependsOn: m.dependsOn,
      serviceLogDir: path2.join(machineDir, "services")
    };
  });
}

// src/environment/up.ts
async function up(options) {
  const { log } = options;
  const { phases, phase: timed } = phaseTimer();
  const loaded = await loadConfig(options.configFile);
  const only = options.machines?.length ? selectMachines(loaded, options.machines) : void 0;
  const chosen = loaded.machines.filter((m) => !only || only.has(m.name));
  const host = only ? loaded.hostAsked || chosen.some((m) => m.ports.length > 0) : loaded.host;
  const config = { ...loaded, host };
  if (only) {
    const extra = chosen.filter((m) => !options.machines.includes(m.name)).map((m) => m.name);
    log.info(
      `Starting ${chosen.length} of ${config.machines.length} machines: ${chosen.map((m) => m.name).join(", ")}` + (extra.length ? ` (${extra.join(", ")} for depends_on)` : "")
    );
  }
  const id = environmentId(options.envId);
  for (const tool of ["uml_switch", "bwrap", "taskset"]) await requireTool(tool, "to run machines");
  if (config.host) {
    requireNetAdmin();
    for (const tool of ["ip", "iptables-save", "iptables-restore"])
      await requireTool(tool, "to link machines to the host");
  }
  const kernel = await chooseKernel(config.kernel, log);
  await checkMemorySpace(chosen);
  await timed("gc", () => gc(log));
  const dir = envDir(id);
  const existing = await readState(dir);
  if (existing && await isAlive(existing.owner)) {
    throw new UmlenvError(
      `environment ${id} is already up (since ${existing.createdAt})`,
      `use it, or tear it down first with: umlenv down --env ${id}`
    );
  }
  const store = new ImageStore();
  const images = await timed(
    "images",
    async () => ensureImages(await resolveImages(config, [...new Set(chosen.map((m) => m.image))]), store, log)
  );
  const envLog = log.child(id);
  await mkdir2(envsDir(), { recursive: true, mode: 493 });
  try {
    await mkdir2(dir, { mode: 448 });
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
    throw new UmlenvError(
      `environment ${id} is being created by another process`,
      `wait for it, or pick another id with --env`
    );
  }
  const owner = await processRef(process.pid);
  const undo = [{ kind: "path", what: "environment directory", path: dir }];
  let network;
  try {
    network = await planNetwork(config, id, owner, undo);
  } catch (error) {
    await rm2(dir, { recursive: true, force: true });
    throw error;
  }
  const machines = planMachines(
    config,
    dir,
    parseSubnet(network.subnet),
    Object.fromEntries(images.map((i) => [i.name, i.file])),
    only
  );
  const now = Date.now();
  const state = {
    version: 1,
    id,
    dir,
    configFile: config.file,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + options.ttlMs).toISOString(),
    owner,
    phase: "starting",
    kernel,
    network,
    machines,
    images: images.map((i) => i.key),
    undo
  };
  for (const m of machines) {
    await mkdir2(path3.dirname(m.overlay), { recursive: true });
    await mkdir2(m.umlDir, { recursive: true });
  }
  await writeState(state);
  await timed("machines", () => startSupervisor(state, envLog));
  return { state: await readState(dir) ?? state, phases };
}
async function planNetwork(config, id, owner, undo) {
  if (!config.host)
    return { subnet: formatSubnet(config.subnet ?? DEFAULT_SUBNET), nat: false, nameservers: [] };
  const lease = await leaseSubnet(id, owner, config.subnet);
  undo.push({ kind: "path", what: `lease of ${formatSubnet(lease.subnet)}`, path: lease.file });
  return {
    subnet: formatSubnet(lease.subnet),
    tap: tapName(id),
    gateway: formatAddress(gateway(lease.subnet)),
    nat: config.nat,
    nameservers: config.nat ? await hostNameservers() : []
  };
}
async function checkMemorySpace(machines) {
  const need = machines.reduce((sum, m) => sum + m.memoryBytes, 0);
  const dir = process.env.TMPDIR;
  let free;
  if (dir) {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } else {
    const meminfo = await readFile2("/proc/meminfo", "utf8");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(meminfo)?.[1] ?? 0) * 1024;
    free = kb("MemAvailable") + kb("SwapFree");
  }
  if (free < need) {
    throw new UmlenvError(
      `not enough space in ${dir ?? "memory"} for guest memory: ${machines.length} machines need up to ${need >> 20} MiB, ${Math.floor(free / 2 ** 20)} MiB are free (a guest whose memory file cannot grow dies with a bus error)`,
      "free space there, point TMPDIR at a larger file system, or lower memory: of the machines"
    );
  }
}
async function startSupervisor(state, log) {
  const out = await open(path3.join(state.dir, "supervisor.out"), "a", 384);
  const child = spawn(process.execPath, [cliEntry(), "__supervise", state.dir], {
    detached: true,
    stdio: ["ignore", out.fd, out.fd]
  });
  child.unref();
  await out.close();
  const conn = await waitForControl(state, child.pid);
  const outcome = await new Promise((resolve) => {
    let last;
    conn.on("json", (m) => {
      const e = m;
      if (e.type === "log")
        log[e.level](e.tags.length > 1 ? `[${e.tags.slice(1).join(" ")}] ${e.message}` : e.message);
      else last = e;
    });
    conn.on("close", () => resolve(last));
    conn.json({ op: "watch" });
  });
  if (outcome?.type === "ready") {
    log.info(`All ${state.machines.length} machines ready in ${seconds(outcome.seconds * 1e3)}`);
    return;
  }
  if (outcome?.type === "failed") {
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(3e3)]);
    }
    const [message, hint] = outcome.message.split("\nfix: ");
    throw new UmlenvError(message, hint);
  }
  const output = await abandon(state, log);
  throw new UmlenvError(
    `the supervisor of environment ${state.id} died while starting:
${output}`,
    "this is a bug in umlenv; the environment was torn down"
  );
}
async function abandon(state, log) {
  const output = await readFile2(path3.join(state.dir, "supervisor.out"), "utf8").catch(() => "");
  await runUndos(await readState(state.dir) ?? state, log);
  return output.slice(-2e3);
}
async function waitForControl(state, pid) {
  const end = Date.now() + 1e4;
  for (; ; ) {
    try {
      return await connect(state.dir);
    } catch (error) {
      const alive = await processRef(pid);
      if (!alive || Date.now() > end) {
        const output = await abandon(state, silentLogger);
        throw new UmlenvError(
          `the supervisor of environment ${state.id} did not start:
${output}`,
          "check that node can run " + cliEntry(),
          { cause: error }
        );
      }
      await sleep(10);
    }
  }
}
export {
  up
};

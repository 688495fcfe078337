import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { selectMachines } from '../config/select.js';
import type { Config, MachineSpec } from '../config/spec.js';
import { UmlenvError } from '../errors.js';
import { isAlive, processRef, sleep, type ProcessRef } from '../host/process.js';
import { requireTool } from '../host/tools.js';
import { chooseKernel } from '../kernel/choose.js';
import { ensureImages, resolveImages } from '../image/ensure.js';
import { ImageStore } from '../image/store.js';
import { phaseTimer, seconds, silentLogger, type Logger } from '../log/logger.js';
import { formatAddress, formatSubnet, gateway, parseSubnet } from '../network/ipv4.js';
import { leaseSubnet } from '../network/lease.js';
import { hostNameservers, requireNetAdmin, tapName } from '../network/hostlink.js';
import { cliEntry, envsDir } from '../paths.js';
import { connect, type Connection } from './control.js';
import { gc } from './down.js';
import { environmentId } from './identity.js';
import { DEFAULT_SUBNET, planMachines } from './plan.js';
import {
  envDir,
  readState,
  writeState,
  type EnvState,
  type NetworkState,
  type Undo,
} from './state.js';
import type { Event } from './supervisor.js';
import { runUndos } from './teardown.js';

export interface UpOptions {
  configFile: string;
  envId?: string;
  /** Start only these machines and those they depend on; all when empty or absent. */
  machines?: string[];
  ttlMs: number;
  log: Logger;
}

export interface UpResult {
  state: EnvState;
  phases: Record<string, number>;
}

/** Brings an environment up and returns once every machine is ready; machines keep running. */
export async function up(options: UpOptions): Promise<UpResult> {
  const { log } = options;
  const { phases, phase: timed } = phaseTimer();
  const loaded = await loadConfig(options.configFile);
  const only = options.machines?.length ? selectMachines(loaded, options.machines) : undefined;
  const chosen = loaded.machines.filter((m) => !only || only.has(m.name));
  // A host link that only the ports of machines left out would need is not made.
  const host = only ? loaded.hostAsked || chosen.some((m) => m.ports.length > 0) : loaded.host;
  const config: Config = { ...loaded, host };
  if (only) {
    const extra = chosen.filter((m) => !options.machines!.includes(m.name)).map((m) => m.name);
    log.info(
      `Starting ${chosen.length} of ${config.machines.length} machines: ${chosen.map((m) => m.name).join(', ')}` +
        (extra.length ? ` (${extra.join(', ')} for depends_on)` : ''),
    );
  }
  const id = environmentId(options.envId);
  for (const tool of ['uml_switch', 'bwrap', 'taskset']) await requireTool(tool, 'to run machines');
  if (config.host) {
    requireNetAdmin();
    for (const tool of ['ip', 'iptables-save', 'iptables-restore'])
      await requireTool(tool, 'to link machines to the host');
  }
  const kernel = await chooseKernel(config.kernel, log);
  await checkMemorySpace(chosen);
  await timed('gc', () => gc(log));
  const dir = envDir(id);
  const existing = await readState(dir);
  if (existing && (await isAlive(existing.owner))) {
    throw new UmlenvError(
      `environment ${id} is already up (since ${existing.createdAt})`,
      `use it, or tear it down first with: umlenv down --env ${id}`,
    );
  }
  const store = new ImageStore();
  const images = await timed('images', async () =>
    ensureImages(await resolveImages(config, [...new Set(chosen.map((m) => m.image))]), store, log),
  );
  const envLog = log.child(id);

  await mkdir(envsDir(), { recursive: true, mode: 0o755 });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new UmlenvError(
      `environment ${id} is being created by another process`,
      `wait for it, or pick another id with --env`,
    );
  }
  const owner = (await processRef(process.pid))!;
  const undo: Undo[] = [{ kind: 'path', what: 'environment directory', path: dir }];
  let network: NetworkState;
  try {
    network = await planNetwork(config, id, owner, undo);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const machines = planMachines(
    config,
    dir,
    parseSubnet(network.subnet)!,
    Object.fromEntries(images.map((i) => [i.name, i.file])),
    only,
  );
  const now = Date.now();
  const state: EnvState = {
    version: 1,
    id,
    dir,
    configFile: config.file,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + options.ttlMs).toISOString(),
    owner,
    phase: 'starting',
    kernel,
    network,
    machines,
    images: images.map((i) => i.key),
    undo,
  };
  for (const m of machines) {
    await mkdir(path.dirname(m.overlay), { recursive: true });
    await mkdir(m.umlDir, { recursive: true });
  }
  await writeState(state);
  await timed('machines', () => startSupervisor(state, envLog));
  return { state: (await readState(dir)) ?? state, phases };
}

// Leases a subnet when the network meets the host; an isolated network may use any subnet.
async function planNetwork(
  config: Config,
  id: string,
  owner: ProcessRef,
  undo: Undo[],
): Promise<NetworkState> {
  if (!config.host)
    return { subnet: formatSubnet(config.subnet ?? DEFAULT_SUBNET), nat: false, nameservers: [] };
  const lease = await leaseSubnet(id, owner, config.subnet);
  undo.push({ kind: 'path', what: `lease of ${formatSubnet(lease.subnet)}`, path: lease.file });
  return {
    subnet: formatSubnet(lease.subnet),
    tap: tapName(id),
    gateway: formatAddress(gateway(lease.subnet)),
    nat: config.nat,
    nameservers: config.nat ? await hostNameservers() : [],
  };
}

// Guest memory is an unlinked file in TMPDIR when set, else in a private tmpfs (RAM).
async function checkMemorySpace(machines: MachineSpec[]): Promise<void> {
  const need = machines.reduce((sum, m) => sum + m.memoryBytes, 0);
  const dir = process.env.TMPDIR;
  let free: number;
  if (dir) {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } else {
    const meminfo = await readFile('/proc/meminfo', 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
    free = kb('MemAvailable') + kb('SwapFree');
  }
  if (free < need) {
    throw new UmlenvError(
      `not enough space in ${dir ?? 'memory'} for guest memory: ${machines.length} machines need up to ${need >> 20} MiB, ${Math.floor(free / 2 ** 20)} MiB are free (a guest whose memory file cannot grow dies with a bus error)`,
      'free space there, point TMPDIR at a larger file system, or lower memory: of the machines',
    );
  }
}

// Starts the detached supervisor and relays its progress until the machines are ready.
async function startSupervisor(state: EnvState, log: Logger): Promise<void> {
  const out = await open(path.join(state.dir, 'supervisor.out'), 'a', 0o600);
  const child = spawn(process.execPath, [cliEntry(), '__supervise', state.dir], {
    detached: true,
    stdio: ['ignore', out.fd, out.fd],
  });
  child.unref();
  await out.close();
  const conn = await waitForControl(state, child.pid!);
  const outcome = await new Promise<Event | undefined>((resolve) => {
    let last: Event | undefined;
    conn.on('json', (m) => {
      const e = m as Event;
      if (e.type === 'log')
        log[e.level](e.tags.length > 1 ? `[${e.tags.slice(1).join(' ')}] ${e.message}` : e.message);
      else last = e;
    });
    conn.on('close', () => resolve(last));
    conn.json({ op: 'watch' });
  });
  if (outcome?.type === 'ready') {
    log.info(`All ${state.machines.length} machines ready in ${seconds(outcome.seconds * 1000)}`);
    return;
  }
  if (outcome?.type === 'failed') {
    // The supervisor has torn everything down; it is gone too before we report.
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]);
    }
    const [message, hint] = outcome.message.split('\nfix: ');
    throw new UmlenvError(message, hint);
  }
  const output = await abandon(state, log);
  throw new UmlenvError(
    `the supervisor of environment ${state.id} died while starting:\n${output}`,
    'this is a bug in umlenv; the environment was torn down',
  );
}

// Tears down what a supervisor that went away left, from the state file; returns the
// end of its output for the error that says so.
async function abandon(state: EnvState, log: Logger): Promise<string> {
  const output = await readFile(path.join(state.dir, 'supervisor.out'), 'utf8').catch(() => '');
  await runUndos((await readState(state.dir)) ?? state, log);
  return output.slice(-2000);
}

async function waitForControl(state: EnvState, pid: number): Promise<Connection> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      return await connect(state.dir);
    } catch (error) {
      const alive = await processRef(pid);
      if (!alive || Date.now() > end) {
        const output = await abandon(state, silentLogger);
        throw new UmlenvError(
          `the supervisor of environment ${state.id} did not start:\n${output}`,
          'check that node can run ' + cliEntry(),
          { cause: error },
        );
      }
      await sleep(10);
    }
  }
}

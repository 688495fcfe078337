import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Box } from './netns.js';
import type { RunResult } from './harness.js';

// The example links its network to the host (NAT, a published port): it runs on a
// test-made CI box, a network namespace of its own, never on this machine's network.
const box = process.getuid?.() === 0 ? new Box() : undefined;
if (box) {
  await box.create();
  process.env.UMLENV_STATE_DIR = box.stateDir;
  process.env.UMLENV_TEST_NETNS = box.name;
}
const { describeAsRoot, describeRun, envDir, Envs, EXAMPLE, execIn, leftovers, readState, umlenv } =
  await import('./harness.js');

const MACHINES = ['api-build', 'api-run', 'frontend'];

interface Status {
  phase: string;
  machines: { name: string; state: string; address: string }[];
}

// One environment for the whole file, in the order a CI job uses it: up, use, down.
describeAsRoot('the three-machine example (examples/three-machines)', () => {
  const envs = new Envs();
  const id = envs.id('example');
  let upResult: RunResult;
  let status: Status;

  beforeAll(async () => {
    upResult = await umlenv(['up', '-f', EXAMPLE, '--env', id], { timeoutMs: 280_000 });
    if (upResult.exitCode !== 0) throw new Error(describeRun(upResult));
    const ps = await umlenv(['ps', '--env', id, '--json'], { reject: true });
    status = JSON.parse(ps.stdout);
  });

  afterAll(async () => {
    await envs.cleanup();
    await box?.destroy();
  });

  it('up prints the environment id on stdout', () => {
    expect(upResult.stdout).toBe(`${id}\n`);
  });

  it('ps --json shows three running machines with distinct addresses', () => {
    expect(status.phase).toBe('ready');
    expect(status.machines.map((m) => [m.name, m.state])).toEqual(
      MACHINES.map((name) => [name, 'running']),
    );
    const addresses = status.machines.map((m) => m.address);
    for (const a of addresses) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(new Set(addresses).size).toBe(3);
  });

  it('ps --all --json lists the environment', async () => {
    const all = await umlenv(['ps', '--all', '--json'], { reject: true });
    const row = JSON.parse(all.stdout).find((r: { id: string }) => r.id === id);
    expect(row).toMatchObject({ id, phase: 'ready', machines: 3 });
  });

  it('every machine pings every machine by name (9 pairs), at the address ps shows', async () => {
    const address = Object.fromEntries(status.machines.map((m) => [m.name, m.address]));
    const pairs = MACHINES.flatMap((from) => MACHINES.map((to) => [from, to]));
    const results = await Promise.all(
      pairs.map(([from, to]) => execIn(id, from, ['ping', '-c1', '-W2', to])),
    );
    const failed = results
      .map((r, i) => ({ pair: pairs[i].join(' -> '), r }))
      .filter(({ r }) => r.exitCode !== 0)
      .map(({ pair, r }) => `${pair}: ${describeRun(r)}`);
    expect(failed).toEqual([]);
    for (const [i, [, to]] of pairs.entries()) {
      expect(results[i].stdout).toContain(`PING ${to} (${address[to]})`);
      expect(results[i].stdout).toMatch(/1 received/);
    }
  });

  it('each machine is named after its key: /etc/hostname and hostname agree', async () => {
    const runs = await Promise.all(
      MACHINES.map(async (name) => ({
        name,
        file: await execIn(id, name, ['cat', '/etc/hostname']),
        live: await execIn(id, name, ['hostname']),
      })),
    );
    for (const { name, file, live } of runs) {
      expect(file.exitCode, describeRun(file)).toBe(0);
      expect(live.exitCode, describeRun(live)).toBe(0);
      expect(file.stdout.trim()).toBe(name);
      expect(live.stdout.trim()).toBe(name);
    }
  });

  it('each overlay allocates at most 1 MiB after boot', () => {
    for (const m of readState(id).machines) {
      const allocated = statSync(m.overlay).blocks * 512;
      expect(allocated, `${m.name}: ${m.overlay}`).toBeGreaterThan(0);
      expect(allocated, `${m.name}: ${m.overlay}`).toBeLessThanOrEqual(2 ** 20);
    }
  });

  it('logs prints a machine console', async () => {
    const logs = await umlenv(['logs', '--env', id, 'frontend']);
    expect(logs.exitCode, describeRun(logs)).toBe(0);
    expect(logs.stdout).toMatch(/Linux version/);
  });

  it('down exits 0 and leaves no process, folder, socket or uml_dir entry', async () => {
    const dir = envDir(id);
    const umlDirs = readState(id).machines.map((m) => m.umlDir ?? path.join(dir, 'uml'));
    expect(leftovers(id).processes.length).toBeGreaterThan(0);

    const down = await umlenv(['down', '--env', id]);
    expect(down.exitCode, describeRun(down)).toBe(0);

    const left = leftovers(id);
    expect(left.processes, 'processes naming the environment folder').toEqual([]);
    expect(left.dirExists, `${dir} still exists`).toBe(false);
    expect(left.sockets, 'unix sockets under the environment folder').toEqual([]);
    for (const u of umlDirs) {
      const entries = existsSync(u) ? readdirSync(u) : [];
      expect(entries, `entries left in uml_dir ${u}`).toEqual([]);
    }
  });

  it('down again is "nothing to do" and exits 0', async () => {
    const again = await umlenv(['down', '--env', id]);
    expect(again.exitCode, describeRun(again)).toBe(0);
    expect(again.stderr).toMatch(/not up; nothing to do/);
  });
});

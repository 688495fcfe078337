import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeAsRoot,
  describeRun,
  envDir,
  Envs,
  execIn,
  IMAGES,
  leftovers,
  removeTempDirs,
  umlenv,
  writeConfig,
  type RunResult,
} from './harness.js';

// db, queue and api (which depends on both), web (on api), tools (on nothing).
const CONFIG = {
  images: IMAGES,
  machines: {
    db: { memory: '64M' },
    queue: { memory: '64M' },
    api: { memory: '64M', depends_on: ['db', 'queue'] },
    web: { memory: '64M', depends_on: ['api'] },
    tools: { memory: '64M' },
  },
};

afterAll(() => removeTempDirs());

describeAsRoot('up with machines named: only those and what they depend on', () => {
  const envs = new Envs();
  const id = envs.id('subset');
  let file: string;
  let upResult: RunResult;
  let machines: { name: string; address: string }[];

  beforeAll(async () => {
    file = await writeConfig(CONFIG);
    upResult = await umlenv(['up', '-f', file, '--env', id, 'api'], { timeoutMs: 280_000 });
    if (upResult.exitCode !== 0) throw new Error(describeRun(upResult));
    machines = JSON.parse(
      (await umlenv(['ps', '--env', id, '--json'], { reject: true })).stdout,
    ).machines;
  });
  afterAll(() => envs.cleanup());

  it('starts the named machine with its dependencies, and says so', () => {
    expect(machines.map((m) => m.name)).toEqual(['db', 'queue', 'api']);
    expect(upResult.stderr).toContain(
      'Starting 3 of 5 machines: db, queue, api (db, queue for depends_on)',
    );
  });

  it('gives each machine the address it has when the whole config starts', () => {
    expect(machines.map((m) => m.address)).toEqual(['10.224.0.2', '10.224.0.3', '10.224.0.4']);
  });

  it('lets the started machines reach each other by name, and knows no other', async () => {
    const ping = await execIn(id, 'api', ['ping', '-c1', '-W2', 'queue']);
    expect(ping.exitCode, describeRun(ping)).toBe(0);
    const hosts = await execIn(id, 'api', ['cat', '/etc/hosts']);
    expect(hosts.stdout).toMatch(/^10\.224\.0\.2\tdb$/m);
    expect(hosts.stdout).not.toMatch(/web|tools/);
  });

  it('refuses an unknown machine before anything starts', async () => {
    const other = envs.id('subset-unknown');
    const r = await umlenv(['up', '-f', file, '--env', other, 'api', 'cache']);
    expect(r.exitCode, describeRun(r)).toBe(1);
    expect(r.stderr).toContain(`umlenv: no machine named cache in ${file}`);
    expect(r.stderr).toContain('fix: name machines of the config: db, queue, api, web, tools');
    const left = leftovers(other);
    expect(left.dirExists, `${envDir(other)} exists`).toBe(false);
    expect(left.processes).toEqual([]);
  });
});

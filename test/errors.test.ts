import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  describeAsRoot,
  describeRun,
  envDir,
  Envs,
  FIXTURES,
  IMAGES,
  leftovers,
  processesMentioning,
  removeTempDirs,
  snapshotEnvs,
  umlenv,
  up,
  uniqueId,
  writeConfig,
  type Leftovers,
  type RunOptions,
  type RunResult,
} from './harness.js';

const IMAGES_YAML = 'images:\n  base:\n    packages: [iputils-ping]\n';

interface Rejection {
  /** The one error line (after "umlenv: "), naming the problem. */
  message: RegExp;
  /** The "fix:" line. */
  fix: RegExp;
}

/**
 * Runs a command that must be refused: exit 1, nothing on stdout, one "umlenv:" error with
 * one "fix:" line (no other error or warning, no stack trace), no new entry in the
 * environments folder and no new process naming the environment's folder or a fixture.
 */
async function expectRefused(
  args: string[],
  expected: Rejection,
  options: RunOptions & { id: string },
): Promise<RunResult> {
  const envsBefore = snapshotEnvs();
  const markers = [envDir(options.id), FIXTURES];
  const pidsBefore = new Set(processesMentioning(...markers).map((p) => p.pid));

  const r = await umlenv(args, options);

  expect(r.exitCode, describeRun(r)).toBe(1);
  expect(r.stdout).toBe('');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('umlenv: '));
  expect(errors, `one error line in:\n${r.stderr}`).toHaveLength(1);
  expect(errors[0]).toMatch(expected.message);
  const fixes = r.stderr.split('\n').filter((l) => l.startsWith('fix: '));
  expect(fixes, `one fix line in:\n${r.stderr}`).toHaveLength(1);
  expect(fixes[0]).toMatch(expected.fix);
  expect(r.stderr, 'a stack trace').not.toMatch(/^\s+at /m);
  expect(r.stderr, 'a second error or warning').not.toMatch(/^(\[[^\]]*\] )*(error|warn): /m);

  // Other jobs on this box may remove their environments meanwhile: look for new entries only.
  const made = snapshotEnvs().filter((e) => !envsBefore.includes(e));
  expect(made, 'new entries in the environments folder').toEqual([]);
  const newProcesses = processesMentioning(...markers).filter((p) => !pidsBefore.has(p.pid));
  expect(newProcesses, 'processes started by the refused command').toEqual([]);
  return r;
}

function expectNothingLeft(id: string, left: Leftovers): void {
  expect(left.processes, `processes of ${id}`).toEqual([]);
  expect(left.dirExists, `${envDir(id)} still exists`).toBe(false);
  expect(left.sockets, `unix sockets of ${id}`).toEqual([]);
}

afterAll(() => removeTempDirs());

describeAsRoot('refused input', () => {
  const envs = new Envs();
  afterEach(() => envs.cleanup());

  // Each case: the config text and what the single error must say.
  const configs: [string, string, Rejection][] = [
    [
      'malformed YAML',
      `${IMAGES_YAML}machines:\n  web: {memory: 256M\n  db:\n`,
      { message: /umlenv\.yml:\d+:\d+: malformed YAML/, fix: /fix the YAML/ },
    ],
    [
      'an unknown key',
      `${IMAGES_YAML}machines:\n  web:\n    cpus: 2\n`,
      {
        message: /umlenv\.yml:6:5: machines\.web\.cpus: unknown key .*allowed.*memory/,
        fix: /README|schema/,
      },
    ],
    [
      'duplicate machine names',
      `${IMAGES_YAML}machines:\n  web:\n    memory: 128M\n  web:\n    memory: 256M\n`,
      { message: /umlenv\.yml:7:\d+: .*"web" appears twice/, fix: /fix the YAML/ },
    ],
    [
      'a bad address',
      `${IMAGES_YAML}network:\n  subnet: 10.231.0.0/24\nmachines:\n  web:\n    address: 10.231.0.256\n`,
      { message: /machines\.web\.address: "10\.231\.0\.256" .*IPv4 address/, fix: /README|schema/ },
    ],
    [
      'an address outside the subnet',
      `${IMAGES_YAML}network:\n  subnet: 10.231.0.0/24\nmachines:\n  web:\n    address: 10.232.0.5\n`,
      { message: /machines\.web\.address: "10\.232\.0\.5" is outside/, fix: /inside the subnet/ },
    ],
    [
      'a subnet too small for any machine',
      `${IMAGES_YAML}network:\n  subnet: 10.231.0.0/31\nmachines:\n  web:\n`,
      { message: /network\.subnet: "10\.231\.0\.0\/31" is too small/, fix: /or larger/ },
    ],
    [
      'a subnet too small for its machines',
      `${IMAGES_YAML}network:\n  subnet: 10.231.0.0/30\nmachines:\n  web:\n  db:\n`,
      { message: /network\.subnet: .*room for 1 machine\b/, fix: /larger subnet/ },
    ],
    [
      'an unknown image',
      `${IMAGES_YAML}machines:\n  web:\n    image: nope\n`,
      { message: /machines\.web\.image: unknown image "nope"/, fix: /base/ },
    ],
  ];

  it.each(configs)('%s', async (_, text, expected) => {
    const file = await writeConfig(text);
    const id = envs.id('bad-config');
    await expectRefused(['up', '-f', file, '--env', id], expected, { id });
  });

  it('a missing config file', async () => {
    const missing = path.join(os.tmpdir(), `umlenv-missing-${process.pid}`, 'umlenv.yml');
    const id = envs.id('missing');
    await expectRefused(
      ['up', '-f', missing, '--env', id],
      { message: new RegExp(`cannot read config ${missing}`), fix: /-f\/--file/ },
      { id },
    );
  });

  it('a kernel that is not installed (UMLENV_KERNEL=/nonexistent/linux.uml)', async () => {
    const file = await writeConfig({ images: IMAGES, machines: { web: null } });
    const id = envs.id('no-kernel');
    await expectRefused(
      ['up', '-f', file, '--env', id],
      { message: /\/nonexistent\/linux\.uml was not found/, fix: /install user-mode-linux/ },
      { id, env: { UMLENV_KERNEL: '/nonexistent/linux.uml' } },
    );
  });

  it.each(['Bad Id', '-lead', 'a/b', 'x'.repeat(41)])('an invalid --env id %j', async (bad) => {
    const file = await writeConfig({ images: IMAGES, machines: { web: null } });
    await expectRefused(
      ['up', '-f', file, '--env', bad],
      { message: /environment id .* is not valid/, fix: /1-40 characters/ },
      { id: bad },
    );
  });

  it('exec into an environment that is not up', async () => {
    const id = uniqueId('not-up');
    await expectRefused(
      ['exec', '--env', id, 'web', '--', 'true'],
      { message: new RegExp(`environment ${id} is not up`), fix: /umlenv up/ },
      { id },
    );
  });

  it('logs of an environment that is not up', async () => {
    const id = uniqueId('not-up');
    await expectRefused(
      ['logs', '--env', id, 'web'],
      { message: new RegExp(`environment ${id} is not up`), fix: /--env/ },
      { id },
    );
  });
});

describeAsRoot('refused input against a running environment', () => {
  const envs = new Envs();
  const id = envs.id('logs');

  beforeAll(() => up(id, { images: IMAGES, machines: { web: null } }));
  afterAll(() => envs.cleanup());

  it('logs of an unknown machine names it and the machines there are', async () => {
    const before = leftovers(id)
      .processes.map((p) => p.pid)
      .sort();
    await expectRefused(
      ['logs', '--env', id, 'nope'],
      {
        message: new RegExp(`no machine named nope in environment ${id}`),
        fix: /use one of: web$/,
      },
      { id },
    );
    expect(
      leftovers(id)
        .processes.map((p) => p.pid)
        .sort(),
    ).toEqual(before);
    const logs = await umlenv(['logs', '--env', id, 'web']);
    expect(logs.exitCode, describeRun(logs)).toBe(0);
    expect(logs.stdout).toMatch(/Linux version/);
  });
});

describeAsRoot('guest memory that does not fit in TMPDIR', () => {
  const envs = new Envs();
  let tiny: string;
  let mounted = false;

  beforeAll(async () => {
    tiny = await mkdtemp(path.join(os.tmpdir(), 'umlenv-tiny-'));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', tiny]);
    mounted = true;
  });
  afterAll(async () => {
    await envs.cleanup();
    if (mounted) await execa('umount', [tiny]);
    await rm(tiny, { recursive: true, force: true });
  });

  it('is refused before anything starts: "not enough space … for guest memory"', async () => {
    const file = await writeConfig({ images: IMAGES, machines: { web: { memory: '256M' } } });
    const id = envs.id('tiny-tmp');
    await expectRefused(
      ['up', '-f', file, '--env', id],
      {
        message: new RegExp(`not enough space in ${tiny} for guest memory`),
        fix: /TMPDIR|lower memory/,
      },
      { id, env: { TMPDIR: tiny } },
    );
  });
});

/** Brings up one machine on a fixture kernel and records what the failure left, at once. */
async function failedBoot(envs: Envs, label: string, kernel: string, env: RunOptions['env'] = {}) {
  const id = envs.id(label);
  const file = await writeConfig({ images: IMAGES, machines: { web: null } });
  const fixture = path.join(FIXTURES, kernel);
  const result = await umlenv(['up', '-f', file, '--env', id], {
    env: { UMLENV_KERNEL: fixture, ...env },
  });
  return { id, result, left: leftovers(id), fixtures: processesMentioning(fixture) };
}

describeAsRoot('a guest kernel that never prints anything', () => {
  const envs = new Envs();
  let boot: Awaited<ReturnType<typeof failedBoot>>;

  beforeAll(async () => {
    boot = await failedBoot(envs, 'stall', 'stall-kernel.sh', { UMLENV_BOOT_STALL_MS: '1500' });
  });
  afterAll(() => envs.cleanup());

  it('fails up with exit 1, naming the machine, the stall and the retries', () => {
    const { result } = boot;
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(result.stdout).toBe('');
    const error = result.stderr.slice(result.stderr.indexOf('umlenv: '));
    expect(error, result.stderr).toMatch(
      /^umlenv: machine web did not start: its boot stalled 3 times/,
    );
    expect(result.stderr).toMatch(/retrying \(attempt 2 of 3\)/);
    expect(result.stderr).toMatch(/retrying \(attempt 3 of 3\)/);
    expect(error).toMatch(/^fix: .*UMLENV_BOOT_STALL_MS/m);
  });

  it('leaves nothing behind once up has returned', () => {
    expect(boot.fixtures, 'sleeping fixture kernels').toEqual([]);
    expectNothingLeft(boot.id, boot.left);
  });

  it('prints the failure once', () => {
    const count = boot.result.stderr.split('did not start').length - 1;
    expect(count, boot.result.stderr).toBe(1);
  });
});

describeAsRoot('a guest kernel that exits at once', () => {
  const envs = new Envs();
  let boot: Awaited<ReturnType<typeof failedBoot>>;

  beforeAll(async () => {
    boot = await failedBoot(envs, 'exit', 'exit-kernel.sh');
  });
  afterAll(() => envs.cleanup());

  it('fails up with exit 1, its exit status and the console tail', () => {
    const { result } = boot;
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(result.stdout).toBe('');
    const error = result.stderr.slice(result.stderr.indexOf('umlenv: '));
    expect(error, result.stderr).toMatch(
      /^umlenv: machine web did not start: its kernel exited \(status 3\)/,
    );
    expect(error).toMatch(/Last console lines:\nfixture kernel: giving up at once\n/);
    expect(error).toMatch(/^fix: /m);
  });

  it('does not retry a kernel that exited', () => {
    expect(boot.result.stderr).not.toMatch(/retrying/);
  });

  it('leaves nothing behind once up has returned', () => {
    expect(boot.fixtures, 'fixture kernels').toEqual([]);
    expectNothingLeft(boot.id, boot.left);
  });
});

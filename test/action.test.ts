import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedKernel } from '../src/kernel/build.js';
import { cacheDir } from '../src/paths.js';
import { until } from './harness.js';
import { FakeRunner, processesMentioning, REPO } from './fixtures/action/runner.js';
import { Box } from './netns.js';

const root = process.getuid?.() === 0;
const tun = await readFile('/dev/net/tun').then(
  () => true,
  (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
);
const STALL_KERNEL = path.join(REPO, 'test', 'fixtures', 'stall-kernel.sh');
const builtKernel = await cachedKernel();

describe.skipIf(!root || !tun)(
  'the Action from dist/, run as the GitHub runner runs it (needs root, /dev/net/tun, netns)',
  () => {
    // Most jobs run on this host with an isolated network (image builds need the Debian
    // mirror); the one that publishes a port runs in a box of its own (tap, firewall rules).
    const box = new Box();
    let work: string;
    let plain: string;
    let withPort: string;
    let before: string;
    let imageKey: string;
    const ids: string[] = [];
    const cache = (name: string) => path.join(work, name);
    const images = 'images:\n  base:\n    packages: [iputils-ping]\n';

    beforeAll(async () => {
      await box.create();
      work = await mkdtemp(path.join(tmpdir(), 'umlenv-action-'));
      plain = path.join(work, 'plain.yml');
      await writeFile(
        plain,
        `${images}machines:\n  web:\n    memory: 64M\n  db:\n    memory: 64M\n`,
      );
      withPort = path.join(work, 'port.yml');
      await writeFile(
        withPort,
        `${images}machines:\n  web:\n    memory: 64M\n    ports: ["127.0.0.1:18080:8080"]\n`,
      );
      before = await box.dump();
    });

    afterAll(async () => {
      await Promise.all(ids.map((id) => box.umlenv(['down', '--env', id])));
      await Promise.all(
        ids.map((id) => box.umlenv(['down', '--env', id], { UMLENV_STATE_DIR: cache('state') })),
      );
      await box.destroy();
      await rm(work, { recursive: true, force: true });
    });

    // One job: its runner, its inputs, and the step environment every step of it gets.
    function job(
      id: string,
      cacheName: string,
      options: { env?: Record<string, string>; inBox?: boolean } = {},
    ) {
      ids.push(id);
      const { inBox = false } = options;
      const prefix = inBox ? ['ip', 'netns', 'exec', box.name] : [];
      const runner = new FakeRunner(path.join(work, id), prefix);
      const inputs = { config: inBox ? withPort : plain, 'env-id': id };
      const stateDir = inBox ? box.stateDir : cache('state');
      const stepEnv = {
        UMLENV_STATE_DIR: stateDir,
        UMLENV_CACHE_DIR: cache(cacheName),
        UMLENV_ACTION_CACHE_DIR: cache('ci-cache'),
        ...options.env,
      };
      const dir = path.join(stateDir, 'envs', id);
      // No process, file or (in the box) link, address, route or rule of the job is left.
      const expectNothingLeft = async () => {
        expect(await processesMentioning(dir)).toEqual([]);
        expect(existsSync(dir)).toBe(false);
        if (inBox) expect(await box.dump()).toBe(before);
      };
      return { runner, inputs, stepEnv, dir, expectNothingLeft };
    }

    it('builds and saves the image; outputs, PATH and env reach later steps; post leaves nothing', async () => {
      const { runner, inputs, stepEnv, expectNothingLeft } = job('test-action-first', 'cache-a');
      const main = await runner.main(inputs, stepEnv);
      expect(main.exitCode, main.stdout + main.stderr).toBe(0);
      expect(main.stdout).toContain('::group::Start environment test-action-first');
      expect(main.stdout).toMatch(/Building image bookworm-/);
      expect(main.outputs).toEqual({
        'env-id': 'test-action-first',
        addresses: '{"web":"10.224.0.2","db":"10.224.0.3"}',
        ports: '{}',
      });
      expect(main.summary).toContain('<td>web</td><td>10.224.0.2</td>');
      expect(main.summary).toContain('boot the machines');
      [imageKey] = JSON.parse(runner.savedState['missing-images']);
      expect(runner.jobEnv).toEqual({
        UMLENV_ENV: 'test-action-first',
        UMLENV_STATE_DIR: stepEnv.UMLENV_STATE_DIR,
        UMLENV_CACHE_DIR: cache('cache-a'),
      });

      // A later step, with only what main exported: PATH from GITHUB_PATH, env from GITHUB_ENV.
      const later = await runner.run(
        'set -e; umlenv exec web -- ping -c1 -W2 db | grep -c "1 received"; umlenv exec db -- uname -n',
      );
      expect(later.stderr).toBe('');
      expect(later.stdout).toBe('1\ndb');

      const post = await runner.post(inputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      expect(post.stdout).toContain(`Saved image ${imageKey} to the CI cache`);
      expect(post.summary).toContain('tear the environment down');
      expect(existsSync(path.join(cache('ci-cache'), imageKey, 'entry.json'))).toBe(true);
      expect(existsSync(runner.jobPath[0])).toBe(false);
      await expectNothingLeft();
    }, 300_000);

    it('restores the image on a second run without building it, with its exact mtime and size', async () => {
      const { runner, inputs, stepEnv, expectNothingLeft } = job('test-action-second', 'cache-b');
      const main = await runner.main(inputs, stepEnv);
      expect(main.exitCode, main.stdout + main.stderr).toBe(0);
      expect(main.stdout).toContain(`Restored image ${imageKey} from the CI cache`);
      expect(main.stdout).not.toContain('Building image');
      expect(runner.savedState['missing-images']).toBe('[]');
      const facts = async (name: string) => {
        const file = path.join(cache(name), 'images', `${imageKey}.img`);
        const st = await stat(file, { bigint: true });
        return { size: st.size, mtimeNs: st.mtimeNs, sparse: st.blocks * 512n < st.size / 2n };
      };
      expect(await facts('cache-b')).toEqual(await facts('cache-a'));
      expect((await facts('cache-b')).sparse).toBe(true);
      expect((await runner.run('umlenv exec db -- uname -n')).stdout).toBe('db');
      const post = await runner.post(inputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      expect(post.stdout).not.toContain('Saved image');
      await expectNothingLeft();
    });

    it('starts only the machines of the machines input, at their addresses in the whole config', async () => {
      const { runner, inputs, stepEnv, expectNothingLeft } = job('test-action-subset', 'cache-b');
      const main = await runner.main({ ...inputs, machines: 'db' }, stepEnv);
      expect(main.exitCode, main.stdout + main.stderr).toBe(0);
      expect(main.stdout).toContain('Starting 1 of 2 machines: db');
      expect(main.outputs.addresses).toBe('{"db":"10.224.0.3"}');
      expect((await runner.run('umlenv exec db -- uname -n')).stdout).toBe('db');
      expect((await runner.post(inputs, stepEnv)).exitCode).toBe(0);
      await expectNothingLeft();
    });

    // Runs where the minimal kernel is built on this box (its test pass builds it first).
    it.skipIf(!builtKernel)(
      'carries the minimal kernel through the CI cache to a box that lacks it',
      async () => {
        const key = path.basename(path.dirname(builtKernel!));
        const config = path.join(work, 'minimal.yml');
        await writeFile(config, `${images}kernel: minimal\nmachines:\n  web:\n    memory: 64M\n`);
        const entry = path.join(cache('ci-cache'), `umlenv-kernel-${process.arch}-${key}`);

        // A box with the kernel (umlenv's own cache here) puts it in the CI cache...
        const a = job('test-action-kernel-a', 'unused', { env: { UMLENV_CACHE_DIR: cacheDir() } });
        const mainA = await a.runner.main({ ...a.inputs, config }, a.stepEnv);
        expect(mainA.exitCode, mainA.stdout + mainA.stderr).toBe(0);
        expect(mainA.stdout).toContain(`Saved the minimal kernel ${key} to the CI cache`);
        expect(existsSync(path.join(entry, 'linux'))).toBe(true);
        expect((await a.runner.post(a.inputs, a.stepEnv)).exitCode).toBe(0);
        await a.expectNothingLeft();

        // ...and a box without it (cache-b: the image, no kernel) boots its machines on it.
        const b = job('test-action-kernel-b', 'cache-b');
        expect(existsSync(path.join(cache('cache-b'), 'kernels', key))).toBe(false);
        const mainB = await b.runner.main({ ...b.inputs, config }, b.stepEnv);
        expect(mainB.exitCode, mainB.stdout + mainB.stderr).toBe(0);
        expect(mainB.stdout).toContain(`Restored the minimal kernel ${key} from the CI cache`);
        expect(mainB.stdout).not.toContain('Saved the minimal kernel');
        const state = JSON.parse(await readFile(path.join(b.dir, 'state.json'), 'utf8'));
        expect(state.kernel).toBe(path.join(cache('cache-b'), 'kernels', key, 'linux'));
        expect((await b.runner.run('umlenv exec web -- uname -n')).stdout).toBe('web');
        expect((await b.runner.post(b.inputs, b.stepEnv)).exitCode).toBe(0);
        await b.expectNothingLeft();
      },
    );

    it('publishes ports: the ports output, umlenv port in a later step, and a box left as it was', async () => {
      const { runner, inputs, stepEnv, expectNothingLeft } = job('test-action-port', 'cache-b', {
        inBox: true,
      });
      const main = await runner.main(inputs, stepEnv);
      expect(main.exitCode, main.stdout + main.stderr).toBe(0);
      expect(JSON.parse(main.outputs.ports)).toEqual({ web: { '8080': '127.0.0.1:18080' } });
      expect(main.summary).toContain('127.0.0.1:18080 → 8080');
      const later = await runner.run('umlenv port web 8080');
      expect(later.stdout).toBe('127.0.0.1:18080');
      const post = await runner.post(inputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      await expectNothingLeft();
    });

    it('cleans up after a main that fails half way (machines that never boot)', async () => {
      const { runner, inputs, stepEnv, expectNothingLeft } = job('test-action-stall', 'cache-b', {
        env: { UMLENV_KERNEL: STALL_KERNEL, UMLENV_BOOT_STALL_MS: '1500' },
      });
      const main = await runner.main(inputs, stepEnv);
      expect(main.exitCode).toBe(1);
      expect(main.stdout).toMatch(/^::error::.*(web|db)/m);
      expect(runner.savedState['env-id']).toBe('"test-action-stall"');
      expect(runner.savedState.outcome).toBe('"failed"');
      const post = await runner.post(inputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      await expectNothingLeft();
    });

    it('cleans up after a cancelled job (main killed with SIGINT, then SIGKILL, while machines boot)', async () => {
      const { runner, inputs, stepEnv, dir, expectNothingLeft } = job(
        'test-action-cancel',
        'cache-b',
        { env: { UMLENV_KERNEL: STALL_KERNEL, UMLENV_BOOT_STALL_MS: '60000' } },
      );
      const main = await runner.startMain(inputs, stepEnv);
      await until(
        'both machines to be booting',
        async () =>
          (await processesMentioning(`uml_dir=${dir}/u/`)).length >= 2 ? true : undefined,
        60_000,
      );
      main.child.kill('SIGINT');
      const timer = setTimeout(() => main.child.kill('SIGKILL'), 1000);
      const result = await main.finish();
      clearTimeout(timer);
      expect(result.exitCode).not.toBe(0);
      expect(runner.savedState.outcome).toBe('"starting"');
      expect(existsSync(dir)).toBe(true);
      const post = await runner.post(inputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      expect(post.stdout).toContain('Console log of machine web (it never finished booting)');
      expect(post.stdout).toContain('::group::Tear down environment test-action-cancel');
      await expectNothingLeft();
    });

    it('shows the console of a machine that stopped, and keeps the environment with keep-on-failure', async () => {
      const { runner, inputs, stepEnv, dir, expectNothingLeft } = job(
        'test-action-keep',
        'cache-b',
      );
      const keepInputs = { ...inputs, 'keep-on-failure': 'true' };
      expect((await runner.main(keepInputs, stepEnv)).exitCode).toBe(0);
      for (const line of await processesMentioning(`uml_dir=${dir}/u/1`))
        process.kill(Number(line.split(':')[0]), 'SIGKILL');
      await until(
        'db to stop',
        async () => {
          const ps = await runner.run('umlenv ps --json');
          return /"name": "db",[^}]*"state": "stopped"/.test(ps.stdout) ? true : undefined;
        },
        20_000,
      );
      const post = await runner.post(keepInputs, stepEnv);
      expect(post.exitCode, post.stdout + post.stderr).toBe(0);
      expect(post.stdout).toContain('::group::Console log of machine db (it stopped)');
      expect(post.stdout).toContain('Linux version');
      const kept = /^::warning::Kept environment test-action-keep .*on this box: (.*)$/m.exec(
        post.stdout,
      );
      expect(kept, post.stdout).not.toBeNull();
      // The job is over: no wrapper on PATH any more, but the machines are still there.
      const cli = path.join(REPO, 'dist', 'cli.js');
      expect((await runner.run(`node ${cli} exec web -- true`)).exitCode).toBe(0);
      expect((await runner.run(kept![1])).exitCode).toBe(0);
      await expectNothingLeft();
    });

    it('runs main and post under @github/local-action', async () => {
      const { runner, stepEnv, expectNothingLeft } = job('test-action-local', 'cache-b');
      const envFile = path.join(work, 'local-action.env');
      const lines = [`INPUT_CONFIG=${plain}`, 'INPUT_ENV-ID=test-action-local'];
      for (const [k, v] of Object.entries({ ...stepEnv, RUNNER_TEMP: work }))
        lines.push(`${k}=${v}`);
      await writeFile(envFile, lines.join('\n') + '\n');
      const run = await runner.run(
        `cd ${REPO} && npx local-action run . src/action/main.ts ${envFile} --post src/action/post.ts`,
      );
      expect(run.exitCode, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/'env-id'\s*│\s*'test-action-local'/);
      expect(run.stdout).toContain('{"web":"10.224.0.2","db":"10.224.0.3"}');
      expect(run.stdout).toContain('Tear down environment test-action-local');
      await expectNothingLeft();
    });
  },
);

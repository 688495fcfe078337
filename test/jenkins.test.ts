/**
 * The Jenkins step (jenkins/vars/umlEnv.groovy) run for real: Groovy 2.4 executes it in
 * test/jenkins/Harness.groovy, a small stand-in for Pipeline whose sh runs real shells, against
 * real UML guests. Each build gets its own BUILD_TAG; the whole file gets its own state dir, so
 * "nothing is left" means no env dir in it and no process whose command line names it.
 */
import { execa, type ResultPromise } from 'execa';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;
const groovy = spawnSync('groovy', ['--version'], { encoding: 'utf8' });
const hasGroovy = groovy.status === 0;
const GROOVY_MISSING = 'groovy and a JRE (apt-get install groovy default-jre-headless)';

const HARNESS = path.resolve('test/jenkins/Harness.groovy');
const LIB = path.resolve('jenkins');
const PIPELINES = path.resolve('test/jenkins/pipelines');
const JENKINSFILE = path.resolve('examples/three-machines/Jenkinsfile');
const EXAMPLE = path.resolve('examples/three-machines/umlenv.yml');
const ONE = path.resolve('test/jenkins/one-machine.yml');
const CLI = path.resolve('dist/cli.js');
const CACHE_DIR = process.env.UMLENV_CACHE_DIR ?? '/var/cache/umlenv';
const ID = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const RUN = randomBytes(3).toString('hex');

// The describe title, naming what is missing when the block is skipped (also printed, since a
// fully skipped file shows no titles).
function skipTitle(title: string, missing: (string | false)[]): string {
  const needs = missing.filter(Boolean);
  if (!needs.length) return title;
  console.warn(`skipping "${title}": needs ${needs.join(' and ')}`);
  return `${title} (skipped: needs ${needs.join(' and ')})`;
}

// C1 only: these JVMs live a few seconds, and it halves their start-up CPU time.
const JAVA_OPTS = `-XX:TieredStopAtLevel=1 ${process.env.JAVA_OPTS ?? ''}`;

function harness(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  return execa('groovy', [HARNESS, '--lib', LIB, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd,
    env: { JAVA_OPTS, ...options.env },
  });
}

describe.skipIf(!hasGroovy)(
  skipTitle('the harness sandbox check', [!hasGroovy && GROOVY_MISSING]),
  () => {
    it('passes the step, the example Jenkinsfile and the test pipelines', async () => {
      const pipelines = (await readdir(PIPELINES)).map((f) => path.join(PIPELINES, f));
      const r = await harness([
        '--check',
        path.join(LIB, 'vars/umlEnv.groovy'),
        JENKINSFILE,
        ...pipelines,
      ]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toMatch(/no problems/);
    });

    it('rejects every forbidden construct, on its line, and refuses to run such a script', async () => {
      const forbidden: [string, RegExp][] = [
        ["@Grab('org.example:thing:1.0') import java.text.Normalizer", /@Grab/],
        ['import groovy.json.JsonSlurperClassic', /imports groovy\.json\.JsonSlurperClassic/],
        ["def f = new File('/etc/passwd')", /new File/],
        ['Thread.sleep(10)', /uses Thread/],
        ['System.exit(1)', /System\.exit/],
        ["Runtime.getRuntime().exec('id')", /uses Runtime/],
        ["new ProcessBuilder('id').start()", /new ProcessBuilder/],
        ["'id'.execute()", /execute\(\)/],
        ["Eval.me('1 + 1')", /uses Eval/],
        ["evaluate('1 + 1')", /evaluate\(\)/],
        ["new JsonSlurper().parseText('{}')", /new JsonSlurper/],
        ["new GroovyShell().parse('1')", /new GroovyShell/],
        ["readJSON text: '{}'", /calls readJSON/],
        ["sha256 'text'", /calls sha256/],
      ];
      // Words in strings and comments, and what the sandbox allows of System, are fine.
      const allowed = [
        "echo 'new File(x).execute() and Thread in a string' // System.exit in a comment",
        'long now = System.currentTimeMillis()',
      ];
      const dir = await mkdtemp(path.join(tmpdir(), 'umlenv-jenkins-check-'));
      try {
        const bad = path.join(dir, 'bad.groovy');
        await writeFile(bad, [...forbidden.map(([line]) => line), ...allowed].join('\n') + '\n');
        const r = await harness(['--check', bad]);
        expect(r.exitCode, r.all).toBe(3);
        const problems = r.stderr.split('\n').filter((l) => l.startsWith('sandbox: bad.groovy:'));
        forbidden.forEach(([line, message], i) => {
          const at = problems.filter((p) => p.startsWith(`sandbox: bad.groovy:${i + 1}: `));
          expect(
            at.some((p) => message.test(p)),
            `line ${i + 1}: ${line}\n${r.all}`,
          ).toBe(true);
        });
        for (let i = forbidden.length; i < forbidden.length + allowed.length; i++) {
          expect(problems.filter((p) => p.startsWith(`sandbox: bad.groovy:${i + 1}: `))).toEqual(
            [],
          );
        }
        const run = await harness(['--set', `WORKSPACE=${dir}`, bad]);
        expect(run.exitCode, run.all).toBe(3);
        expect(run.stdout).not.toMatch(/\[Pipeline\]|Finished/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);

interface Build {
  exitCode: number | undefined;
  all: string;
  stdout: string;
  /** Ids of the environments the step brought up, in order. */
  ids: string[];
  workspace: string;
  archive: string;
}

describe.skipIf(!root || !hasGroovy)(
  skipTitle('the umlEnv Jenkins step with real guests', [
    !root && 'root',
    !hasGroovy && GROOVY_MISSING,
  ]),
  () => {
    let scratch: string;
    let stateDir: string;
    let bin: string;
    let builds = 0;

    beforeAll(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), 'umlenv-jenkins-'));
      stateDir = path.join(scratch, 'state');
      bin = path.join(scratch, 'bin');
      await mkdir(bin);
      // umlenv on PATH, as the agent setup in docs/jenkins.md installs it.
      await writeFile(
        path.join(bin, 'umlenv'),
        `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`,
      );
      await chmod(path.join(bin, 'umlenv'), 0o755);
      // Build or reuse the image first, so no test pays for it.
      for (const config of [EXAMPLE, ONE]) {
        const r = await execa(process.execPath, [CLI, 'image', 'build', '-f', config], {
          reject: false,
          all: true,
        });
        expect(r.exitCode, r.all).toBe(0);
      }
    });

    afterAll(async () => {
      if (!scratch) return;
      for (const id of await readdir(path.join(stateDir, 'envs')).catch(() => [])) {
        await execa(process.execPath, [CLI, 'down', '--env', id], {
          reject: false,
          env: { UMLENV_STATE_DIR: stateDir },
        });
      }
      await rm(scratch, { recursive: true, force: true });
    });

    /** Runs a Jenkinsfile in the harness, as build number N of a job unique to this run. */
    async function build(
      jenkinsfile: string,
      options: {
        set?: Record<string, string>;
        buildTag?: string;
        workspace?: string;
        /** Acts once the build's output (stdout and the sh traces on stderr) matches. */
        whenOutput?: [RegExp, (child: ResultPromise) => void];
      } = {},
    ): Promise<Build> {
      builds += 1;
      const workspace = options.workspace ?? path.join(scratch, `ws-${builds}`);
      const archive = path.join(scratch, `archive-${builds}`);
      await mkdir(workspace, { recursive: true });
      const set = {
        BUILD_TAG: options.buildTag ?? `jenkins-umlenv-test-${RUN}-${builds}`,
        EXECUTOR_NUMBER: '3',
        WORKSPACE: workspace,
        ...options.set,
      };
      const child = harness(
        [
          ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
          '--artifacts',
          archive,
          jenkinsfile,
        ],
        {
          cwd: workspace,
          env: { PATH: `${bin}:${process.env.PATH}`, UMLENV_STATE_DIR: stateDir },
        },
      );
      if (options.whenOutput) {
        const [pattern, act] = options.whenOutput;
        let seen = '';
        let done = false;
        child.all.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (!done && pattern.test(seen)) {
            done = true;
            act(child);
          }
        });
      }
      const r = await child;
      const ids = [...r.stdout.matchAll(/umlEnv: environment (\S+) is up/g)].map((m) => m[1]);
      return { exitCode: r.exitCode, all: r.all, stdout: r.stdout, ids, workspace, archive };
    }

    /** What an environment left on the host: env dirs in the state dir, processes naming it. */
    async function leftovers(): Promise<string[]> {
      const dirs = await readdir(path.join(stateDir, 'envs')).catch(() => []);
      const processes: string[] = [];
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes(stateDir)) processes.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
      }
      return [...dirs.map((d) => `env dir ${d}`), ...processes];
    }

    it('starts the machines, exports UMLENV_ENV and their addresses, then tears down', async () => {
      const b = await build(path.join(PIPELINES, 'success.groovy'), {
        set: { CONFIG: EXAMPLE, CACHE_DIR },
      });
      expect(b.exitCode, b.all).toBe(0);
      expect(b.stdout).toMatch(/^Finished: SUCCESS$/m);
      expect(b.ids).toEqual([`jk-jenkins-umlenv-test-${RUN}-${builds}-3-1`]);
      const exported = Object.fromEntries(
        [...b.stdout.matchAll(/^(UMLENV_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
      );
      expect(exported.UMLENV_ENV).toBe(b.ids[0]);
      expect(exported.UMLENV_CACHE_DIR).toBe(CACHE_DIR);
      for (const m of ['api-build', 'api-run', 'frontend']) {
        const inGuest = new RegExp(`^guest ${m} (\\S+)`, 'm').exec(b.stdout)?.[1];
        const name = `UMLENV_ADDR_${m.toUpperCase().replace('-', '_')}`;
        expect(inGuest, b.all).toMatch(/^10\.\d+\.\d+\.\d+$/);
        expect(exported[name], name).toBe(inGuest);
      }
      expect(b.stdout).toMatch(/1 received/);
      expect(await leftovers()).toEqual([]);
      expect(existsSync(b.archive), 'nothing failed, so nothing is archived').toBe(false);
    });

    it('tears down after a failing body, rethrows its error and archives the console logs', async () => {
      const b = await build(path.join(PIPELINES, 'failure.groovy'), { set: { CONFIG: ONE } });
      expect(b.exitCode, b.all).toBe(1);
      expect(b.stdout).toMatch(/^ERROR: script returned exit code 3$/m);
      expect(b.stdout).toMatch(/^Finished: FAILURE$/m);
      expect(b.ids).toHaveLength(1);
      expect(await leftovers()).toEqual([]);
      const log = await readFile(path.join(b.archive, 'umlenv-logs', b.ids[0], 'solo.log'), 'utf8');
      expect(log).toMatch(/umlenv-init: agent ready/);
    });

    it('tears down after an abort in the middle of the body and rethrows the interruption', async () => {
      let abortedAt = 0;
      const b = await build(path.join(PIPELINES, 'abort.groovy'), {
        set: { CONFIG: ONE },
        // The abort button: SIGINT makes the harness interrupt the pipeline, as Jenkins does.
        whenOutput: [
          /^body-started$/m,
          (child) =>
            setTimeout(() => {
              abortedAt = Date.now();
              child.kill('SIGINT');
            }, 500),
        ],
      });
      const afterAbort = (Date.now() - abortedAt) / 1000;
      expect(b.exitCode, b.all).toBe(2);
      expect(b.stdout).toMatch(
        /^Aborted: FlowInterruptedException: sh was interrupted: echo body-started;/m,
      );
      expect(b.stdout).toMatch(/^Finished: ABORTED$/m);
      expect(afterAbort, 'teardown right after the abort, not after sleep 311').toBeLessThan(20);
      expect(b.ids).toHaveLength(1);
      expect(await leftovers()).toEqual([]);
      const sleeping = spawnSync('pgrep', ['-f', 'sleep 311'], { encoding: 'utf8' }).stdout;
      expect(sleeping, 'the umlenv exec of the body is gone').toBe('');
      expect(existsSync(b.archive), 'an abort is no failure: nothing archived').toBe(false);
    });

    it('tears down what an up aborted halfway has started', async () => {
      const b = await build(path.join(PIPELINES, 'abort.groovy'), {
        set: { CONFIG: EXAMPLE },
        // While the machines boot: up has created the environment, the body has not started.
        whenOutput: [/Starting machine at/, (child) => child.kill('SIGINT')],
      });
      expect(b.exitCode, b.all).toBe(2);
      expect(b.stdout).toMatch(/^Aborted: FlowInterruptedException: sh was interrupted: timeout /m);
      expect(b.all).not.toMatch(/body-started/);
      expect(await leftovers()).toEqual([]);
    });

    it('fails with the error of a failed up, leaving nothing', async () => {
      const b = await build(path.join(PIPELINES, 'failure.groovy'), {
        set: { CONFIG: path.join(scratch, 'missing.yml') },
      });
      expect(b.exitCode, b.all).toBe(1);
      expect(b.stdout).toMatch(/^ERROR: umlEnv: umlenv up failed with exit status 1/m);
      expect(b.all).toMatch(/missing\.yml/);
      expect(await leftovers()).toEqual([]);
    });

    it('leaves the environment up after a failure with keepOnFailure', async () => {
      const b = await build(path.join(PIPELINES, 'keep.groovy'), { set: { CONFIG: ONE } });
      expect(b.exitCode, b.all).toBe(1);
      expect(b.stdout).toMatch(/^ERROR: failed on purpose$/m);
      expect(b.stdout).toMatch(/keeping environment/);
      const env = { UMLENV_STATE_DIR: stateDir };
      const ps = await execa(process.execPath, [CLI, 'ps', '--env', b.ids[0], '--json'], { env });
      expect(JSON.parse(ps.stdout).phase).toBe('ready');
      await execa(process.execPath, [CLI, 'down', '--env', b.ids[0]], { env });
      expect(await leftovers()).toEqual([]);
    });

    it('gives two parallel branches of one build their own environments, up at once', async () => {
      // A Jenkins-like tag with spaces, slashes and more than 40 characters.
      const buildTag = `jenkins-Team Folder/My Very Long Pipeline (PR #42)-feature%2Flogin-${RUN}`;
      const b = await build(path.join(PIPELINES, 'parallel.groovy'), {
        set: { CONFIG: ONE },
        buildTag,
      });
      expect(b.exitCode, b.all).toBe(0);
      expect(b.ids).toHaveLength(2);
      expect(new Set(b.ids).size, b.ids.join(' ')).toBe(2);
      for (const id of b.ids) {
        expect(id).toMatch(ID);
        expect(id.startsWith('jk-jenkins-team-folder-my-')).toBe(true);
      }
      for (const branch of ['one', 'two']) {
        const line = new RegExp(
          `^branch ${branch} env=(\\S+) up-together=(\\d) guest=(\\S+)$`,
          'm',
        );
        const [, id, together, guest] = line.exec(b.stdout) ?? [];
        expect(b.ids, b.all).toContain(id);
        expect(together).toBe('2');
        expect(guest).toBe('solo');
      }
      expect(await leftovers()).toEqual([]);
    });

    it('starts only the machines the option names, each at its address in the whole config', async () => {
      const b = await build(path.join(PIPELINES, 'machines.groovy'), {
        set: { CONFIG: EXAMPLE, CACHE_DIR },
      });
      expect(b.exitCode, b.all).toBe(0);
      const addresses = [...b.stdout.matchAll(/^UMLENV_ADDR_(\w+)=(\S+)$/gm)].map((m) => m[1]);
      expect(addresses).toEqual(['API_RUN']);
      // api-run is the second machine of the example: .3 whether or not the others start.
      expect(b.stdout).toMatch(/^UMLENV_ADDR_API_RUN=10\.\d+\.\d+\.3$/m);
      expect(b.stdout).toMatch(/^api-run +running/m);
      expect(b.stdout).not.toMatch(/^(api-build|frontend) /m);
      expect(await leftovers()).toEqual([]);
    });

    it('runs the example Jenkinsfile against the example config', async () => {
      const workspace = path.join(scratch, 'checkout');
      await cp(path.dirname(JENKINSFILE), path.join(workspace, 'examples/three-machines'), {
        recursive: true,
      });
      const b = await build(path.join(workspace, 'examples/three-machines/Jenkinsfile'), {
        workspace,
      });
      expect(b.exitCode, b.all).toBe(0);
      expect(b.stdout).toMatch(/stage \(Frontend: end-to-end\)/);
      expect(b.stdout.match(/1 received/g)).toHaveLength(2);
      expect(await leftovers()).toEqual([]);
    });
  },
);

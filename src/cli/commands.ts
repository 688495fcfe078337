import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { UmlenvError } from '../errors.js';
import { request } from '../environment/control.js';
import { environmentId } from '../environment/identity.js';
import { envDir, listEnvDirs, readState } from '../environment/state.js';
import type { MachineStatus } from '../environment/supervisor.js';
import { isAlive } from '../host/process.js';
import { stderrLogger } from '../log/stderr.js';
import type { Level } from '../log/logger.js';
import { VERSION } from '../paths.js';
import { parseDuration } from './durations.js';
import { addImageCommands } from './images.js';
import { table } from './table.js';

// Each command imports what it runs when it runs: a CLI call pays only for its own code
// (the config schema alone takes 40 ms to load, and `down` needs none of it).

/** The `umlenv` command line; each action returns the process exit code. */
export function program(): Command {
  const cli = new Command('umlenv')
    .description('Fresh, isolated multi-machine test environments on User-Mode Linux')
    .version(VERSION)
    .addOption(
      new Option('--log-level <level>', 'how much to print')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .enablePositionalOptions()
    .showHelpAfterError();
  const logger = () => stderrLogger(cli.opts().logLevel as Level);
  const envOption = () =>
    new Option(
      '--env <id>',
      'environment id (default: from UMLENV_ENV, the CI job, or this directory)',
    );
  const configOption = () => new Option('-f, --file <path>', 'config file').default('umlenv.yml');

  cli
    .command('up')
    .description(
      'build or restore images, start the switch and boot the machines (all of them, or those named and what they depend on)',
    )
    .argument('[machines...]', 'start only these machines and those they depend on')
    .addOption(configOption())
    .addOption(envOption())
    .addOption(
      new Option('--ttl <duration>', 'tear the environment down after this long')
        .default(6 * 36e5, '6h')
        .argParser(parseDuration),
    )
    .action(async (machines: string[], o) => {
      const { up } = await import('../environment/up.js');
      const { state } = await up({
        configFile: o.file,
        envId: o.env,
        machines,
        ttlMs: o.ttl,
        log: logger(),
      });
      process.stdout.write(`${state.id}\n`);
    });

  cli
    .command('down')
    .description('stop every machine and remove everything the environment created')
    .addOption(envOption())
    .action(async (o) => {
      const { down } = await import('../environment/down.js');
      const id = environmentId(o.env);
      if (!(await down(id, logger()))) logger().info(`environment ${id} is not up; nothing to do`);
    });

  cli
    .command('ps')
    .description('list the machines of an environment, or every environment with --all')
    .addOption(envOption())
    .option('-a, --all', 'list every environment on this host')
    .option('--json', 'print JSON')
    .action(async (o) => {
      if (o.all) return listEnvironments(o.json);
      const { liveEnvironment } = await import('../environment/exec.js');
      const { dir } = await liveEnvironment(environmentId(o.env));
      const [status] = await request<{ phase: string; machines: MachineStatus[] }>(dir, {
        op: 'status',
      });
      if (o.json) return void process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      table(
        ['MACHINE', 'STATE', 'ADDRESS', 'BOOT'],
        status.machines.map((m) => [
          m.name,
          m.state,
          m.address,
          m.bootSeconds === undefined ? '-' : `${m.bootSeconds.toFixed(2)} s`,
        ]),
      );
    });

  cli
    .command('exec')
    .description('run a command in a machine; its exit code becomes ours')
    .addOption(envOption())
    .option('-e, --env-var <KEY=VALUE...>', 'set an environment variable for the command')
    .option('-w, --workdir <dir>', 'working directory in the guest')
    .option('-i, --interactive', 'forward stdin even when it is a terminal')
    .argument('<machine>')
    .argument('<command...>')
    .passThroughOptions()
    .action(async (machine: string, argv: string[], o) => {
      const { execIn } = await import('../environment/exec.js');
      process.exitCode = await execIn({
        envId: environmentId(o.env),
        machine,
        argv: argv[0] === '--' ? argv.slice(1) : argv,
        env: parseEnvVars(o.envVar ?? []),
        cwd: o.workdir,
        stdin: process.stdin.isTTY && !o.interactive ? undefined : process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  cli
    .command('shell')
    .description('an interactive shell in a machine')
    .addOption(envOption())
    .argument('<machine>')
    .action(async (machine: string, o) => {
      if (!process.stdin.isTTY)
        throw new UmlenvError(
          'umlenv shell needs a terminal on stdin',
          'use umlenv exec MACHINE -- sh -c "…" in scripts',
        );
      const { execIn } = await import('../environment/exec.js');
      const { rows = 24, columns = 80 } = process.stdout;
      process.stdin.setRawMode(true);
      try {
        process.exitCode = await execIn({
          envId: environmentId(o.env),
          machine,
          argv: [
            'script',
            '-q',
            '-c',
            `stty rows ${rows} cols ${columns}; exec bash -l || exec sh -l`,
            '/dev/null',
          ],
          env: { TERM: process.env.TERM ?? 'xterm' },
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
      } finally {
        process.stdin.setRawMode(false);
      }
    });

  cli
    .command('logs')
    .description(
      "print a machine's console log (with its boot script's output), or a service's log",
    )
    .addOption(envOption())
    .option('-s, --service <name>', "print this service's output instead")
    .argument('<machine>')
    .action(async (machine: string, o) => {
      const id = environmentId(o.env);
      const state = await readState(envDir(id));
      if (!state)
        throw new UmlenvError(
          `environment ${id} is not up`,
          'name another with --env (umlenv ps --all lists them)',
        );
      const plan = state.machines.find((m) => m.name === machine);
      if (!plan)
        throw new UmlenvError(
          `no machine named ${machine} in environment ${id}`,
          `use one of: ${state.machines.map((m) => m.name).join(', ')}`,
        );
      if (o.service) {
        if (!plan.services.some((s) => s.name === o.service)) {
          const names = plan.services.map((s) => s.name).join(', ') || 'none';
          throw new UmlenvError(
            `machine ${machine} has no service named ${o.service}`,
            `its services: ${names}`,
          );
        }
        const file = path.join(plan.serviceLogDir, `${o.service}.log`);
        return void process.stdout.write(await readFile(file).catch(() => Buffer.from('')));
      }
      process.stdout.write(await readFile(plan.consoleLog));
    });

  cli
    .command('port')
    .description('print the host address that forwards to a guest port')
    .addOption(envOption())
    .argument('<machine>')
    .argument('<guest-port>')
    .action(async (machine: string, guestPort: string, o) => {
      const { liveEnvironment } = await import('../environment/exec.js');
      const { state } = await liveEnvironment(environmentId(o.env));
      const plan = state.machines.find((m) => m.name === machine);
      if (!plan)
        throw new UmlenvError(
          `no machine named ${machine} in environment ${state.id}`,
          `use one of: ${state.machines.map((m) => m.name).join(', ')}`,
        );
      const port = plan.ports.find((p) => p.guestPort === Number(guestPort));
      if (!port) {
        const published = plan.ports.map((p) => p.guestPort).join(', ') || 'none';
        throw new UmlenvError(
          `machine ${machine} does not publish port ${guestPort} (published: ${published})`,
          `add "HOST_PORT:${guestPort}" to ports: of ${machine}`,
        );
      }
      process.stdout.write(`${port.hostAddress}:${port.hostPort}\n`);
    });

  cli
    .command('gc')
    .description(
      'finish the teardown of environments whose owner died or whose time to live passed',
    )
    .action(async () => {
      const { gc } = await import('../environment/down.js');
      const collected = await gc(logger());
      logger().info(
        collected.length ? `collected ${collected.length} environment(s)` : 'nothing to collect',
      );
      if (collected.some((c) => c.errors.length)) process.exitCode = 1;
    });

  addImageCommands(cli, logger, configOption);

  cli
    .command('kernel')
    .description('the minimal UML kernel')
    .command('build')
    .description(
      "build umlenv's minimal UML kernel from Debian's source, once per source and config",
    )
    .action(async () => {
      const { buildKernel } = await import('../kernel/build.js');
      process.stdout.write(`${await buildKernel(logger())}\n`);
    });

  cli
    .command('schema')
    .description('print the JSON Schema of umlenv.yml')
    .action(async () => {
      const { configJsonSchema } = await import('../config/schema.js');
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    });

  cli
    .command('__supervise', { hidden: true })
    .argument('<dir>')
    .action(async (dir: string) => {
      const { supervise } = await import('../environment/supervisor.js');
      await supervise(path.resolve(dir));
    });
  return cli;
}

function parseEnvVars(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1)
      throw new UmlenvError(
        `--env-var ${JSON.stringify(pair)} is not KEY=VALUE`,
        'write it as -e NAME=value',
      );
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

async function listEnvironments(json: boolean): Promise<void> {
  const rows = [];
  for (const dir of await listEnvDirs()) {
    const s = await readState(dir);
    if (s)
      rows.push({
        id: s.id,
        phase: (await isAlive(s.owner)) ? s.phase : 'orphaned',
        machines: s.machines.length,
        createdAt: s.createdAt,
      });
  }
  if (json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  table(
    ['ENVIRONMENT', 'PHASE', 'MACHINES', 'CREATED'],
    rows.map((r) => [r.id, r.phase, String(r.machines), r.createdAt]),
  );
}

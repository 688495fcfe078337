import { appendFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describeError, errorMessage, UmlenvError } from '../errors.js';
import { processRef } from '../host/process.js';
import { sinkLogger, type Logger, seconds } from '../log/logger.js';
import type { Machine } from '../machine/machine.js';
import { Connection, controlSocket, type Request } from './control.js';
import { startEnvironment, type Started } from './start.js';
import { readState, StateWriter } from './state.js';
import { runUndos } from './teardown.js';

/** What a supervisor tells the clients that watch it. */
export type Event =
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; tags: string[]; message: string }
  | { type: 'ready'; seconds: number }
  | { type: 'failed'; message: string };

export interface MachineStatus {
  name: string;
  address: string;
  state: 'starting' | 'running' | 'stopped';
  bootSeconds?: number;
}

/**
 * The per-environment owner of the running guests: started detached by `up`, it boots
 * the machines, holds their agent lines for exec, and tears everything down on `down`
 * or when its time to live ends. Its guests die with it (see jailed()).
 */
export async function supervise(dir: string): Promise<void> {
  const state = await readState(dir);
  if (!state) throw new Error(`no environment state in ${dir}`);
  const writer = new StateWriter(state);
  const events: Event[] = [];
  const watchers = new Set<Connection>();
  const emit = (event: Event) => {
    events.push(event);
    try {
      appendFileSync(
        path.join(dir, 'supervisor.log'),
        `${new Date().toISOString()} ${JSON.stringify(event)}\n`,
      );
    } catch {
      // the directory is gone once teardown removed it
    }
    for (const w of watchers) {
      w.json(event);
      if (event.type !== 'log') w.end();
    }
  };
  // Resolves once every watcher has its last event, so exiting cannot cut one short.
  const flushed = () =>
    Promise.race([
      Promise.all(
        [...watchers].map(
          (w) => new Promise((r) => (w.socket.closed ? r(null) : w.socket.once('close', r))),
        ),
      ),
      new Promise((r) => setTimeout(r, 1000)),
    ]);
  const log: Logger = sinkLogger((level, tags, message) =>
    emit({ type: 'log', level, tags, message }),
  ).child(state.id);
  let started: Started | undefined;
  let stopping: Promise<string[]> | undefined;

  const stop = (): Promise<string[]> =>
    (stopping ??= (async () => {
      const t0 = Date.now();
      await writer.update((s) => void (s.phase = 'stopping'));
      server.close();
      await started?.stop();
      const errors = await runUndos(writer.state, log);
      log.info(`Stopped in ${seconds(Date.now() - t0)}`);
      return errors;
    })());

  const server = net.createServer((socket) => {
    const conn = new Connection(socket);
    conn.once('json', (req) =>
      handle(conn, req as Request).catch((e) => conn.json({ error: errorMessage(e) })),
    );
  });
  const handle = async (conn: Connection, req: Request): Promise<void> => {
    if (req.op === 'watch') {
      for (const e of events) conn.json(e);
      if (events.some((e) => e.type !== 'log')) conn.end();
      else watchers.add(conn);
      conn.on('close', () => watchers.delete(conn));
    } else if (req.op === 'status') {
      conn.json({
        phase: writer.state.phase,
        machines: status(started?.machines, writer.state.machines),
      });
      conn.end();
    } else if (req.op === 'down') {
      const errors = await stop();
      conn.json({ errors });
      conn.end();
      setImmediate(() => process.exit(0));
    } else if (req.op === 'exec') {
      exec(conn, req, started?.machines.get(req.machine));
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(controlSocket(dir), resolve);
  });
  const self = await processRef(process.pid);
  await writer.update((s) => void (s.owner = self!));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => void stop().then(() => process.exit(0)));
  }
  const ttl = Date.parse(state.expiresAt) - Date.now();
  setTimeout(
    () => {
      log.warn(`time to live ended (${state.expiresAt}); tearing the environment down`);
      void stop().then(() => process.exit(0));
    },
    Math.min(Math.max(ttl, 0), 2 ** 31 - 1),
  ).unref();

  const t0 = Date.now();
  try {
    started = await startEnvironment(writer, log);
    await writer.update((s) => void (s.phase = 'ready'));
    emit({ type: 'ready', seconds: (Date.now() - t0) / 1000 });
  } catch (error) {
    // The client prints the error itself; the supervisor's log keeps the full story.
    log.debug(describeError(error));
    await writer.update((s) => {
      s.phase = 'failed';
      s.error = errorMessage(error);
    });
    const errors = await stop();
    for (const e of errors) log.error(`teardown: ${e}`);
    emit({
      type: 'failed',
      message:
        errorMessage(error) +
        (error instanceof UmlenvError && error.hint ? `\nfix: ${error.hint}` : ''),
    });
    await flushed();
    process.exit(1);
  }
}

function status(
  machines: Map<string, Machine> | undefined,
  plans: { name: string; address: string }[],
): MachineStatus[] {
  return plans.map((p) => {
    const m = machines?.get(p.name);
    return {
      name: p.name,
      address: p.address.split('/')[0],
      state: !m ? 'starting' : m.running ? 'running' : 'stopped',
      bootSeconds: m && m.bootMs / 1000,
    };
  });
}

// Bridges one client's exec request to the machine's agent line.
function exec(
  conn: Connection,
  req: Extract<Request, { op: 'exec' }>,
  machine: Machine | undefined,
): void {
  if (!machine || !machine.running) {
    conn.json({
      error: machine
        ? `machine ${req.machine} is not running`
        : `no machine named ${req.machine} in this environment`,
    });
    return conn.end();
  }
  let done = false;
  const control = machine.agent.exec(req, {
    stdout: (d) => conn.send('O', 0, d),
    stderr: (d) => conn.send('E', 0, d),
    exit: (code, signal) => {
      done = true;
      conn.json({ exit: code, signal });
      conn.end();
    },
  });
  conn.on('frame', (f) => {
    if (f.type === 'I') f.payload.length ? control.stdin(f.payload) : control.endStdin();
    else if (f.type === 'K') control.signal(Number(f.payload.toString()));
  });
  // A client that goes away takes its command with it.
  conn.on('close', () => done || control.signal(9));
}

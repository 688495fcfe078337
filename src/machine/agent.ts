import type { Duplex } from 'node:stream';
import {
  decodeExit,
  encodeExec,
  encodeFields,
  encodeFrame,
  FrameDecoder,
  type ExecRequest,
  type Frame,
} from './frame.js';

/** Callbacks of one command running in a guest. */
export interface ExecHandlers {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  exit(code: number, signal: number): void;
}

/** Lets the caller feed and signal a running command. */
export interface ExecControl {
  stdin(data: Buffer): void;
  endStdin(): void;
  signal(signo: number): void;
}

/** The identity and network a guest applies before it counts as ready. */
export interface GuestConfig {
  hostname: string;
  address?: string;
  gateway?: string;
  nameservers?: string[];
  hosts: [string, string][];
  shares?: { host: string; guest: string; readonly: boolean }[];
}

/** Bytes the host may write to a guest's agent line before the guest acknowledges them. */
export const WINDOW = 2048;

/**
 * The host side of a guest's agent line: a socket whose other end is the guest's
 * /dev/ttyS1. Many commands share it, told apart by stream id.
 */
export class AgentChannel {
  private decoder = new FrameDecoder();
  private nextId = 1;
  private running = new Map<number, ExecHandlers>();
  private waiters = new Map<string, (frame: Frame) => void>();
  private closed = false;
  private queue: Buffer[] = [];
  private unacknowledged = 0;
  readonly hello: Promise<Frame>;

  constructor(private socket: Duplex) {
    this.hello = this.next('R');
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.dispatch(frame);
    });
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, h] of this.running) {
      h.stderr(Buffer.from('umlenv: the machine stopped while the command ran\n'));
      h.exit(255, 0);
      this.running.delete(id);
    }
  }

  private next(type: string): Promise<Frame> {
    return new Promise((resolve) => this.waiters.set(type, resolve));
  }

  private dispatch(frame: Frame): void {
    if (frame.type === 'A') {
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
    if (frame.type === 'O') h.stdout(frame.payload);
    else if (frame.type === 'E') h.stderr(frame.payload);
    else if (frame.type === 'F') {
      this.running.delete(frame.id);
      h.stderr(Buffer.from(`umlenv: could not start the command: ${frame.payload}\n`));
      h.exit(126, 0);
    } else if (frame.type === 'Z') {
      this.running.delete(frame.id);
      const { code, signal } = decodeExit(frame.payload);
      h.exit(code, signal);
    }
  }

  private send(type: string, id: number, payload?: Buffer | string): void {
    if (this.closed) return;
    this.queue.push(encodeFrame(type, id, payload));
    this.pump();
  }

  // Writes no more than WINDOW bytes ahead of what the guest has read: UML throttles a
  // serial line whose tty buffer (4 KiB) fills, and the line then never resumes.
  private pump(): void {
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

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends the guest its identity; resolves when it is applied, rejects with the guest's error. */
  async configure(config: GuestConfig): Promise<void> {
    const fields: [string, string][] = [['h', config.hostname]];
    if (config.address) fields.push(['i', config.address]);
    if (config.gateway) fields.push(['g', config.gateway]);
    if (config.nameservers?.length) fields.push(['n', config.nameservers.join(' ')]);
    for (const [name, address] of config.hosts) fields.push(['H', `${address}\t${name}`]);
    for (const s of config.shares ?? [])
      fields.push(['m', `${s.host}\t${s.guest}\t${s.readonly ? 'ro' : 'rw'}`]);
    const reply = this.next('Y');
    this.send('C', 0, encodeFields(fields));
    const error = (await reply).payload.toString();
    if (error) throw new Error(`the guest could not apply its network settings: ${error}`);
  }

  exec(request: ExecRequest, handlers: ExecHandlers): ExecControl {
    const id = this.nextId++;
    if (this.closed) {
      handlers.stderr(Buffer.from('umlenv: the machine is not running\n'));
      handlers.exit(255, 0);
    } else {
      this.running.set(id, handlers);
      this.send('X', id, encodeExec(request));
    }
    return {
      stdin: (data) => data.length && this.running.has(id) && this.send('I', id, data),
      endStdin: () => this.running.has(id) && this.send('I', id),
      signal: (signo) => this.running.has(id) && this.send('K', id, String(signo)),
    };
  }

  /** Asks the guest to sync its disks and power off. */
  powerOff(): void {
    this.send('H', 0);
  }
}

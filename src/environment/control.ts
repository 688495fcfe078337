import net from 'node:net';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { encodeFrame, FrameDecoder, type Frame } from '../machine/frame.js';

export function controlSocket(dir: string): string {
  return path.join(dir, 'control.sock');
}

/** Requests a client sends to an environment's supervisor, as J frames. */
export type Request =
  | { op: 'watch' }
  | { op: 'status' }
  | { op: 'down' }
  | { op: 'exec'; machine: string; argv: string[]; env?: Record<string, string>; cwd?: string };

/** A framed connection to or from a supervisor's control socket. */
export class Connection extends EventEmitter<{ frame: [Frame]; json: [unknown]; close: [] }> {
  private decoder = new FrameDecoder();

  constructor(readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.type === 'J') this.emit('json', JSON.parse(frame.payload.toString()));
        else this.emit('frame', frame);
      }
    });
    socket.on('close', () => this.emit('close'));
    socket.on('error', () => socket.destroy());
  }

  send(type: string, id: number, payload?: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(type, id, payload));
  }

  json(message: unknown): void {
    this.send('J', 0, JSON.stringify(message));
  }

  end(): void {
    this.socket.end();
  }
}

// Connects to a supervisor; rejects when nothing listens there.
export function connect(dir: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(controlSocket(dir));
    socket.once('connect', () => resolve(new Connection(socket)));
    socket.once('error', reject);
  });
}

/** Sends one request and collects JSON replies until the supervisor closes the connection. */
export async function request<T>(
  dir: string,
  req: Request,
  onMessage?: (m: T) => void,
): Promise<T[]> {
  const conn = await connect(dir);
  const replies: T[] = [];
  return new Promise((resolve) => {
    conn.on('json', (m) => {
      replies.push(m as T);
      onMessage?.(m as T);
    });
    conn.on('close', () => resolve(replies));
    conn.json(req);
  });
}

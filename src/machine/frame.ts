/**
 * The frame format shared by the guest agent's serial line and the supervisor's
 * control socket: a 1-byte type, a u32 stream id and a u32 payload length, all
 * big-endian, then the payload.
 *
 * Host to guest: C configure, X exec, I stdin (empty = end of input), K signal,
 * P ping, H power off. Guest to host: R hello, Y configured (payload = error, empty
 * when fine), S started (pid), F failed to start, O stdout, E stderr,
 * Z exited ("code signal"), P pong, A acknowledged (payload = bytes the agent read from
 * the line, so the host can keep what it sends within the tty's buffer). The control
 * socket adds J, a JSON message.
 */
export interface Frame {
  type: string;
  id: number;
  payload: Buffer;
}

export const HEADER_BYTES = 9;
const MAX_PAYLOAD = 64 * 2 ** 20;

export function encodeFrame(type: string, id: number, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(type, 0, 1, 'latin1');
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/** Turns a byte stream back into frames, however it was split. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buffer.length >= HEADER_BYTES) {
      const length = this.buffer.readUInt32BE(5);
      if (length > MAX_PAYLOAD)
        throw new Error(`frame of ${length} bytes exceeds the ${MAX_PAYLOAD}-byte limit`);
      if (this.buffer.length < HEADER_BYTES + length) break;
      frames.push({
        type: this.buffer.toString('latin1', 0, 1),
        id: this.buffer.readUInt32BE(1),
        payload: this.buffer.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.buffer = this.buffer.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}

/** What to run in a guest. */
export interface ExecRequest {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user of the guest (default root). */
  user?: string;
}

// Exec and configure payloads are NUL-separated fields whose first letter is the tag.
export function encodeFields(fields: [string, string][]): Buffer {
  for (const [tag, value] of fields) {
    if (value.includes('\0'))
      throw new Error(`field ${tag} contains a NUL byte: ${JSON.stringify(value)}`);
  }
  return Buffer.from(fields.map(([tag, value]) => tag + value).join('\0'));
}

export function encodeExec(req: ExecRequest): Buffer {
  return encodeFields([
    ...(req.cwd ? [['d', req.cwd] as [string, string]] : []),
    ...(req.user ? [['u', req.user] as [string, string]] : []),
    ...Object.entries(req.env ?? {}).map(([k, v]) => ['e', `${k}=${v}`] as [string, string]),
    ...req.argv.map((a) => ['a', a] as [string, string]),
  ]);
}

export function decodeExit(payload: Buffer): { code: number; signal: number } {
  const [code, signal] = payload.toString().split(' ').map(Number);
  return { code, signal: signal || 0 };
}

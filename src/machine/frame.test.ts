import { describe, expect, it } from 'vitest';
import {
  decodeExit,
  encodeExec,
  encodeFields,
  encodeFrame,
  FrameDecoder,
  HEADER_BYTES,
  type ExecRequest,
  type Frame,
} from './frame.js';

const LIMIT = 64 * 2 ** 20;

function header(type: string, id: number, length: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(type, 0, 1, 'latin1');
  b.writeUInt32BE(id, 1);
  b.writeUInt32BE(length, 5);
  return b;
}

function plain(frames: Frame[]) {
  return frames.map((f) => ({ type: f.type, id: f.id, payload: f.payload.toString('hex') }));
}

function decodeExec(payload: Buffer): Required<ExecRequest> {
  const req: Required<ExecRequest> = { argv: [], env: {}, cwd: '', user: '' };
  for (const field of payload.toString().split('\0')) {
    const value = field.slice(1);
    if (field[0] === 'a') req.argv.push(value);
    else if (field[0] === 'd') req.cwd = value;
    else if (field[0] === 'u') req.user = value;
    else if (field[0] === 'e') {
      const eq = value.indexOf('=');
      req.env[value.slice(0, eq)] = value.slice(eq + 1);
    } else throw new Error(`unexpected field ${JSON.stringify(field)}`);
  }
  return req;
}

describe('encodeFrame', () => {
  it('writes type, big-endian id and length, then the payload', () => {
    expect(encodeFrame('O', 7, 'hi')).toEqual(
      Buffer.from([0x4f, 0, 0, 0, 7, 0, 0, 0, 2, 0x68, 0x69]),
    );
  });

  it('writes an empty payload as a bare header', () => {
    expect(encodeFrame('I', 0x01020304)).toEqual(Buffer.from([0x49, 1, 2, 3, 4, 0, 0, 0, 0]));
  });

  it('counts payload length in bytes, not characters', () => {
    expect(encodeFrame('O', 1, 'é€').readUInt32BE(5)).toBe(5);
  });
});

describe('FrameDecoder', () => {
  const frames = [
    encodeFrame('X', 1, 'asleep\0a1'),
    encodeFrame('I', 1),
    encodeFrame('O', 0xffffffff, Buffer.from([0, 255, 10, 13, 0])),
    encodeFrame('Z', 42, '0 0'),
  ];
  const stream = Buffer.concat(frames);
  const expected = [
    { type: 'X', id: 1, payload: Buffer.from('asleep\0a1').toString('hex') },
    { type: 'I', id: 1, payload: '' },
    { type: 'O', id: 0xffffffff, payload: '00ff0a0d00' },
    { type: 'Z', id: 42, payload: Buffer.from('0 0').toString('hex') },
  ];

  it('decodes several frames from one chunk', () => {
    expect(plain(new FrameDecoder().push(stream))).toEqual(expected);
  });

  it('decodes the same frames when the stream arrives byte by byte', () => {
    const decoder = new FrameDecoder();
    const out: Frame[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(plain(out)).toEqual(expected);
  });

  it('returns a frame only once its last byte has arrived', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame('E', 3, 'oops');
    expect(decoder.push(frame.subarray(0, 4))).toEqual([]);
    expect(decoder.push(frame.subarray(4, frame.length - 1))).toEqual([]);
    expect(plain(decoder.push(frame.subarray(frame.length - 1)))).toEqual([
      { type: 'E', id: 3, payload: Buffer.from('oops').toString('hex') },
    ]);
  });

  it('keeps the start of the next frame for the next push', () => {
    const decoder = new FrameDecoder();
    const split = frames[0].length + 3;
    expect(plain(decoder.push(stream.subarray(0, split)))).toEqual(expected.slice(0, 1));
    expect(plain(decoder.push(stream.subarray(split)))).toEqual(expected.slice(1));
  });

  it('throws on a length above the limit, before the payload arrives', () => {
    expect(() => new FrameDecoder().push(header('O', 1, LIMIT + 1))).toThrow(
      `frame of ${LIMIT + 1} bytes exceeds the ${LIMIT}-byte limit`,
    );
  });

  it('accepts a length of exactly the limit', () => {
    expect(new FrameDecoder().push(header('O', 1, LIMIT))).toEqual([]);
  });
});

describe('encodeFields', () => {
  it('joins tagged fields with NUL bytes', () => {
    expect(
      encodeFields([
        ['a', 'x'],
        ['b', ''],
        ['c', 'y z'],
      ]).toString(),
    ).toBe('ax\0b\0cy z');
  });

  it('encodes no fields as an empty payload', () => {
    expect(encodeFields([])).toHaveLength(0);
  });

  it('refuses a NUL byte inside a field', () => {
    expect(() => encodeFields([['a', 'x\0y']])).toThrow('field a contains a NUL byte: "x\\u0000y"');
  });
});

describe('encodeExec', () => {
  it('encodes cwd, then env, then argv as tagged fields', () => {
    const payload = encodeExec({
      argv: ['sh', '-c', 'echo hi'],
      env: { A: '1', B: 'x=y' },
      cwd: '/srv',
    });
    expect(payload.toString()).toBe('d/srv\0eA=1\0eB=x=y\0ash\0a-c\0aecho hi');
  });

  it('leaves out cwd and env when not given', () => {
    expect(encodeExec({ argv: ['true'] }).toString()).toBe('atrue');
  });

  it('round-trips awkward argv, env, cwd and user values', () => {
    const req = {
      argv: ['printf', '%s\n', '', 'two words', 'ünïcode', '--opt=a=b'],
      env: { EMPTY: '', PATH: '/usr/bin:/bin', JSON: '{"a": [1, 2]}' },
      cwd: '/home/ci/my project',
      user: 'www-data',
    };
    expect(decodeExec(encodeExec(req))).toEqual(req);
  });

  it.each([
    ['argv', { argv: ['echo', 'a\0b'] }, 'field a'],
    ['env', { argv: ['env'], env: { X: 'a\0b' } }, 'field e'],
    ['cwd', { argv: ['pwd'], cwd: '/tmp/\0' }, 'field d'],
  ])('refuses a NUL byte in %s', (_, req, field) => {
    expect(() => encodeExec(req)).toThrow(`${field} contains a NUL byte`);
  });
});

describe('decodeExit', () => {
  it.each([
    ['0 0', { code: 0, signal: 0 }],
    ['3 0', { code: 3, signal: 0 }],
    ['137 9', { code: 137, signal: 9 }],
    ['1', { code: 1, signal: 0 }],
  ])('reads %j', (text, result) => {
    expect(decodeExit(Buffer.from(text))).toEqual(result);
  });
});

import { open, stat } from 'node:fs/promises';

// The last lines a guest printed, for error messages about it.
export async function consoleTail(file: string, lines = 15): Promise<string> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, 8192);
      const buffer = Buffer.alloc(length);
      await fh.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '(no console output)';
  }
}

export async function consoleSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}
